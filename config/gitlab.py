"""Typed model of the tooling account's ``gitlab:`` section.

Shape and single-field syntax only; rules that need the account (its region and
ID) or several fields at once live in ``config.gitlab_checks`` so that every
problem is reported in one run. This module does not import ``config.model``
(which imports it), hence its own small base class.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, Field

from config.certificates import CodeConnectionsTlsCertificate
from config.types import Flag, Strict, problem

# Fargate's allowed task sizes, cpu units -> memory MiB ("Task CPU and memory",
# Amazon ECS Developer Guide, Fargate).
FARGATE_SIZES: dict[int, tuple[int, ...]] = {
    256: (512, 1024, 2048),
    512: tuple(range(1024, 4096 + 1, 1024)),
    1024: tuple(range(2048, 8192 + 1, 1024)),
    2048: tuple(range(4096, 16384 + 1, 1024)),
    4096: tuple(range(8192, 30720 + 1, 1024)),
    8192: tuple(range(16384, 61440 + 1, 4096)),
    16384: tuple(range(32768, 122880 + 1, 8192)),
}

# The oldest PostgreSQL each GitLab major runs on ("PostgreSQL requirements",
# GitLab installation requirements): 18.0 needs 16.5, 19.0 needs 17.
MIN_POSTGRES: dict[int, tuple[int, int]] = {18: (16, 5), 19: (17, 0)}

# The object types of GitLab's consolidated object-storage form ("Object
# storage", GitLab administration docs); each gets its own bucket.
OBJECT_TYPES = (
    "artifacts",
    "external_diffs",
    "lfs",
    "uploads",
    "packages",
    "dependency_proxy",
    "terraform_state",
    "pages",
    "ci_secure_files",
)
ObjectType = Literal[
    "artifacts", "external_diffs", "lfs", "uploads", "packages", "dependency_proxy", "terraform_state", "pages",
    "ci_secure_files",
]  # fmt: skip

# CloudWatch Logs accepts only these retention values (PutRetentionPolicy API).
LogRetentionDays = Literal[
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557,
    2922, 3288, 3653,
]  # fmt: skip

_TAG = re.compile(r"(?P<major>\d+)\.(?P<minor>\d+)\.(?P<patch>\d+)-ce\.(?P<build>\d+)")
_ENGINE_VERSION = re.compile(r"(?P<major>\d+)\.(?P<minor>\d+)")


def _image_tag(value: str) -> str:
    if value.strip() in ("", "latest"):
        raise problem(
            "image_tag_floating",
            "image tag '{value}' is not pinned",
            "pin a released GitLab CE tag such as 19.6.1-ce.0; `latest` changes under a running service "
            "and ECR's immutable tags could not hold it",
            value=value,
        )
    if not _TAG.fullmatch(value):
        raise problem(
            "image_tag",
            "image tag '{value}' is not a GitLab CE release tag",
            "use the form <major>.<minor>.<patch>-ce.<build>, e.g. 19.6.1-ce.0",
            value=value,
        )
    return value


def _engine_version(value: str) -> str:
    if not _ENGINE_VERSION.fullmatch(value):
        raise problem(
            "engine_version",
            "'{value}' is not a PostgreSQL <major>.<minor> version",
            "write it as RDS lists it, e.g. 17.4",
            value=value,
        )
    return value


ImageTag = Annotated[str, AfterValidator(_image_tag)]
EngineVersion = Annotated[str, AfterValidator(_engine_version)]
ArnText = Annotated[str, Field(pattern=r"^arn:aws(-[a-z]+)*:[a-z0-9-]+:[a-z0-9-]*:[0-9]{12}:.+$")]


class Image(Strict):
    """Where the task pulls GitLab CE from."""

    tag: ImageTag = Field(description="Pinned GitLab CE image tag, e.g. 19.6.1-ce.0; `latest` is rejected.")
    source: Literal["repository", "pull_through_cache"] = Field(
        "repository",
        description="repository: an ECR repository you copy the tag into; pull_through_cache: ECR caches "
        "Docker Hub's gitlab/gitlab-ce on first pull.",
    )
    pull_through_credential_arn: ArnText | None = Field(
        None,
        description="pull_through_cache only: Secrets Manager secret (name prefix ecr-pullthroughcache/) "
        "holding Docker Hub credentials, in this account and region.",
    )
    scanning: Literal["enhanced", "basic"] = Field(
        "enhanced", description="ECR registry scanning: enhanced (Inspector, continuous) or basic (on push)."
    )
    keep_tagged_images: int = Field(10, ge=1, le=1000, description="Tagged images kept by the lifecycle policy.")
    expire_untagged_days: int = Field(7, ge=1, le=365, description="Days after which untagged images expire.")

    @property
    def major(self) -> int:
        return int(self.tag.split(".", 1)[0])


class Task(Strict):
    """The Fargate task; the default is GitLab's 1,000-user reference size."""

    cpu: int = Field(8192, description="Task CPU units (1024 = 1 vCPU); must be a Fargate size.")
    memory: int = Field(16384, description="Task memory in MiB; must be allowed for the cpu value on Fargate.")
    ephemeral_storage_gib: int = Field(30, ge=21, le=200, description="Fargate ephemeral storage, 21 to 200 GiB.")
    log_retention_days: LogRetentionDays = Field(365, description="Days the container and ECS Exec logs are kept.")


class Database(Strict):
    """GitLab's PostgreSQL: Aurora as the design chose, or RDS Multi-AZ."""

    engine: Literal["aurora-postgresql", "postgres"] = Field(
        "aurora-postgresql",
        description="aurora-postgresql: a writer and a reader in two AZs; postgres: an RDS Multi-AZ instance.",
    )
    engine_version: EngineVersion = Field(
        description="PostgreSQL <major>.<minor>; the major must be supported by the pinned GitLab."
    )
    instance_class: str = Field("db.r6g.large", pattern=r"^db\.[a-z0-9]+\.[a-z0-9]+$", description="DB class.")
    allocated_storage_gib: int = Field(100, ge=20, le=65536, description="postgres engine only: storage in GiB.")
    backup_retention_days: int = Field(14, ge=7, le=35, description="Automated backups kept, 7 to 35 days.")
    database_name: str = Field("gitlabhq_production", pattern=r"^[a-z][a-z0-9_]{0,62}$")
    master_username: str = Field("gitlab", pattern=r"^[a-z][a-z0-9_]{0,15}$")

    @property
    def major(self) -> int:
        return int(self.engine_version.split(".", 1)[0])

    @property
    def version(self) -> tuple[int, int]:
        major, minor = self.engine_version.split(".", 1)
        return int(major), int(minor)


class Certificate(Strict):
    """The ALB's ACM certificate for gitlab_hostname: an existing one, or one validated in a Route 53 zone."""

    existing_arn: ArnText | None = Field(
        None, description="ARN of an issued ACM certificate for gitlab_hostname in this account and region."
    )
    dns_validation_zone_id: str | None = Field(
        None,
        pattern=r"^Z[A-Z0-9]{1,31}$",
        description="Public Route 53 hosted zone ID where the DNS validation record of a new certificate is written.",
    )
    codeconnections_tls_certificate: CodeConnectionsTlsCertificate | None = Field(
        None,
        description="Only when a private CA issued existing_arn: the PEM certificate GitLab presents (or its "
        "issuing CA's), which the CodeConnections host trusts. Not needed with a public ACM certificate.",
    )


class LoadBalancer(Strict):
    """The internal Application Load Balancer in front of GitLab."""

    # TLS 1.3 with TLS 1.2 fallback: CodeConnections and older git clients speak 1.2
    # ("Security policies for your Application Load Balancer").
    ssl_policy: str = Field(
        "ELBSecurityPolicy-TLS13-1-2-2021-06",
        pattern=r"^ELBSecurityPolicy-TLS13-.+$",
        description="ALB TLS 1.3 security policy name.",
    )
    allowed_ingress_cidrs: tuple[str, ...] = Field(
        (), description="Extra CIDRs allowed to reach HTTPS (the VPC CIDR is always allowed)."
    )
    idle_timeout_seconds: int = Field(300, ge=60, le=4000, description="Long enough for large git pushes.")
    access_log_retention_days: int = Field(365, ge=1, le=3650, description="Days ALB access logs are kept.")


class Ssh(Strict):
    """git over SSH through an internal Network Load Balancer."""

    hostname: str = Field(
        pattern=r"^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$",
        description="Host name in clone URLs (git@<this>:group/project.git); resolves privately to the NLB.",
    )


class Smtp(Strict):
    """Outgoing mail through Amazon SES's SMTP interface (over its VPC endpoint)."""

    from_address: str = Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", description="Verified SES sender address.")
    reply_to: str | None = Field(None, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    domain: str | None = Field(None, description="HELO domain; defaults to the sender's domain.")


class ExternalRedis(Strict):
    """An existing ElastiCache (Redis OSS or Valkey) in the tooling VPC instead of the bundled Redis.

    Only a reference: the cache and its AUTH token are managed elsewhere, so the
    token never enters this project's Terraform state. It reaches the container
    through ECS ``secrets`` like every other password.
    """

    host: str = Field(
        pattern=r"^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$",
        description="Primary endpoint of a cluster-mode-disabled replication group (GitLab does not "
        "support Redis Cluster, so not a configuration endpoint or ElastiCache Serverless).",
    )
    port: int = Field(6379, ge=1, le=65535)
    auth_token_secret_arn: ArnText = Field(
        description="Secrets Manager secret (this account and region) holding the AUTH token."
    )
    auth_token_secret_key: str | None = Field(
        None, description="JSON key inside the secret; omit when the secret string is the token itself."
    )
    auth_token_kms_key_arn: ArnText | None = Field(
        None, description="Customer-managed KMS key of that secret, if it is not GitLab's own key."
    )


class ObjectStorage(Strict):
    """S3 buckets for GitLab's consolidated object storage."""

    types: tuple[ObjectType, ...] = Field(
        OBJECT_TYPES,  # type: ignore[arg-type]
        description="Object types stored in S3, one bucket each; types left out are kept on EFS "
        "(gitlab-rails/shared and gitlab-rails/uploads get their own access points).",
    )
    noncurrent_version_days: int = Field(30, ge=1, le=3650, description="Days old object versions are kept.")


class Efs(Strict):
    """The EFS file system of /etc/gitlab and the repositories."""

    replication_region: str | None = Field(
        None,
        description="Region of a read-only EFS replica (the design's cross-region replication); omit for none.",
    )
    replication_kms_key_arn: ArnText | None = Field(
        None,
        description="KMS key in the replica's region; omitted, EFS uses the AWS-managed key there.",
    )


def _daily_at(value: str) -> str:
    if not re.fullmatch(r"([01][0-9]|2[0-3]):[0-5][0-9]", value):
        raise problem(
            "backup_daily_at",
            "'{value}' is not a time of day",
            'write the UTC time as "HH:MM" in quotes, 00:00 to 23:59, e.g. "18:30"',
            value=value,
        )
    return value


class Backup(Strict):
    """GitLab's own backup (``gitlab-backup create``): database and repositories in one
    archive, uploaded to its own S3 bucket; ``/etc/gitlab`` (``gitlab-secrets.json``)
    copied to a second bucket with its own key (docs/operations.md, "GitLab's own backup")."""

    daily_at: Annotated[str, AfterValidator(_daily_at)] = Field(
        "02:00", description='UTC time of day the backup starts, "HH:MM".'
    )
    keep_days: int = Field(
        30, ge=1, le=3650, description="Days archives are kept; at most object_storage.noncurrent_version_days."
    )
    config_keep_days: int = Field(365, ge=1, le=3650, description="Days the copies of /etc/gitlab are kept.")


class GitLabConfig(Strict):
    """GitLab CE on ECS Fargate in the tooling account."""

    image: Image
    task: Task = Field(default_factory=Task)  # type: ignore[arg-type]
    database: Database
    certificate: Certificate = Field(default_factory=Certificate)  # type: ignore[arg-type]
    load_balancer: LoadBalancer = Field(default_factory=LoadBalancer)  # type: ignore[arg-type]
    smtp: Smtp | None = Field(None, description="Omit to run without mail.")
    ssh: Ssh | None = Field(None, description="Omit to offer git over HTTPS only.")
    redis: ExternalRedis | None = Field(
        None, description="Omit to keep Redis bundled on its Unix socket, as in the design."
    )
    object_storage: ObjectStorage = Field(default_factory=ObjectStorage)  # type: ignore[arg-type]
    efs: Efs = Field(default_factory=Efs)  # type: ignore[arg-type]
    backup: Backup | None = Field(
        default_factory=Backup,  # type: ignore[arg-type]
        description="GitLab's own scheduled backup to S3; null turns it off (AWS Backup still covers EFS and "
        "the database).",
    )
    maintenance: Flag = Field(
        False,
        description="Restore and repair mode: for 24 h after the task starts ECS ignores failed health checks, "
        "and the scheduled backup pauses (docs/runbooks.md).",
    )
    prometheus: Flag = Field(False, description="Bundled Prometheus and exporters; off by default to save memory.")
    time_zone: str = Field("UTC", description="gitlab_rails['time_zone'].")
