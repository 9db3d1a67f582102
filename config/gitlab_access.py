"""Typed model of ``environments/gitlab.yaml``: who may do what in GitLab, and its instance settings.

The file is optional; when present the tooling account gets a third workspace
(``<tooling>-gitlab``, stacks/gitlab_access.py) that manages GitLab through the
``gitlabhq/gitlab`` provider. It is validated like the account files: every problem
at once, with file, field and hint. Rules over several fields (a user in two roles,
a share to a group that does not exist) run after the shape checks, in
``check_access``; the agreement with the CodeCommit migration plans is
``check_against_plans`` (main.py runs it where plans exist).

GitLab CE has no group sync (LDAP/SAML) and no approval rules, so per-system access
on CE is explicit groups, memberships, group shares and protected branches
("GitLab Free/Premium feature comparison", about.gitlab.com/pricing/feature-comparison).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from typing import Annotated, Literal

from pydantic import AfterValidator, ConfigDict, Field, TypeAdapter

from config.errors import Problem
from config.types import Flag, Strict, problem

ACCESS_FILE = "gitlab.yaml"
SCHEMA_FILE = "gitlab.schema.json"
REFERENCE = "environments/gitlab.schema.json"

# Membership roles ("Roles and permissions", GitLab docs; the provider's access_level values).
Role = Literal["guest", "planner", "reporter", "developer", "maintainer", "owner"]
# Who may push, merge or create a protected ref ("Protected branches", GitLab docs: on CE only
# role levels, no per-user or per-group lists).
RefLevel = Literal["no one", "developer", "maintainer"]
ROLES: tuple[str, ...] = ("guest", "planner", "reporter", "developer", "maintainer", "owner")
# GitLab's numeric access levels (Members API), used by default_branch_protection_defaults.
ACCESS_LEVEL = {"no one": 0, "developer": 30, "maintainer": 40}

# Group and project paths: "letters, digits, '_', '-' and '.'; cannot start with '-' or end in
# '.', '.git' or '.atom'" (GitLab's path validation); GitLab compares them case-insensitively.
_PATH = r"^[A-Za-z0-9_]([A-Za-z0-9_.-]{0,253}[A-Za-z0-9_-])?$"


def _gitlab_path(value: str) -> str:
    if not re.fullmatch(_PATH, value) or value.lower().endswith((".git", ".atom")):
        raise problem(
            "gitlab_path",
            "'{value}' is not a valid GitLab path or user name",
            "letters, digits, _ - . only; not starting with - or ., not ending in ., .git or .atom",
            value=value,
        )
    return value


Path = Annotated[str, AfterValidator(_gitlab_path)]
# GitLab usernames ("Username" rules, GitLab user settings): the same characters as paths.
Username = Annotated[str, AfterValidator(_gitlab_path)]
Members = dict[Role, tuple[Username, ...]]


class ProtectedBranch(Strict):
    """One protected branch name or wildcard (``release/*``)."""

    push: RefLevel = Field("maintainer", description="Who may push to it.")
    merge: RefLevel = Field("maintainer", description="Who may merge into it.")
    allow_force_push: Flag = Field(
        False, description="Force push for those who may push. Refused on the default branch."
    )


class ProtectedTag(Strict):
    create: RefLevel = Field("maintainer", description="Who may create tags matching the name.")


class Project(Strict):
    """A private project in its group."""

    description: str = Field("", max_length=2000, description="Project description.")
    default_branch: str = Field("main", description="The default branch; always protected, never force-pushed.")
    protected_branches: dict[str, ProtectedBranch] = Field(
        default_factory=dict, description="Added to (or overriding) the group's protected branches."
    )
    protected_tags: dict[str, ProtectedTag] = Field(default_factory=dict, description="Added to the group's.")


class Group(Strict):
    """A GitLab group: a system (top level) or one of its subgroups."""

    name: str | None = Field(None, max_length=255, description="Display name; default: the path.")
    description: str = Field("", max_length=500, description="Group description.")
    members: Members = Field(
        default_factory=dict, description="Role -> GitLab user names. A user under one role per group only."
    )
    access_to: dict[str, Literal["guest", "reporter", "developer"]] = Field(
        default_factory=dict,
        description="Other group (full path, e.g. ledger or ledger/batch) -> the role this group's members "
        "get there (a group share: a system that may read another's code).",
    )
    projects: dict[Path, Project] = Field(default_factory=dict, description="Project path -> settings.")
    protected_branches: dict[str, ProtectedBranch] = Field(
        default_factory=dict,
        description="Protected on every project of this group (GitLab CE protects per project; group-level "
        "protected branches are a paid feature, so they are expanded here).",
    )
    protected_tags: dict[str, ProtectedTag] = Field(default_factory=dict, description="As protected_branches.")
    subgroups: dict[Path, Group] = Field(default_factory=dict, description="Subgroup path -> group.")


class PasswordPolicy(Strict):
    minimum_length: int = Field(12, ge=8, le=128, description="minimum_password_length (GitLab allows 8 to 128).")
    require_uppercase: Flag = True
    require_lowercase: Flag = True
    require_number: Flag = True
    require_symbol: Flag = True


class DefaultBranchProtection(Strict):
    """What every new project's default branch gets (default_branch_protection_defaults)."""

    push: Literal["developer", "maintainer"] = "maintainer"
    merge: Literal["developer", "maintainer"] = "maintainer"
    developer_can_initial_push: Flag = False


class Instance(Strict):
    """Instance-wide application settings."""

    signup_enabled: Literal[False] = Field(
        False, description="Open sign-up stays off: accounts are created by administrators only."
    )
    require_two_factor_authentication: Flag = Field(True, description="Every user must set up 2FA.")
    two_factor_grace_period_hours: int = Field(48, ge=0, le=720, description="Hours before 2FA is enforced.")
    password: PasswordPolicy = Field(default_factory=PasswordPolicy)  # type: ignore[arg-type]
    session_expire_minutes: int = Field(
        480, ge=1, le=43200, description="Web session lifetime (session_expire_delay, minutes)."
    )
    default_branch_protection: DefaultBranchProtection = Field(default_factory=DefaultBranchProtection)
    outbound_allowlist: tuple[str, ...] = Field(
        (),
        description="Extra host names GitLab may call inside the network, beside the CodeConnections webhook "
        "endpoint of the tooling region (always added).",
    )


class ServiceUser(Strict):
    """The non-human user the CodeConnections connection acts as."""

    username: Username = Field("codeconnections", description="Its GitLab user name.")
    name: str = Field("AWS CodeConnections", description="Display name.")
    email: str = Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", description="A mailbox the platform team reads.")
    memberships: dict[str, Role] = Field(
        default_factory=dict,
        description="Group full path -> its role there (CodeConnections needs at least "
        "maintainer on the groups whose projects it registers webhooks for).",
    )


class GitLabAccess(Strict):
    model_config = ConfigDict(
        extra="forbid", frozen=True, json_schema_extra={"title": "GitLab as code (environments/gitlab.yaml)"}
    )

    instance: Instance = Field(default_factory=Instance)  # type: ignore[arg-type]
    service_user: ServiceUser
    systems: dict[Path, Group] = Field(min_length=1, description="System name (top-level group path) -> group.")

    def groups(self) -> dict[str, Group]:
        """Every group by full path, parents before children."""
        found: dict[str, Group] = {}

        def walk(prefix: str, groups: Mapping[str, Group]) -> None:
            for path, group in groups.items():
                full = f"{prefix}{path}"
                found[full] = group
                walk(f"{full}/", group.subgroups)

        walk("", self.systems)
        return found

    def projects(self) -> dict[str, tuple[str, Project]]:
        """Project full path -> (its group's full path, project)."""
        return {f"{g}/{p}": (g, project) for g, group in self.groups().items() for p, project in group.projects.items()}


def _field(group: str) -> str:
    return "systems." + ".subgroups.".join(group.split("/"))


def check_access(access: GitLabAccess, display: str) -> Iterator[Problem]:
    """The rules over several fields; the shape has been validated."""
    groups = access.groups()
    lowered = {g.lower(): g for g in groups}
    for path, group in groups.items():
        yield from _check_members(access, path, group, display)
        yield from _check_inherited(groups, path, group, display)
        yield from _check_group(groups, path, group, display)
    for other in access.service_user.memberships:
        if other.lower() not in lowered:
            yield Problem(
                display,
                f"service_user.memberships.{other}",
                f"'{other}' is not a group of this file",
                "write the full path of a system or subgroup",
            )


def _check_members(access: GitLabAccess, path: str, group: Group, display: str) -> Iterator[Problem]:
    where = _field(path)
    roles: dict[str, str] = {}
    for role, users in group.members.items():
        for user in users:
            key = user.lower()  # GitLab user names are case-insensitive
            if key in roles:
                yield Problem(
                    display,
                    f"{where}.members.{role}",
                    f"'{user}' is also a {roles[key]} of {path}" if roles[key] != role else f"'{user}' is listed twice",
                    "give each user one role per group; the higher role already includes the lower",
                )
            roles.setdefault(key, role)
            if key == access.service_user.username.lower():
                yield Problem(
                    display,
                    f"{where}.members.{role}",
                    f"'{user}' is the CodeConnections service user",
                    "set its roles under service_user.memberships",
                )


def _check_inherited(groups: Mapping[str, Group], path: str, group: Group, display: str) -> Iterator[Problem]:
    """A subgroup member may not get less than the role inherited from a parent group:
    GitLab refuses it ("Override ancestor group membership", GitLab subgroups docs: a
    direct membership is at least the inherited access level, equal allowed)."""
    inherited: dict[str, tuple[str, str]] = {}
    parts = path.split("/")
    for depth in range(1, len(parts)):
        ancestor = "/".join(parts[:depth])
        for role, users in groups[ancestor].members.items():
            for user in users:
                held = inherited.get(user.lower())
                if held is None or ROLES.index(role) > ROLES.index(held[0]):
                    inherited[user.lower()] = (role, ancestor)
    for role, users in group.members.items():
        for user in users:
            held = inherited.get(user.lower())
            if held is not None and ROLES.index(role) < ROLES.index(held[0]):
                yield Problem(
                    display,
                    f"{_field(path)}.members.{role}",
                    f"'{user}' is a {held[0]} of {held[1]}, which {path} inherits; GitLab refuses a lower role",
                    "remove the user here (the inherited role applies) or give a higher role",
                )


def _check_group(groups: Mapping[str, Group], path: str, group: Group, display: str) -> Iterator[Problem]:
    where = _field(path)
    lowered = {g.lower(): g for g in groups}
    for other in group.access_to:
        if other.lower() not in lowered:
            yield Problem(
                display,
                f"{where}.access_to.{other}",
                f"'{other}' is not a group of this file",
                "write the full path of a system or subgroup, e.g. " + ", ".join(list(groups)[:3]),
            )
        elif lowered[other.lower()] == path:
            yield Problem(display, f"{where}.access_to.{other}", "a group shared with itself", "remove it")
    for name, project in group.projects.items():
        merged = {**group.protected_branches, **project.protected_branches}
        rule = merged.get(project.default_branch)
        if rule is not None and rule.allow_force_push:
            yield Problem(
                display,
                f"{where}.{_rule_owner(name, project)}protected_branches.{project.default_branch}.allow_force_push",
                f"force push allowed on {project.default_branch}, the default branch of {path}/{name}",
                "set allow_force_push: false; a rewritten default branch loses reviewed history",
            )
        if name.lower() in {s.lower() for s in group.subgroups}:
            yield Problem(
                display,
                f"{where}.projects.{name}",
                f"'{name}' is also a subgroup of {path}",
                "a project and a subgroup of one group need different paths",
            )


def _rule_owner(name: str, project: Project) -> str:
    """Where the default branch's rule is written: the project's own list, or its group's."""
    return f"projects.{name}." if project.default_branch in project.protected_branches else ""


def check_against_plans(access: GitLabAccess, display: str, plans: Mapping[str, list[str]]) -> Iterator[Problem]:
    """Every GitLab path a migration plan writes (plan file -> paths of migrated repositories)
    is a project of this file, so the migration pushes into a project created here, with its
    protection, and never creates one outside the reviewed configuration."""
    projects = {p.lower() for p in access.projects()}
    groups = {g.lower(): g for g in access.groups()}
    for plan_file, paths in plans.items():
        for path in paths:
            if path.lower() in projects:
                continue
            group, _, project = path.rpartition("/")
            if group.lower() in groups:
                yield Problem(
                    display,
                    f"{_field(groups[group.lower()])}.projects",
                    f"{plan_file} migrates a repository to {path}, which is not a project here",
                    f"add {project}: {{}} under projects of {groups[group.lower()]}, or change the plan's path",
                )
            else:
                yield Problem(
                    display,
                    "systems",
                    f"{plan_file} migrates a repository to {path}, whose group {group or '(none)'} is not here",
                    "add the group (a system or subgroup) and the project, or change the plan's path",
                )


def json_schema() -> str:
    """The JSON Schema editors use to check ``environments/gitlab.yaml``."""
    schema = TypeAdapter(GitLabAccess).json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"
