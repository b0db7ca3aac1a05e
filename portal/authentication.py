"""Sign-in by one-time link, and server-side portal sessions.

Tokens and session ids never reach the database in the clear: only their SHA-256 is
stored, so a copy of the database cannot be used to sign in. The link itself is never
stored either: the portal hands it straight to delivery (``portal.sign_in_mail``), and it
carries the token in its fragment (``/sign-in/link#token``), which browsers never send, so
no access log holds it.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, func, select, update
from sqlmodel import Session

from appraisal_store.actors import Actor
from appraisal_store.audit import record_event
from appraisal_store.database import run_columns
from appraisal_store.models import Person, PortalSession, SignInToken

TOKEN_LIFETIME = timedelta(minutes=15)
IDLE_TIMEOUT = timedelta(minutes=30)
# However busy, a session ends this long after sign-in (APPRAISAL_SESSION_LIFETIME_HOURS).
SESSION_LIFETIME = timedelta(hours=12)
# Touching last_seen_at on every request would make every page a write (on SQLite the one
# write lock); once a minute will do: the idle timeout is thirty.
TOUCH_EVERY = timedelta(minutes=1)
RATE_WINDOW = timedelta(minutes=15)
MAX_REQUESTS_PER_ADDRESS = 5
MAX_REQUESTS_PER_CLIENT = 20


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


class RateLimited(Exception):
    """Too many sign-in requests from this address or this client."""


@dataclass(frozen=True)
class SessionPerson:
    """Who is signed in, as every page needs it (read with the session, not as an entity)."""

    id: int
    name: str
    email: str


@dataclass(frozen=True)
class SignedIn:
    """The person behind a live session."""

    person: SessionPerson
    session_id: int
    csrf_token: str

    @property
    def actor(self) -> Actor:
        return Actor.person(self.person.id, self.person.name)


@dataclass(frozen=True)
class SignInLetter:
    """A sign-in email to send now: held in memory only, never stored (it carries the link)."""

    key: str
    recipient_email: str
    recipient_name: str
    token: str
    link: str
    expires_at: datetime

    @property
    def expires_minutes(self) -> int:
        return int(TOKEN_LIFETIME.total_seconds() // 60)


def sign_in_link(base_url: str, token: str) -> str:
    """The link of the email: the token in the fragment, which no request carries."""
    return f"{base_url.rstrip('/')}/sign-in/link#{token}"


def request_sign_in_link(session: Session, *, email: str, client: str, base_url: str,
                         now: datetime) -> SignInLetter | None:
    """Record a sign-in request and make the letter to send when the address is known.

    The answer to the person is the same either way; a row is stored for unknown addresses
    too, so the rate limits count every request alike. Only the token's hash is stored;
    the caller sends the letter once this transaction is committed.

    Returns:
        The letter to deliver at once, or None when the address is unknown.

    Raises:
        RateLimited: too many requests for this address or from this client recently.
    """
    address = email.strip().lower()[:320]
    since = now - RATE_WINDOW
    by_address = session.execute(select(func.count()).select_from(SignInToken).where(
        SignInToken.email == address, SignInToken.created_at >= since)).scalar_one()
    by_client = session.execute(select(func.count()).select_from(SignInToken).where(
        SignInToken.client == client, SignInToken.created_at >= since)).scalar_one()
    if by_address >= MAX_REQUESTS_PER_ADDRESS or by_client >= MAX_REQUESTS_PER_CLIENT:
        raise RateLimited("Too many sign-in requests. Wait 15 minutes and try again.")
    person = session.execute(select(Person).where(Person.email == address)).scalar_one_or_none()
    token = secrets.token_urlsafe(32)
    session.add(SignInToken(token_hash=digest(token), email=address,
                            person_id=person.id if person else None, client=client[:100],
                            created_at=now, expires_at=now + TOKEN_LIFETIME))
    if person is None:
        return None
    return SignInLetter(f"sign_in:{digest(token)[:32]}", person.email, person.name, token,
                        sign_in_link(base_url, token), now + TOKEN_LIFETIME)


def issue_sign_in_link(session: Session, *, person: Person, base_url: str, now: datetime,
                       lifetime: timedelta, client: str) -> str:
    """A single-use sign-in link for ``person``, handed to the caller instead of emailed.

    For the demo in development only (it prints one link per role); stored as every link
    is, only the token's hash, and redeemed once like any other.
    """
    token = secrets.token_urlsafe(32)
    session.add(SignInToken(token_hash=digest(token), email=person.email, person_id=person.id,
                            client=client[:100], created_at=now, expires_at=now + lifetime))
    return sign_in_link(base_url, token)


def redeem_sign_in_link(session: Session, *, token: str, now: datetime) -> Person | None:
    """Use a link once: the person, or None when it is unknown, used or expired."""
    row = session.execute(select(SignInToken).where(
        SignInToken.token_hash == digest(token.strip())).with_for_update()).scalar_one_or_none()
    if row is None or row.person_id is None or row.used_at is not None or row.expires_at <= now:
        return None
    row.used_at = now
    session.add(row)
    person = session.get(Person, row.person_id)
    if person is not None:
        record_event(session, Actor.person(person.id or 0, person.name), "signed_in",
                     subject_type="person", subject_id=person.id or 0)
    return person


def start_session(session: Session, *, person: Person, now: datetime) -> str:
    """A new session for ``person``; returns the secret for the cookie (stored hashed)."""
    secret = secrets.token_urlsafe(32)
    session.add(PortalSession(session_hash=digest(secret), person_id=person.id or 0,
                              csrf_token=secrets.token_urlsafe(32), created_at=now,
                              last_seen_at=now))
    return secret


@dataclass(frozen=True)
class FoundSession:
    """A session row as read for a request (read-only): is it live, and is it due a touch?"""

    signed_in: SignedIn
    created_at: datetime
    last_seen_at: datetime
    ended_at: datetime | None

    def idle(self, now: datetime) -> bool:
        return now - self.last_seen_at > IDLE_TIMEOUT

    def lapsed(self, now: datetime, lifetime: timedelta = SESSION_LIFETIME) -> bool:
        """Idle too long, or signed in ``lifetime`` ago or more, however busy since."""
        return self.idle(now) or now - self.created_at >= lifetime

    def due_touch(self, now: datetime) -> bool:
        return now - self.last_seen_at > TOUCH_EVERY


# Built once (building a statement costs more than running it); the hash is a parameter.
_FIND_SESSION = (
    select(PortalSession.id, PortalSession.csrf_token, PortalSession.last_seen_at,
           PortalSession.ended_at, Person.id, Person.name, Person.email)
    .join(Person, Person.id == PortalSession.person_id)
    .where(PortalSession.session_hash == bindparam("session_hash"))
    .add_columns(PortalSession.created_at))


def find_session(session: Session, *, secret: str) -> FoundSession | None:
    """The session behind the cookie and its person, in one read (no lock, no write)."""
    found = run_columns(session, _FIND_SESSION, {"session_hash": digest(secret)}).first()
    if found is None:
        return None
    session_id, csrf_token, last_seen_at, ended_at, *person, created_at = found
    return FoundSession(SignedIn(SessionPerson(*person), session_id, csrf_token),
                        created_at, last_seen_at, ended_at)


def end_lapsed_session(session: Session, *, session_id: int, now: datetime) -> None:
    session.execute(update(PortalSession).where(
        PortalSession.id == session_id, PortalSession.ended_at.is_(None))  # type: ignore[union-attr]
        .values(ended_at=now))


def touch_session(session: Session, *, session_id: int, now: datetime) -> None:
    """Move last_seen_at on; never later than ``now`` and never on an ended session."""
    session.execute(update(PortalSession).where(
        PortalSession.id == session_id, PortalSession.ended_at.is_(None),  # type: ignore[union-attr]
        PortalSession.last_seen_at < now)
        .values(last_seen_at=now))


def end_session(session: Session, *, secret: str, now: datetime) -> None:
    session.execute(update(PortalSession).where(
        PortalSession.session_hash == digest(secret), PortalSession.ended_at.is_(None))  # type: ignore[union-attr]
        .values(ended_at=now))
