"""Sign-in by one-time link, and server-side portal sessions: what the portal reads of them.

The writes (tokens, their use, sessions started, touched and ended) are
``appraisal_store.services.sign_in``'s; tokens and session ids are stored only as their
SHA-256, so a copy of the database cannot be used to sign in. The link itself is never
stored either: the portal hands it straight to delivery (``portal.sign_in_mail``), and it
carries the token in its fragment (``/sign-in/link#token``), which browsers never send, so
no access log holds it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, select
from sqlmodel import Session, col

from appraisal_store.actors import Actor
from appraisal_store.models import Person, PortalSession
from appraisal_store.services.sign_in import (
    TOKEN_LIFETIME,
    digest,
    issue_sign_in_token,
    issue_sign_in_token_for,
)
from appraisal_store.sessions import run_columns

IDLE_TIMEOUT = timedelta(minutes=30)
# However busy, a session ends this long after sign-in (APPRAISAL_SESSION_LIFETIME_HOURS).
SESSION_LIFETIME = timedelta(hours=12)
# Touching last_seen_at on every request would make every page a write (on SQLite the one
# write lock); once a minute will do: the idle timeout is thirty.
TOUCH_EVERY = timedelta(minutes=1)


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
    """Record a sign-in request (``issue_sign_in_token``) and make the letter to send.

    The answer to the person is the same either way; the caller sends the letter once this
    transaction is committed.

    Returns:
        The letter to deliver at once, or None when the address is unknown.

    Raises:
        RateLimited: too many requests for this address or from this client recently.
    """
    issued = issue_sign_in_token(session=session, email=email, client=client, now=now)
    if issued is None:
        return None
    return SignInLetter(f"sign_in:{digest(issued.token)[:32]}", issued.email, issued.name,
                        issued.token, sign_in_link(base_url, issued.token), issued.expires_at)


def issue_sign_in_link(session: Session, *, person: Person, base_url: str, now: datetime,
                       lifetime: timedelta, client: str) -> str:
    """A single-use sign-in link for ``person``, handed to the caller instead of emailed.

    For the demo in development only (it prints one link per role); stored as every link
    is, only the token's hash (``issue_sign_in_token_for``), and redeemed once like any
    other.
    """
    token = issue_sign_in_token_for(session=session, person=person, client=client, now=now,
                                    lifetime=lifetime)
    return sign_in_link(base_url, token)


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
    select(col(PortalSession.id), col(PortalSession.csrf_token), col(PortalSession.last_seen_at),
           col(PortalSession.ended_at), col(Person.id), col(Person.name), col(Person.email))
    .join(Person, col(Person.id) == PortalSession.person_id)
    .where(col(PortalSession.session_hash) == bindparam("session_hash"))
    .add_columns(col(PortalSession.created_at)))


def find_session(session: Session, *, secret: str) -> FoundSession | None:
    """The session behind the cookie and its person, in one read (no lock, no write)."""
    found = run_columns(session, _FIND_SESSION, {"session_hash": digest(secret)}).first()
    if found is None:
        return None
    session_id, csrf_token, last_seen_at, ended_at, *person, created_at = found
    return FoundSession(SignedIn(SessionPerson(*person), session_id, csrf_token),
                        created_at, last_seen_at, ended_at)
