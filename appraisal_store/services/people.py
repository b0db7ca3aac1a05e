"""Importing board members from CSV: all or nothing, every bad row named with its line."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import insert, select
from sqlmodel import Session, col

from ..actors import Actor
from ..audit import PendingEvent, record_events
from ..errors import NotAllowed, ValidationFailed
from ..models import Appointment, Organisation, Person
from ..names import (
    PERSON_NAME_LONGEST,
    email_problem,
    field_problem,
    name_problem,
    shown,
)
from ..routing import APPRAISING_ROLES
from ..vocabulary import BoardRole
from .access import administered_organisation_ids, current_roles
from .fppt_references import references_on_leaving
from .fppt_years import open_at_appointment

COLUMNS = ("org_code", "name", "email", "role", "start_date", "end_date", "interim")
# Read when the header has it: the Electronic Staff Record's number, for the FPPT export,
# and whether the person is clinically registered (yes/no; blank leaves it as it is), for
# the FPPT checks of the professional register.
OPTIONAL_COLUMNS = ("staff_number", "clinically_registered")
_EMAIL = re.compile(r"^[^@\s,;<>]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
# The most characters each column may hold: the store's column where there is one, and for
# the others more than any good value needs.
_LONGEST = {"org_code": 20, "role": 40, "start_date": 40, "end_date": 40, "interim": 10,
            "staff_number": 40, "clinically_registered": 10}
_TRUE = {"yes", "y", "true", "1"}
_FALSE = {"no", "n", "false", "0", ""}


@dataclass(frozen=True)
class PersonRow:
    line: int
    org_code: str
    name: str
    email: str
    role: BoardRole
    start_date: date
    end_date: date | None
    interim: bool
    staff_number: str = ""
    clinically_registered: bool | None = None


@dataclass(frozen=True)
class ImportResult:
    people_added: int
    appointments_added: int
    appointments_already_present: int


def parse_date(text: str) -> date:
    """ISO (2025-04-01) or UK (01/04/2025) dates."""
    text = text.strip()
    for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise ValueError(f"'{text}' is not a date (use YYYY-MM-DD)")


def _overlaps(a: PersonRow | Appointment, b: PersonRow | Appointment) -> bool:
    a_end, b_end = a.end_date or date.max, b.end_date or date.max
    return a.start_date <= b_end and b.start_date <= a_end


def parse_people_csv(text: str, organisations: dict[str, Organisation]
                     ) -> tuple[list[PersonRow], list[str]]:
    """Parse and check every row; returns the good rows and a problem per bad one."""
    problems: list[str] = []
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    try:
        header = [cell.strip().lower() for cell in next(reader)]
    except StopIteration:
        return [], ["line 1: the file is empty; expected the header " + ",".join(COLUMNS)]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        return [], [f"line 1: the header lacks {', '.join(missing)}; expected "
                    + ",".join(COLUMNS)]
    index = {name: header.index(name) for name in COLUMNS + OPTIONAL_COLUMNS
             if name in header}
    rows: list[PersonRow] = []
    while True:
        # A row is named by the line it starts on: a quoted field can span lines.
        line = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            # The row cannot be read, and nor can the rest of the file.
            if "field limit" in str(error):
                problems.append(f"line {reader.line_num}: a field is longer than "
                                f"{csv.field_size_limit()} characters; no field of a people "
                                "file needs to be")
            else:  # a carriage return inside a field that is not quoted
                problems.append(f"line {reader.line_num}: a field holds a carriage return "
                                "(U+000D) that does not end the line; a name must be one "
                                "line of printable text")
            break
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) < len(header):
            cells = cells + [""] * (len(header) - len(cells))
        value = {name: cells[i].strip() for name, i in index.items()}
        value.setdefault("staff_number", "")
        value.setdefault("clinically_registered", "")
        # A field too long or holding a control character is named, and the row's other
        # checks (which would quote it back) are not run.
        row_problems = [f"the {column} {problem}" for column, longest in _LONGEST.items()
                        if (problem := field_problem(value[column], longest=longest))]
        if (problem := email_problem(value["email"])):
            row_problems.append(f"the email {problem}")
        if value["name"] and (problem := name_problem(value["name"],
                                                      longest=PERSON_NAME_LONGEST)):
            row_problems.append(f"the name {problem}")
        if row_problems:
            problems.append(f"line {line}: " + "; ".join(row_problems))
            continue
        code = value["org_code"].upper()
        if code not in organisations:
            row_problems.append(f"unknown organisation '{value['org_code']}'")
        if not value["name"]:
            row_problems.append("the name is empty")
        email = value["email"].lower()
        if not _EMAIL.match(email):
            row_problems.append(f"'{shown(value['email'])}' is not an email address")
        try:
            role = BoardRole(value["role"].lower())
        except ValueError:
            role = BoardRole.EXECUTIVE_DIRECTOR
            row_problems.append(f"unknown role '{value['role']}' (use one of: "
                                + ", ".join(r.value for r in BoardRole) + ")")
        start = end = None
        try:
            start = parse_date(value["start_date"])
        except ValueError as error:
            row_problems.append(f"start_date: {error}")
        if value["end_date"]:
            try:
                end = parse_date(value["end_date"])
            except ValueError as error:
                row_problems.append(f"end_date: {error}")
        if start and end and end < start:
            row_problems.append(f"the end date {end} is before the start date {start}")
        interim_text = value["interim"].lower()
        if interim_text not in _TRUE | _FALSE:
            row_problems.append(f"interim must be yes or no, not '{value['interim']}'")
        registered_text = value["clinically_registered"].lower()
        if registered_text not in _TRUE | _FALSE:
            row_problems.append("clinically_registered must be yes or no, not "
                                f"'{value['clinically_registered']}'")
        if row_problems:
            problems.append(f"line {line}: " + "; ".join(row_problems))
            continue
        assert start is not None
        rows.append(PersonRow(line, code, value["name"], email, role, start, end,
                              interim_text in _TRUE, value["staff_number"],
                              None if not registered_text else registered_text in _TRUE))
    return rows, problems


def _cross_row_problems(session: Session, rows: list[PersonRow],
                        organisations: dict[str, Organisation]) -> list[str]:
    problems: list[str] = []
    names_by_email: dict[str, PersonRow] = {}
    seen: dict[tuple[str, str, BoardRole, date], int] = {}
    chairs: list[PersonRow] = []
    known = {p.email: p for p in session.execute(
        select(Person).where(col(Person.email).in_({r.email for r in rows}))
    ).scalars()}
    for row in rows:
        first = names_by_email.setdefault(row.email, row)
        if first.name != row.name:
            problems.append(f"line {row.line}: the email {row.email} is used on line "
                            f"{first.line} for '{first.name}'")
        if row.email in known and known[row.email].name != row.name:
            problems.append(f"line {row.line}: the email {row.email} belongs to "
                            f"'{known[row.email].name}' in the store")
        key = (row.email, row.org_code, row.role, row.start_date)
        if key in seen:
            problems.append(f"line {row.line}: duplicate of line {seen[key]}")
        seen.setdefault(key, row.line)
        if row.role is BoardRole.CHAIR:
            for other in chairs:
                if other.org_code == row.org_code and other.email != row.email \
                        and _overlaps(other, row):
                    problems.append(f"line {row.line}: a second chair for {row.org_code} over "
                                    f"the same dates as line {other.line}")
            chairs.append(row)
    org_ids = {organisations[r.org_code].id: r.org_code for r in chairs}
    if org_ids:
        stored_chairs = session.execute(
            select(Appointment, col(Person.email)).join(Person).where(
                col(Appointment.role) == BoardRole.CHAIR,
                col(Appointment.organisation_id).in_(org_ids),
            )
        ).all()
        for appointment, email in stored_chairs:
            for row in chairs:
                if org_ids.get(appointment.organisation_id) == row.org_code \
                        and email != row.email and _overlaps(appointment, row):
                    problems.append(f"line {row.line}: {row.org_code} already has a chair "
                                    f"({email}) over the same dates")
    return problems


def _line_number(problem: str) -> int:
    number = problem.removeprefix("line ").partition(":")[0]
    return int(number) if number.isdigit() else 0


def _authority_problems(session: Session, actor: Actor, rows: list[PersonRow],
                        organisations: dict[str, Organisation]) -> list[str]:
    """Rows the actor may not import: another organisation's, and, unless the actor is the
    operator or the organisation's chair, appointments to a role that appraises others
    (whoever holds one reads the content of those they appraise)."""
    if actor.is_system:
        return []
    administered = administered_organisation_ids(session, actor)
    chaired = {o for o in administered if actor.person_id is not None
               and BoardRole.CHAIR in current_roles(session, actor.person_id, o)}
    problems = []
    for row in rows:
        organisation_id = organisations[row.org_code].id
        if organisation_id not in administered:
            problems.append(f"line {row.line}: you do not administer {row.org_code}")
        elif row.role in APPRAISING_ROLES and organisation_id not in chaired:
            problems.append(f"line {row.line}: only the chair or the operator appoints a "
                            f"{row.role.label.lower()}")
    return problems


def import_people(*, session: Session, actor: Actor, csv_text: str) -> ImportResult:
    """Import board members and their appointments from CSV text.

    Columns: org_code,name,email,role,start_date,end_date,interim. All or nothing: any bad
    row and nothing is written. Rows already in the store are left as they are, so the same
    file can be imported twice.

    Raises:
        NotAllowed: only administrators of an organisation import people.
        ValidationFailed: lists every bad row with its line and reason, among them rows of
            organisations the actor does not administer.
    """
    if not actor.is_system and not administered_organisation_ids(session, actor):
        raise NotAllowed("Only an organisation's administrators can import its people.")
    organisations = {o.code: o for o in session.execute(select(Organisation)).scalars()}
    rows, problems = parse_people_csv(csv_text, organisations)
    # The rows that parsed are checked against each other and the store even when others
    # did not, so one run names every problem of the file, in line order.
    problems = sorted(problems + _cross_row_problems(session, rows, organisations),
                      key=_line_number)


    if not problems:
        problems = _authority_problems(session, actor, rows, organisations)
    if not problems:
        problems = _cross_row_problems(session, rows, organisations)
    if problems:
        raise ValidationFailed(
            f"{len(problems)} row(s) have problems; nothing was imported.", problems)
    people = {p.email: p for p in session.execute(
        select(Person).where(col(Person.email).in_({r.email for r in rows}))
    ).scalars()}
    new_people = [{"name": r.name, "email": r.email, "staff_number": r.staff_number or None,
                   "clinically_registered": bool(r.clinically_registered)}
                  for r in {r.email: r for r in rows if r.email not in people}.values()]
    if new_people:
        session.execute(insert(Person), new_people)
        people = {p.email: p for p in session.execute(
            select(Person).where(col(Person.email).in_({r.email for r in rows}))
        ).scalars()}
    registrations: list[PendingEvent] = []
    for row in rows:
        if row.staff_number and people[row.email].staff_number != row.staff_number:
            people[row.email].staff_number = row.staff_number
            session.add(people[row.email])
        if row.clinically_registered is not None and (
                people[row.email].clinically_registered != row.clinically_registered):
            people[row.email].clinically_registered = row.clinically_registered
            session.add(people[row.email])
            registrations.append(PendingEvent(
                "clinical_registration_set", "person", row.email,
                organisations[row.org_code].id,
                {"clinically_registered": row.clinically_registered}))
    stored = {
        (a.person_id, a.organisation_id, a.role, a.start_date): a
        for a in session.execute(select(Appointment).where(
            col(Appointment.person_id).in_([p.id for p in people.values()])
        )).scalars()
    }
    existing = set(stored)
    appointments, events, present, ended = [], [], 0, []
    for row in rows:
        person, organisation = people[row.email], organisations[row.org_code]
        key = (person.id, organisation.id, row.role, row.start_date)
        if key in existing:
            present += 1
            appointment = stored.get(key)
            # An end date added to an appointment on record: the board member has left.
            if appointment is not None and appointment.end_date is None and row.end_date:
                appointment.end_date = row.end_date
                session.add(appointment)
                ended.append(appointment)
                events.append(PendingEvent("appointment_ended", "person", row.email,
                                           organisation.id, {"role": row.role.value,
                                                             "end_date": row.end_date}))
            continue
        existing.add(key)
        appointments.append({
            "person_id": person.id, "organisation_id": organisation.id, "role": row.role,
            "start_date": row.start_date, "end_date": row.end_date, "interim": row.interim,
            "voting": row.role is not BoardRole.COMPANY_SECRETARY,
        })
        events.append(PendingEvent("appointment_added", "person", row.email, organisation.id,
                                   {"role": row.role.value, "start_date": row.start_date,
                                    "end_date": row.end_date, "interim": row.interim}))
    if appointments:
        session.execute(insert(Appointment), appointments)
    record_events(session, actor, registrations + events)
    added = [] if not appointments else list(session.execute(select(Appointment).where(
        col(Appointment.person_id).in_({a["person_id"] for a in appointments}))).scalars())
    added = [a for a in added if (a.person_id, a.organisation_id, a.role, a.start_date)
             not in stored]
    open_at_appointment(session=session, actor=actor, appointments=added)
    references_on_leaving(session, actor, ended + [a for a in added if a.end_date],
                          reason="Appointment ended (end date imported)")
    return ImportResult(len(new_people), len(appointments), present)
