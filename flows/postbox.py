"""Delivering one rendered email: over SMTP when configured, else as an .eml file.

Kept apart from the outbox flow so the portal can hand a message to the same delivery
without importing Prefect (each portal worker would carry it for nothing).

Delivery is over SMTP when ``APPRAISAL_SMTP_URL`` is set (``smtp://host:port``), otherwise
each message is written as ``APPRAISAL_HOME/outbox/{key}.eml`` (atomically: a temporary
file, then a rename).

What the server answers is sorted here into three outcomes, so the sender can act on each:
``Undeliverable`` (a 5xx for this message: never retried), ``Deferred`` (a 4xx for this
message: retried with backoff, the connection still good) and ``ServerUnavailable`` (no
connection, a dropped one, a timeout or a 421: this message and, when ``whole_pass``, the
rest of the pass wait for a later one).
"""

from __future__ import annotations

import re
import smtplib
from email.message import EmailMessage
from pathlib import Path
from types import TracebackType
from urllib.parse import urlsplit

from appraisal_store.config import PRODUCTION_NEEDS_SMTP, settings
from appraisal_store.environment import write_atomically
from appraisal_store.errors import DeploymentError

from .emails import sender_address

CONNECTION_ERRORS = (OSError, smtplib.SMTPConnectError, smtplib.SMTPServerDisconnected)


class DeliveryFailed(smtplib.SMTPException):
    """A message was not delivered; ``answer`` is the server's reply or what went wrong.

    An ``SMTPException``, so a caller that catches the library's errors catches these too.
    """

    def __init__(self, answer: str) -> None:
        super().__init__(answer)
        self.answer = answer


class Undeliverable(DeliveryFailed):
    """The server refused this message for good (a 5xx): sending it again cannot help."""


class Deferred(DeliveryFailed):
    """The server refused this message for now (a 4xx); the connection is still good."""


class ServerUnavailable(DeliveryFailed):
    """No usable connection: refused, timed out, dropped or closed with a 421.

    ``whole_pass``: no connection could be opened at all (or the server refused our sender
    or our login), so the other messages of the pass would fare no better.
    """

    def __init__(self, answer: str, *, whole_pass: bool) -> None:
        super().__init__(answer)
        self.whole_pass = whole_pass


def server_answer(code: int, text: bytes | str) -> str:
    """``550 5.1.1 No such user``: the reply as one line."""
    words = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    return f"{code} {' '.join(words.split())}".strip()


def _by_code(code: int, text: bytes | str) -> DeliveryFailed:
    answer = server_answer(code, text)
    if code == 421:  # the server is closing the connection (smtplib has closed it too)
        return ServerUnavailable(answer, whole_pass=False)
    if 500 <= code < 600:
        return Undeliverable(answer)
    return Deferred(answer)


def _unreachable(error: BaseException) -> str:
    if isinstance(error, smtplib.SMTPResponseException):
        return server_answer(error.smtp_code, error.smtp_error)
    # smtplib turns a timeout while reading a reply into "Connection unexpectedly closed".
    if isinstance(error, TimeoutError) or isinstance(error.__context__, TimeoutError):
        return "the mail server did not answer in time"
    if isinstance(error, ConnectionRefusedError):
        return "the mail server refused the connection"
    if isinstance(error, smtplib.SMTPServerDisconnected | ConnectionError):
        return "the mail server closed the connection"
    return f"{error.__class__.__name__}: {error}"


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
        headers, where a person's name is written.

        Raises:
            Undeliverable, Deferred, ServerUnavailable: see the module's docstring.
        """
        if self.sender is None:
            self.sender = sender_address(settings().mail_from).addr_spec
        if self.connection is None:
            self.connection = self._connect()
        try:
            self.connection.send_message(email, from_addr=self.sender, to_addrs=[recipient])
        except smtplib.SMTPRecipientsRefused as refused:
            code, text = refused.recipients.get(recipient) or next(
                iter(refused.recipients.values()))
            raise self._after(_by_code(code, text)) from refused
        except smtplib.SMTPSenderRefused as refused:
            # Our own address refused: every message of the pass would be.
            self._drop()
            raise ServerUnavailable(
                f"the mail server refused the sender {self.sender}: "
                f"{server_answer(refused.smtp_code, refused.smtp_error)}",
                whole_pass=True) from refused
        except smtplib.SMTPResponseException as answered:  # DATA refused, or another reply
            raise self._after(_by_code(answered.smtp_code, answered.smtp_error)) from answered
        except (smtplib.SMTPException, OSError) as error:  # dropped, timed out, reset
            self._drop()
            raise ServerUnavailable(_unreachable(error), whole_pass=False) from error

    def _connect(self) -> smtplib.SMTP:
        connection: smtplib.SMTP | None = None
        try:
            connection = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            if self.username:
                connection.starttls()
                connection.login(self.username, self.password or "")
            return connection
        except (smtplib.SMTPException, OSError) as error:
            if connection is not None:
                connection.close()
            raise ServerUnavailable(f"{self.host}:{self.port}: {_unreachable(error)}",
                                    whole_pass=True) from error

    def _after(self, failure: DeliveryFailed) -> DeliveryFailed:
        if isinstance(failure, ServerUnavailable):
            self._drop()
        return failure

    def _drop(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None


def postbox() -> FolderPostbox | SmtpPostbox:
    """SMTP when configured, else the outbox folder (never in production).

    Raises:
        DeploymentError: In production without ``APPRAISAL_SMTP_URL``.
    """
    config = settings()
    if config.is_production and not config.smtp_url:
        raise DeploymentError(PRODUCTION_NEEDS_SMTP)
    return SmtpPostbox(config.smtp_url) if config.smtp_url else FolderPostbox(config.outbox_dir)


def deliver_one(email: EmailMessage, idempotency_key: str, *, recipient: str) -> None:
    """Deliver one rendered message on a postbox of its own (opened and closed here).

    Raises:
        DeliveryFailed (an ``smtplib.SMTPException``): the server could not be reached or
        refused it.
    """
    with postbox() as box:
        box.deliver(email, idempotency_key, recipient=recipient)
