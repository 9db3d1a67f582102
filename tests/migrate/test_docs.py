"""Every `python -m migrate` command the documents show has that subcommand and those options."""

from __future__ import annotations

import re

import pytest

from migrate.cli import parser
from tests.conftest import ROOT


def options(command: str) -> set[str]:
    sub = next(a for a in parser()._actions if a.dest == "command")
    return {o for action in sub.choices[command]._actions for o in action.option_strings}  # type: ignore[attr-defined]


@pytest.mark.parametrize("doc", ["README.md", "docs/migration.md"])
def test_commands_exist(doc: str) -> None:
    text = (ROOT / doc).read_text(encoding="utf-8")
    found = re.findall(r"python -m migrate ([\w-]+)([^\n`]*)", text)
    assert found, f"{doc} shows no migrate command"
    for command, rest in found:
        used = set(re.findall(r"(--[\w-]+)", rest))
        assert used <= options(command), f"{doc}: migrate {command} has no {used - options(command)}"
