"""Load every account file of ``environments/``, validate, and raise once."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, TypeAdapter, ValidationError

from config.checks import check_all
from config.errors import ConfigError, Problem
from config.model import Account
from config.reading import display_path, parse_yaml, read_text
from config.workspaces import account_workspace, hub_routing_workspace

SCHEMA_FILE = "schema.json"

# Hints for pydantic's own error types; our validators carry their own.
_HINTS = {
    "missing": "add this field; see {reference} for what it takes",
    "extra_forbidden": "remove it or fix its spelling; see {reference}",
    "literal_error": "use one of the listed values",
    "string_pattern_mismatch": "lowercase letters, digits and dashes, at most 24, starting with a letter",
    "int_parsing": "write a whole number",
    "bool_parsing": "write true or false",
    "too_short": "add more entries",
}


@dataclass(frozen=True)
class Environments:
    """The validated accounts: one tooling account and targets keyed by workspace name."""

    tooling: Account
    targets: Mapping[str, Account]
    files: Mapping[str, str]  # workspace -> file path, for messages

    @property
    def accounts(self) -> dict[str, Account]:
        """Every account keyed by workspace, tooling first, then targets by name."""
        return {self.tooling.name: self.tooling, **self.targets}

    @property
    def hub_routing_workspace(self) -> str:
        """The tooling account's second workspace, applied after every target."""
        return hub_routing_workspace(self.tooling.name)


def _field(location: tuple[int | str, ...]) -> str:
    text = ""
    for part in location:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def problems_from_validation(
    path: str, error: ValidationError, reference: str = "environments/schema.json"
) -> list[Problem]:
    """pydantic's errors as Problems; ``reference`` is where the valid keys are documented."""
    problems = []
    for item in error.errors(include_url=False):
        hint = (item.get("ctx") or {}).get("hint") or _HINTS.get(item["type"], "see {reference}")
        problems.append(Problem(path, _field(item["loc"]), item["msg"], str(hint).format(reference=reference)))
    return problems


def _salvage(model: type[BaseModel], data: dict[str, Any]) -> BaseModel:
    """The fields of ``data`` that are valid on their own, as an unvalidated model.

    A file with one bad field still takes part in the cross-file checks with its
    other fields, so one run reports the overlap *and* the bad account ID.
    """
    values: dict[str, Any] = {}
    invalid: list[str] = []
    for name, field in model.model_fields.items():
        if name not in data:
            continue
        raw, annotation = data[name], field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            if isinstance(raw, dict):
                values[name] = _salvage(annotation, raw)
            else:
                invalid.append(name)
            continue
        typed = Annotated[annotation, *field.metadata] if field.metadata else annotation
        try:
            values[name] = TypeAdapter(typed).validate_python(raw)
        except ValidationError:
            invalid.append(name)
    partial = model.model_construct(**values)
    # An invalid field must read as absent (AttributeError), not as its default,
    # so that rules needing it are skipped instead of reporting a second problem.
    for name in invalid:
        partial.__dict__.pop(name, None)
    return partial


def _read(path: Path, display: str) -> tuple[Any, list[Problem]]:
    text, problems = read_text(path, display)
    if text is None:
        return None, problems
    data, problems = parse_yaml(text, display)
    if problems:
        return None, problems
    if not isinstance(data, dict):
        return None, [Problem(display, "", "the file is not a mapping of settings", "start from an example file")]
    return data, []


def load_environments(directory: Path, display_root: Path | None = None) -> Environments:
    """Read ``*.yaml`` in ``directory``; raise ``ConfigError`` listing every problem."""
    problems: list[Problem] = []
    accounts: dict[str, Account] = {}
    files = sorted(directory.glob("*.yaml")) + sorted(directory.glob("*.yml"))
    if not files:
        where = display_path(directory, display_root)
        if directory.exists() and not directory.is_dir():
            raise ConfigError(
                [Problem(where, "", "not a directory", "point --environments at the directory of account files")]
            )
        raise ConfigError([Problem(where, "", "no account files (*.yaml) found", "add one file per AWS account")])
    for path in files:
        display = display_path(path, display_root)
        data, read_problems = _read(path, display)
        problems.extend(read_problems)
        if data is None:
            continue
        data["workspace"] = account_workspace(path, data.get("workspace"))
        try:
            accounts[display] = Account.model_validate(data)
        except ValidationError as error:
            problems.extend(problems_from_validation(display, error))
            accounts[display] = _salvage(Account, data)  # type: ignore[assignment]
    problems.extend(check_all(accounts, all_read=len(accounts) == len(files)))
    if problems:
        raise ConfigError(problems)
    assert all(isinstance(a, Account) for a in accounts.values())
    tooling = next(a for a in accounts.values() if a.role == "tooling")
    targets = {a.name: a for a in sorted(accounts.values(), key=lambda a: a.name) if a.role == "target"}
    return Environments(tooling, targets, {a.name: path for path, a in accounts.items()})


def json_schema() -> str:
    """The JSON Schema that editors use to check ``environments/*.yaml``."""
    schema = TypeAdapter(Account).json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"
