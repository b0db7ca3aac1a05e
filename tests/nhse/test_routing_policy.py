"""The routing policy as data: every organisation type and role, with and without a senior
independent director; the regional director's part; an organisation's override."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from appraisal_store import sessions
from appraisal_store.errors import ValidationFailed
from appraisal_store.models import Appraisal, AuditEvent, Person
from appraisal_store.nhse_tables import RoutingOverride
from appraisal_store.routing import BoardLeads, default_route
from appraisal_store.routing_policy import (
    APPRAISED_ROLES,
    POLICY_FILE,
    Guidance,
    RegionalDirectorPart,
    parse_override,
    parse_policy,
    shipped_policy,
)
from appraisal_store.services.appraisers import register_external_appraiser
from appraisal_store.services.contributors import (
    register_contributor,
    set_routing_override,
)
from appraisal_store.services.cycles import open_cycles, resolve_dates
from appraisal_store.services.organisations import add_organisation
from appraisal_store.services.people import import_people
from appraisal_store.vocabulary import BoardRole, OrgType

CHAIR, CEO, SID, DEPUTY, RD = 1, 2, 3, 4, 50
APPRAISEE = 99
R = BoardRole
# Who appraises each role when everyone is in post: the same in every kind of organisation.
EXPECTED = {R.EXECUTIVE_DIRECTOR: CEO, R.CHIEF_EXECUTIVE: CHAIR,
            R.NON_EXECUTIVE_DIRECTOR: CHAIR, R.SENIOR_INDEPENDENT_DIRECTOR: CHAIR,
            R.DEPUTY_CHAIR: CHAIR, R.CHAIR: SID}
SUBMITTING = {OrgType.NHS_TRUST, OrgType.ICB}


def _leads(*, sid: bool, deputy: bool = True) -> BoardLeads:
    return BoardLeads(chair_id=CHAIR, chief_executive_id=CEO,
                      senior_independent_director_id=SID if sid else None,
                      deputy_chair_id=DEPUTY if deputy else None,
                      regional_director="Dr Amara Osei")


@pytest.mark.parametrize("org_type", list(OrgType))
@pytest.mark.parametrize("role", APPRAISED_ROLES)
@pytest.mark.parametrize("sid", [True, False], ids=["with-sid", "without-sid"])
def test_every_type_and_role_with_and_without_a_sid(org_type: OrgType, role: BoardRole,
                                                    sid: bool) -> None:
    route = default_route(role=role, org_type=org_type, appraisee_id=APPRAISEE,
                          leads=_leads(sid=sid))
    expected = EXPECTED[role]
    if role is R.CHAIR and not sid:
        expected = DEPUTY  # the deputy chair stands in for the missing SID
        assert route.basis.startswith("No senior independent director is in post: "
                                      "the deputy chair appraises the chair")
    assert route.appraiser_id == expected
    endorsed = org_type in SUBMITTING and (role is R.CHAIR or role.is_non_executive)
    assert ("NHS England regional endorsement" in route.basis) is endorsed
    assert ("input from NHS England's regional director (Dr Amara Osei)" in route.basis) is (
        role is R.CHAIR and org_type in SUBMITTING)
    assert ("nominations committee" in route.basis) is (
        role is R.CHAIR and org_type is OrgType.FOUNDATION_TRUST)


@pytest.mark.parametrize("org_type", list(OrgType))
def test_a_chair_with_neither_sid_nor_deputy_has_no_appraiser(org_type: OrgType) -> None:
    route = default_route(role=R.CHAIR, org_type=org_type, appraisee_id=APPRAISEE,
                          leads=_leads(sid=False, deputy=False))
    assert route.appraiser_id is None
    assert route.basis == ("No senior independent director or deputy chair is in post: "
                           "assign an appraiser")


def test_the_file_marks_what_the_guidance_confirms() -> None:
    policy = shipped_policy()
    for org_type in OrgType:
        for role in APPRAISED_ROLES:
            route = policy.route(org_type, role)
            assert route.guidance in set(Guidance) and route.source, (org_type, role)
    # The regional director's part in an NHS trust or ICB chair's appraisal is not stated.
    assert policy.route(OrgType.ICB, R.CHAIR).guidance is Guidance.UNCONFIRMED
    assert policy.route(OrgType.FOUNDATION_TRUST, R.CHAIR).guidance is Guidance.CONFIRMED
    assert policy.route(OrgType.NHS_TRUST, R.CHAIR).regional_director is (
        RegionalDirectorPart.INPUT)
    assert "unconfirmed" in POLICY_FILE.read_text()


def test_a_bad_policy_or_override_names_each_line() -> None:
    with pytest.raises(ValidationFailed) as raised:
        parse_policy("default:\n  chair:\n    appraisers: [governor]\n    endorse: yes\n"
                     "organisation_types:\n  trust: {}\n", source="policy.yaml")
    problems = raised.value.problems
    assert "policy.yaml: line 3: default, chair: 'governor' cannot appraise" in problems[0]
    assert problems[1].startswith("policy.yaml: line 4: default, chair: 'endorse' is not a "
                                  "field")
    assert problems[2].startswith("policy.yaml: line 6: 'trust' is not an organisation type")
    assert problems[3].startswith("policy.yaml: default: every appraised role needs")
    with pytest.raises(ValidationFailed) as raised:
        parse_override("chair:\n  regional_director: leads\n", source="rx1.yaml")
    assert raised.value.problems == [
        "rx1.yaml: line 2: the override, chair: regional_director 'leads' is not one of "
        "none, input, conducts"]
    with pytest.raises(ValidationFailed) as raised:
        parse_override("chair: [unclosed\n", source="rx1.yaml")
    assert raised.value.problems[0].startswith("rx1.yaml: line 2: this is not valid YAML")


ICB_BOARD = """org_code,name,email,role,start_date,end_date,interim
QOX,Helen Marsh,chair@qox.nhs.uk,chair,2022-04-01,,no
QOX,Ravi Patel,ceo@qox.nhs.uk,chief-executive,2022-07-01,,no
QOX,Jo Byrne,deputy@qox.nhs.uk,deputy-chair,2022-07-01,,no
QOX,Jo Byrne,deputy@qox.nhs.uk,non-executive-director,2022-07-01,,no
QOX,Sam Ode,cosec@qox.nhs.uk,company-secretary,2022-07-01,,no
"""


def _open_icb(operator_override: str | None = None) -> dict[str, Appraisal]:
    from appraisal_store.actors import Actor

    operator = Actor.operator()
    with sessions.write_session() as session:
        add_organisation(session=session, actor=operator, code="QOX",
                         name="Quayside Integrated Care Board", org_type="icb",
                         region="North East")
        import_people(session=session, actor=operator, csv_text=ICB_BOARD)
        register_contributor(session=session, actor=operator, organisation_code="QOX",
                             email="rd.northeast@england.nhs.uk", name="Dr Amara Osei",
                             part="regional-director",
                             roles=["chair", "non-executive-director", "deputy-chair"],
                             reason="NHS England's regional director for the North East")
        if operator_override is not None:
            register_external_appraiser(session=session, actor=operator,
                                        organisation_code="QOX",
                                        email="rd.northeast@england.nhs.uk", roles=["chair"],
                                        reason="The regional director conducts it")
            set_routing_override(session=session, actor=operator, organisation_code="QOX",
                                 policy_text=operator_override, source="qox.yaml",
                                 reason="Agreed with the region",
                                 now=datetime(2025, 11, 20, tzinfo=UTC))
        open_cycles(session=session, actor=operator, year="2025/26",
                    organisation_codes=["QOX"], dates=resolve_dates("2025/26"),
                    today=date(2025, 12, 1))
    with sessions.read_session() as session:
        emails = dict(session.execute(select(Person.id, Person.email)).tuples().all())
        return {emails[a.appraisee_id]: a
                for a in session.execute(select(Appraisal)).scalars()}


def test_an_icb_without_a_sid_routes_its_chair_to_the_deputy_chair(store: object) -> None:
    appraisals = _open_icb()
    chair = appraisals["chair@qox.nhs.uk"]
    with sessions.read_session() as session:
        deputy = session.execute(select(Person.id).where(
            Person.email == "deputy@qox.nhs.uk")).scalar_one()
    assert chair.appraiser_id == deputy
    assert chair.routing_basis == (
        "No senior independent director is in post: the deputy chair appraises the chair, "
        "with input from NHS England's regional director (Dr Amara Osei), with NHS England "
        "regional endorsement")
    assert chair.nhse_due == date(2026, 6, 30)


def test_an_organisation_override_lets_the_regional_director_conduct(store: object) -> None:
    appraisals = _open_icb("chair:\n  appraisers: [external-appraiser, deputy-chair]\n"
                           "  regional_director: conducts\n")
    with sessions.read_session() as session:
        director = session.execute(select(Person.id).where(
            Person.email == "rd.northeast@england.nhs.uk")).scalar_one()
        overrides = session.execute(select(RoutingOverride)).scalars().all()
        audited = session.execute(select(AuditEvent.action).where(
            AuditEvent.action == "routing_override_set")).scalars().all()
    chair = appraisals["chair@qox.nhs.uk"]
    assert chair.appraiser_id == director
    assert chair.routing_basis.startswith("The registered external appraiser (NHS England's "
                                          "regional director) appraises the chair")
    assert len(overrides) == 1 and audited == ["routing_override_set"]


def test_a_bad_override_is_refused_and_nothing_written(store: object) -> None:
    with pytest.raises(ValidationFailed):
        _open_icb("chair:\n  appraisers: []\n")
    with sessions.read_session() as session:
        assert session.execute(select(RoutingOverride)).first() is None


FT_BOARD = """org_code,name,email,role,start_date,end_date,interim
RYF,Grace Abara,chair@ryf.nhs.uk,chair,2021-04-01,,no
RYF,Owen Hale,sid@ryf.nhs.uk,senior-independent-director,2021-04-01,,no
"""


def test_a_foundation_trust_chairs_outcome_goes_to_the_nominations_committee(
        store: object) -> None:
    from appraisal_store.actors import Actor
    from appraisal_store.models import OutboxMessage
    from appraisal_store.services.contributors import outcome_notices

    operator = Actor.operator()
    with sessions.write_session() as session:
        add_organisation(session=session, actor=operator, code="RYF",
                         name="Ryefield NHS Foundation Trust", org_type="foundation-trust")
        import_people(session=session, actor=operator, csv_text=FT_BOARD)
        register_contributor(session=session, actor=operator, organisation_code="RYF",
                             email="governors@ryf.nhs.uk", name="Lead governor",
                             part="nominations-committee", roles=["chair"],
                             reason="The council of governors' nominations committee")
        open_cycles(session=session, actor=operator, year="2025/26",
                    organisation_codes=["RYF"], dates=resolve_dates("2025/26"),
                    today=date(2025, 12, 1))
    with sessions.read_session() as session:
        chair = session.execute(select(Appraisal).order_by(Appraisal.id)).scalars().first()
        assert chair is not None and chair.nhse_due is None
        assert chair.routing_basis.endswith(
            "the outcome goes to the council of governors' nominations committee")
        notices = outcome_notices(session, chair)
        assert session.execute(select(OutboxMessage).where(
            OutboxMessage.template == "chair_outcome")).first() is None
    assert [(n.recipient_email, n.template) for n in notices] == [
        ("governors@ryf.nhs.uk", "chair_outcome")]
