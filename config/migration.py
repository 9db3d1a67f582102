"""The migration plan: which CodeCommit repositories of a target account move to which GitLab paths.

``python -m migrate inventory`` writes one plan file per target account
(``migration/<workspace>.yaml``); people review and commit it; every later step
reads it. It is validated on load like ``environments/``: every problem at once,
with file, field and hint. ``main.py`` reads the committed plans too, for the
repositories marked ``cut_over: true`` (their push deny is built in the target
workspace).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import AfterValidator, ConfigDict, Field, TypeAdapter, ValidationError

from config.errors import ConfigError, Problem
from config.loader import Environments, problems_from_validation
from config.pipelines import Repository
from config.reading import parse_yaml, read_text
from config.types import AccountId, Flag, Region, Strict, problem
from modules.naming import Namer

PLAN_DIR = "migration"
SCHEMA_FILE = "schema.json"
REFERENCE = "migration/schema.json"
# The customer managed policy the target workspace creates for cut-over repositories.
# IAM Identity Center permission sets reference customer managed policies by name and
# path, which must exist in the account ("Customer managed policies", IAM Identity
# Center User Guide): hence a fixed, documented name.
PUSH_DENY_POLICY_PATH = "/codecommit-cut-over/"
# Every CodeCommit action that changes a repository's refs or content ("Permissions
# reference", AWS CodeCommit User Guide: GitPush covers git push over HTTPS, SSH and
# git-remote-codecommit; the others are the console and API ways to write).
PUSH_ACTIONS = (
    "codecommit:CreateBranch",
    "codecommit:CreateCommit",
    "codecommit:CreateUnreferencedMergeCommit",
    "codecommit:DeleteBranch",
    "codecommit:DeleteFile",
    "codecommit:GitPush",
    "codecommit:MergeBranchesByFastForward",
    "codecommit:MergeBranchesBySquash",
    "codecommit:MergeBranchesByThreeWay",
    "codecommit:MergePullRequestByFastForward",
    "codecommit:MergePullRequestBySquash",
    "codecommit:MergePullRequestByThreeWay",
    "codecommit:PutFile",
    "codecommit:UpdateDefaultBranch",
)
# Names GitLab refuses for a project ("Reserved project and group names", GitLab docs).
_RESERVED_PROJECT = {"-", "badges", "blame", "blob", "builds", "commits", "create", "create_dir", "edit",
                     "environments", "files", "find_file", "gitlab-lfs", "info", "new", "preview", "raw",
                     "refs", "tree", "update", "uploads", "wikis"}  # fmt: skip


def _gitlab_path(value: str) -> str:
    # "Path can contain only letters, digits, '_', '-' and '.'. Cannot start with '-',
    # end in '.', '.git' or '.atom'" (GitLab's project path validation).
    for part in value.split("/"):
        if part.endswith((".git", ".atom", ".")) or part.startswith("-"):
            raise problem(
                "gitlab_path",
                "'{value}' is not a valid GitLab path: '{part}' starts with '-' or ends in '.', '.git' or '.atom'",
                "write group/project with letters, digits, _ - . (not ending in .git)",
                value=value,
                part=part,
            )
    if value.rsplit("/", 1)[-1] in _RESERVED_PROJECT:
        raise problem(
            "gitlab_path",
            "'{value}' ends in a name GitLab reserves",
            "choose another project name (see GitLab's reserved project names)",
            value=value,
        )
    return value


GitLabPath = Annotated[Repository, AfterValidator(_gitlab_path)]
# CodeCommit repository names: letters, digits, . _ -, up to 100 ("Quotas", CodeCommit User Guide).
RepositoryName = Annotated[str, Field(pattern=r"^[\w.-]{1,100}$")]


class Found(Strict):
    """What inventory found; informational (a re-run of inventory refreshes it)."""

    model_config = ConfigDict(extra="allow", frozen=True)

    default_branch: str | None = None
    branches: int = 0
    tags: int = 0
    size_kib: int = 0
    open_pull_requests: int = 0
    approval_rule_templates: tuple[str, ...] = ()
    triggers: tuple[str, ...] = ()
    notification_rules: tuple[str, ...] = ()
    pipelines: tuple[str, ...] = ()
    build_projects: tuple[str, ...] = ()


class PlannedRepository(Strict):
    """One CodeCommit repository and where it goes in GitLab."""

    gitlab: GitLabPath = Field(description="GitLab group/project path (created if missing, private).")
    description: str = Field("", max_length=2000, description="GitLab project description.")
    default_branch: str | None = Field(None, description="Default branch on GitLab; default: CodeCommit's.")
    migrate: Flag = Field(True, description="false: skipped by every step (kept in the plan for the record).")
    cut_over: Flag = Field(
        False,
        description="true: GitLab is the source; the target workspace denies pushes to the CodeCommit repository.",
    )
    found: Found = Field(default_factory=Found)


class GitLabTarget(Strict):
    url: Annotated[str, Field(pattern=r"^https?://[^/\s]+(/[^\s]*)?$")] = Field(
        description="GitLab's base URL, e.g. https://gitlab.example.com."
    )


# IAM role, group and user names: letters, digits and +=,.@_- ("IAM object names", IAM User Guide).
IamName = Annotated[str, Field(pattern=r"^[\w+=,.@-]{1,128}$")]


class PushDenyAttachments(Strict):
    """Who the cut-over push deny is attached to in the target account.

    CodeCommit has no resource-based policy: an identity policy's deny binds only the
    principals it is attached to. IAM Identity Center permission sets reference the
    policy by its name and path instead (they need no entry here).
    """

    roles: tuple[IamName, ...] = Field(default=(), description="IAM role names to attach the deny to.")
    groups: tuple[IamName, ...] = Field(default=(), description="IAM group names to attach the deny to.")
    users: tuple[IamName, ...] = Field(default=(), description="IAM user names to attach the deny to.")


class Plan(Strict):
    """A migration plan for one target account (migration/<workspace>.yaml)."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, json_schema_extra={"title": "CodeCommit to GitLab migration plan"}
    )

    workspace: str = Field(description="The target account's workspace in environments/.")
    account_id: AccountId = Field(description="The account the CodeCommit repositories are in.")
    region: Region = Field(description="CodeCommit's region.")
    gitlab: GitLabTarget
    repositories: dict[RepositoryName, PlannedRepository] = Field(
        default_factory=dict, description="CodeCommit repository name -> where it goes."
    )
    push_deny: PushDenyAttachments = Field(
        default_factory=PushDenyAttachments,
        description="Principals the cut-over push deny (of the repositories with cut_over: true) is attached to.",
    )

    @property
    def cut_over(self) -> tuple[str, ...]:
        return tuple(name for name, repo in self.repositories.items() if repo.migrate and repo.cut_over)


def parse_plan(text: str, display: str, environments: Environments | None = None) -> Plan:
    """Validate one plan's text; raise ``ConfigError`` listing every problem."""
    data, problems = parse_yaml(text, display)
    if problems:
        raise ConfigError(problems)
    if not isinstance(data, dict):
        raise ConfigError([*problems, Problem(display, "", "the plan is not a mapping", "run migrate inventory")])
    plan = None
    try:
        plan = Plan.model_validate(data)
    except ValidationError as error:
        problems += problems_from_validation(display, error, REFERENCE)
    if plan is not None:
        problems += _cross_checks(plan, display)
    if environments is not None:
        problems += _account_checks(data, display, environments)
    if problems:
        raise ConfigError(problems)
    assert plan is not None
    return plan


def _cross_checks(plan: Plan, display: str) -> list[Problem]:
    problems = []
    owners: dict[str, str] = {}
    for name, repo in plan.repositories.items():
        key = repo.gitlab.lower()  # GitLab paths are case-insensitive
        if key in owners:
            problems.append(
                Problem(
                    display,
                    f"repositories.{name}.gitlab",
                    f"'{repo.gitlab}' is also the GitLab path of {owners[key]}",
                    "give every repository its own GitLab path",
                )
            )
        owners.setdefault(key, name)
        if repo.cut_over and not repo.migrate:
            problems.append(
                Problem(display, f"repositories.{name}.cut_over", "cut over but not migrated", "set migrate: true")
            )
    return problems


def _account_checks(data: dict[str, Any], display: str, environments: Environments) -> list[Problem]:
    """The plan's account is a target of environments/ (checked on the raw data: reported with the rest)."""
    workspace, account_id = data.get("workspace"), data.get("account_id")
    account = environments.targets.get(str(workspace))
    if account is None:
        return [
            Problem(
                display,
                "workspace",
                f"'{workspace}' is not a target workspace of environments/",
                "choose one of: " + ", ".join(environments.targets),
            )
        ]
    if account_id != account.account_id:
        return [
            Problem(
                display,
                "account_id",
                f"'{account_id}' is not the account of workspace {workspace} ({account.account_id})",
                "the plan belongs to the account whose repositories it lists",
            )
        ]
    return []


@dataclass(frozen=True)
class Plans:
    by_workspace: Mapping[str, Plan]
    files: Mapping[str, str]


def load_plans(directory: Path, environments: Environments, display_root: Path | None = None) -> Plans:
    """Every ``migration/*.yaml``; an absent directory is no plan."""
    problems: list[Problem] = []
    plans: dict[str, Plan] = {}
    files: dict[str, str] = {}
    for path in sorted(directory.glob("*.yaml")) if directory.is_dir() else []:
        display = (
            str(path.relative_to(display_root)) if display_root and path.is_relative_to(display_root) else str(path)
        )
        try:
            text, unreadable = read_text(path, display)
            if text is None:
                problems += unreadable
                continue
            plan = parse_plan(text, display, environments)
        except ConfigError as error:
            problems += error.problems
            continue
        if plan.workspace in plans:
            problems.append(
                Problem(
                    display, "workspace", f"{files[plan.workspace]} plans {plan.workspace} too", "one plan per account"
                )
            )
        plans[plan.workspace] = plan
        files[plan.workspace] = display
    if problems:
        raise ConfigError(problems)
    return Plans(plans, files)


def json_schema() -> str:
    """The JSON Schema editors use to check ``migration/*.yaml``."""
    schema = TypeAdapter(Plan).json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


def dump_plan(plan: Plan) -> str:
    """The plan as YAML, with the schema line editors use."""
    data = plan.model_dump(mode="json", exclude_defaults=False)
    body = yaml.safe_dump(data, sort_keys=False, default_flow_style=False, allow_unicode=True)
    return f"# yaml-language-server: $schema=./{SCHEMA_FILE}\n# Review, edit gitlab: paths, commit.\n{body}"


PUSH_DENY_POLICY_PART = "codecommit-push-deny"


def policy_name(name_prefix: str, workspace: str) -> str:
    """Name of the push-deny policy: the naming helper's, as the target workspace builds it."""
    return Namer(name_prefix, workspace).name("iam_policy", PUSH_DENY_POLICY_PART)
