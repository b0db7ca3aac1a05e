"""Measurement 7 run tiny: a sign-in's email and a signature's record under the load.

Asserts what the benchmark reports and that every probe saw its outcome, never a timing.
"""

from __future__ import annotations

from pathlib import Path

from bench.run import parse

SIZE = 30


def test_journey_seconds_follow_the_portal_load_unless_given() -> None:
    assert parse([]).journey_seconds == 30.0
    assert parse(["--portal-seconds", "4"]).journey_seconds == 4.0
    assert parse(["--quick"]).journey_seconds == 10.0
    assert parse(["--quick", "--journey-seconds", "0"]).journey_seconds == 0.0


def test_both_journeys_are_measured_under_the_portal_load(isolated_env: Path) -> None:
    from bench.journeys_bench import measure_journeys
    from bench.portal_bench import prepare_portal_store
    from bench.stores import create_store, drop_store

    store = create_store("sqlite", isolated_env, "journeys")
    try:
        _, data = prepare_portal_store(store, SIZE)
        entries = measure_journeys(store, data, seconds=2.0, clients=2, workers=1)
    finally:
        drop_store(store)
    by_name = {e.name: e for e in entries}
    assert set(by_name) == {"7 sign-in email p95", "7 record downloadable p95"}
    for entry in entries:
        assert entry.database == "sqlite" and entry.dataset_size == SIZE
        assert entry.unit == "s" and entry.goal.startswith("<= ")
        assert entry.details["samples"] >= 1 and entry.details["missing"] == 0, entry.details
        assert entry.figure == entry.details["p95_s"]
        assert {"p50_s", "p99_s", "load_requests_per_second"} <= set(entry.details)
        assert entry.details["load_errors"] == 0
