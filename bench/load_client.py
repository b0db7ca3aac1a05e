"""The load generator: ``python -m bench.load_client < plan.json`` prints the figures as JSON.

Runs in a process of its own so that it does not compete with the server for the GIL.
The plan names the base URL, the duration, the number of concurrent clients and the
scenarios (each a name, a method, a path, a session cookie and an optional form body):
one list for every client, or a list per client (client ``n`` takes list ``n`` modulo
their number), so that each client can be a different person. Every client loops over
its scenarios in turn, starting at a different one.

Each client is one keep-alive HTTP/1.1 connection written with asyncio streams, as ``wrk``
does: on a 2-core machine the load generator shares the cores with the portal, and httpx
spent about 2.5 ms of CPU on each request (a third of what the portal spends answering
it), this client about a tenth of that. Every response is read in full and its status
checked; a failed connection is counted as an error and opened again.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from typing import Any
from urllib.parse import urlencode, urlsplit

EXPECTED = {"GET": {200}, "POST": {200, 303}}
RAW = ("latencies_s", "error_names")  # a page's own measurements, beside its figures


class ResponseError(Exception):
    """The server's answer could not be read as HTTP/1.1."""


def percentile(values: list[float], share: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def request_bytes(host: str, cookie_name: str, scenario: dict[str, Any]) -> bytes:
    """The whole request of one scenario, encoded once and sent as it is every time."""
    body = urlencode(scenario["form"]).encode() if scenario.get("form") else b""
    lines = [f"{scenario['method']} {scenario['path']} HTTP/1.1", f"Host: {host}",
             "Accept: text/html", "User-Agent: bench.load_client"]
    if scenario.get("cookie"):
        lines.append(f"Cookie: {cookie_name}={scenario['cookie']}")
    if body or scenario["method"] == "POST":
        lines += ["Content-Type: application/x-www-form-urlencoded",
                  f"Content-Length: {len(body)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bool]:
    """Read one response in full: (status, whether the server keeps the connection)."""
    head = await reader.readuntil(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    parts = status_line.split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/1."):
        raise ResponseError(status_line[:40])
    headers = {}
    for line in header_lines:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    if headers.get("transfer-encoding", "").lower() == "chunked":
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    elif "content-length" in headers:
        await reader.readexactly(int(headers["content-length"]))
    else:
        await reader.read()
        return int(parts[1]), False
    return int(parts[1]), headers.get("connection", "").lower() != "close"


async def _client(number: int, plan: dict[str, Any], stop_at: float,
                  latencies: dict[str, list[float]], errors: dict[str, list[str]]) -> None:
    base = urlsplit(plan["base_url"])
    host, port = base.hostname or "127.0.0.1", base.port or 80
    scenarios = [(s["name"], s["method"], request_bytes(base.netloc, plan["cookie_name"], s))
                 for s in scenarios_of(plan, number)]
    connection: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
    turn = number
    try:
        while time.perf_counter() < stop_at:
            name, method, request = scenarios[turn % len(scenarios)]
            turn += 1
            started = time.perf_counter()
            try:
                if connection is None:
                    connection = await asyncio.open_connection(host, port)
                reader, writer = connection
                writer.write(request)
                status, keep = await asyncio.wait_for(read_response(reader), 30.0)
            except (OSError, TimeoutError, asyncio.IncompleteReadError,
                    asyncio.LimitOverrunError, ResponseError, ValueError) as error:
                errors[name].append(error.__class__.__name__)
                connection = await _closed(connection)
                continue
            elapsed = time.perf_counter() - started
            if not keep:
                connection = await _closed(connection)
            if status in EXPECTED[method]:
                latencies[name].append(elapsed)
            else:
                errors[name].append(f"HTTP {status}")
    finally:
        await _closed(connection)


async def _closed(connection: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None
                  ) -> None:
    if connection is not None:
        connection[1].close()
        try:
            await connection[1].wait_closed()
        except OSError:
            pass
    return None


def scenarios_of(plan: dict[str, Any], client: int) -> list[dict[str, Any]]:
    """The scenarios client number ``client`` runs."""
    given = plan["scenarios"]
    if given and isinstance(given[0], list):
        return list(given[client % len(given)])
    return list(given)


async def run(plan: dict[str, Any]) -> dict[str, Any]:
    names = list(dict.fromkeys(s["name"] for c in range(plan["clients"])
                               for s in scenarios_of(plan, c)))
    latencies: dict[str, list[float]] = {n: [] for n in names}
    errors: dict[str, list[str]] = {n: [] for n in names}
    started, cpu_started = time.perf_counter(), time.process_time()
    stop_at = started + plan["duration"]
    await asyncio.gather(*(_client(i, plan, stop_at, latencies, errors)
                           for i in range(plan["clients"])))
    wall = time.perf_counter() - started
    return {
        "wall_seconds": wall,
        "cpu_seconds": time.process_time() - cpu_started,  # this load generator's own
        "pages": {name: page_figures(latencies[name], errors[name], wall) for name in names},
    }


def page_figures(latencies: list[float], errors: list[str], wall: float) -> dict[str, Any]:
    """One page's figures from its latencies (seconds) and errors over ``wall`` seconds.

    The latencies and errors themselves are kept (``RAW``) so that the figures of several
    runs of the same page can be put together (``bench.portal_bench.combined``), their
    percentiles taken afresh.
    """
    return {
        "requests": len(latencies) + len(errors),
        "errors": len(errors),
        "error_samples": sorted(set(errors))[:5],
        "p50_ms": _ms(percentile(latencies, 0.50)),
        "p95_ms": _ms(percentile(latencies, 0.95)),
        "p99_ms": _ms(percentile(latencies, 0.99)),
        "requests_per_second": (len(latencies) + len(errors)) / wall,
        "latencies_s": [round(v, 6) for v in latencies],
        "error_names": list(errors),
    }


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 2)


def main() -> None:
    plan = json.loads(sys.stdin.read())
    sys.stdout.write(json.dumps(asyncio.run(run(plan))) + "\n")


if __name__ == "__main__":
    main()
