"""Delivery in a target account: the pipelines that build from GitLab.

``Account.delivery`` holds one ``Delivery``; the rules that need the account (its
role and region) are in ``check_delivery``, called from ``config.checks``.

This module does not import ``config.model`` (which imports it), so the few field
types it shares are declared here.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import AfterValidator, Field, model_validator

from config.codeconnections_regions import gitlab_self_managed_available, unavailable_reason
from config.errors import Problem
from config.types import Flag, Region, Strict, problem

if TYPE_CHECKING:
    from config.model import Account

# CodeBuild's compute types for Linux containers ("Build environment compute
# modes and types", AWS CodeBuild User Guide).
COMPUTE_TYPES: Mapping[str, str] = MappingProxyType(
    {
        "small": "BUILD_GENERAL1_SMALL",
        "medium": "BUILD_GENERAL1_MEDIUM",
        "large": "BUILD_GENERAL1_LARGE",
        "xlarge": "BUILD_GENERAL1_XLARGE",
        "2xlarge": "BUILD_GENERAL1_2XLARGE",
    }
)
# Trigger filters take at most 8 patterns each ("Add trigger with push or pull
# request event types", AWS CodePipeline User Guide).
MAX_FILTER_PATTERNS = 8
DEFAULT_IMAGE = "aws/codebuild/amazonlinux-x86_64-standard:5.0"


def _repository(value: str) -> str:
    # GitLab paths: group[/subgroup...]/project, each part letters, digits, _ . -
    if not re.fullmatch(r"[A-Za-z0-9_.][A-Za-z0-9_.-]*(/[A-Za-z0-9_.][A-Za-z0-9_.-]*)+", value):
        raise problem(
            "repository",
            "'{value}' is not a GitLab project path",
            "write group/project (or group/subgroup/project) as in the project's URL",
            value=value,
        )
    return value


def _branch(value: str) -> str:
    # The subset of git-check-ref-format rules that catches typos.
    if not re.fullmatch(r"[A-Za-z0-9._/-]+", value) or ".." in value or value.startswith(("-", "/")):
        raise problem(
            "branch",
            "'{value}' is not a branch name",
            "letters, digits and . _ / - only, e.g. main or release/1.2",
            value=value,
        )
    return value


def _policy_arn(value: str) -> str:
    if not re.fullmatch(r"arn:aws(-[a-z-]+)?:iam::([0-9]{12}|aws):policy/[\w+=,.@/-]{1,512}", value):
        raise problem(
            "policy_arn",
            "'{value}' is not an IAM policy ARN",
            "use the form arn:aws:iam::123456789012:policy/deploy-webapp",
            value=value,
        )
    return value


Repository = Annotated[str, AfterValidator(_repository)]
Branch = Annotated[str, AfterValidator(_branch)]
Pattern = Annotated[str, Field(min_length=1, max_length=255)]
PolicyArn = Annotated[str, AfterValidator(_policy_arn)]
# Becomes part of CodePipeline, CodeBuild, IAM and log group names.
PipelineName = Annotated[str, Field(pattern=r"^[a-z]([a-z0-9-]{0,22}[a-z0-9])?$")]


class Filter(Strict):
    """Glob patterns a push must match (includes) and must not match (excludes)."""

    includes: tuple[Pattern, ...] = Field((), max_length=MAX_FILTER_PATTERNS)
    excludes: tuple[Pattern, ...] = Field((), max_length=MAX_FILTER_PATTERNS)


class Trigger(Strict):
    """The pipeline starts on a push that matches these filters (CodePipeline V2 trigger)."""

    branches: Filter | None = Field(None, description="Branch filter. Default: includes the pipeline's branch only.")
    file_paths: Filter | None = Field(None, description="File path filter. Default: any change starts the pipeline.")


class Build(Strict):
    """A CodeBuild project run by the pipeline."""

    buildspec: str = Field("buildspec.yml", min_length=1, description="Buildspec path in the repository.")
    compute_size: Literal["small", "medium", "large", "xlarge", "2xlarge"] = Field(
        "small", description="CodeBuild compute size (BUILD_GENERAL1_<SIZE>)."
    )
    image: str = Field(DEFAULT_IMAGE, min_length=1, description="CodeBuild image.")
    vpc: Flag = Field(
        False,
        description="Run in the account VPC's private subnets (to reach GitLab or private endpoints). "
        "The VPC has no internet: it needs VPC endpoints for S3, CloudWatch Logs and whatever the build calls.",
    )
    timeout_minutes: int = Field(60, ge=5, le=2160, description="Build timeout.")

    @property
    def compute_type(self) -> str:
        return COMPUTE_TYPES[self.compute_size]


class Deploy(Build):
    """The deploy stage: a CodeBuild project that runs a deploy buildspec, in any region."""

    buildspec: str = Field("buildspec-deploy.yml", min_length=1, description="Deploy buildspec path.")
    region: Region | None = Field(
        None,
        description="Region the deploy action runs in (cross-region action). Default: the account's region. "
        "May be a region without CodeConnections for GitLab, e.g. ap-northeast-3.",
    )
    policy_arns: tuple[PolicyArn, ...] = Field(
        (), description="IAM policies attached to the deploy project's role: what the deploy itself may do."
    )


class Approval(Strict):
    """A manual approval action before the deploy stage."""

    summary: str = Field("Approve the deployment", min_length=1, max_length=512, description="Text for approvers.")
    timeout_minutes: int = Field(
        10080, ge=5, le=10080, description="CodePipeline fails the approval after this long (max 7 days)."
    )


class Pipeline(Strict):
    """One CodePipeline V2: GitLab source, build, optional approval, optional deploy."""

    repository: Repository = Field(description="GitLab project path, group/project (FullRepositoryId).")
    branch: Branch = Field(description="Branch the source action checks out.")
    output_format: Literal["CODE_ZIP", "CODEBUILD_CLONE_REF"] = Field(
        "CODE_ZIP",
        description="CODE_ZIP: a zip of the commit; CODEBUILD_CLONE_REF: CodeBuild clones (git history, "
        "needs the build in the VPC to reach GitLab).",
    )
    trigger: Trigger = Field(default_factory=Trigger)  # type: ignore[arg-type]
    build: Build = Field(default_factory=Build)  # type: ignore[arg-type]
    approval: Approval | None = Field(None, description="Manual approval before the deploy stage.")
    deploy: Deploy | None = Field(None, description="Deploy stage.")

    @property
    def branch_filter(self) -> Filter:
        return self.trigger.branches or Filter(includes=(self.branch,), excludes=())


class Delivery(Strict):
    """Target accounts only: the pipelines, keyed by name. Their GitLab connection is
    the tooling account's (one per target, shared through AWS RAM)."""

    pipelines_enabled: Flag = Field(
        False,
        description="Two-phase rollout. false (phase one): no CodePipeline is planned; the connection is "
        "created and its handshake done by hand. true (phase two, once the connection is AVAILABLE): the "
        "pipelines are planned. A pipeline created while its connection is PENDING never gets its GitLab "
        "webhook (docs/pipelines.md).",
    )
    pipelines: dict[PipelineName, Pipeline] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _no_connection(cls, data: Any) -> Any:
        # The host moved beside GitLab (issue 10): a file written for the old layout
        # must not lose its certificate silently.
        if isinstance(data, dict) and "connection" in data:
            raise problem(
                "connection_moved",
                "delivery.connection is no longer a setting: the CodeConnections host and the connections "
                "are in the tooling account",
                "remove connection:; a private CA's certificate (the old connection.tls_certificate) goes to "
                "gitlab.certificate.codeconnections_tls_certificate in the tooling account's file "
                '(docs/pipelines.md, "Moving from a host per target account")',
            )
        return data

    @property
    def uses_vpc(self) -> bool:
        """Whether any build or deploy project runs inside the account's VPC."""
        return any(p.build.vpc or (p.deploy is not None and p.deploy.vpc) for p in self.pipelines.values())

    def regions(self, home: str) -> list[str]:
        """Every region the pipelines use, the account's first, then the others sorted."""
        others = {p.deploy.region for p in self.pipelines.values() if p.deploy and p.deploy.region}
        return [home, *sorted(others - {home})]


def check_delivery(path: str, account: Account) -> Iterator[Problem]:
    """Rules that need the account: target only, a region with CodeConnections, consistent stages."""
    delivery = account.delivery
    if delivery is None:
        return
    if account.role == "tooling":
        yield Problem(
            path,
            "delivery",
            "the tooling account runs GitLab, not pipelines",
            "move delivery: to a target account's file",
        )
        return
    if not gitlab_self_managed_available(account.region):
        hint = (
            f"keep this account's pipelines in a region with CodeConnections for GitLab, e.g. ap-northeast-1, "
            f"and deploy to {account.region} with deploy.region: {account.region} "
            "(an artifact store is created in each region); see docs/pipelines.md"
        )
        names = list(delivery.pipelines) or [""]
        for name in names:
            yield Problem(
                path,
                f"delivery.pipelines.{name}" if name else "delivery",
                f"{unavailable_reason(account.region)}, so a pipeline with a GitLab source cannot run there",
                hint,
            )
    for name, pipeline in delivery.pipelines.items():
        if pipeline.approval is not None and pipeline.deploy is None:
            yield Problem(
                path,
                f"delivery.pipelines.{name}.approval",
                "an approval without a deploy stage gates nothing",
                "add deploy: or remove approval:",
            )
        deploy = pipeline.deploy
        if deploy is not None and deploy.vpc and deploy.region not in (None, account.region):
            yield Problem(
                path,
                f"delivery.pipelines.{name}.deploy.vpc",
                f"the account VPC is in {account.region}, the deploy runs in {deploy.region}",
                "set vpc: false for a deploy in another region",
            )
