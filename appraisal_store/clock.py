"""The wall clock, read once at the edge, and the moment a unit of work acts at.

Whoever opens a unit of work (``sessions.write_session(now=...)``, the portal's
``unit_of_work(now=...)``) says when it acts; every stamp the services write in it (audit
events, ``updated_at``, ``submitted_at``, a revocation, a queued message) is that moment,
and every "today" they judge by is its date. Left unsaid, the moment is the wall clock's
when the session opens. So a test runs a whole year by opening its units of work at the
days it wants, and nothing in the services reads the clock.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy.orm import Session

_MOMENT = "appraisal_moment"


def utcnow() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(UTC)


def act_at(session: Session, now: datetime | None) -> None:
    """Set the moment ``session`` acts at: ``now``, or the wall clock's now."""
    if now is not None and now.tzinfo is None:
        raise ValueError(f"naive datetime {now!r}: pass a time zone")
    session.info[_MOMENT] = now or utcnow()


def moment_of(session: Session) -> datetime:
    """The moment the unit of work ``session`` acts at (see the module's docstring)."""
    moment = session.info.get(_MOMENT)
    if moment is None:
        # A session opened outside ``sessions`` (a bulk fixture in bench/ or tests/) acts at
        # the wall clock of its first write.
        act_at(session, None)
        moment = session.info[_MOMENT]
    assert isinstance(moment, datetime)
    return moment


def day_of(session: Session) -> date:
    """The date the unit of work acts on: its moment's date where the machine is (as
    ``date.today()`` would say)."""
    return moment_of(session).astimezone().date()
