"""Typed errors of the records package, each with a message a person can act on."""

from __future__ import annotations

__all__ = ["RecordError", "RenderError", "SealError", "SigningError"]


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
