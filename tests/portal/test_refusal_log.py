"""A refused attempt to reach content is logged (who, what, when), never audited."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from appraisal_store.models import AuditEvent
from appraisal_store.services.content_views import ACCESS_LOGGER
from appraisal_store.sessions import read_session
from tests.conftest import Board
from tests.portal.conftest import Clock, SignedInClient

FINANCE, NED1, COSEC = "finance@rx1.nhs.uk", "ned1@rx1.nhs.uk", "cosec@rx1.nhs.uk"


def _events() -> int:
    with read_session() as session:
        return int(session.execute(select(func.count()).select_from(AuditEvent)).scalar_one())


@pytest.mark.parametrize(("route", "status", "what"), [
    ("/appraisals/{id}", 404, "the portal's overview page"),
    ("/appraisals/{id}/domains/d1", 404, "the portal's domain d1 page"),
    ("/appraisals/{id}/record.pdf", 404, "the portal's record.pdf page"),
    ("/review/{id}", 404, "the portal's review page"),
])
def test_a_director_refused_another_directors_appraisal_is_logged_not_audited(
        sqlite_board: Board, sign_in_as: Callable[..., SignedInClient], home: Path,
        caplog: pytest.LogCaptureFixture, route: str, status: int, what: str,
        clock: Clock) -> None:
    intruder = sign_in_as(NED1)
    appraisal_id = sqlite_board.appraisals[FINANCE]
    clock.now += timedelta(minutes=7)  # the refusal is logged at the portal's moment
    before = _events()
    with caplog.at_level(logging.INFO, logger=ACCESS_LOGGER):
        response = intruder.get(route.format(id=appraisal_id))
    assert response.status_code == status
    assert _events() == before
    [record] = [r for r in caplog.records if r.name == ACCESS_LOGGER]
    assert record.levelno == logging.WARNING
    assert (record.actor_id, record.actor_label) == (  # type: ignore[attr-defined]
        sqlite_board.people[NED1], "Zoë Łukasiewicz")
    assert (record.what, record.appraisal_id) == (what, appraisal_id)  # type: ignore[attr-defined]
    assert datetime.fromisoformat(record.at) == clock.now.replace(microsecond=0)  # type: ignore[attr-defined]
    line = (home / "logs" / "access.log").read_text(encoding="utf-8")
    assert (f"refused: person {sqlite_board.people[NED1]} (Zoë Łukasiewicz) tried {what} "
            f"of appraisal {appraisal_id}") in line


def test_the_secretary_without_delegation_refused_content_is_logged_not_audited(
        sqlite_board: Board, sign_in_as: Callable[..., SignedInClient],
        caplog: pytest.LogCaptureFixture) -> None:
    secretary = sign_in_as(COSEC)
    appraisal_id = sqlite_board.appraisals[FINANCE]
    before = _events()
    with caplog.at_level(logging.INFO, logger=ACCESS_LOGGER):
        assert secretary.get(f"/review/{appraisal_id}").status_code == 403
    assert _events() == before
    [record] = [r for r in caplog.records if r.name == ACCESS_LOGGER]
    assert record.actor_id == sqlite_board.people[COSEC]  # type: ignore[attr-defined]
    assert record.appraisal_id == appraisal_id  # type: ignore[attr-defined]
    assert "status of this appraisal, not its content" in record.reason  # type: ignore[attr-defined]


def test_a_view_that_is_allowed_is_audited_and_not_logged(
        sqlite_board: Board, sign_in_as: Callable[..., SignedInClient],
        caplog: pytest.LogCaptureFixture) -> None:
    director = sign_in_as(FINANCE)
    before = _events()
    with caplog.at_level(logging.INFO, logger=ACCESS_LOGGER):
        assert director.get(f"/appraisals/{sqlite_board.appraisals[FINANCE]}").status_code == 200
    assert _events() == before + 1
    assert not [r for r in caplog.records if r.name == ACCESS_LOGGER]
