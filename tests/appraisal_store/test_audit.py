"""The audit chain: intact after real work, broken by any hand edit, never forked."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import delete, text, update
from sqlalchemy.engine import Engine

from appraisal_store import engines, sessions
from appraisal_store.actors import Actor
from appraisal_store.audit import record_event
from appraisal_store.audit_verification import verify_chain
from appraisal_store.models import AuditEvent, AuditHead
from tests.conftest import Board


def _verify():  # type: ignore[no-untyped-def]
    with sessions.read_session() as session:
        return verify_chain(session)


def test_the_chain_of_a_seeded_board_verifies(board: Board) -> None:
    report = _verify()
    assert report.ok
    assert report.verified >= len(board.appraisals) + 10


@pytest.mark.parametrize("column,value", [
    ("actor_label", "someone else"), ("action", "appraisal_deleted"), ("subject_id", "999"),
])
def test_editing_any_event_by_hand_is_caught(board: Board, column: str, value: str) -> None:
    with engines.engine().begin() as connection:
        connection.execute(update(AuditEvent).where(AuditEvent.id == 7).values({column: value}))
    report = _verify()
    assert not report.ok
    assert report.broken_at == 7 and report.verified == 6


def test_editing_the_details_json_is_caught(board: Board) -> None:
    with engines.engine().begin() as connection:
        connection.execute(text("UPDATE auditevent SET details = :d WHERE id = 5"),
                           {"d": '{"role": "chair"}'})
    assert _verify().broken_at == 5


def test_deleting_an_event_or_the_newest_events_is_caught(board: Board) -> None:
    last = _verify().verified
    with engines.engine().begin() as connection:
        connection.execute(delete(AuditEvent).where(AuditEvent.id == last))
    report = _verify()
    assert not report.ok and "removed" in report.reason
    with engines.engine().begin() as connection:
        connection.execute(delete(AuditEvent).where(AuditEvent.id == 3))
    assert _verify().broken_at == 4


def test_each_event_moves_the_head_with_it(store: Engine) -> None:
    # On PostgreSQL a single event is hashed by the server and written with the head's
    # move in one statement; the chain must verify as if Python had hashed it (names and
    # details beyond ASCII included).
    for n in range(3):
        with sessions.write_session() as session:
            record_event(session, Actor.person(n + 1, f"Siân Wyn ap Gruffydd {n}"), "probe",
                         subject_type="probe", subject_id=n, organisation_id=n or None,
                         details={"n": n, "when": "2026-11-23", "name": "Łukasz Żółć",
                                  "quote": 'a "b" \\ c'})
        with sessions.read_session() as session:
            head = session.get(AuditHead, 1)
            newest = session.get(AuditEvent, n + 1)
            assert head is not None and newest is not None
            assert (head.last_event_id, head.last_hash) == (newest.id, newest.hash)
            assert newest.details == {"n": n, "when": "2026-11-23", "name": "Łukasz Żółć",
                                      "quote": 'a "b" \\ c'}
            assert newest.actor_label.startswith("Siân")
    report = _verify()
    assert report.ok and report.verified == 3


def test_concurrent_writers_never_fork_the_chain(store: Engine) -> None:
    errors: list[BaseException] = []

    def write(n: int) -> None:
        try:
            for i in range(15):
                with sessions.write_session() as session:
                    record_event(session, Actor.system(f"writer {n}"), "probe",
                                 subject_type="probe", subject_id=f"{n}-{i}")
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    report = _verify()
    assert report.ok and report.verified == 60
