"""Sample data that the tests and the benchmark share: not part of the product.

Outside the wheel (``pyproject.toml`` packages none of it) and outside the import contract,
like ``tests`` and ``bench``: production code never imports it, and a sample changed for a
test changes the benchmark's smoke helpers with it instead of drifting from a copy.
"""
