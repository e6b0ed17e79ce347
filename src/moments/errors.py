"""Errors that tell the user what was wrong, where, and what to do."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input, located as precisely as we can."""

    what: str
    fix: str = ""
    file: str | None = None
    line: int | None = None
    column: int | None = None
    field: str | None = None

    @property
    def where(self) -> str:
        parts = []
        if self.file:
            loc = self.file
            if self.line is not None:
                loc += f":{self.line}"
                if self.column is not None:
                    loc += f":{self.column}"
            parts.append(loc)
        if self.field:
            parts.append(f"field '{self.field}'")
        return ", ".join(parts)

    def __str__(self) -> str:
        head = f"{self.where}: " if self.where else ""
        tail = f" — {self.fix}" if self.fix else ""
        return f"{head}{self.what}{tail}"


class MomentsError(Exception):
    """Base class for every error this package raises on purpose."""


class InputError(MomentsError):
    """An input (file, option, value) is wrong; carries every problem found."""

    def __init__(self, problems: list[Problem] | Problem | str, fix: str = "") -> None:
        if isinstance(problems, str):
            problems = [Problem(problems, fix)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems: list[Problem] = problems
        super().__init__("\n".join(str(p) for p in problems))


class StoreError(MomentsError):
    """The store cannot be opened or used as asked (wrong schema version, unknown engine)."""


class NotFound(MomentsError):
    """A named thing (moment, owner, journey) does not exist in the store."""


class Forbidden(MomentsError):
    """The signed-in user's role does not allow this (HTTP 403)."""
