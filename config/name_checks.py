"""Physical names checked at load: a name AWS would refuse at apply is a problem now.

``name_prefix``, the workspace and pipeline names each match their own pattern,
yet their composition can still break a resource type's rules: a prefix
``internal`` gives a load balancer ``internal-…`` (refused by Elastic Load
Balancing), ``sg`` a security group ``sg-…``, ``xn--x`` an S3 bucket with a
reserved prefix, ``a--b`` an RDS identifier with two hyphens in a row. The names
below are those the stacks build (tests/test_config_names.py checks every
synthesized name of these types against the same rules, so the list cannot
drift from the code), composed by ``config.naming_rules.compose`` as
``modules.naming`` does.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from config.errors import Problem
from config.model import Account
from config.naming_rules import LIMITS, compose, violations
from config.workspaces import STATE_NAMER_WORKSPACE

LABELS = {
    "lb": "load balancer",
    "target_group": "target group",
    "rds": "RDS identifier",
    "ecr": "ECR repository",
    "ecr_cache_prefix": "ECR pull-through cache prefix",
    "s3_bucket": "S3 bucket",
    "security_group": "security group",
    "kms_alias": "KMS alias",
    "iam_role": "IAM role",
    "ecs": "ECS",
    "sns": "SNS topic",
    "backup": "backup vault",
    "secret": "Secrets Manager secret",
    "codepipeline": "CodePipeline",
    "codebuild": "CodeBuild project",
    "codeconnections": "CodeConnections host",
    "log_group": "log group",
}


@dataclass(frozen=True)
class Planned:
    """One physical name the stacks will build, and the fields it is made of."""

    kind: str
    name: str
    components: tuple[tuple[str, str], ...]  # (field, value), in the order they appear in the name


def _tooling(account: Account) -> Iterator[tuple[str, tuple[str, ...]]]:
    yield "security_group", ("client-vpn",)
    yield "kms_alias", ("client-vpn",)
    if account.gitlab is None:
        return
    yield from (
        ("lb", ("gitlab",)),
        ("lb", ("gitlab-ssh",)),
        ("target_group", ("gitlab",)),
        ("target_group", ("gitlab-ssh",)),
        ("rds", ("gitlab",)),
        ("rds", ("gitlab", "final")),
        ("rds", ("gitlab-aurora-pg", "17")),
        ("ecr", ("gitlab-ce",)),
        ("ecr_cache_prefix", ("docker-hub",)),
        ("s3_bucket", (account.account_id, "access-logs")),
        ("s3_bucket", (account.account_id, "config-backups")),
        ("security_group", ("gitlab",)),
        ("iam_role", ("gitlab-execution",)),
        ("ecs", ("gitlab",)),
        ("sns", ("gitlab-alarms",)),
        ("backup", ("gitlab-data",)),
        ("log_group", ("gitlab",)),
    )


def _target(account: Account) -> Iterator[tuple[str, tuple[str, ...]]]:
    yield "s3_bucket", ("artifacts", account.account_id, account.region)
    yield "security_group", ("codeconnections-host",)
    yield "codeconnections", ("gitlab",)
    yield "kms_alias", ("artifacts",)


def planned_names(account: Account) -> list[Planned]:
    """The names of the account's workspace (and, for the tooling account, the bootstrap's)."""
    prefix = ("name_prefix", account.name_prefix)
    workspace = ("workspace", account.name)
    planned = [
        Planned(kind, compose(kind, account.name_prefix, account.name, *parts), (prefix, workspace))
        for kind, parts in (_tooling(account) if account.role == "tooling" else _target(account))
    ]
    if account.role == "tooling":
        planned += [
            Planned(kind, compose(kind, account.name_prefix, STATE_NAMER_WORKSPACE, *parts), (prefix,))
            for kind, parts in (
                ("s3_bucket", (account.account_id, account.region)),
                ("s3_bucket", ("access-logs", account.account_id, account.region)),
                ("kms_alias", ("state",)),
            )
        ]
    delivery = account.delivery
    for pipeline in delivery.pipelines if delivery is not None else ():
        fields = (prefix, workspace, (f"delivery.pipelines.{pipeline}", pipeline))
        for kind, parts in (
            ("codepipeline", ()),
            ("iam_role", ("pipeline",)),
            ("codebuild", ("build",)),
            ("codebuild", ("deploy",)),
        ):
            planned.append(Planned(kind, compose(kind, account.name_prefix, account.name, pipeline, *parts), fields))
        planned.append(
            Planned(
                "security_group",
                compose("security_group", account.name_prefix, account.name, "codebuild", pipeline, "build"),
                fields,
            )
        )
    return planned


def _culprit(planned: Planned, what: str, text: str) -> tuple[str, str]:
    """The (field, value) whose text causes the violation."""
    if what.startswith("starts with"):
        return planned.components[0]
    return next(((f, v) for f, v in planned.components if text and text in v), planned.components[0])


def _hint(field: str, what: str, text: str) -> str:
    if what.startswith("starts with the reserved prefix"):
        return f"choose another {field}: AWS reserves names starting with '{text}' for its own use"
    if what == "contains two consecutive hyphens":
        return f"use single hyphens in {field}"
    return f"change {field}"


def check_names(path: str, account: Account) -> Iterator[Problem]:
    """One problem per field and rule, naming the first resource it breaks."""
    reported: set[tuple[str, str]] = set()
    for planned in planned_names(account):
        for what, text in violations(planned.kind, planned.name):
            field, value = _culprit(planned, what, text)
            if (field, what) in reported:
                continue
            reported.add((field, what))
            label = LABELS.get(planned.kind, planned.kind)
            doc = LIMITS[planned.kind].doc
            yield Problem(
                path,
                field,
                f"'{value}' gives the {label} name '{planned.name}', which AWS refuses: it {what}"
                + (f" ({doc})" if doc else ""),
                _hint(field, what, text)
                + ("" if field != "workspace" else " (the file name, unless workspace: is set)"),
            )
