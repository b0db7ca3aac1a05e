"""The close-of-cycle reports kept in the store: listed and downloaded on any portal machine.

The company secretary (and chair) see their organisation's; national administrators see
every organisation's and the NHS England submission list. Who may read which report is
the service's rule (``appraisal_store.services.reports``).
"""

from __future__ import annotations

import re

from fastapi import APIRouter, Request
from fastapi.responses import Response

from appraisal_store.services.reports import list_reports, read_report

from ..deps import CurrentPerson, SessionDep
from ..paths import RecordId
from ..rendering import render

router = APIRouter(prefix="/reports")


@router.get("")
def reports(request: Request, store: SessionDep, me: CurrentPerson,
            organisation: int | None = None) -> Response:
    with store.read() as session:
        listed = list_reports(session=session, actor=me.actor, organisation_id=organisation)
    return render(request, "reports.html", {"reports": listed})


@router.get("/{report_id}")
def download_report(store: SessionDep, report_id: RecordId, me: CurrentPerson) -> Response:
    with store.read() as session:
        report = read_report(session=session, actor=me.actor, report_id=report_id)
        content, media_type = report.content, report.media_type
        # Names are made by the close from ODS codes; kept to safe characters regardless.
        name = re.sub(r"[^A-Za-z0-9._-]", "_", f"{report.year}-{report.filename}")
    # An attachment, never shown inline: the HTML summary is a file to keep, not a page.
    return Response(content, media_type=media_type,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
