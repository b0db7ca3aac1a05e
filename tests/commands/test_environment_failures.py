"""Every failure of the machine around us is one sentence naming the file, folder or
server and what to do, exit 1, no traceback, and no partial file left behind."""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from appraisal_store import config, engines
from tests.conftest import POSTGRES_ADMIN_URL, Board
from tests.records.appraisals import NED1, complete

APPRAISAL = [sys.executable, "-c", "from commands.main import run; run()"]


def failure(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    """Run ``appraisal *args`` as a new process would (no engine made yet): it must exit 1
    with one sentence and no traceback."""
    from commands.main import run
    from commands.prefect_console import restore_prefect_console

    engines.reset_engines()
    try:
        with pytest.raises(SystemExit) as exited:
            run(list(args))
    finally:
        restore_prefect_console()
    captured = capsys.readouterr()
    said = captured.out + captured.err
    assert exited.value.code == 1, said
    assert "Traceback" not in said and "Unexpected error" not in said, said
    assert captured.err.startswith("Error: "), said
    return " ".join(captured.err.split())


def succeeds(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    from commands.main import run
    from commands.prefect_console import restore_prefect_console

    engines.reset_engines()
    try:
        with pytest.raises(SystemExit) as exited:
            run(list(args))
    finally:
        restore_prefect_console()
    captured = capsys.readouterr()
    assert exited.value.code == 0, captured.out + captured.err
    return captured.out


def _mount(*args: str) -> bool:
    return subprocess.run(["mount", *args], capture_output=True).returncode == 0


@pytest.fixture(name="read_only")
def read_only_fixture() -> Iterator[object]:
    """Makes a folder read-only for real: a read-only bind mount (as root, whom file modes
    do not stop) or its mode (as anyone else)."""
    mounted: list[Path] = []
    moded: list[Path] = []

    def make(folder: Path) -> None:
        if os.geteuid() != 0:
            for path in [folder, *folder.rglob("*")]:
                path.chmod(path.stat().st_mode & ~0o222)
                moded.append(path)
            return
        if not (_mount("--bind", str(folder), str(folder))
                and _mount("-o", "remount,ro,bind", str(folder))):
            pytest.skip("a read-only bind mount is not allowed here")
        mounted.append(folder)

    yield make
    for folder in mounted:
        subprocess.run(["umount", str(folder)], check=True)
    for path in moded:
        path.chmod(path.stat().st_mode | 0o200)


@pytest.fixture(name="ready")
def ready_fixture(sqlite_board: Board, home: Path) -> Board:
    """An initialised store with a board, its cycle open, mail queued and the seal made."""
    from records.configured_seal import ensure_deployment_seal

    ensure_deployment_seal()
    return sqlite_board


@pytest.mark.parametrize("command", [
    ["init"], ["status"], ["audit", "verify"],
    ["org", "add", "RX2", "--name", "Elsewhere", "--type", "nhs-trust"],
    ["outbox", "send"], ["records", "export-all", "--to", "{home}/exported"],
])
def test_a_read_only_home_is_one_sentence(ready: Board, home: Path, read_only: object,
                                          command: list[str],
                                          capsys: pytest.CaptureFixture[str]) -> None:
    read_only(home)  # type: ignore[operator]
    said = failure(capsys, *[part.format(home=home) for part in command])
    assert str(home) in said and "cannot be written" in said
    assert "writable" in said


def test_status_before_init_says_to_run_init(home: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    said = failure(capsys, "status")
    assert "There is no store yet" in said and "appraisal init" in said
    assert str(home / "appraisal.db") in said
    assert not home.exists()  # nothing was created on the way


def test_a_store_from_a_newer_release_is_refused(ready: Board, home: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    with engines.engine().begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    for command in (["status"], ["init"]):
        said = failure(capsys, *command)
        assert "newer release" in said and "9999" in said and "appraisal.db" in said
    with engines.engine().connect() as connection:  # init changed nothing
        assert connection.execute(text("SELECT version_num FROM alembic_version")
                                  ).scalar_one() == "9999"


def test_tables_made_without_alembic_are_refused(home: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    from sqlmodel import SQLModel

    from appraisal_store import models  # noqa: F401 - the tables

    home.mkdir(parents=True)
    SQLModel.metadata.create_all(engines.engine())
    for command in (["init"], ["status"]):
        said = failure(capsys, *command)
        assert "no schema revision" in said and "appraisal init" in said


def test_a_missing_or_corrupt_seal_key_is_one_sentence(
        ready: Board, home: Path, prefect_harness: None,
        capsys: pytest.CaptureFixture[str]) -> None:
    complete(ready, NED1)
    key = home / "seal" / "seal-key.pem"
    saved = key.read_bytes()
    key.unlink()
    for command in (["records", "seal"], ["flows", "seal"]):
        said = failure(capsys, *command)
        assert str(home / "seal") in said and "appraisal init" in said
    key.write_bytes(b"-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n")
    for command in (["records", "seal"], ["flows", "seal"]):
        said = failure(capsys, *command)
        assert str(key) in said
    key.write_bytes(saved)
    succeeds(capsys, "records", "seal")


@pytest.mark.parametrize("url,expected", [
    ("postgresql+psycopg://postgres@127.0.0.1:1/test",
     "on the PostgreSQL server at 127.0.0.1:1 does not answer"),
    ("postgresql+psycopg://postgres@127.0.0.1:5432/no_such_appraisal_db",
     "'no_such_appraisal_db' on the PostgreSQL server at 127.0.0.1:5432 does not exist"),
])
@pytest.mark.parametrize("command", [["init"], ["status"], ["audit", "verify"]])
@pytest.mark.postgres
def test_postgres_unreachable_or_missing_is_one_sentence(
        home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        url: str, expected: str, command: list[str]) -> None:
    if "no_such" in url:
        from tests.conftest import require_postgres

        require_postgres()
    monkeypatch.setenv("APPRAISAL_DATABASE_URL", url)
    config.settings.cache_clear()
    engines.reset_engines()
    said = failure(capsys, *command)
    assert expected in said and "APPRAISAL_DATABASE_URL" in said


def _disk_full(monkeypatch: pytest.MonkeyPatch) -> None:
    """Writing any file fails as on a full disk (no tmpfs small enough here to fill)."""
    real = Path.write_bytes

    def full(self: Path, data: bytes) -> int:  # type: ignore[override]
        real(self, data[: len(data) // 2])  # half written, then the disk is full
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(self))

    monkeypatch.setattr(Path, "write_bytes", full)


@pytest.fixture(name="small_disk")
def small_disk_fixture(home: Path) -> Iterator[Path]:
    """``home/outbox`` on a real 64 kB tmpfs that is already full, where it can be made."""
    folder = home / "outbox"
    folder.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0 or not _mount("-t", "tmpfs", "-o", "size=64k", "tmpfs", str(folder)):
        pytest.skip("a small tmpfs cannot be mounted here")
    try:
        try:
            with (folder / "filler").open("wb") as filler:
                while True:
                    filler.write(b"x" * 4096)
                    filler.flush()
        except OSError:
            pass  # full
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=True)


def test_a_full_disk_during_outbox_send_leaves_no_temporary_file(
        ready: Board, small_disk: Path, capsys: pytest.CaptureFixture[str]) -> None:
    said = failure(capsys, "outbox", "send")
    assert "no space left" in said and str(small_disk) in said
    assert sorted(p.name for p in small_disk.iterdir()) == ["filler"]
    (small_disk / "filler").unlink()
    assert "Sent " in succeeds(capsys, "outbox", "send")  # the one that failed backs off
    assert all(path.suffix == ".eml" for path in small_disk.iterdir())


def test_a_full_disk_while_writing_a_report_or_export_leaves_nothing(
        ready: Board, home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    from appraisal_store.environment import DiskFull, write_atomically

    _disk_full(monkeypatch)
    target = tmp_path / "out" / "report.csv"
    with pytest.raises(DiskFull, match=str(target)):
        write_atomically(target, b"a,b\n" * 1000)
    assert list(target.parent.iterdir()) == []


@pytest.fixture(name="home_on_small_disk")
def home_on_small_disk_fixture(home: Path) -> Iterator[object]:
    """``home`` on a real tmpfs of its own; calling the fixture's value fills it up."""
    home.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0 or not _mount("-t", "tmpfs", "-o", "size=48m", "tmpfs", str(home)):
        pytest.skip("a small tmpfs cannot be mounted here")

    def fill() -> None:
        try:
            with (home / "filler").open("wb") as filler:
                while True:
                    filler.write(b"x" * 65536)
                    filler.flush()
        except OSError:
            pass  # full

    try:
        yield fill
    finally:
        engines.reset_engines()
        subprocess.run(["umount", str(home)], check=True)


def test_a_full_disk_during_cycle_open_and_flows_seal(
        home_on_small_disk: object, operator: object, prefect_harness: None,
        capsys: pytest.CaptureFixture[str]) -> None:
    from records.configured_seal import ensure_deployment_seal
    from tests.conftest import seed_board

    succeeds(capsys, "init")
    board = seed_board(operator)  # type: ignore[arg-type]
    ensure_deployment_seal()
    complete(board, NED1)
    engines.reset_engines()
    home_on_small_disk()  # type: ignore[operator]
    for command in (["cycle", "open", "--year", "2026/27", "--org", "RX1"],
                    ["flows", "seal"], ["records", "seal"]):
        said = failure(capsys, *command)
        assert ("no space left" in said or "disk is full" in said) and "appraisal.db" in said


@pytest.mark.postgres
def test_three_inits_at_once_on_an_empty_postgres_database_all_succeed(
        tmp_path: Path) -> None:
    from tests.conftest import require_postgres

    require_postgres()
    name = f"appraisal_inits_{os.getpid()}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        _three_inits(tmp_path, {"APPRAISAL_DATABASE_URL": url})
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_three_inits_at_once_on_sqlite_all_succeed(tmp_path: Path) -> None:
    _three_inits(tmp_path, {})


def _three_inits(tmp_path: Path, extra: dict[str, str]) -> None:
    environment = {**os.environ, "APPRAISAL_HOME": str(tmp_path / "home"), **extra}
    environment.pop("APPRAISAL_DATABASE_URL", None) if not extra else None
    started = [subprocess.Popen([*APPRAISAL, "init"], env=environment, text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
               for _ in range(3)]
    results = [(process.wait(timeout=120), *process.communicate()) for process in started]
    for code, out, err in results:
        assert code == 0, out + err
        assert "Traceback" not in err
    said = sorted(out.splitlines()[0].split(" (")[0] for _, out, _ in results)
    assert said == ["Created the store", "The store is up to date", "The store is up to date"]
    shutil.rmtree(tmp_path / "home", ignore_errors=True)
