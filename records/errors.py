"""Typed errors of the records package, each with a message a person can act on."""

from __future__ import annotations

__all__ = [
    "RecordError",
    "RecordNotSealed",
    "RenderError",
    "SealError",
    "SealingFailed",
    "SigningError",
]


class RecordError(Exception):
    """Base of every error raised by ``records``; ``str(error)`` is meant for a person."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class RenderError(RecordError):
    """The record could not be laid out as a PDF."""


class SealError(RecordError):
    """The organisation seal could not be created or loaded."""


class SigningError(RecordError):
    """A signature could not be added to a record."""


class RecordNotSealed(RecordError):
    """The store holds no sealed record for what was asked (not signed, or not sealed yet)."""


class SealingFailed(RecordError):
    """Some records of a sweep could not be sealed; the others were.

    Attributes:
        sealed: The appraisal ids sealed by the sweep before it reported the failures.
        failures: Appraisal id to the reason it could not be sealed.
    """

    def __init__(self, sealed: list[int], failures: dict[int, str]) -> None:
        reasons = "; ".join(f"appraisal {key}: {why}" for key, why in sorted(failures.items()))
        super().__init__(f"{len(failures)} record(s) could not be sealed ({reasons}).")
        self.sealed = sealed
        self.failures = failures
