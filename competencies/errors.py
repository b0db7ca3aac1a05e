"""The one error a framework file can raise, carrying every problem found in it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["FrameworkError", "FrameworkProblem"]


@dataclass(frozen=True)
class FrameworkProblem:
    """One thing wrong with a framework file.

    Attributes:
        line: 1-based line in the file where the problem is; None when the framework came
            from a dictionary (the store's JSON) and has no lines.
        message: What is wrong, in words a person can act on.
    """

    line: int | None
    message: str


class FrameworkError(ValueError):
    """A framework file or dictionary failed validation.

    ``str()`` gives one ``FILE:LINE: message`` line per problem, sorted by line, so the
    command line can print it as it is. ``problems`` keeps them for the portal.
    """

    def __init__(self, problems: Iterable[FrameworkProblem], *, source: str = "<string>") -> None:
        """Collect the problems found in one framework.

        Args:
            problems: Every problem found; at least one.
            source: The file name (or ``"<string>"``, ``"<dict>"``) shown before each line.
        """
        # Sorted by line so a person can fix the file top to bottom; problems without a
        # line (whole-file ones) come first.
        self.problems: list[FrameworkProblem] = sorted(
            problems, key=lambda problem: -1 if problem.line is None else problem.line
        )
        self.source = source
        super().__init__(self._describe())

    def _describe(self) -> str:
        lines = []
        for problem in self.problems:
            where = self.source if problem.line is None else f"{self.source}:{problem.line}"
            lines.append(f"{where}: {problem.message}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self._describe()
