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
    """What a loopback SMTP server received."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.messages: list[Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        with self.lock:
            self.messages.append(message_from_bytes(envelope.content))
        return "250 Message accepted for delivery"

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
