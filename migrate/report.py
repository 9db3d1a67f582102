"""What a step did, per repository: printed for people, written as JSON for automation."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table


@dataclass
class Entry:
    repository: str
    status: str  # ok | changed | unchanged | would-change | error | skipped
    message: str = ""
    details: dict[str, Any] = field(default_factory=dict)


@dataclass
class Report:
    command: str
    workspace: str
    dry_run: bool = False
    entries: list[Entry] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, repository: str, status: str, message: str = "", **details: Any) -> Entry:
        entry = Entry(repository, status, message, details)
        self.entries.append(entry)
        return entry

    @property
    def errors(self) -> list[Entry]:
        return [e for e in self.entries if e.status == "error"]

    def as_json(self) -> str:
        return json.dumps(asdict(self) | {"errors": len(self.errors)}, indent=2, sort_keys=False) + "\n"

    def write(self, path: Path | None) -> None:
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(self.as_json(), encoding="utf-8")

    def render(self, console: Console) -> None:
        title = f"migrate {self.command} — {self.workspace}{' (dry run: nothing changed)' if self.dry_run else ''}"
        table = Table(title=title, title_justify="left")
        for column in ("repository", "status", "what"):
            table.add_column(column)
        for entry in self.entries:
            style = {"error": "red", "changed": "yellow", "would-change": "yellow"}.get(entry.status, "")
            table.add_row(entry.repository, f"[{style}]{entry.status}[/]" if style else entry.status, entry.message)
        console.print(table)
        for note in self.notes:
            console.print(f"note: {note}")
        count = len(self.errors)
        console.print(f"{len(self.entries)} repositories, {count} error{'s' if count != 1 else ''}")


@contextmanager
def progress(console: Console, total: int, what: str) -> Iterator[Any]:
    """A progress bar on a terminal; nothing when output is piped (CI logs stay readable)."""
    if not console.is_terminal:

        class Quiet:
            def advance(self, description: str) -> None:
                pass

        yield Quiet()
        return
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task(what, total=total)

        class Live:
            def advance(self, description: str) -> None:
                bar.update(task, advance=1, description=f"{what}: {description}")

        yield Live()


def stderr_console() -> Console:
    return Console(file=sys.stderr)
