"""Typed errors: each carries a message a person can act on."""

from __future__ import annotations


class AppraisalError(Exception):
    """Base of every error the portal and the command line show as a message."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(AppraisalError):
    """The thing asked for does not exist, or the actor may not know that it does."""


class NotAllowed(AppraisalError):
    """The actor's role does not permit this action on this appraisal."""


class InvalidTransition(AppraisalError):
    """The appraisal is not in a state from which this action is allowed."""


class ValidationFailed(AppraisalError):
    """Input was rejected; ``problems`` lists every reason (with a line or field where known)."""

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        self.problems = list(problems or [])
        full = message if not self.problems else message + "\n" + "\n".join(self.problems)
        super().__init__(full)
        self.summary = message


class NotADemoDatabase(AppraisalError):
    """The demo refuses to overwrite a database that it did not create."""


class DeploymentError(AppraisalError):
    """The flows cannot be deployed or worked as asked (no shared Prefect server, say)."""


class RateLimited(AppraisalError):
    """Too many sign-in requests from this address or this client; wait and try again."""
