"""A tiny run of the benchmark code, so that ``make bench`` keeps working.

Asserts the structure of what the benchmark reports, never a timing.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench import dataset
from bench.results import Entry, table, write_json

SIZE = 30


@pytest.fixture(name="prefect_api")
def prefect_api_fixture(prefect_harness: None) -> None:
    """The session's shared Prefect test harness (one per test process)."""


def test_dataset_is_deterministic_and_shaped_like_boards() -> None:
    first, second = dataset.generate(SIZE), dataset.generate(SIZE)
    assert first == second
    organisations, people, appointments = first
    appraised = [a for a in appointments if a["role"].is_board_member]
    assert len(appraised) == SIZE
    assert len(people) == len(appointments)
    assert {o["type"].value for o in organisations} <= {"nhs-trust", "foundation-trust", "icb"}
    board = [a["role"].value for a in appointments if a["organisation_id"] == 1]
    assert board.count("chair") == 1 and board.count("company-secretary") == 1
    assert board.count("senior-independent-director") == 1


def test_store_measurements_report_every_figure(prefect_api: None, isolated_env: Path) -> None:
    from bench.run import parse, store_measurements

    # One portal worker: every start of the portal imports it once a worker.
    options = parse(["--sizes", str(SIZE), "--database", "sqlite", "--portal-seconds", "1",
                     "--clients", "2", "--portal-workers", "1", "--prefect-settle-seconds", "0"])
    # Prepared in this process, where the test harness's Prefect API is.
    entries = store_measurements(options, isolated_env, lambda _line: None,
                                 run=lambda function, *args: function(*args))
    by_name = {e.name: e for e in entries}
    opened = by_name["1 open national cycle"]
    assert opened.figure and opened.floor and opened.ratio
    assert opened.details["appraisals"] == SIZE
    assert opened.details["floor_rows"] > SIZE
    sweep = by_name["2 daily reminder sweep"]
    assert sweep.figure is not None and sweep.details["queued"] > 0
    assert by_name["5 flow process peak RSS"].figure
    portal = [e for e in entries if e.name.startswith("4 portal")]
    assert portal, "the portal section reported nothing"
    for page in portal:
        assert page.details.get("requests", 0) > 0 or "not available" in page.note
    assert by_name["5 portal process peak RSS"].details["workers"] == 1
    assert all(e.database == "sqlite" and e.dataset_size == SIZE for e in entries)


def test_bare_loop_and_results_file(tmp_path: Path) -> None:
    from bench import records_bench

    home = tmp_path / "seal-home"
    records_bench.prepare_seal(home)
    items = records_bench.record_items(1)
    assert records_bench.render_and_seal(items[0], str(home)) > 10_000
    assert records_bench.bare_loop(items, home, 1) > 0

    entries = [Entry("1 open national cycle", 1.0, "s", "sqlite", SIZE, floor=0.5, ratio=2.0)]
    output = tmp_path / "results.json"
    write_json(output, entries, {"sizes": [SIZE]})
    document = json.loads(output.read_text())
    entry = document["entries"][0]
    for key in ("name", "figure", "unit", "floor", "ratio", "goal", "met", "dataset_size",
                "database", "python", "packages", "cpu_count"):
        assert key in entry
    assert document["environment"]["reference_work_cpu_s"] > 0  # to compare machines by
    assert table(entries).row_count == 1


def test_records_measurement_compares_the_flow_with_its_floor(prefect_api: None,
                                                              isolated_env: Path) -> None:
    from bench.records_bench import records_measurements

    entries = records_measurements(2, isolated_env, lambda _line: None)
    names = [e.name for e in entries]
    assert any("floor" in n or "bare" in n for n in names), names
    assert any("flow" in n for n in names), names
    assert all(e.figure is not None and e.figure > 0 for e in entries if e.unit == "records/s")
    for floor in (e for e in entries if e.unit == "records/s"):
        before, after = floor.details["seconds_before_and_after_the_flow"]
        assert before > 0 and after > 0  # timed on both sides of the flow
        assert floor.details["seconds"] == pytest.approx(before + after, abs=0.002)


def test_the_deployed_measurement_runs_the_deployment_on_an_external_cluster(
        prefect_api: None, isolated_env: Path) -> None:
    from bench.deployed_bench import DASK_WORKERS, deployed_measurement

    floor, deployed = deployed_measurement(2, isolated_env, lambda _line: None)
    assert floor.unit == "records/s" and floor.figure is not None and floor.figure > 0
    before, after = floor.details["seconds_before_and_after_the_flow"]
    assert before > 0 and after > 0  # timed on both sides of the deployed run
    assert deployed.floor == floor.details["seconds"] and deployed.ratio is not None
    assert deployed.goal == "ratio <= 1.2" and f"({DASK_WORKERS} workers)" in deployed.name
    assert 0 < deployed.details["seconds_running"] <= deployed.figure  # type: ignore[operator]


def test_a_store_in_use_is_let_go_after_the_block(isolated_env: Path) -> None:
    import os

    from appraisal_store.config import settings
    from bench.stores import create_store, drop_store, store_in_use

    before = os.environ.get("APPRAISAL_DATABASE_URL"), settings().database
    store = create_store("sqlite", isolated_env, "in-use")
    try:
        with store_in_use(store):
            assert os.environ["APPRAISAL_DATABASE_URL"] == store.url == settings().database
        assert (os.environ.get("APPRAISAL_DATABASE_URL"), settings().database) == before
    finally:
        drop_store(store)


def test_feedback_measurement_compares_the_flow_with_its_floor(prefect_api: None,
                                                               isolated_env: Path) -> None:
    from bench.run import feedback_measurements, parse

    options = parse(["--sizes", str(SIZE), "--database", "sqlite", "--only", "feedback",
                     "--prefect-settle-seconds", "0"])
    entries = feedback_measurements(options, isolated_env, lambda _line: None,
                                    run=lambda function, *args: function(*args))
    (opened,) = entries
    assert opened.name == "9 open feedback rounds" and opened.figure and opened.floor
    assert opened.details["rounds"] == SIZE
    assert opened.details["respondents"] == opened.details["invited"] > SIZE
    assert opened.details["floor_rows"] > opened.details["respondents"]
