"""``appraisal audit``: verify the hash chain of the audit trail against the anchors that
sealed records (and any witness) keep, print its head, and mend a lost head."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from .console import out, print_json, show_error

if TYPE_CHECKING:
    from appraisal_store.audit_hashing import AuditAnchor

audit_app = typer.Typer(help="The tamper-evident audit trail.", no_args_is_help=True)


def _witness(written: str | None) -> AuditAnchor | None:
    from appraisal_store.audit_hashing import AuditAnchor
    from appraisal_store.errors import ValidationFailed

    if written is None:
        return None
    try:
        return AuditAnchor.parse(written)
    except ValueError as error:
        raise ValidationFailed(f"--anchor: {error}.") from None


@audit_app.command("verify")
def verify(
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    anchor: str | None = typer.Option(
        None, "--anchor", metavar="HASH@N",
        help="Also check that the trail still passes through this head, as `appraisal "
             "audit anchor` printed it earlier."),
) -> None:
    """Check every audit event against its hash and the one before it, and that every
    sealed record's anchor is still a point of the trail (exit 1 if not)."""
    from appraisal_store.audit_verification import verify_chain
    from appraisal_store.sessions import read_session

    witness = _witness(anchor)
    with read_session() as session:
        report = verify_chain(session, witness=witness)
    if as_json:
        print_json({"ok": report.ok, "verified": report.verified,
                    "broken_at": report.broken_at, "reason": report.reason or None,
                    "anchors_checked": report.anchors_checked,
                    "anchor_problems": list(report.anchor_problems),
                    "head_missing": report.head_missing, "head": str(report.last)})
        if not report.ok:
            raise typer.Exit(1)
        return
    if report.ok:
        anchored = (f"; {report.anchors_checked} anchor(s) of sealed records"
                    f"{' and the one given' if witness else ''} hold"
                    if report.anchors_checked else "")
        out.print(f"Audit trail intact: {report.verified} events verified{anchored}.")
        return
    if report.broken_at is not None:
        show_error(f"the audit trail is broken at event {report.broken_at}: {report.reason}. "
                   f"{report.verified} events before it verified.")
    if report.head_missing:
        show_error(f"the audit trail's head row is missing ({report.verified} events "
                   "verified): run `appraisal audit repair-head` to re-create it.")
    if report.anchor_problems:
        show_error("the audit trail no longer passes through what was anchored:",
                   list(report.anchor_problems))
    raise typer.Exit(1)


@audit_app.command("anchor")
def anchor_(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Print the trail's head (HASH@N) for a witness kept elsewhere: a board paper, an
    email to the company secretary. `audit verify --anchor HASH@N` checks against it."""
    from appraisal_store.audit import chain_head
    from appraisal_store.sessions import read_session

    with read_session() as session:
        head = chain_head(session)
    if as_json:
        print_json({"event": head.event_id, "hash": head.hash, "anchor": str(head)})
        return
    out.print(str(head))


@audit_app.command("repair-head")
def repair_head() -> None:
    """Re-create the trail's head row (or move it up to the last event) when the trail
    verifies; refused, changing nothing, when it does not. The repair is audited."""
    from appraisal_store.actors import Actor
    from appraisal_store.services.audit_trail import repair_trail_head
    from appraisal_store.sessions import write_session

    with write_session() as session:
        repaired = repair_trail_head(session=session, actor=Actor.operator())
    if repaired is None:
        out.print("The audit trail's head is in place; nothing to repair.")
        return
    was = f"from {repaired.before} " if repaired.before else ""
    out.print(f"Repaired the audit trail's head {was}to {repaired.after} (the repair is "
              "recorded as the next event).")


def register(app: typer.Typer) -> None:
    app.add_typer(audit_app, name="audit")
