"""Prometheus metrics of the portal, and who may read them.

Counted per request (by route template, never the address itself, so an id in a path
adds no series): ``appraisal_portal_requests_total`` by route, method and status, and the
``appraisal_portal_request_seconds`` histogram by route. Computed on each scrape with one
cheap query each: ``appraisal_outbox_queued`` (messages not yet sent),
``appraisal_outbox_oldest_unsent_seconds`` and ``appraisal_records_pending_sealing``.

``/metrics`` answers a request whose client (``portal.client_address``: behind trusted
proxies, the address they saw) is on loopback or is a trusted proxy itself, or one that
carries ``Authorization: Bearer <APPRAISAL_METRICS_TOKEN>``; anyone else gets 404, as for
any page that does not exist. A request forwarded from the internet by a trusted proxy is
the internet's, not the proxy's, so it is refused.

With several portal worker processes each counts its own requests; set
``PROMETHEUS_MULTIPROC_DIR`` to an empty folder (emptied at each start) for the counts of
all of them (prometheus-client's multiprocess mode).
"""

from __future__ import annotations

import hmac
import logging
import os
import secrets
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from ipaddress import ip_address

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlmodel import col
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from appraisal_store.config import LOOPBACK_HOSTS, Settings
from appraisal_store.logs import begin_request, end_request
from appraisal_store.models import OutboxMessage

from . import health
from .client_address import client_address

log = logging.getLogger("portal.metrics")
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
# Pages answer in milliseconds; sealing or an upload may take seconds.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class PortalMetrics:
    """The request counters of one app, on a registry of its own (tests make many apps)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("appraisal_portal_requests", "Requests answered by the portal",
                                ("route", "method", "status"), registry=self.registry)
        self.latency = Histogram("appraisal_portal_request_seconds",
                                 "Time to answer a request", ("route",),
                                 buckets=LATENCY_BUCKETS, registry=self.registry)

    def observe(self, route: str, method: str, status: int, seconds: float) -> None:
        self.requests.labels(route, method, str(status)).inc()
        self.latency.labels(route).observe(seconds)

    def exposition(self, now: datetime) -> bytes:
        """The text a scrape gets: the counters and the store's gauges (queried at ``now``)."""
        registry = self.registry
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            from prometheus_client import multiprocess

            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)
        gauges = StoreGauges(now)
        registry.register(gauges)
        try:
            return generate_latest(registry)
        finally:
            registry.unregister(gauges)


class StoreGauges(Collector):
    """The outbox and sealing backlog, read from the store at scrape time (``now``)."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def collect(self) -> Iterator[GaugeMetricFamily]:
        from records.record_lookup import pending_seals

        from .store import read_session

        with read_session(now=self.now) as session:
            queued, oldest = session.execute(
                select(func.count(), func.min(OutboxMessage.created_at))
                .where(col(OutboxMessage.sent_at).is_(None))
            ).one()
            pending = len(pending_seals(session))
        if oldest is not None and oldest.tzinfo is None:
            oldest = oldest.replace(tzinfo=UTC)
        age = (self.now - oldest).total_seconds() if oldest is not None else 0.0
        yield GaugeMetricFamily("appraisal_outbox_queued", "Messages not yet sent",
                                value=queued)
        yield GaugeMetricFamily("appraisal_outbox_oldest_unsent_seconds",
                                "Age of the oldest message not yet sent (0: none)",
                                value=max(age, 0.0))
        yield GaugeMetricFamily("appraisal_records_pending_sealing",
                                "Appraisals with a signature whose record is not sealed yet",
                                value=pending)


def may_read_metrics(config: Settings, *, peer: str | None, forwarded_for: list[str],
                     authorization: str | None) -> bool:
    """Whether a request may read /metrics (see the module's docstring)."""
    if config.metrics_token and authorization:
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(
                token.strip().encode(), config.metrics_token.encode()):
            return True
    proxies = config.trusted_proxy_networks
    client = client_address(peer, forwarded_for, proxies)
    if client in LOOPBACK_HOSTS:
        return True
    try:
        address = ip_address(client)
    except ValueError:
        return False
    return address.is_loopback or any(address in network for network in proxies)


async def _answer(send: Send, status: int, body: bytes, content_type: str,
                  extra: tuple[tuple[bytes, bytes], ...] = ()) -> None:
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", content_type.encode()), (b"content-length", str(len(body)).encode()),
        (b"cache-control", b"no-store"), (b"x-content-type-options", b"nosniff"), *extra]})
    await send({"type": "http.response.body", "body": body})


class Observability:
    """The outermost middleware: a request id for each request (on its log lines and in the
    ``X-Request-Id`` header), the request counted and timed, and the operators' endpoints
    (``/healthz``, ``/readyz``, ``/metrics``) answered here, before the host check: a load
    balancer's probe names the machine, not the portal's host.

    Kept to a few dictionary look-ups and one clock read a request: it runs on every
    request. ``clock``: the portal's (``portal.deps.app_now``), for the age of the oldest
    unsent message.
    """

    def __init__(self, app: ASGIApp, *, config: Settings, clock: Callable[[], datetime]
                 ) -> None:
        self.app = app
        self.config = config
        self.clock = clock
        self.metrics = PortalMetrics()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = secrets.token_hex(8)
        header = (b"x-request-id", request_id.encode())
        token = begin_request(request_id)
        try:
            path = scope["path"]
            if path in ("/healthz", "/readyz", "/metrics") and scope["method"] in ("GET",
                                                                                    "HEAD"):
                await self._operators(scope, send, path, header)
                return
            await self._observed(scope, receive, send, header)
        finally:
            end_request(token)

    async def _observed(self, scope: Scope, receive: Receive, send: Send,
                        header: tuple[bytes, bytes]) -> None:
        status = 500
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), header]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            route = scope.get("route")
            self.metrics.observe(getattr(route, "path", None) or "unmatched", scope["method"],
                                 status, time.perf_counter() - started)

    async def _operators(self, scope: Scope, send: Send, path: str,
                         header: tuple[bytes, bytes]) -> None:
        if path == "/healthz":
            await _answer(send, 200, b"ok\n", "text/plain; charset=utf-8", (header,))
            return
        if path == "/readyz":
            ready, reason = await run_in_threadpool(health.readiness)
            await _answer(send, 200 if ready else 503, f"{reason}\n".encode(),
                          "text/plain; charset=utf-8", (header,))
            return
        headers = dict(scope["headers"])
        client = scope.get("client")
        allowed = may_read_metrics(
            self.config, peer=client[0] if client else None,
            forwarded_for=[v.decode("latin-1") for k, v in scope["headers"]
                           if k == b"x-forwarded-for"],
            authorization=headers.get(b"authorization", b"").decode("latin-1") or None)
        if not allowed:
            await _answer(send, 404, b"Not found\n", "text/plain; charset=utf-8", (header,))
            return
        try:
            body = await run_in_threadpool(self.metrics.exposition, self.clock())
        except Exception as error:  # noqa: BLE001 - the store's gauges need the store
            log.warning("The metrics could not be read: %s", error)
            await _answer(send, 503, b"The metrics cannot be read: the store does not "
                          b"answer.\n", "text/plain; charset=utf-8", (header,))
            return
        await _answer(send, 200, body, CONTENT_TYPE, (header,))
