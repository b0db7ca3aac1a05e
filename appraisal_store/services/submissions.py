"""The hand-over to NHS England as a step with evidence: for an organisation and a deadline
the company secretary builds the submission pack (the sealed records due, endorsed where
the policy wants it, an index in XLSX and CSV, a manifest of SHA-256s, zipped), keeps it in
the store, and records when, how and by whom it was sent; the appraisals in it then move
to ``submitted_to_nhse``. What was sent and when is known here and in the pack's index,
never claimed by a sealed record.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlmodel import Session, col

from ..actors import Actor
from ..audit import record_event
from ..date_words import long_date
from ..errors import NotAllowed, NotFound, ValidationFailed
from ..exports import PackLine, csv_bytes, submission_index_sheet, xlsx_bytes
from ..lifecycle import Party
from ..models import (
    Appointment,
    Appraisal,
    Cycle,
    Organisation,
    Person,
    Record,
)
from ..names import field_problem
from ..nhse_tables import Endorsement, SubmissionPack, SubmissionPackItem
from ..routing_policy import shipped_policy
from ..vocabulary import NOT_DUE_STATES, AppraisalState, RecordStage
from .access import is_national_administrator, is_org_administrator
from .appraisal_changes import transition
from .contributors import routing_overrides
from .fppt_years import fppt_outcome_label

S = AppraisalState
CHANNEL_LONGEST = 200


@dataclass(frozen=True)
class DueAppraisal:
    """One appraisal due to NHS England by a deadline, and how far its hand-over is."""

    appraisal_id: int
    person: str
    role: str
    state: AppraisalState
    needs_endorsement: bool
    endorsed_on: date | None
    packed: bool
    sent_on: date | None

    @property
    def ready(self) -> bool:
        """Signed by both (and endorsed where required): it can go in a pack."""
        finished = self.state in (S.COMPLETE, S.SUBMITTED_TO_NHSE)
        return finished and (self.endorsed_on is not None or not self.needs_endorsement)


@dataclass(frozen=True)
class DeadlineStatus:
    """Per deadline: what is due, endorsed, in a pack and sent."""

    organisation_id: int
    organisation_code: str
    organisation_name: str
    deadline: date
    due: list[DueAppraisal] = field(default_factory=list)
    packs: list[SubmissionPack] = field(default_factory=list)

    @property
    def endorsed(self) -> int:
        return sum(1 for d in self.due if d.endorsed_on is not None)

    @property
    def needing_endorsement(self) -> int:
        return sum(1 for d in self.due if d.needs_endorsement)

    @property
    def in_pack(self) -> int:
        return sum(1 for d in self.due if d.packed)

    @property
    def sent(self) -> int:
        return sum(1 for d in self.due if d.sent_on is not None)


def _organisation(session: Session, organisation_id: int) -> Organisation:
    organisation = session.get(Organisation, organisation_id)
    if organisation is None:
        raise NotFound(f"There is no organisation {organisation_id} that you administer.")
    return organisation


def _submits(organisation: Organisation) -> None:
    if not organisation.type.submits_to_nhse:
        raise ValidationFailed(
            f"{organisation.name} is {_an(organisation.type.label)}: its appraisals are "
            "held locally, so it submits nothing to NHS England.")


def _an(label: str) -> str:
    return f"{'an' if label[0].lower() in 'aeiou' else 'a'} {label}"


def _packed(session: Session, appraisal_ids: Sequence[int]
            ) -> dict[int, tuple[int, date | None]]:
    """Appraisal id -> (its latest pack, when that pack was sent)."""
    found: dict[int, tuple[int, date | None]] = {}
    for appraisal_id, pack_id, sent_on in session.execute(
        select(col(SubmissionPackItem.appraisal_id), col(SubmissionPack.id),
               col(SubmissionPack.sent_on))
        .join(SubmissionPack, col(SubmissionPack.id) == SubmissionPackItem.pack_id)
        .where(col(SubmissionPackItem.appraisal_id).in_(appraisal_ids))
        .order_by(col(SubmissionPack.id))
    ).tuples():
        current = found.get(appraisal_id)
        if current is None or current[1] is None:  # a sent pack stays the answer
            found[appraisal_id] = (pack_id, sent_on)
    return found


def deadline_statuses(session: Session, organisation_ids: Sequence[int], *,
                      year: str | None = None) -> list[DeadlineStatus]:
    """Per organisation and NHS England deadline, every appraisal due (never a withdrawn
    or deferred one) and how far its hand-over is; with the packs built. Read as columns,
    and in one query when nothing is due: the completion dashboard asks on every visit."""
    statement: Select[Any] = (
        select(col(Appraisal.id), col(Appraisal.state), col(Appraisal.nhse_due),
               col(Person.name), col(Appointment.role),
               col(Organisation.id).label("organisation_id"), col(Organisation.code),
               col(Organisation.name).label("organisation"), col(Organisation.type))
        .join(Person, col(Person.id) == Appraisal.appraisee_id)
        .join(Appointment, col(Appointment.id) == Appraisal.appointment_id)
        .join(Organisation, col(Organisation.id) == Appraisal.organisation_id)
        .where(col(Appraisal.organisation_id).in_(organisation_ids),
               col(Appraisal.nhse_due).is_not(None),
               col(Appraisal.state).notin_(NOT_DUE_STATES))
        .order_by(col(Organisation.code), col(Appraisal.nhse_due), col(Person.name)))
    if year is not None:
        statement = statement.join(Cycle, col(Cycle.id) == Appraisal.cycle_id).where(
            col(Cycle.year) == year)
    rows = session.execute(statement).all()
    if not rows:
        return []
    ids = [row.id for row in rows]
    endorsed = dict(session.execute(
        select(col(Endorsement.appraisal_id), col(Endorsement.endorsed_at))
        .join(Appraisal, col(Appraisal.id) == Endorsement.appraisal_id)
        .where(col(Endorsement.appraisal_id).in_(ids),
               col(Endorsement.record_version) == Appraisal.record_version)).tuples().all())
    packed = _packed(session, ids)
    # Once per organisation, not per appraisal (the national view lists every board's).
    overrides = routing_overrides(session, sorted({row.organisation_id for row in rows}))
    policy = shipped_policy()
    statuses: dict[tuple[int, date], DeadlineStatus] = {}
    for row in rows:
        status = statuses.setdefault((row.organisation_id, row.nhse_due), DeadlineStatus(
            row.organisation_id, row.code, row.organisation, row.nhse_due))
        when = endorsed.get(row.id)
        pack = packed.get(row.id)
        status.due.append(DueAppraisal(
            row.id, row.name, row.role.label, row.state,
            policy.route(row.type, row.role, overrides.get(row.organisation_id)).endorsed,
            when.date() if when else None,
            pack is not None, pack[1] if pack else None))
    for pack in session.execute(select(SubmissionPack).where(
            col(SubmissionPack.organisation_id).in_(organisation_ids))
            .order_by(col(SubmissionPack.id))).scalars():
        if (pack.organisation_id, pack.deadline) in statuses and (
                year is None or pack.year == year):
            statuses[(pack.organisation_id, pack.deadline)].packs.append(pack)
    return list(statuses.values())


def _may_administer(session: Session, actor: Actor, organisation: Organisation) -> None:
    if not is_org_administrator(session, actor, organisation.id or 0):
        raise NotAllowed("Only the organisation's company secretary, chair or administrators "
                         "build and send its NHS England submissions.")


def build_submission_pack(*, session: Session, actor: Actor, organisation_id: int,
                          deadline: date, now: datetime) -> SubmissionPack:
    """Build the pack of the organisation's records due by ``deadline`` and not yet sent:
    each one's sealed record (the endorsed one where endorsement is required), the index
    (CSV and XLSX), and ``manifest.json`` giving every file's SHA-256; zipped, stored and
    audited. Appraisals still in progress are left out and listed in the manifest as
    outstanding.

    Raises:
        NotFound / NotAllowed: not an organisation the actor administers.
        ValidationFailed: an organisation that submits nothing (a foundation trust), no
            appraisal due by that deadline, a signed appraisal not yet endorsed where
            endorsement is required (named), or nothing ready; nothing is written.
    """
    organisation = _organisation(session, organisation_id)
    _may_administer(session, actor, organisation)
    _submits(organisation)
    statuses = [s for s in deadline_statuses(session, [organisation_id])
                if s.deadline == deadline]
    if not statuses:
        raise ValidationFailed(f"No appraisal of {organisation.name} is due to NHS England "
                               f"by {deadline.isoformat()}.")
    due = statuses[0].due
    unendorsed = [d for d in due if d.state is S.COMPLETE and d.needs_endorsement
                  and d.endorsed_on is None]
    if unendorsed:
        raise ValidationFailed(
            "The submission pack was not built: NHS England's regional director has not yet "
            "endorsed every signed record it needs.",
            [f"{d.person} ({d.role.lower()}): signed, awaiting the regional endorsement"
             for d in unendorsed])
    chosen = [d for d in due if d.state is S.COMPLETE and d.ready]
    if not chosen:
        raise ValidationFailed(f"Nothing due by {deadline.isoformat()} is ready to send: no "
                               "appraisal is signed by both (and endorsed) and not yet sent.")
    lines, files, items = _pack_contents(session, organisation, chosen)
    year = _year_of(session, chosen[0].appraisal_id)
    outstanding = [{"person": d.person, "role": d.role, "state": d.state.label}
                   for d in due if d.state not in (S.COMPLETE, S.SUBMITTED_TO_NHSE)]
    sheet = submission_index_sheet(lines)
    files["index.csv"] = csv_bytes(sheet)
    files["index.xlsx"] = xlsx_bytes([sheet])
    manifest = {
        "organisation": {"code": organisation.code, "name": organisation.name},
        "year": year, "deadline": deadline.isoformat(), "built_by": actor.label,
        "built_at": now.isoformat(timespec="seconds"),
        "files": [{"name": name, "sha256": hashlib.sha256(data).hexdigest(),
                   "bytes": len(data)} for name, data in sorted(files.items())],
        "outstanding": outstanding,
    }
    files["manifest.json"] = json.dumps(manifest, indent=2, ensure_ascii=False).encode()
    content = _zip(files)
    # A later pack for the same deadline is numbered, so two downloads never share a name.
    earlier = session.execute(select(func.count()).select_from(SubmissionPack).where(
        col(SubmissionPack.organisation_id) == organisation_id,
        col(SubmissionPack.deadline) == deadline)).scalar_one()
    pack = SubmissionPack(
        organisation_id=organisation_id, year=year, deadline=deadline,
        filename=f"{organisation.code}-nhse-submission-{deadline.isoformat()}"
                 f"{f'-{earlier + 1}' if earlier else ''}.zip",
        content=content, sha256=hashlib.sha256(content).hexdigest(),
        built_by_id=actor.person_id, built_by=actor.label, built_at=now)
    session.add(pack)
    session.flush()
    for appraisal_id, record_key, sha256 in items:
        session.add(SubmissionPackItem(pack_id=pack.id or 0, appraisal_id=appraisal_id,
                                       record_id=record_key, sha256=sha256))
    session.flush()
    record_event(session, actor, "submission_pack_built", subject_type="organisation",
                 subject_id=organisation.code, organisation_id=organisation_id,
                 details={"pack": pack.id, "deadline": deadline.isoformat(),
                          "appraisals": [i[0] for i in items], "sha256": pack.sha256},
                 at=now)
    return pack


def _year_of(session: Session, appraisal_id: int) -> str:
    return str(session.execute(select(col(Cycle.year))
                               .join(Appraisal, col(Appraisal.cycle_id) == Cycle.id)
                               .where(col(Appraisal.id) == appraisal_id)).scalar_one())


def _pack_contents(session: Session, organisation: Organisation, chosen: list[DueAppraisal]
                   ) -> tuple[list[PackLine], dict[str, bytes], list[tuple[int, int, str]]]:
    """The index lines, the record files by name, and (appraisal, record, SHA-256)."""
    lines: list[PackLine] = []
    files: dict[str, bytes] = {}
    items: list[tuple[int, int, str]] = []
    for due in chosen:
        appraisal = session.get(Appraisal, due.appraisal_id)
        assert appraisal is not None
        stage = RecordStage.ENDORSED if due.needs_endorsement else RecordStage.COMPLETE
        record = session.execute(select(Record).where(
            col(Record.appraisal_id) == due.appraisal_id,
            col(Record.version) == appraisal.record_version,
            col(Record.stage) == stage)).scalars().first()
        if record is None:
            raise ValidationFailed(
                "The submission pack was not built: a record is not sealed yet.",
                [f"{due.person} ({due.role.lower()}): the {stage.value.replace('_', ' ')} "
                 "record is still being sealed; try again in a minute"])
        appraiser = session.get(Person, appraisal.appraiser_id) if appraisal.appraiser_id \
            else None
        fppt = fppt_outcome_label(session, appraisal)
        record_name = f"APR-{due.appraisal_id}-v{record.version}"
        file = f"records/{organisation.code}-{record_name}.pdf"
        files[file] = record.pdf
        lines.append(PackLine(
            organisation.code, organisation.name, due.person, due.role,
            appraisal.completed_at.date() if appraisal.completed_at else None,
            appraisal.meeting_date, appraiser.name if appraiser else "", due.endorsed_on,
            fppt, record_name, record.sha256, file))
        items.append((due.appraisal_id, record.id or 0, record.sha256))
    return lines, files, items


def _zip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    # A fixed time on every entry: the same files make the same zip.
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(files):
            archive.writestr(zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0)),
                             files[name])
    return buffer.getvalue()


def mark_pack_sent(*, session: Session, actor: Actor, pack_id: int, sent_on: date,
                   channel: str, today: date, now: datetime) -> SubmissionPack:
    """Record that the pack went to NHS England: the date, the channel and by whom; every
    appraisal in it moves to ``submitted_to_nhse``. Audited.

    Raises:
        NotFound / NotAllowed: not a pack of an organisation the actor administers.
        ValidationFailed: already sent, no channel, a date in the future or before the
            pack was built; an appraisal reopened since (rebuild the pack). Nothing written.
    """
    pack: SubmissionPack | None = session.execute(
        select(SubmissionPack).where(col(SubmissionPack.id) == pack_id).with_for_update()
    ).scalar_one_or_none()
    if pack is None:
        raise NotFound(f"There is no submission pack {pack_id} that you administer.")
    organisation = _organisation(session, pack.organisation_id)
    _may_administer(session, actor, organisation)
    problems = []
    if pack.sent_on is not None:
        problems.append(f"sent_on: this pack was already recorded as sent on "
                        f"{pack.sent_on.isoformat()} by {pack.sent_by}")
    how = channel.strip()
    if not how:
        problems.append("channel: say how it was sent (for example, NHS England's secure "
                        "upload)")
    elif (problem := field_problem(how, longest=CHANNEL_LONGEST)):
        problems.append(f"channel: the channel {problem}")
    if sent_on > today:
        problems.append(f"sent_on: {long_date(sent_on)} is in the future: enter the day it "
                        "was sent")
    elif sent_on < pack.built_at.date():
        problems.append(f"sent_on: {long_date(sent_on)} is before the pack was built "
                        f"({long_date(pack.built_at)})")
    appraisal_ids = list(session.execute(select(col(SubmissionPackItem.appraisal_id)).where(
        col(SubmissionPackItem.pack_id) == pack_id)).scalars())
    appraisals = [session.get(Appraisal, i) for i in appraisal_ids]
    for appraisal in appraisals:
        if appraisal is not None and appraisal.state is not S.COMPLETE:
            problems.append(f"appraisal {appraisal.id} is {appraisal.state.label.lower()} "
                            "now: build the pack again")
    if problems:
        raise ValidationFailed("The submission was not recorded as sent.", problems)
    pack.sent_on, pack.channel, pack.sent_by, pack.sent_recorded_at = (
        sent_on, how, actor.label, now)
    session.add(pack)
    for appraisal in appraisals:
        assert appraisal is not None
        transition(session, actor, appraisal, {Party.ADMINISTRATOR}, "mark_submitted_to_nhse",
                   details={"pack": pack_id, "sent_on": sent_on.isoformat(),
                            "channel": how})
    record_event(session, actor, "submission_pack_sent", subject_type="organisation",
                 subject_id=organisation.code, organisation_id=organisation.id,
                 details={"pack": pack_id, "sent_on": sent_on.isoformat(), "channel": how},
                 at=now)
    return pack


def read_pack(*, session: Session, actor: Actor, pack_id: int) -> SubmissionPack:
    """A pack for its organisation's administrators and NHS England's national view.

    Raises:
        NotFound: no such pack, or not one the actor may see.
    """
    pack = session.get(SubmissionPack, pack_id)
    if pack is None or not (is_org_administrator(session, actor, pack.organisation_id)
                            or is_national_administrator(session, actor)):
        raise NotFound(f"There is no submission pack {pack_id} that you can see.")
    return pack


def national_submissions(session: Session, actor: Actor, *, year: str | None = None
                         ) -> list[DeadlineStatus]:
    """Every submitting organisation's deadlines, for NHS England's national view.

    Raises:
        NotAllowed: the actor is not a national administrator.
    """
    if not is_national_administrator(session, actor):
        raise NotAllowed("Only NHS England's national administrators see every "
                         "organisation's submissions.")
    ids = [o for o, in session.execute(
        select(col(Organisation.id)).order_by(col(Organisation.code)))]
    return deadline_statuses(session, [i for i in ids if i is not None], year=year)
