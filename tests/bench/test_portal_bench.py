"""The portal part of the benchmark: its options, its HTTP client, its figures' shape.

Structure only; nothing here is timed.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bench.load_client import read_response, request_bytes, scenarios_of
from bench.run import parse

SIZE = 30


def test_only_portal_option() -> None:
    assert parse([]).only == "all"
    options = parse(["--only", "portal", "--sizes", "10000", "--portal-seconds", "30"])
    assert options.only == "portal" and options.size_list == [10000]
    with pytest.raises(SystemExit):
        parse(["--only", "flows-and-coffee"])


def _read(raw: bytes) -> tuple[int, bool, bytes]:
    async def go() -> tuple[int, bool, bytes]:
        reader = asyncio.StreamReader()
        reader.feed_data(raw + b"NEXT")
        reader.feed_eof()
        status, keep = await read_response(reader)
        return status, keep, await reader.read()

    return asyncio.run(go())


def test_load_client_reads_whole_responses_and_leaves_the_next() -> None:
    sized = b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nhello"
    assert _read(sized) == (200, True, b"NEXT")
    chunked = (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
               b"3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n")
    assert _read(chunked) == (200, True, b"NEXT")
    closing = b"HTTP/1.1 303 See Other\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
    assert _read(closing)[:2] == (303, False)


def test_load_client_request_carries_cookie_and_form() -> None:
    request = request_bytes("127.0.0.1:8000", "appraisal_session", {
        "method": "POST", "path": "/x", "cookie": "c00k1e",
        "form": {"csrf_token": "t", "reflection": "a & b"}})
    head, body = request.split(b"\r\n\r\n", 1)
    assert head.startswith(b"POST /x HTTP/1.1\r\n")
    assert b"Cookie: appraisal_session=c00k1e" in head
    assert f"Content-Length: {len(body)}".encode() in head
    assert body == b"csrf_token=t&reflection=a+%26+b"


def test_load_client_gives_each_client_its_own_scenarios_or_the_shared_ones() -> None:
    shared = {"clients": 3, "scenarios": [{"name": "a"}, {"name": "b"}]}
    assert [scenarios_of(shared, n) for n in range(3)] == [shared["scenarios"]] * 3
    own = {"clients": 3, "scenarios": [[{"name": "a", "cookie": "x"}],
                                       [{"name": "a", "cookie": "y"}]]}
    assert [scenarios_of(own, n)[0]["cookie"] for n in range(3)] == ["x", "y", "x"]


def test_the_dataset_lists_distinct_open_directors_to_sign_in_as() -> None:
    from bench.dataset import YEAR_STARTS, generate, open_directors

    _, people, appointments = generate(1000)
    emails = open_directors(people, appointments)
    assert len(emails) == len(set(emails)) >= 20
    person = {p["email"]: p["id"] for p in people}
    appointment = {a["person_id"]: a for a in appointments}
    for email in emails:
        chosen = appointment[person[email]]
        assert chosen["role"].value in ("executive-director", "non-executive-director")
        assert chosen["start_date"].year < YEAR_STARTS
    late = [a for a in appointments if a["start_date"].year >= YEAR_STARTS
            and a["role"].value in ("executive-director", "non-executive-director")]
    assert late, "some directors are appointed in the year (deferred), and left out"


def test_portal_is_loaded_at_every_size_twice_and_reports_each_page_and_the_memory(
        isolated_env: Path) -> None:
    from bench.portal_bench import in_both_orders, measure_portal_at_sizes, prepare_portal_store
    from bench.stores import create_store, drop_store

    assert in_both_orders([1, 5, 10]) == [1, 5, 10, 10, 5, 1]
    sizes = (SIZE, 2 * SIZE)
    stores = {size: create_store("sqlite", isolated_env, f"p{size}") for size in sizes}
    try:
        prepared = {size: (store, prepare_portal_store(store, size)[1])
                    for size, store in stores.items()}
        entries = measure_portal_at_sizes(prepared, seconds=1.0, clients=2, workers=1)
    finally:
        for store in stores.values():
            drop_store(store)
    for size in sizes:
        mine = [e for e in entries if e.dataset_size == size]
        pages = {e.name: e for e in mine if e.name.startswith("4 portal p95")}
        assert set(pages) == {f"4 portal p95: {page}" for page in (
            "chair queue", "director domain page", "self-assessment save",
            "secretary dashboard")}
        for page in pages.values():
            assert page.details["requests"] > 0 and page.details["errors"] == 0
            assert "worker" in page.note and "2 such loads" in page.note
            each = page.details["p95_ms_of_each_load"]
            assert len(each) == 2 and all(each)  # one half in each pass
            assert not set(page.details) & {"latencies_s", "error_names"}  # not in the file
        memory = next(e for e in mine if e.name == "5 portal process peak RSS")
        assert memory.figure and memory.details["workers"] == 1
        cpu = next(e for e in mine if e.name == "4 portal CPU per request")
        parts = cpu.details["cpu_ms_per_request"]
        assert cpu.figure == parts["portal"] > 0 and parts["load generator"] > 0
        assert parts["database"] == 0  # SQLite runs inside the portal's processes
        assert cpu.details["requests"] == sum(p.details["requests"] for p in pages.values())


def test_two_loads_put_together_pool_their_latencies() -> None:
    from bench.load_client import page_figures
    from bench.portal_bench import PortalFigures, combined

    def load(latencies: list[float], errors: list[str], rss: float) -> PortalFigures:
        return PortalFigures(True, "n", {"page": page_figures(latencies, errors, 2.0)},
                             {"page": "/p"}, rss, 2, rss / 2, 2.0,
                             {"portal": rss / 100, "database": 0.5})

    fast = load([0.010] * 90 + [0.050] * 10, [], 100.0)
    slow = load([0.030] * 90 + [0.090] * 10, ["HTTP 500"], 150.0)
    both = combined([fast, slow])
    page = both.pages["page"]
    assert page["requests"] == 201 and page["errors"] == 1
    # The pooled percentiles: neither the mean (70) nor the worst (90) of the loads' p95.
    assert page["p95_ms"] == 50.0 and page["p50_ms"] == 30.0
    assert page["requests_per_second"] == pytest.approx(201 / 4.0)
    assert both.runs == 2 and both.runs_p95_ms == {"page": [50.0, 90.0]}
    assert both.peak_rss_mb == 150.0 and both.wall_seconds == 4.0
    assert both.cpu_seconds == {"portal": 2.5, "database": 1.0}
