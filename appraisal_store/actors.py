"""Who is acting: a signed-in person, the operator at the command line, or a flow."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    """The acting party of a service call.

    ``person_id`` is set for people; the operator (whoever runs ``appraisal`` against the
    database) and flows have none. ``is_admin`` grants the administrative actions on every
    organisation but never the content of an appraisal.
    """

    label: str
    person_id: int | None = None
    is_admin: bool = False
    is_system: bool = False

    @classmethod
    def person(cls, person_id: int, name: str, *, is_admin: bool = False) -> Actor:
        return cls(label=name, person_id=person_id, is_admin=is_admin)

    @classmethod
    def operator(cls) -> Actor:
        return cls(label="operator (command line)", is_admin=True, is_system=True)

    @classmethod
    def system(cls, what: str) -> Actor:
        return cls(label=what, is_admin=True, is_system=True)
