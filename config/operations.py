"""Typed model of the tooling account's ``operations:`` section: mail, monitoring, backups.

``Account.operations`` holds one ``Operations``; rules that need the account (its
role, region and ``gitlab.smtp``) are in ``check_operations``, called from
``config.checks``. This module does not import ``config.model`` (which imports it).

``monitoring`` and ``backup`` are on with their defaults when omitted and off when
set to ``null``; ``mail`` is built whenever ``gitlab.smtp`` is set.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field

from config.errors import Problem
from config.regions import KNOWN_REGIONS
from config.types import Flag

if TYPE_CHECKING:
    from collections.abc import Iterator

    from config.model import Account

_LABEL = r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?"
_DOMAIN = rf"^({_LABEL}\.)+{_LABEL}$"
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_ARN = re.compile(r"^arn:aws(-[a-z]+)*:(?P<service>[a-z0-9-]+):(?P<region>[a-z0-9-]*):(?P<account>[0-9]{12}):.+$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Mail(_Strict):
    """The SES domain identity GitLab sends from, and the IAM user behind its SMTP credentials."""

    domain: str | None = Field(
        None,
        pattern=_DOMAIN,
        description="SES domain identity; defaults to the domain of gitlab.smtp.from_address.",
    )
    existing_identity: Flag = Field(
        False,
        description="true: the domain is already an SES identity in this account and region (managed "
        "elsewhere); only the SMTP user is created. false: this workspace creates the identity.",
    )
    route53_zone_id: str | None = Field(
        None,
        pattern=r"^Z[A-Z0-9]{1,31}$",
        description="Public Route 53 zone of the domain: the DKIM and MAIL FROM records are written there. "
        "Omitted: the records are only listed in the output ses_dns_records, for your DNS provider.",
    )
    mail_from_subdomain: str = Field(
        "bounce",
        pattern=rf"^{_LABEL}$",
        description="Custom MAIL FROM domain is <this>.<domain> (bounces and SPF alignment).",
    )


class Subscription(_Strict):
    """One subscriber of the alarm topic."""

    protocol: Literal["email", "email-json", "https", "sqs", "lambda"] = Field(
        description="SNS protocol; email subscriptions must be confirmed from the mail SNS sends."
    )
    endpoint: str = Field(description="Mail address, https:// URL, or SQS queue / Lambda function ARN.")


class Thresholds(_Strict):
    """When an alarm fires. Defaults suit GitLab's 1,000-user reference size."""

    alb_5xx_count: int = Field(10, ge=1, description="ALB and target 5xx responses per 5 minutes.")
    alb_latency_seconds: float = Field(5.0, gt=0, description="p95 target response time over 15 minutes.")
    unhealthy_minutes: int = Field(
        20,
        ge=1,
        le=60,
        description="Minutes a target may fail its health check before the alarm (a start takes minutes).",
    )
    ecs_cpu_percent: int = Field(85, ge=1, le=100, description="Task CPU utilization over 15 minutes.")
    ecs_memory_percent: int = Field(90, ge=1, le=100, description="Task memory utilization over 15 minutes.")
    task_missing_minutes: int = Field(
        15,
        ge=5,
        le=60,
        description="Minutes without a running task; a deployment stops the old task before the new one "
        "starts, so this must outlast one deployment.",
    )
    database_cpu_percent: int = Field(80, ge=1, le=100, description="Database (writer) CPU over 15 minutes.")
    database_connections: int = Field(500, ge=1, description="Open database connections.")
    database_free_storage_gib: int = Field(
        10, ge=1, description="postgres engine: free storage below this (Aurora's volume grows by itself)."
    )
    database_free_local_storage_gib: int = Field(
        2,
        ge=1,
        description="aurora-postgresql engine: the writer's free local storage (temporary files and logs; "
        "its size is fixed by the instance class) below this.",
    )
    database_freeable_memory_mib: int = Field(512, ge=1, description="Freeable memory of the writer below this.")
    efs_throughput_percent: int = Field(
        80, ge=1, le=100, description="EFS throughput used, as a percentage of what the file system is permitted."
    )
    efs_replication_lag_minutes: int = Field(
        60, ge=5, description="With gitlab.efs.replication_region: minutes the replica may be behind."
    )
    vpn_authentication_failures: int = Field(20, ge=1, description="Client VPN authentication failures per 5 minutes.")
    rails_5xx_percent: float = Field(
        5.0, gt=0, le=100, description="Share of GitLab's Rails requests answered with 5xx, over 10 minutes (%)."
    )
    failed_sign_ins: int = Field(20, ge=1, description="Failed GitLab sign-ins per 5 minutes.")
    sidekiq_job_failures: int = Field(10, ge=1, description="Failed Sidekiq jobs per 5 minutes.")
    gitlab_backup_missing_hours: int = Field(
        26, ge=25, le=168, description="Hours without a finished GitLab backup (gitlab.backup) before paging."
    )


class Monitoring(_Strict):
    """CloudWatch alarms to one SNS topic, and a dashboard."""

    subscriptions: dict[str, Subscription] = Field(
        default_factory=dict, description="Subscribers of the alarm topic, keyed by a stable name."
    )
    thresholds: Thresholds = Field(default_factory=Thresholds)  # type: ignore[arg-type]
    finding_min_severity: Literal["CRITICAL", "HIGH", "MEDIUM", "LOW", "INFORMATIONAL"] = Field(
        "HIGH",
        description="Amazon Inspector findings of the GitLab image at this severity or above page the alarm "
        "topic (with gitlab.image.scanning: enhanced; basic scanning has no Inspector findings).",
    )


class BackupRule(_Strict):
    """One rule of the backup plan."""

    schedule: str = Field(
        "cron(0 17 * * ? *)",
        pattern=r"^cron\([^()]+\)$",
        description="AWS Backup cron expression in UTC (default 17:00 UTC = 02:00 JST).",
    )
    retention_days: int = Field(35, ge=1, le=36500, description="Days each recovery point is kept.")
    start_window_minutes: int = Field(60, ge=60, le=43200, description="Minutes a job may wait to start.")
    completion_window_minutes: int = Field(
        480, ge=120, le=43200, description="Minutes a started job may run before AWS Backup cancels it."
    )
    copy_retention_days: int | None = Field(
        None, ge=1, le=36500, description="Days the copy in copy_region is kept; default: retention_days."
    )


class Backup(_Strict):
    """An AWS Backup vault and plan covering GitLab's EFS and database."""

    rules: dict[str, BackupRule] = Field(
        default_factory=lambda: {"daily": BackupRule()},  # type: ignore[call-arg]
        description="Backup rules keyed by a stable name (default: one daily rule kept 35 days).",
    )
    copy_region: str | None = Field(
        None,
        description="Region of a second vault every recovery point is copied to; omit for no copy.",
    )


class Operations(_Strict):
    """Mail identity, alarms, dashboard and backups of the tooling account."""

    mail: Mail = Field(default_factory=Mail)  # type: ignore[arg-type]
    monitoring: Monitoring | None = Field(
        default_factory=Monitoring,  # type: ignore[arg-type]
        description="Alarms, their topic and the dashboard; null turns them off.",
    )
    backup: Backup | None = Field(
        default_factory=Backup,  # type: ignore[arg-type]
        description="AWS Backup vault and plan; null turns them off.",
    )


def mail_domain(account: Account) -> str | None:
    """The SES identity's domain, or None without gitlab.smtp."""
    smtp = account.gitlab.smtp if account.gitlab else None
    if smtp is None:
        return None
    operations = account.operations or Operations()
    return operations.mail.domain or smtp.from_address.split("@", 1)[1]


def check_operations(path: str, account: Account) -> Iterator[Problem]:
    """Tooling only; mail settings need gitlab.smtp and cover its sender; subscriptions and regions make sense."""
    operations = account.operations
    if operations is None:
        return
    if account.role != "tooling":
        yield Problem(
            path,
            "operations",
            "only the tooling account runs GitLab's operations",
            "remove the operations section from target accounts",
        )
        return
    yield from _mail(path, account, operations)
    if operations.monitoring is not None:
        yield from _subscriptions(path, account, operations.monitoring)
    if operations.backup is not None:
        yield from _backup(path, account, operations.backup)


def _mail(path: str, account: Account, operations: Operations) -> Iterator[Problem]:
    smtp = account.gitlab.smtp if account.gitlab else None
    if smtp is None:
        if "mail" in operations.model_fields_set:
            yield Problem(
                path,
                "operations.mail",
                "mail settings without gitlab.smtp",
                "add gitlab.smtp (the sender GitLab uses) or remove operations.mail",
            )
        return
    domain = mail_domain(account)
    sender_domain = smtp.from_address.split("@", 1)[1]
    if domain is not None and sender_domain != domain and not sender_domain.endswith("." + domain):
        yield Problem(
            path,
            "operations.mail.domain",
            f"gitlab.smtp.from_address {smtp.from_address} is not in the SES identity's domain {domain}",
            "SES sends only from verified identities: use a sender in that domain, or set the domain to the sender's",
        )
    if operations.mail.existing_identity and operations.mail.route53_zone_id is not None:
        yield Problem(
            path,
            "operations.mail.route53_zone_id",
            "DNS records are only written for an identity this workspace creates",
            "remove route53_zone_id, or set existing_identity: false",
        )


def _subscriptions(path: str, account: Account, monitoring: Monitoring) -> Iterator[Problem]:
    for name, subscription in monitoring.subscriptions.items():
        field = f"operations.monitoring.subscriptions.{name}.endpoint"
        endpoint, protocol = subscription.endpoint, subscription.protocol
        if protocol in ("email", "email-json") and not _EMAIL.fullmatch(endpoint):
            yield Problem(path, field, f"'{endpoint}' is not a mail address", "write e.g. ops@example.com")
        elif protocol == "https" and not endpoint.startswith("https://"):
            yield Problem(path, field, f"'{endpoint}' is not an https:// URL", "SNS delivers over TLS only here")
        elif protocol in ("sqs", "lambda"):
            match = _ARN.fullmatch(endpoint)
            if match is None or match["service"] != protocol:
                yield Problem(
                    path,
                    field,
                    f"'{endpoint}' is not an {protocol.upper()} ARN",
                    f"use arn:aws:{protocol}:<region>:<account>:...",
                )


def _backup(path: str, account: Account, backup: Backup) -> Iterator[Problem]:
    if not backup.rules:
        yield Problem(path, "operations.backup.rules", "no backup rule", "add one, e.g. daily: {}")
    region = backup.copy_region
    if region is None:
        for name, rule in backup.rules.items():
            if rule.copy_retention_days is not None:
                yield Problem(
                    path,
                    f"operations.backup.rules.{name}.copy_retention_days",
                    "is only used with copy_region",
                    "remove it, or set operations.backup.copy_region",
                )
        return
    if region not in KNOWN_REGIONS:
        yield Problem(
            path, "operations.backup.copy_region", f"'{region}' is not a known AWS region", "use a region code"
        )
    elif region == account.region:
        yield Problem(
            path,
            "operations.backup.copy_region",
            f"the copy would be in the account's own region {region}",
            "choose another region: the copy is for losing this one",
        )
