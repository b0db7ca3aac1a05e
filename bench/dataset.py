"""A deterministic synthetic national dataset: NHS boards written with Core bulk inserts.

The national shape is about 260 organisations (NHS trusts, foundation trusts and ICBs)
with boards of a chair, a chief executive, 4 to 6 executive directors, 5 to 7
non-executive directors (one of them the senior independent director) and a company
secretary: about 13 appraisals a board. To reach a larger total the generator adds
organisations of the same shape (never larger boards), so the per-board figures the
portal shows stay realistic whatever the total.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import insert
from sqlalchemy.engine import Engine

from appraisal_store.actors import Actor
from appraisal_store.models import Appointment, Organisation, Person
from appraisal_store.services.frameworks import current_framework_version
from appraisal_store.sessions import write_session
from appraisal_store.vocabulary import BoardRole, OrgType

SEED = 20250401
YEAR = "2025/26"
OPENED_ON = date(2025, 12, 1)
# A working Friday on which every not-started appraisal is one working day from its
# self-assessment deadline (31 January 2026): the sweep queues one reminder each.
REMINDER_DAY = date(2026, 1, 30)
NATIONAL_ORGANISATIONS = 260
# Roughly the national mix: 42 ICBs, the rest trusts, most of them foundation trusts.
_TYPE_CYCLE = (OrgType.FOUNDATION_TRUST, OrgType.NHS_TRUST, OrgType.FOUNDATION_TRUST,
               OrgType.NHS_TRUST, OrgType.FOUNDATION_TRUST, OrgType.ICB)
_REGIONS = ("North East and Yorkshire", "North West", "Midlands", "East of England",
            "London", "South East", "South West")
_FIRST = ("Amara", "Ben", "Chloe", "Dev", "Eleanor", "Farhan", "Grace", "Hamid", "Isla",
          "James", "Kiran", "Laura", "Mohammed", "Niamh", "Oliver", "Priya", "Rhys", "Siân",
          "Tomasz", "Uma", "Victor", "Wen", "Yusuf", "Zoë")
_LAST = ("Adeyemi", "Brown", "Chowdhury", "Davies", "Evans", "Fraser", "Gill", "Hughes",
         "Iqbal", "Jones", "Khan", "Lewis", "Murphy", "Nowak", "O'Brien", "Patel", "Quinn",
         "Roberts", "Singh", "Taylor", "Ugwu", "Walsh", "Young", "Łukasiewicz")
_BATCH = 2000
# The year's appraisals cover appointments made before 2025; later ones may be deferred.
YEAR_STARTS = 2025
_DIRECTORS_LISTED = 100


@dataclass
class Dataset:
    """What the measurements need to know about the generated store."""

    appraisals: int
    organisations: list[str] = field(default_factory=list)
    # One sample board: the people the portal load signs in as.
    chair_email: str = ""
    secretary_email: str = ""
    people: int = 0
    # Directors whose appraisal is open for their self-assessment (appointed before the
    # year, so not deferred), in id order: the portal's load signs each client in as one.
    director_emails: list[str] = field(default_factory=list)


def board_roles(rng: random.Random) -> list[BoardRole]:
    """One board's appointments: the appraised members first, the company secretary last."""
    return ([BoardRole.CHAIR, BoardRole.CHIEF_EXECUTIVE]
            + [BoardRole.EXECUTIVE_DIRECTOR] * rng.randint(4, 6)
            + [BoardRole.SENIOR_INDEPENDENT_DIRECTOR]
            + [BoardRole.NON_EXECUTIVE_DIRECTOR] * (rng.randint(5, 7) - 1)
            + [BoardRole.COMPANY_SECRETARY])


def _start_date(rng: random.Random) -> date:
    # About 3% appointed in the second half of the year: their first appraisal is deferred.
    if rng.random() < 0.03:
        return date(2025, 10, 1 + rng.randint(0, 29))
    return date(2015 + rng.randint(0, 9), 1 + rng.randint(0, 11), 1 + rng.randint(0, 27))


def generate(appraisals: int, *, seed: int = SEED) -> tuple[list[dict], list[dict], list[dict]]:
    """Rows of organisations, people and appointments for ``appraisals`` board members.

    Deterministic for a given seed and size; ids are assigned here so that appointments
    can refer to their people and organisations without reading anything back.
    """
    rng = random.Random(seed)
    organisations: list[dict] = []
    people: list[dict] = []
    appointments: list[dict] = []
    appraised = 0
    while appraised < appraisals:
        number = len(organisations) + 1
        org_type = _TYPE_CYCLE[(number - 1) % len(_TYPE_CYCLE)]
        suffix = {OrgType.ICB: "Integrated Care Board", OrgType.NHS_TRUST: "NHS Trust",
                  OrgType.FOUNDATION_TRUST: "NHS Foundation Trust"}[org_type]
        code = f"B{number:04d}"
        organisations.append({"id": number, "code": code, "type": org_type,
                              "name": f"{_LAST[number % len(_LAST)]}shire {suffix} {number}",
                              "region": _REGIONS[number % len(_REGIONS)]})
        roles = board_roles(rng)
        room = appraisals - appraised
        if len(roles) - 1 > room:  # trim the last board to land on the total exactly
            roles = roles[:max(room, 2)] + [BoardRole.COMPANY_SECRETARY]
        for position, role in enumerate(roles):
            person_id = len(people) + 1
            people.append({
                "id": person_id, "staff_number": None,
                "name": f"{rng.choice(_FIRST)} {rng.choice(_LAST)}",
                "email": f"{role.value}.{position}@{code.lower()}.nhs.example",
            })
            lead = role in (BoardRole.CHAIR, BoardRole.CHIEF_EXECUTIVE,
                            BoardRole.SENIOR_INDEPENDENT_DIRECTOR)
            appointments.append({
                "id": person_id, "person_id": person_id, "organisation_id": number,
                "role": role, "start_date": date(2020, 4, 1) if lead else _start_date(rng),
                "end_date": None, "interim": rng.random() < 0.05, "voting": True,
            })
            appraised += role.is_board_member
    return organisations, people, appointments


def load(bind: Engine, appraisals: int, *, seed: int = SEED) -> Dataset:
    """Write the dataset into a migrated, empty store with Core bulk inserts.

    Also stores the current framework version, so the opening is not charged with it.
    """
    organisations, people, appointments = generate(appraisals, seed=seed)
    with bind.begin() as connection:
        for table, rows in ((Organisation, organisations), (Person, people),
                            (Appointment, appointments)):
            for start in range(0, len(rows), _BATCH):
                connection.execute(insert(table), rows[start:start + _BATCH])  # type: ignore[arg-type]
    with write_session(bind) as session:
        current_framework_version(session, Actor.system("benchmark"))
    first = organisations[0]["code"].lower()
    return Dataset(
        appraisals=appraisals,
        organisations=[o["code"] for o in organisations],
        chair_email=f"chair.0@{first}.nhs.example",
        secretary_email=next(p["email"] for p in people
                             if p["email"].startswith("company-secretary")),
        people=len(people),
        director_emails=open_directors(people, appointments)[:_DIRECTORS_LISTED],
    )


def open_directors(people: list[dict], appointments: list[dict]) -> list[str]:
    """Emails of the executive and non-executive directors appointed before the year (so
    their appraisal opens, not deferred), in appointment order."""
    return [people[a["person_id"] - 1]["email"] for a in appointments
            if a["role"] in (BoardRole.EXECUTIVE_DIRECTOR, BoardRole.NON_EXECUTIVE_DIRECTOR)
            and a["start_date"].year < YEAR_STARTS]
