"""Load every account file of ``environments/``, validate, and raise once."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, TypeAdapter, ValidationError

from config.checks import check_all
from config.codeconnections_regions import gitlab_self_managed_available, unavailable_reason
from config.errors import ConfigError, Problem
from config.gitlab_access import ACCESS_FILE, GitLabAccess, check_access
from config.gitlab_access import REFERENCE as ACCESS_REFERENCE
from config.model import Account
from config.reading import display_path, parse_yaml, read_text
from config.workspaces import account_workspace, hub_routing_workspace

SCHEMA_FILE = "schema.json"

# Hints for pydantic's own error types; our validators carry their own.
_HINTS = {
    "missing": "add this field; see {reference} for what it takes",
    "extra_forbidden": "remove it or fix its spelling; see {reference}",
    "literal_error": "use one of the listed values",
    "int_parsing": "write a whole number",
    "bool_parsing": "write true or false",
    "bool_type": "write true or false, unquoted (YAML's booleans); 1, 0 and quoted text are not taken as booleans",
    "too_short": "add more entries",
}


_DNS_NAME = r"^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$"
# What each pattern of the model expects, so that a mismatch explains its own field
# (tests/test_config_messages.py checks that every pattern in the schema has one).
PATTERN_HINTS = {
    r"^[\w+=,.@-]{1,128}$": "an IAM role, group or user name: 1 to 128 letters, digits and + = , . @ _ -, "
    "no path, e.g. staging-developers",
    r"^[a-z]([a-z0-9-]{0,22}[a-z0-9])?$": "1 to 24 lowercase letters, digits and dashes, starting with a letter "
    "and ending with a letter or digit, e.g. gitlab",
    r"^cron\([^()]+\)$": "a cron(...) expression in UTC, e.g. cron(0 5 ? * * *); AWS Backup takes no rate(...)",
    r"^Z[A-Z0-9]{1,31}$": "a Route 53 hosted zone ID: Z and uppercase letters and digits, e.g. Z0123456789EXAMPLE",
    r"^arn:aws(-[a-z]+)*:[a-z0-9-]+:[a-z0-9-]*:[0-9]{12}:.+$": "a full ARN with its account, "
    "e.g. arn:aws:kms:ap-northeast-1:111111111111:key/<id>",
    r"^[a-z][a-z0-9_]{0,62}$": "a PostgreSQL database name: a lowercase letter, then up to 62 lowercase letters, "
    "digits and underscores",
    r"^db\.[a-z0-9]+\.[a-z0-9]+$": "an RDS DB instance class, e.g. db.r6g.large",
    r"^[a-z][a-z0-9_]{0,15}$": "a PostgreSQL user name: a lowercase letter, then up to 15 lowercase letters, "
    "digits and underscores",
    _DNS_NAME: "a lowercase DNS name of dot-separated labels, e.g. mail.example.com",
    r"^ELBSecurityPolicy-TLS13-.+$": "a TLS 1.3 security policy of Elastic Load Balancing, "
    "e.g. ELBSecurityPolicy-TLS13-1-2-2021-06",
    r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$": "one lowercase DNS label (no dots), e.g. mail",
    r"^[^@\s]+@[^@\s]+\.[^@\s]+$": "a mail address, e.g. gitlab@example.com",
    r"^[\w.-]{1,100}$": "1 to 100 letters, digits, underscores, dots and dashes",
    r"^https?://[^/\s]+(/[^\s]*)?$": "an http:// or https:// URL without spaces, e.g. https://gitlab.example.com",
}


def _hint(item: Mapping[str, Any]) -> str:
    """The hint of one pydantic error: our validators' own, or one that fits the field."""
    context = item.get("ctx") or {}
    if context.get("hint"):
        return str(context["hint"])
    kind, given = item["type"], item.get("input")
    if kind == "string_type" and isinstance(given, int | float):
        what = f"the boolean {str(given).lower()}" if isinstance(given, bool) else f"the number {given}"
        return f"put it in quotes: unquoted, YAML reads it as {what}, not as text"
    if given is None and kind.endswith("_type"):
        return "write a value, or remove the key: YAML reads an empty value (or null) as nothing"
    if kind == "string_pattern_mismatch":
        pattern = str(context.get("pattern", ""))
        return PATTERN_HINTS.get(pattern, f"write a value matching {pattern}")
    return _HINTS.get(kind, "see {reference}")


@dataclass(frozen=True)
class Environments:
    """The validated accounts: one tooling account and targets keyed by workspace name."""

    tooling: Account
    targets: Mapping[str, Account]
    files: Mapping[str, str]  # workspace -> file path, for messages
    gitlab_access: GitLabAccess | None = None  # environments/gitlab.yaml, when present
    gitlab_access_file: str = ACCESS_FILE

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
        if part == "[key]":  # pydantic's marker of a mapping key: the key itself is shown already
            continue
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def problems_from_validation(
    path: str, error: ValidationError, reference: str = "environments/schema.json"
) -> list[Problem]:
    """pydantic's errors as Problems; ``reference`` is where the valid keys are documented."""
    problems = []
    for item in error.errors(include_url=False):
        hint = _hint(item)
        if "{reference}" in hint:
            hint = hint.format(reference=reference)
        problems.append(Problem(path, _field(item["loc"]), item["msg"], hint))
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
    # gitlab.yaml configures GitLab itself (config.gitlab_access), not an account.
    files = [p for p in sorted(directory.glob("*.yaml")) + sorted(directory.glob("*.yml")) if p.name != ACCESS_FILE]
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
    access_path = directory / ACCESS_FILE
    access_display = _display(access_path, display_root)
    access = _load_access(access_path, access_display, problems) if access_path.is_file() else None
    if access is not None:
        problems.extend(_access_needs(accounts, access_display))
    if problems:
        raise ConfigError(problems)
    assert all(isinstance(a, Account) for a in accounts.values())
    tooling = next(a for a in accounts.values() if a.role == "tooling")
    targets = {a.name: a for a in sorted(accounts.values(), key=lambda a: a.name) if a.role == "target"}
    return Environments(tooling, targets, {a.name: path for path, a in accounts.items()}, access, access_display)


def _display(path: Path, display_root: Path | None) -> str:
    return str(path.relative_to(display_root)) if display_root and path.is_relative_to(display_root) else str(path)


def _access_needs(accounts: Mapping[str, Account], display: str) -> list[Problem]:
    """What the GitLab workspace needs from the tooling account: the API's host name, and a
    region where CodeConnections has a webhook endpoint (the allowlist entry)."""
    tooling = [(path, a) for path, a in accounts.items() if getattr(a, "role", None) == "tooling"]
    if len(tooling) != 1:
        return []  # reported by the account checks
    path, account = tooling[0]
    problems = []
    # With a gitlab: section the account checks already require the host name.
    if "gitlab_hostname" in account.__dict__ and account.gitlab_hostname is None and not account.__dict__.get("gitlab"):
        problems.append(
            Problem(
                path,
                "gitlab_hostname",
                f"{display} configures GitLab, but the tooling account names no GitLab host",
                "set gitlab_hostname: the provider calls https://<gitlab_hostname>/api/v4/",
            )
        )
    region = account.__dict__.get("region")
    if region is not None and not gitlab_self_managed_available(region):
        problems.append(
            Problem(
                display,
                "instance.outbound_allowlist",
                f"no CodeConnections webhook endpoint to allow: {unavailable_reason(region)}",
                "run the tooling account in a region CodeConnections serves, or remove environments/gitlab.yaml",
            )
        )
    return problems


def _load_access(path: Path, display: str, problems: list[Problem]) -> GitLabAccess | None:
    """``environments/gitlab.yaml``, its problems appended to ``problems``."""
    data, read_problems = _read(path, display)
    problems.extend(read_problems)
    if data is None:
        return None
    try:
        access = GitLabAccess.model_validate(data)
    except ValidationError as error:
        problems.extend(problems_from_validation(display, error, ACCESS_REFERENCE))
        return None
    problems.extend(check_access(access, display))
    return access


def json_schema() -> str:
    """The JSON Schema that editors use to check ``environments/*.yaml``."""
    schema = TypeAdapter(Account).json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"
