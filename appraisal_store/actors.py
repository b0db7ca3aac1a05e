"""Who is acting: a signed-in person, the operator at the command line, or a flow."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    """The acting party of a service call.

    ``person_id`` is set for people; the operator (whoever runs ``appraisal`` against the
    database) and flows have none and are ``is_system``: they may do every administrative
    action on every organisation, never a person's own part. What a person administers is
    not carried here but looked up when asked (``services.access``): their chair or company
    secretary appointments and their administration grants, so a revocation takes effect on
    the next request.
    """

    label: str
    person_id: int | None = None
    is_system: bool = False

    @classmethod
    def person(cls, person_id: int, name: str) -> Actor:
        return cls(label=name, person_id=person_id)

    @classmethod
    def operator(cls) -> Actor:
        return cls(label="operator (command line)", is_system=True)

    @classmethod
    def system(cls, what: str) -> Actor:
        return cls(label=what, is_system=True)
