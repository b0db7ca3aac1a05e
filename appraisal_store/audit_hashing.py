"""How the audit chain is hashed: the chain's start, its points, and an event's SHA-256.

The hash is computed in Python (``event_hash``) and, to chain one event in one statement
on PostgreSQL, by the server over the same bytes (``SERVER_HASH_SQL``).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import LargeBinary, bindparam, text
from sqlalchemy.engine import Connection

# The hash the first event points back to: the chain's start, defined here only (the head
# row is created from it by ``start_chain``, its one writer).
GENESIS_HASH = "0" * 64

@dataclass(frozen=True)
class AuditAnchor:
    """A point of the chain: event ``event_id`` and its hash (``GENESIS_HASH`` at 0).

    Written ``HASH@N``: the form a sealed record carries and ``audit verify --anchor``
    takes.
    """

    event_id: int
    hash: str

    def __str__(self) -> str:
        return f"{self.hash}@{self.event_id}"

    @classmethod
    def parse(cls, written: str) -> AuditAnchor:
        """Read ``HASH@N``; ValueError with the reason when it is not that."""
        digest, at, number = written.strip().partition("@")
        digest = digest.lower()
        if not at or not number.isdigit() or len(digest) != 64 or any(
                c not in "0123456789abcdef" for c in digest):
            raise ValueError(f"{written!r} is not an audit anchor: write it as HASH@N, the "
                             "64 hex digits of the hash, @, and the event number "
                             "(as `appraisal audit anchor` prints it)")
        return cls(int(number), digest)

def canonical_details(details: dict[str, Any]) -> dict[str, Any]:
    # Round-trip through JSON so the hashed value is exactly what the database gives back.
    return json.loads(json.dumps(details, default=str, sort_keys=True))  # type: ignore[no-any-return]  # JSON object


def _timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def event_hash(
    *,
    event_id: int,
    prev_hash: str,
    occurred_at: datetime,
    actor_id: int | None,
    actor_label: str,
    action: str,
    subject_type: str,
    subject_id: str,
    organisation_id: int | None,
    details: dict[str, Any],
) -> str:
    """The SHA-256 that chains one event to the one before it.

    It is taken over the compact JSON array ``[event_id, prev_hash, occurred_at (ISO, UTC,
    microseconds), actor_id, actor_label, action, subject_type, subject_id,
    organisation_id, details]`` (keys sorted, UTF-8).
    """
    tail = hashed_tail(occurred_at=occurred_at, actor_id=actor_id, actor_label=actor_label,
                        action=action, subject_type=subject_type, subject_id=subject_id,
                        organisation_id=organisation_id, details=details)
    return hashlib.sha256(hashed_head(event_id, prev_hash) + tail).hexdigest()


def hashed_head(event_id: int, prev_hash: str) -> bytes:
    """The start of the hashed array, up to and including the comma after ``prev_hash``."""
    return f'[{event_id},"{prev_hash}",'.encode("ascii")


def hashed_tail(*, occurred_at: datetime, actor_id: int | None, actor_label: str,
                 action: str, subject_type: str, subject_id: str, organisation_id: int | None,
                 details: dict[str, Any]) -> bytes:
    """The rest of the hashed array, after ``prev_hash``: what is known before the head."""
    rest = json.dumps(
        [_timestamp(occurred_at), actor_id, actor_label, action, subject_type, subject_id,
         organisation_id, details],
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return rest[1:].encode("utf-8")


# The event's hash computed by the server, over the same bytes as ``event_hash``: the
# array's start from the event number and previous hash, then ``:tail`` from Python.
# There are two computations of one hash because the server's lets a single event be
# chained in one statement on PostgreSQL (``audit._CHAIN_ONE_EVENT``); the test suite
# proves they agree byte for byte, and ``verify_chain`` recomputes every hash in Python.
SERVER_HASH_SQL = ("encode(sha256(convert_to('[' || event_id || ',\"' || prev_hash || '\",', "
                   "'UTF8') || :tail), 'hex')")


def server_event_hash(connection: Connection, *, event_id: int, prev_hash: str,
                      tail: bytes) -> str:
    """The hash PostgreSQL computes for an event (``SERVER_HASH_SQL``), for the test
    that proves it is ``event_hash``'s."""
    statement = text(f"SELECT {SERVER_HASH_SQL} FROM (SELECT CAST(:event_id AS bigint) "
                     "AS event_id, CAST(:prev_hash AS text) AS prev_hash) AS event"
                     ).bindparams(bindparam("tail", type_=LargeBinary()))
    return str(connection.execute(statement, {"event_id": event_id, "prev_hash": prev_hash,
                                              "tail": tail}).scalar_one())

