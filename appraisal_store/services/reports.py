"""The close-of-cycle reports kept in the store: written by the close, read on any machine.

An organisation's reports (completion CSV and XLSX, the HTML summary) are for those who see
its status: its administrators (the company secretary, the chair) and national
administrators. The NHS England submission list covers every organisation and is for
national administrators (and the operator) only. The reports hold status, never content.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlmodel import Session, col

from ..actors import Actor
from ..clock import moment_of
from ..errors import NotFound
from ..models import Organisation, StoredReport
from ..sql_types import table_of
from ..upsert import upsert
from .access import is_national_administrator, sees_status_of

__all__ = ["ReportFile", "StoredReportPublic", "list_reports", "read_report", "store_reports"]


@dataclass(frozen=True)
class ReportFile:
    """One report as the close makes it."""

    year: str
    organisation_id: int | None
    kind: str
    filename: str
    media_type: str
    content: bytes


@dataclass(frozen=True)
class StoredReportPublic:
    """A stored report without its bytes, for lists."""

    id: int
    year: str
    organisation_code: str | None
    kind: str
    filename: str
    media_type: str
    size: int
    created_at: datetime


def store_reports(*, session: Session, reports: list[ReportFile]) -> None:
    """Keep ``reports``, replacing any of the same year and file name (a re-run of the close).

    One statement; idempotent.
    """
    now = moment_of(session)
    upsert(session, table_of(StoredReport),
           [{"year": r.year, "organisation_id": r.organisation_id, "kind": r.kind,
             "filename": r.filename, "media_type": r.media_type, "content": r.content,
             "created_at": now} for r in reports],
           keys=("year", "filename"),
           changed=("organisation_id", "kind", "media_type", "content", "created_at"))


def _visible(session: Session, actor: Actor, organisation_id: int | None) -> bool:
    if organisation_id is None:
        return is_national_administrator(session, actor)
    return sees_status_of(session, actor, organisation_id)


def list_reports(*, session: Session, actor: Actor, year: str | None = None,
                 organisation_id: int | None = None,
                 kinds: tuple[str, ...] | None = None) -> list[StoredReportPublic]:
    """The stored reports ``actor`` may read, newest year first, then by file name.

    Args:
        session: Any session; nothing is written.
        actor: Who asks; reports of organisations they do not see are left out.
        year: Only this cycle year (e.g. "2025/26").
        organisation_id: Only this organisation's reports.
        kinds: Only files of these kinds (e.g. ``("completion-csv",)``); every file kept
            here has one, so other files a machine must not keep to itself (the NHS England
            submission packs, say) can share the table and be listed apart.
    """
    statement = (select(col(StoredReport.id), col(StoredReport.year),
                        col(StoredReport.organisation_id), col(Organisation.code),
                        col(StoredReport.kind), col(StoredReport.filename),
                        col(StoredReport.media_type), col(StoredReport.created_at),
                        func.length(col(StoredReport.content)).label("size"))
                 .outerjoin(Organisation, col(Organisation.id) == StoredReport.organisation_id)
                 .order_by(col(StoredReport.year).desc(),
                           col(StoredReport.filename)))
    if year is not None:
        statement = statement.where(col(StoredReport.year) == year)
    if organisation_id is not None:
        statement = statement.where(col(StoredReport.organisation_id) == organisation_id)
    if kinds is not None:
        statement = statement.where(col(StoredReport.kind).in_(kinds))
    seen: dict[int | None, bool] = {}
    listed = []
    for row in session.execute(statement):
        if row.organisation_id not in seen:
            seen[row.organisation_id] = _visible(session, actor, row.organisation_id)
        if seen[row.organisation_id]:
            listed.append(StoredReportPublic(
                id=row.id, year=row.year, organisation_code=row.code, kind=row.kind,
                filename=row.filename, media_type=row.media_type, size=row.size,
                created_at=row.created_at))
    return listed


def read_report(*, session: Session, actor: Actor, report_id: int) -> StoredReport:
    """One stored report with its bytes.

    Raises:
        NotFound: No such report, or one the actor does not see (that organisation's
            status, or for the submission list the national view): to them it does not
            exist, as for the dashboards.
    """
    report = session.get(StoredReport, report_id)
    if report is None or not _visible(session, actor, report.organisation_id):
        raise NotFound(f"There is no stored report {report_id}.")
    return report
