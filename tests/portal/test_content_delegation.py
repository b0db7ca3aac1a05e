"""The chair lets the company secretary see content, and takes it back; nobody else can."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from appraisal_store import sessions
from appraisal_store.errors import NotAllowed, ValidationFailed
from appraisal_store.models import AuditEvent
from appraisal_store.services import administration
from tests.conftest import Board

CHAIR, COSEC = "chair@rx1.nhs.uk", "cosec@rx1.nhs.uk"


def test_the_chair_grants_and_withdraws_access_to_content(sqlite_board: Board,
                                                          sign_in_as) -> None:  # type: ignore[no-untyped-def]
    review = f"/review/{sqlite_board.appraisals['finance@rx1.nhs.uk']}"
    outcomes = f"/organisations/{sqlite_board.organisation_id}/outcomes"
    secretary = sign_in_as(COSEC)
    assert secretary.get(review).status_code == 403
    chair = sign_in_as(CHAIR)
    page = chair.get(outcomes)
    assert "Ruth Clarke" in page.text and "sees status only" in page.text
    granted = chair.post(f"/organisations/{sqlite_board.organisation_id}/delegation",
                         {"delegate_email": COSEC, "action": "grant"})
    assert granted.status_code == 303
    assert "can see appraisal content" in chair.get(outcomes).text
    assert secretary.get(review).status_code == 200
    with sessions.read_session() as session:
        viewed = session.execute(select(AuditEvent).where(
            AuditEvent.action == "content_viewed",
            AuditEvent.actor_id == sqlite_board.people[COSEC])).scalars().all()
    assert viewed, "the secretary's view of content is audited"
    chair.post(f"/organisations/{sqlite_board.organisation_id}/delegation",
               {"delegate_email": COSEC, "action": "revoke"})
    assert secretary.get(review).status_code == 403


def test_only_the_chair_delegates_and_only_to_the_company_secretary(
        sqlite_board: Board, sign_in_as) -> None:  # type: ignore[no-untyped-def]
    secretary = sign_in_as(COSEC)
    refused = secretary.post(f"/organisations/{sqlite_board.organisation_id}/delegation",
                             {"delegate_email": COSEC, "action": "grant"})
    assert refused.status_code == 403
    with pytest.raises(ValidationFailed, match="is not this organisation's company secretary"), \
            sessions.write_session() as session:
        administration.delegate_content(session=session, actor=sqlite_board.actor(CHAIR),
                                        organisation_id=sqlite_board.organisation_id,
                                        delegate_email="ned1@rx1.nhs.uk")
    with pytest.raises(NotAllowed), sessions.write_session() as session:
        administration.revoke_content_delegation(
            session=session, actor=sqlite_board.actor("ceo@rx1.nhs.uk"),
            organisation_id=sqlite_board.organisation_id, delegate_email=COSEC)


def test_granting_twice_keeps_one_delegation(sqlite_board: Board) -> None:
    for _ in range(2):
        with sessions.write_session() as session:
            administration.delegate_content(session=session, actor=sqlite_board.actor(CHAIR),
                                            organisation_id=sqlite_board.organisation_id,
                                            delegate_email=COSEC)
    with sessions.write_session() as session:
        assert administration.revoke_content_delegation(
            session=session, actor=sqlite_board.actor(CHAIR),
            organisation_id=sqlite_board.organisation_id, delegate_email=COSEC)
        assert not administration.revoke_content_delegation(
            session=session, actor=sqlite_board.actor(CHAIR),
            organisation_id=sqlite_board.organisation_id, delegate_email=COSEC)
