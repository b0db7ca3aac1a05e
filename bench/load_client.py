"""The load generator: ``python -m bench.load_client < plan.json`` prints the figures as JSON.

Runs in a process of its own so that it does not compete with the server for the GIL.
The plan names the base URL, the duration, the number of concurrent clients and the
scenarios (each a name, a method, a path, a session cookie and an optional form body).
Every client loops over the scenarios in turn, starting at a different one.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from typing import Any

import httpx

EXPECTED = {"GET": {200}, "POST": {200, 303}}


def percentile(values: list[float], share: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


async def _client(number: int, plan: dict[str, Any], stop_at: float,
                  latencies: dict[str, list[float]], errors: dict[str, list[str]]) -> None:
    scenarios = plan["scenarios"]
    async with httpx.AsyncClient(base_url=plan["base_url"], timeout=30.0,
                                 follow_redirects=False) as client:
        turn = number
        while time.perf_counter() < stop_at:
            scenario = scenarios[turn % len(scenarios)]
            turn += 1
            client.cookies.clear()
            client.cookies.set(plan["cookie_name"], scenario["cookie"])
            started = time.perf_counter()
            try:
                response = await client.request(scenario["method"], scenario["path"],
                                                 data=scenario.get("form"))
                status = response.status_code
            except httpx.HTTPError as error:
                status, detail = 0, f"{error.__class__.__name__}"
            else:
                detail = f"HTTP {status}"
            elapsed = time.perf_counter() - started
            if status in EXPECTED[scenario["method"]]:
                latencies[scenario["name"]].append(elapsed)
            else:
                errors[scenario["name"]].append(detail)


async def run(plan: dict[str, Any]) -> dict[str, Any]:
    names = [s["name"] for s in plan["scenarios"]]
    latencies: dict[str, list[float]] = {n: [] for n in names}
    errors: dict[str, list[str]] = {n: [] for n in names}
    started = time.perf_counter()
    stop_at = started + plan["duration"]
    await asyncio.gather(*(_client(i, plan, stop_at, latencies, errors)
                           for i in range(plan["clients"])))
    wall = time.perf_counter() - started
    return {
        "wall_seconds": wall,
        "pages": {
            name: {
                "requests": len(latencies[name]) + len(errors[name]),
                "errors": len(errors[name]),
                "error_samples": sorted(set(errors[name]))[:5],
                "p50_ms": _ms(percentile(latencies[name], 0.50)),
                "p95_ms": _ms(percentile(latencies[name], 0.95)),
                "p99_ms": _ms(percentile(latencies[name], 0.99)),
                "requests_per_second": (len(latencies[name]) + len(errors[name])) / wall,
            }
            for name in names
        },
    }


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 2)


def main() -> None:
    plan = json.loads(sys.stdin.read())
    sys.stdout.write(json.dumps(asyncio.run(run(plan))) + "\n")


if __name__ == "__main__":
    main()
