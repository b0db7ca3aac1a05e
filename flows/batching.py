"""Work split into batches: tens of Prefect task runs per flow run, whatever the size."""

from __future__ import annotations

from typing import TypeVar

T = TypeVar("T")


def batches(items: list[T], *, most_batches: int = 20, least_size: int = 100) -> list[list[T]]:
    """Split ``items`` into at most ``most_batches`` batches of at least ``least_size``.

    Keeps Prefect task runs per flow run to tens whatever the number of appraisals (the
    SQLite-backed server records task runs slowly; bench/FINDINGS.md).
    """
    if not items:
        return []
    size = max(least_size, -(-len(items) // most_batches))
    return [items[start:start + size] for start in range(0, len(items), size)]
