"""``appraisal admin`` and ``appraisal org external-appraiser``, run as the console script
runs them: what they print, their exit codes, and the audit events they write."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from appraisal_store import sessions
from appraisal_store.models import AuditEvent
from commands.main import run

PEOPLE = """org_code,name,email,role,start_date,end_date,interim
RX1,Ann Chair,ann@rx1.nhs.uk,chair,2021-04-01,,no
RX1,Cos Sec,cos@rx1.nhs.uk,company-secretary,2021-04-01,,no
RX1,Ned Ward,ned@rx1.nhs.uk,non-executive-director,2021-04-01,,no
"""


def invoke(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exited:
        run(list(args))
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err
    return int(exited.value.code or 0), captured.out, captured.err


@pytest.fixture(name="ready")
def ready_fixture(home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    assert invoke(capsys, "init")[0] == 0
    for code in ("RX1", "RX2"):
        assert invoke(capsys, "org", "add", code, "--name", f"Trust {code}",
                      "--type", "nhs-trust")[0] == 0
    people = tmp_path / "people.csv"
    people.write_text(PEOPLE, encoding="utf-8")
    assert invoke(capsys, "people", "import", str(people))[0] == 0
    return home


def _events(prefix: str) -> list[tuple[str, str, dict[str, object]]]:
    with sessions.read_session() as session:
        return [(e.action, e.subject_id, e.details) for e in session.execute(
            select(AuditEvent).where(AuditEvent.action.like(f"{prefix}%"))  # type: ignore[attr-defined]
            .order_by(AuditEvent.id)).scalars()]


def test_grant_list_and_revoke_are_audited(ready: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = invoke(capsys, "admin", "grant", "ned@rx1.nhs.uk", "--org", "rx2")
    assert code == 0 and "ned@rx1.nhs.uk now administers RX2." in out
    code, out, _ = invoke(capsys, "admin", "grant", "ned@rx1.nhs.uk", "--org", "RX2")
    assert code == 0 and "already administers RX2; nothing changed" in out
    assert invoke(capsys, "admin", "grant", "ann@rx1.nhs.uk", "--national")[0] == 0

    code, out, _ = invoke(capsys, "admin", "list", "--json")
    assert code == 0
    listed = json.loads(out)
    assert [(g["email"], g["scope"], g["granted_by"], g["revoked_at"]) for g in listed] == [
        ("ann@rx1.nhs.uk", "national", "operator (command line)", None),
        ("ned@rx1.nhs.uk", "RX2", "operator (command line)", None)]

    code, out, _ = invoke(capsys, "admin", "revoke", "ned@rx1.nhs.uk", "--org", "RX2")
    assert code == 0 and "no longer administers RX2" in out
    code, out, _ = invoke(capsys, "admin", "revoke", "ned@rx1.nhs.uk", "--org", "RX2")
    assert code == 0 and "held no grant for RX2; nothing changed" in out
    code, out, _ = invoke(capsys, "admin", "list", "--json")
    assert [g["email"] for g in json.loads(out)] == ["ann@rx1.nhs.uk"]
    code, out, _ = invoke(capsys, "admin", "list", "--all", "--json")
    revoked = [g for g in json.loads(out) if g["email"] == "ned@rx1.nhs.uk"]
    assert len(revoked) == 1 and revoked[0]["revoked_at"] is not None

    assert _events("administration_") == [
        ("administration_granted", "ned@rx1.nhs.uk", {"scope": "RX2"}),
        ("administration_granted", "ann@rx1.nhs.uk", {"scope": "national"}),
        ("administration_revoked", "ned@rx1.nhs.uk", {"scope": "RX2"})]
    code, out, _ = invoke(capsys, "audit", "verify")
    assert code == 0 and "intact" in out


def test_bad_grants_are_refused_with_a_message(ready: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = invoke(capsys, "admin", "grant", "ned@rx1.nhs.uk")
    assert code == 2 and "give either --org CODE or --national" in err
    code, _, err = invoke(capsys, "admin", "grant", "ned@rx1.nhs.uk", "--org", "RX1",
                          "--national")
    assert code == 2 and "give either --org CODE or --national" in err
    code, _, err = invoke(capsys, "admin", "grant", "nobody@rx1.nhs.uk", "--national")
    assert code == 1 and "Nobody with the email nobody@rx1.nhs.uk is on record" in err
    code, _, err = invoke(capsys, "admin", "grant", "ned@rx1.nhs.uk", "--org", "RX9")
    assert code == 1 and "no organisation with the code 'RX9'" in err
    code, out, _ = invoke(capsys, "admin", "list")
    assert code == 0 and "No grants of administration." in out
    assert _events("administration_") == []


def test_external_appraisers_are_added_listed_and_removed(
        ready: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = invoke(capsys, "org", "external-appraiser", "add", "rd@england.nhs.uk",
                          "--org", "RX1", "--role", "chair", "--reason", "Regional director")
    assert code == 1 and "give their name" in err
    code, _, err = invoke(capsys, "org", "external-appraiser", "add", "rd@england.nhs.uk",
                          "--org", "RX1", "--role", "chair", "--reason", "Regional director",
                          "--name", "Rita\r\nDean")
    assert code == 1 and "the name contains a carriage return (U+000D)" in err
    code, out, _ = invoke(capsys, "org", "external-appraiser", "add", "rd@england.nhs.uk",
                          "--org", "RX1", "--role", "chair", "--role", "non-executive-director",
                          "--reason", "NHS England regional director", "--name", "Rita Dean")
    assert code == 0 and "may now appraise, for RX1: chair, non-executive-director" in out
    code, _, err = invoke(capsys, "org", "external-appraiser", "add", "cos@rx1.nhs.uk",
                          "--org", "RX1", "--role", "chair", "--reason", "Cover")
    assert code == 1 and "company secretary, who appraises nobody" in err

    code, out, _ = invoke(capsys, "org", "external-appraiser", "list", "--json")
    (listed,) = json.loads(out)
    assert (listed["organisation"], listed["name"], listed["email"], listed["roles"],
            listed["reason"]) == ("RX1", "Rita Dean", "rd@england.nhs.uk",
                                  ["chair", "non-executive-director"],
                                  "NHS England regional director")
    code, out, _ = invoke(capsys, "org", "external-appraiser", "list", "--org", "RX2",
                          "--json")
    assert json.loads(out) == []

    code, out, _ = invoke(capsys, "org", "external-appraiser", "remove", "rd@england.nhs.uk",
                          "--org", "RX1")
    assert code == 0 and "no longer an external appraiser for RX1" in out
    code, out, _ = invoke(capsys, "org", "external-appraiser", "list")
    assert "No external appraisers registered." in out
    assert [a for a, _, _ in _events("external_appraiser_")] == [
        "external_appraiser_registered", "external_appraiser_removed"]
