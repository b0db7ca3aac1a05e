"""Measurement 4 (and the portal half of 5): the portal under load, over loopback.

The portal runs under uvicorn in a process of its own; people are signed in by writing
``PortalSession`` rows directly (what ``portal.authentication.start_session`` stores: the
SHA-256 of the cookie's secret and a CSRF token); the load comes from
``bench.load_client`` in another process. The paths of the chair's queue and the company
secretary's dashboard are found by probing, since the portal's routes are still settling.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psutil
from sqlalchemy import insert, select

from appraisal_store.database import engine
from appraisal_store.models import Appraisal, Person, PortalSession
from appraisal_store.types import utcnow

from .dataset import Dataset

SESSION_COOKIE = "appraisal_session"
CHAIR_QUEUE_PATHS = ("/review", "/reviews", "/queue", "/appraiser", "/")
SECRETARY_PATHS = ("/organisations/{organisation_id}/dashboard", "/organisations/{organisation_id}",
                   "/secretary", "/dashboard", "/")


@dataclass
class PortalFigures:
    available: bool
    note: str = ""
    pages: dict[str, dict[str, Any]] = field(default_factory=dict)
    paths: dict[str, str] = field(default_factory=dict)
    peak_rss_mb: float | None = None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def portal_importable() -> str | None:
    """None when ``portal.app:create_app`` imports, else why not."""
    probe = subprocess.run([sys.executable, "-c", "import portal.app; portal.app.create_app"],
                           capture_output=True, text=True, check=False)
    if probe.returncode == 0:
        return None
    return probe.stderr.strip().splitlines()[-1] if probe.stderr.strip() else "import failed"


def _sign_in(email: str) -> tuple[str, str, int]:
    """A live session for the person with ``email``: (cookie secret, CSRF token, person id)."""
    secret, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    now = utcnow()
    with engine().begin() as connection:
        person_id = connection.execute(select(Person.id).where(Person.email == email)).scalar_one()
        connection.execute(insert(PortalSession), [{
            "session_hash": hashlib.sha256(secret.encode()).hexdigest(), "person_id": person_id,
            "csrf_token": csrf, "created_at": now, "last_seen_at": now}])
    return secret, csrf, person_id


def _own_appraisal(person_id: int) -> int:
    with engine().connect() as connection:
        return int(connection.execute(select(Appraisal.id).where(
            Appraisal.appraisee_id == person_id).order_by(Appraisal.id.desc())).scalars().first())  # type: ignore[union-attr]


def _organisation_of(person_id: int) -> int:
    with engine().connect() as connection:
        return int(connection.execute(select(Appraisal.organisation_id).where(
            Appraisal.appraisee_id == person_id)).scalars().first())


def _start_server(port: int, log: Path) -> subprocess.Popen[bytes]:
    """uvicorn serving the portal; its messages (tracebacks of any 500) go to ``log``."""
    return subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", "portal.app:create_app",
         "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning",
         "--no-access-log"],
        env={**os.environ}, stdout=subprocess.DEVNULL, stderr=log.open("wb"))


def _wait_until_up(base: str, server: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the portal exited with {server.returncode}")
        try:
            httpx.get(f"{base}/sign-in", timeout=2)
            return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise RuntimeError("the portal did not answer within a minute")


def _first_answering(base: str, cookie: str, candidates: tuple[str, ...],
                     **values: int) -> str:
    for pattern in candidates:
        path = pattern.format(**values)
        response = httpx.get(f"{base}{path}", cookies={SESSION_COOKIE: cookie}, timeout=30)
        if response.status_code == 200:
            return path
    return candidates[-1].format(**values)


class _PeakRss:
    """Samples a process's resident set every 50 ms in a thread; keeps the peak."""

    def __init__(self, pid: int) -> None:
        self.process = psutil.Process(pid)
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while not self._stop.is_set():
            try:
                self.peak = max(self.peak, self.process.memory_info().rss)
            except psutil.Error:
                return
            self._stop.wait(0.05)

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        return self.peak / 2**20


def scenarios(dataset: Dataset, base: str) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """The four pages of issue 6, signed in as the sample board's people."""
    from competencies.loader import default_framework
    from competencies.scale import ScaleLabel

    chair, _, _ = _sign_in(dataset.chair_email)
    director, director_csrf, director_id = _sign_in(dataset.director_email)
    secretary, _, _ = _sign_in(dataset.secretary_email)
    appraisal_id = _own_appraisal(director_id)
    domain = default_framework().domains[0]
    form = {"csrf_token": director_csrf, "reflection": "Steady progress on the board's work.",
            "action": "save",
            **{f"rating-{s.id}": ScaleLabel.FREQUENTLY.value for s in domain.statements}}
    paths = {
        "chair queue": _first_answering(base, chair, CHAIR_QUEUE_PATHS),
        "director domain page": f"/appraisals/{appraisal_id}/domains/{domain.id}",
        "self-assessment save": f"/appraisals/{appraisal_id}/domains/{domain.id}",
        "secretary dashboard": _first_answering(base, secretary, SECRETARY_PATHS,
                                                organisation_id=_organisation_of(director_id)),
    }
    return [
        {"name": "chair queue", "method": "GET", "path": paths["chair queue"], "cookie": chair},
        {"name": "director domain page", "method": "GET",
         "path": paths["director domain page"], "cookie": director},
        {"name": "self-assessment save", "method": "POST",
         "path": paths["self-assessment save"], "cookie": director, "form": form},
        {"name": "secretary dashboard", "method": "GET", "path": paths["secretary dashboard"],
         "cookie": secretary},
    ], paths


def measure_portal(dataset: Dataset, *, duration: float, clients: int = 20) -> PortalFigures:
    """Serve the configured store and put it under ``clients`` concurrent clients."""
    reason = portal_importable()
    if reason:
        return PortalFigures(False, f"not available: portal does not import ({reason})")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    from appraisal_store.config import settings

    server = _start_server(port, settings().home / "portal.log")
    try:
        _wait_until_up(base, server)
        rss = _PeakRss(server.pid)
        plan_scenarios, paths = scenarios(dataset, base)
        for scenario in plan_scenarios:  # first requests (template compilation) untimed
            httpx.request(scenario["method"], f"{base}{scenario['path']}",
                          cookies={SESSION_COOKIE: scenario["cookie"]},
                          data=scenario.get("form"), timeout=60)
        plan = {"base_url": base, "duration": duration, "clients": clients,
                "cookie_name": SESSION_COOKIE, "scenarios": plan_scenarios}
        client = subprocess.run([sys.executable, "-m", "bench.load_client"],
                                input=json.dumps(plan), capture_output=True, text=True,
                                check=True)
        figures = json.loads(client.stdout)
        fallback = [n for n, p in paths.items() if p == "/"]
        note = f"{clients} clients, {duration:g} s"
        if fallback:
            note += f"; FALLBACK to the home page for {', '.join(fallback)}"
        return PortalFigures(True, note, figures["pages"], paths, rss.stop())
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
