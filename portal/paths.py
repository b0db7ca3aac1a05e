"""Path parameters: the ids a page address may carry."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path

# The largest id the store can hold (a signed 64-bit integer on PostgreSQL and SQLite).
# An address naming anything beyond it, or a zero, a negative or a word, is a page not
# found: the error handlers answer a path parameter that fails validation with 404.
MAX_ID = 2**63 - 1
RecordId = Annotated[int, Path(ge=1, le=MAX_ID)]
