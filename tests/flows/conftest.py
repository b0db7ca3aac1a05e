"""Fixtures of the flow tests: one shared Prefect test harness and a real SMTP server."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from email import message_from_bytes
from email.message import Message
from typing import Any

import pytest

from tests.conftest import Board, seed_board  # noqa: F401 - re-exported fixtures' types


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Mailbox:
    """What a loopback SMTP server received, and what it is scripted to answer.

    ``answers``: a recipient's RCPT reply instead of 250 (say "550 5.1.1 No such user");
    ``drop_once``: recipients whose first RCPT drops the connection unanswered;
    ``die_after``: once this many messages were accepted, the server stops listening and
    drops the connection of the next message (a server dying mid-run).
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.arrived = threading.Condition(self.lock)
        self.messages: list[Message] = []
        self.answers: dict[str, str] = {}
        self.drop_once: set[str] = set()
        self.die_after: int | None = None
        self.listener: Any = None

    async def handle_MAIL(self, server: Any, session: Any, envelope: Any, address: str,  # noqa: N802
                          mail_options: list[str]) -> str:
        if self.die_after is not None and len(self.messages) >= self.die_after:
            self.listener.close()  # no new connections: refused from now on
            server.transport.close()
            return "421 4.3.2 Going down"  # never reaches the client
        envelope.mail_from = address
        return "250 OK"

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,  # noqa: N802
                          rcpt_options: list[str]) -> str:
        if address in self.drop_once:
            self.drop_once.discard(address)
            server.transport.close()
            return "421 4.3.2 Dropped"  # never reaches the client
        if address in self.answers:
            return self.answers[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        with self.lock:
            self.messages.append(message_from_bytes(envelope.content))
            self.arrived.notify_all()
        return "250 Message accepted for delivery"

    def wait_for(self, count: int, *, most_seconds: float = 60) -> bool:
        """Block until ``count`` messages have arrived (False if they did not in time)."""
        with self.lock:
            return self.arrived.wait_for(lambda: len(self.messages) >= count, most_seconds)

    def keys(self) -> list[str]:
        with self.lock:
            return [str(m["X-Appraisal-Key"]) for m in self.messages]


class SmtpServer:
    """A real aiosmtpd server on loopback that can be stopped and started again."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.mailbox = Mailbox()
        self.controller: Any = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> None:
        from aiosmtpd.controller import Controller

        self.controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()
        self.mailbox.listener = self.controller.server

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture(name="smtp_server")
def smtp_server_fixture(monkeypatch: pytest.MonkeyPatch) -> Iterator[SmtpServer]:
    """A running loopback SMTP server, with APPRAISAL_SMTP_URL pointing at it."""
    from appraisal_store import config

    server = SmtpServer(free_port())
    server.start()
    monkeypatch.setenv("APPRAISAL_SMTP_URL", server.url)
    config.settings.cache_clear()
    yield server
    server.stop()
    config.settings.cache_clear()
