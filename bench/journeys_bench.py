"""Measurement 7 (issue 16): what one person does reaching the next, under the portal's load.

While the portal's load of measurement 4 runs (``bench.portal_bench.scenarios``: 20
clients, each a different director), two probes take turns with it from this process:

- **sign-in email**: the sign-in form is fetched (its pre-session CSRF token), the email
  address posted, and the time taken until the email is accepted by a real SMTP server
  (aiosmtpd on loopback, in this process, with the portal's ``APPRAISAL_SMTP_URL`` pointing
  at it); each request is for a different person and, as behind a load balancer, from a
  different client address (``X-Forwarded-For`` from the trusted proxy 127.0.0.1), so the
  sign-in rate limits, which count per address and per client, are not what is measured;
- **record downloadable**: on an appraisal the appraisee has signed (walked there through
  the service layer beforehand, as the demo walks its own: ``commands.demo_scenario``), the
  appraiser's signature is posted and ``record.pdf`` asked for until it answers 200.

Each probe waits for its own outcome before the next begins, so every sample is one
person's wait, not a queue of the probe's own making. A few untimed probes first let
every worker import what sealing needs.
"""

from __future__ import annotations

import os
import re
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.parser import BytesHeaderParser
from typing import TYPE_CHECKING, Any

import httpx
from sqlalchemy import select
from sqlalchemy.orm import aliased

from appraisal_store.engines import engine
from appraisal_store.models import Appraisal, Organisation, Person
from portal.server import default_workers

from .load_client import percentile
from .portal_bench import (
    SESSION_COOKIE,
    _run_load,
    _sign_in,
    _start_server,
    _wait_until_up,
    free_port,
    portal_importable,
    scenarios,
)
from .results import Entry, at_most

if TYPE_CHECKING:
    from .dataset import Dataset
    from .stores import Store

SIGN_IN_GOAL_S = 1.0
RECORD_GOAL_S = 10.0
SIGN_IN_PAUSE_S = 0.25  # between one sign-in probe's email and the next request
RECORD_PAUSE_S = 0.5
POLL_S = 0.05  # how often record.pdf is asked for while the record is sealed
GIVE_UP_S = 60.0  # a sample that takes longer is counted missing
MAX_RECORDS = 30
_CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


class _Arrivals:
    """An aiosmtpd handler noting when each sign-in email was accepted, by recipient."""

    def __init__(self) -> None:
        self.arrived: dict[str, float] = {}
        self.changed = threading.Condition()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's name
        accepted = time.perf_counter()
        headers = BytesHeaderParser().parsebytes(envelope.content)
        if str(headers.get("X-Appraisal-Key", "")).startswith("sign_in:"):
            with self.changed:
                for recipient in envelope.rcpt_tos:
                    self.arrived.setdefault(recipient.lower(), accepted)
                self.changed.notify_all()
        return "250 Message accepted"

    def wait_for(self, recipient: str, within: float) -> float | None:
        deadline = time.monotonic() + within
        with self.changed:
            while recipient not in self.arrived:
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self.changed.wait(left)
            return self.arrived[recipient]


@contextmanager
def smtp_server(arrivals: _Arrivals) -> Iterator[str]:
    """A real SMTP server on loopback in this process; yields its URL."""
    from aiosmtpd.controller import Controller

    port = free_port()
    controller = Controller(arrivals, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield f"smtp://127.0.0.1:{port}"
    finally:
        controller.stop()


@contextmanager
def environment(**values: str) -> Iterator[None]:
    """``os.environ`` with ``values`` for the block (the portal's processes inherit it)."""
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def signed_by_appraisee(count: int, *, leave_out: set[str]) -> list[tuple[int, str]]:
    """Walk ``count`` not-started appraisals to "signed by the appraisee", through the
    services as their two people would; (appraisal id, appraiser's email) of each.

    The appraisees in ``leave_out`` (the load's directors) are left alone.
    """
    from appraisal_store.actors import Actor
    from appraisal_store.vocabulary import AppraisalState
    from commands import demo_scenario as scenario

    appraisee, appraiser = aliased(Person), aliased(Person)
    with engine().connect() as connection:
        rows = connection.execute(
            select(Appraisal.id, Organisation.code, appraisee.id, appraisee.name,
                   appraisee.email, appraiser.id, appraiser.name, appraiser.email)
            .join(Organisation, Organisation.id == Appraisal.organisation_id)
            .join(appraisee, appraisee.id == Appraisal.appraisee_id)
            .join(appraiser, appraiser.id == Appraisal.appraiser_id)
            .where(Appraisal.state == AppraisalState.NOT_STARTED)
            .order_by(Appraisal.id.desc())).all()  # type: ignore[union-attr]
    chosen = []
    for (appraisal_id, code, person_id, name, email, appraiser_id, appraiser_name,
         appraiser_email) in rows:
        if len(chosen) == count:
            break
        if email in leave_out:
            continue
        walked = scenario.DemoAppraisal(appraisal_id, code, Actor.person(person_id, name),
                                        Actor.person(appraiser_id, appraiser_name),
                                        AppraisalState.NOT_STARTED)
        scenario.advance(walked, AppraisalState.SIGNED_BY_APPRAISEE, returned_once=False,
                         after_step=lambda _appraisal_id: None)
        chosen.append((appraisal_id, appraiser_email))
    return chosen


def sign_in_addresses(*, leave_out: set[str]) -> list[str]:
    """Everyone's address but ``leave_out``'s, in id order: each probe asks for another's."""
    with engine().connect() as connection:
        emails = connection.execute(select(Person.email).order_by(Person.id)).scalars().all()
    return [email for email in emails if email not in leave_out]


def _client_address(number: int) -> str:
    return f"10.{number // 65536 % 256}.{number // 256 % 256}.{number % 256}"


def sign_in_probe(base: str, email: str, number: int, arrivals: _Arrivals) -> float | None:
    """Seconds from posting the sign-in request to the email's acceptance (None: missing)."""
    headers = {"X-Forwarded-For": _client_address(number)}
    with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
        form = client.get("/sign-in")
        found = _CSRF_FIELD.search(form.text)
        if form.status_code != 200 or not found:
            return None
        started = time.perf_counter()
        answer = client.post("/sign-in", data={"csrf_token": found.group(1), "email": email})
        if answer.status_code != 200:
            return None
    accepted = arrivals.wait_for(email.lower(), GIVE_UP_S)
    return None if accepted is None else accepted - started


def record_probe(base: str, appraisal_id: int, secret: str, csrf: str) -> float | None:
    """Seconds from the appraiser's signature to ``record.pdf`` answering 200, signed in by
    the session ``secret`` (made before the load: writing from here beside the portal
    would contend with it for the store)."""
    with httpx.Client(base_url=base, cookies={SESSION_COOKIE: secret}, timeout=30) as client:
        started = time.perf_counter()
        signed = client.post(f"/appraisals/{appraisal_id}/sign", data={"csrf_token": csrf})
        if signed.status_code != 303:
            return None
        while time.perf_counter() - started < GIVE_UP_S:
            if client.get(f"/appraisals/{appraisal_id}/record.pdf").status_code == 200:
                return time.perf_counter() - started
            time.sleep(POLL_S)  # asking again, as a person reloading the page would
    return None


@dataclass
class Samples:
    seconds: list[float] = field(default_factory=list)
    missing: int = 0

    def add(self, value: float | None) -> None:
        if value is None:
            self.missing += 1
        else:
            self.seconds.append(value)


def _probe_until(stop: threading.Event, work: list[Any], probe: Any, pause: float,
                 samples: Samples) -> None:
    for item in work:
        if stop.is_set():
            return
        samples.add(probe(*item))
        stop.wait(pause)


def _probe_under_load(base: str, port: int, smtp_url: str, workers: int, dataset: Dataset,
                      clients: int, seconds: float, arrivals: _Arrivals, addresses: list[str],
                      records: list[tuple[int, str, str]]
                      ) -> tuple[dict[str, Any], Samples, Samples]:
    """Serve the store in use, load it, and run both probes until the load ends."""
    from appraisal_store.config import settings

    with environment(APPRAISAL_SMTP_URL=smtp_url, APPRAISAL_TRUSTED_PROXIES="127.0.0.1"):
        server = _start_server(port, settings().home / "journeys.log", workers)
    try:
        _wait_until_up(base, server)
        per_client, _ = scenarios(dataset, clients)
        plan = {"base_url": base, "duration": seconds, "clients": clients,
                "cookie_name": SESSION_COOKIE, "scenarios": per_client}
        # Untimed: every worker compiles its templates, and imports what sealing needs.
        _run_load({**plan, "duration": min(2.0, max(seconds / 5, 0.5))})
        for number in range(workers):
            sign_in_probe(base, addresses[number], number, arrivals)
            record_probe(base, *records[number])
        sign_ins, sealed = Samples(), Samples()
        stop = threading.Event()
        probes = [
            threading.Thread(target=_probe_until, args=(
                stop, [(base, email, number, arrivals) for number, email
                       in enumerate(addresses[workers:], start=workers)],
                sign_in_probe, SIGN_IN_PAUSE_S, sign_ins)),
            threading.Thread(target=_probe_until, args=(
                stop, [(base, *record) for record in records[workers:]],
                record_probe, RECORD_PAUSE_S, sealed))]
        load: dict[str, Any] = {}
        loader = threading.Thread(target=lambda: load.update(_run_load(plan)))
        loader.start()
        for probe in probes:
            probe.start()
        loader.join()
        stop.set()  # a probe under way finishes; none starts after the load
        for probe in probes:
            probe.join()
        return load, sign_ins, sealed
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()


def measure_journeys(store: Store, dataset: Dataset, *, seconds: float, clients: int = 20,
                     workers: int | None = None) -> list[Entry]:
    """Measurement 7 on ``store``: the two probes while ``clients`` load the portal for
    ``seconds``."""
    from records.configured_seal import ensure_deployment_seal

    from .stores import store_in_use

    size, database = dataset.appraisals, store.database
    reason = portal_importable()
    if reason:
        return [Entry("7 sign-in email p95", None, "s", database, size,
                      note=f"not available: portal does not import ({reason})")]
    workers = workers or default_workers()
    loaded = set(dataset.director_emails[:clients])
    with store_in_use(store):
        ensure_deployment_seal()
        sessions: dict[str, tuple[str, str]] = {}
        records = []
        for appraisal_id, appraiser in signed_by_appraisee(
                workers + min(MAX_RECORDS, max(3, int(seconds))), leave_out=loaded):
            if appraiser not in sessions:
                sessions[appraiser] = _sign_in(appraiser)[:2]
            records.append((appraisal_id, *sessions[appraiser]))
        addresses = sign_in_addresses(leave_out=loaded)
        arrivals = _Arrivals()
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        with smtp_server(arrivals) as smtp_url:
            load, sign_ins, sealed = _probe_under_load(
                base, port, smtp_url, workers, dataset, clients, seconds, arrivals,
                addresses, records)
    requests = sum(page["requests"] for page in load.get("pages", {}).values())
    errors = sum(page["errors"] for page in load.get("pages", {}).values())
    note = (f"under {clients} clients' load of measurement 4 for {seconds:g} s; uvicorn, "
            f"{workers} worker process{'es' if workers != 1 else ''}; "
            f"SMTP: aiosmtpd on loopback")
    load_details = {"load_requests_per_second": round(requests / max(
        load.get("wall_seconds", 0.0), 1e-9), 1), "load_errors": errors}
    return [
        journey_entry("7 sign-in email p95", sign_ins, database, size, SIGN_IN_GOAL_S,
                      note + "; from POST /sign-in to the email accepted by the SMTP server",
                      load_details),
        journey_entry("7 record downloadable p95", sealed, database, size, RECORD_GOAL_S,
                      note + "; from the appraiser's POST /sign to record.pdf answering 200",
                      load_details),
    ]


def journey_entry(name: str, samples: Samples, database: str, size: int, goal: float,
                  note: str, details: dict[str, Any]) -> Entry:
    """One journey's entry: its p95 as the figure, p50 and p99 beside it."""

    def rounded(share: float) -> float | None:
        value = percentile(samples.seconds, share)
        return None if value is None else round(value, 4)

    entry = at_most(Entry(name, rounded(0.95), "s", database, size, note=note, details={
        "p50_s": rounded(0.50), "p95_s": rounded(0.95), "p99_s": rounded(0.99),
        "samples": len(samples.seconds), "missing": samples.missing, **details}), goal)
    entry.goal += ", none missing"
    entry.met = bool(entry.met) and samples.missing == 0
    return entry
