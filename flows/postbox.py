"""Delivering one rendered email: over SMTP when configured, else as an .eml file.

Kept apart from the outbox flow so the portal can hand a message to the same delivery
without importing Prefect (each portal worker would carry it for nothing).

Delivery is over SMTP when ``APPRAISAL_SMTP_URL`` is set (``smtp://host:port``), otherwise
each message is written as ``APPRAISAL_HOME/outbox/{key}.eml`` (atomically: a temporary
file, then a rename).
"""

from __future__ import annotations

import re
import smtplib
from email.message import EmailMessage
from pathlib import Path
from types import TracebackType
from urllib.parse import urlsplit

from appraisal_store.config import settings
from appraisal_store.environment import write_atomically

from .emails import sender_address

CONNECTION_ERRORS = (OSError, smtplib.SMTPConnectError, smtplib.SMTPServerDisconnected)


def eml_name(idempotency_key: str) -> str:
    """The file name of a message in the outbox folder, from its key."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", idempotency_key) + ".eml"


class FolderPostbox:
    """Writes each message as an .eml file (the embedded default, no SMTP server needed)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)

    def __enter__(self) -> FolderPostbox:
        return self

    def __exit__(self, *_: object) -> None:
        return None

    def deliver(self, email: EmailMessage, idempotency_key: str, *, recipient: str) -> None:
        # A full disk or read-only folder is one sentence and leaves no temporary file.
        write_atomically(self.folder / eml_name(idempotency_key), bytes(email))


class SmtpPostbox:
    """Sends over one SMTP connection, opened on the first message."""

    def __init__(self, url: str, timeout: float = 10.0, *, sender: str | None = None) -> None:
        parts = urlsplit(url)
        self.sender = sender
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 25
        self.username, self.password = parts.username, parts.password
        self.timeout = timeout
        self.connection: smtplib.SMTP | None = None

    def __enter__(self) -> SmtpPostbox:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        if self.connection is not None:
            try:
                self.connection.quit()
            except (smtplib.SMTPException, OSError):
                self.connection.close()

    def deliver(self, email: EmailMessage, idempotency_key: str, *, recipient: str) -> None:
        """Send ``email`` to ``recipient`` alone: the envelope is never read from the
        headers, where a person's name is written."""
        if self.sender is None:
            self.sender = sender_address(settings().mail_from).addr_spec
        if self.connection is None:
            self.connection = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            if self.username:
                self.connection.starttls()
                self.connection.login(self.username, self.password or "")
        self.connection.send_message(email, from_addr=self.sender, to_addrs=[recipient])


def postbox() -> FolderPostbox | SmtpPostbox:
    """SMTP when configured, else the outbox folder."""
    config = settings()
    return SmtpPostbox(config.smtp_url) if config.smtp_url else FolderPostbox(config.outbox_dir)


def deliver_one(email: EmailMessage, idempotency_key: str, *, recipient: str) -> None:
    """Deliver one rendered message on a postbox of its own (opened and closed here).

    Raises:
        OSError, smtplib.SMTPException: the server could not be reached or refused it.
    """
    with postbox() as box:
        box.deliver(email, idempotency_key, recipient=recipient)
