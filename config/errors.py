"""Configuration problems: collected while loading, raised once."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with one field of one file."""

    file: str
    field: str
    message: str
    hint: str

    def __str__(self) -> str:
        location = f"{self.file}: {self.field}" if self.field else self.file
        return f"{location}: {self.message}\n    hint: {self.hint}"


class ConfigError(Exception):
    """Every problem found in ``environments/``; nothing is synthesized."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(set(problems))
        count = len(self.problems)
        header = f"{count} configuration problem{'s' if count != 1 else ''} found:"
        super().__init__("\n".join([header, *(f"- {p}" for p in self.problems)]))
