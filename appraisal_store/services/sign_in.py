"""Sign-in tokens and portal sessions: the writes behind the portal's sign-in.

Tokens and session ids never reach the database in the clear: only their SHA-256 is
stored, so a copy of the database cannot be used to sign in. The portal owns the
transaction (one short write per step) and what leaves it (the link in the letter, the
cookie); reading the session behind a cookie on each request stays in the portal
(``portal.authentication.find_session``), a read without a lock.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlmodel import Session, col

from ..actors import Actor
from ..audit import record_event
from ..errors import RateLimited
from ..models import Person, PortalSession, SignInToken

TOKEN_LIFETIME = timedelta(minutes=15)
RATE_WINDOW = timedelta(minutes=15)
MAX_REQUESTS_PER_ADDRESS = 5
MAX_REQUESTS_PER_CLIENT = 20


def digest(secret: str) -> str:
    """What is stored of a token or a session id: its SHA-256, in hex."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class IssuedToken:
    """A sign-in token for a known person, to send at once (held in memory only)."""

    token: str
    email: str
    name: str
    expires_at: datetime


def issue_sign_in_token(*, session: Session, email: str, client: str,
                        now: datetime) -> IssuedToken | None:
    """Record a sign-in request and issue its one-time token when the address is known.

    A row is stored for unknown addresses too, so the rate limits count every request
    alike; only the token's hash is stored. Send the token once this transaction is
    committed.

    Returns:
        The token and whom to send it to, or None when the address is unknown.

    Raises:
        RateLimited: too many requests for this address or from this client in the last
            ``RATE_WINDOW`` (nothing is stored).
    """
    address = email.strip().lower()[:320]
    since = now - RATE_WINDOW
    by_address = session.execute(select(func.count()).select_from(SignInToken).where(
        col(SignInToken.email) == address, col(SignInToken.created_at) >= since)).scalar_one()
    by_client = session.execute(select(func.count()).select_from(SignInToken).where(
        col(SignInToken.client) == client, col(SignInToken.created_at) >= since)).scalar_one()
    if by_address >= MAX_REQUESTS_PER_ADDRESS or by_client >= MAX_REQUESTS_PER_CLIENT:
        raise RateLimited("Too many sign-in requests. Wait 15 minutes and try again.")
    person = session.execute(
        select(Person).where(col(Person.email) == address)).scalar_one_or_none()
    token = secrets.token_urlsafe(32)
    session.add(SignInToken(token_hash=digest(token), email=address,
                            person_id=person.id if person else None, client=client[:100],
                            created_at=now, expires_at=now + TOKEN_LIFETIME))
    if person is None:
        return None
    return IssuedToken(token, person.email, person.name, now + TOKEN_LIFETIME)


def issue_sign_in_token_for(*, session: Session, person: Person, client: str, now: datetime,
                            lifetime: timedelta) -> str:
    """A one-time token for ``person``, asked for by the operator rather than by email (the
    demo prints one link per role, in development only); stored hashed and redeemed once
    like any other, valid for ``lifetime``."""
    token = secrets.token_urlsafe(32)
    session.add(SignInToken(token_hash=digest(token), email=person.email, person_id=person.id,
                            client=client[:100], created_at=now, expires_at=now + lifetime))
    return token


def redeem_sign_in_token(*, session: Session, token: str, now: datetime) -> Person | None:
    """Use a token once, auditing the sign-in: the person, or None when the token is
    unknown, used or expired (nothing is written then)."""
    row = session.execute(select(SignInToken).where(
        col(SignInToken.token_hash) == digest(token.strip())).with_for_update()
    ).scalar_one_or_none()
    if row is None or row.person_id is None or row.used_at is not None or row.expires_at <= now:
        return None
    row.used_at = now
    session.add(row)
    person = session.get(Person, row.person_id)
    if person is not None:
        record_event(session, Actor.person(person.id or 0, person.name), "signed_in",
                     subject_type="person", subject_id=person.id or 0)
    return person


def start_session(*, session: Session, person: Person, now: datetime) -> str:
    """A new portal session for ``person``; returns the secret for the cookie (stored
    hashed)."""
    secret = secrets.token_urlsafe(32)
    session.add(PortalSession(session_hash=digest(secret), person_id=person.id or 0,
                              csrf_token=secrets.token_urlsafe(32), created_at=now,
                              last_seen_at=now))
    return secret


def end_lapsed_session(*, session: Session, session_id: int, now: datetime) -> None:
    """End a session found idle too long or past its lifetime (a no-op if already ended)."""
    session.execute(update(PortalSession).where(
        col(PortalSession.id) == session_id, col(PortalSession.ended_at).is_(None))
        .values(ended_at=now))


def touch_session(*, session: Session, session_id: int, now: datetime) -> None:
    """Move last_seen_at on; never later than ``now`` and never on an ended session."""
    session.execute(update(PortalSession).where(
        col(PortalSession.id) == session_id, col(PortalSession.ended_at).is_(None),
        col(PortalSession.last_seen_at) < now)
        .values(last_seen_at=now))


def end_session(*, session: Session, secret: str, now: datetime) -> None:
    """Sign out: end the session behind the cookie's secret (a no-op for an unknown one)."""
    session.execute(update(PortalSession).where(
        col(PortalSession.session_hash) == digest(secret), col(PortalSession.ended_at).is_(None))
        .values(ended_at=now))
