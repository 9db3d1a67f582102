"""Rules for the ``gitlab:`` section that need the account or several fields."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator

from config.errors import Problem
from config.gitlab import FARGATE_SIZES, MIN_POSTGRES, GitLabConfig
from config.model import Account
from config.regions import KNOWN_REGIONS

PULL_THROUGH_SECRET_PREFIX = "ecr-pullthroughcache/"


def check_gitlab(path: str, account: Account) -> Iterator[Problem]:
    """The tooling account has a ``gitlab:`` section, targets have none, and it is consistent."""
    gitlab = account.gitlab
    if account.role == "tooling" and gitlab is None:
        yield Problem(
            path,
            "gitlab",
            "the tooling account needs a gitlab section",
            "add gitlab: with at least image.tag and database.engine_version; see docs/gitlab.md",
        )
    if account.role == "target" and gitlab is not None:
        yield Problem(
            path, "gitlab", "only the tooling account runs GitLab", "remove the gitlab section from target accounts"
        )
    if gitlab is None or account.role != "tooling":
        return
    for rule in (
        _task_size,
        _postgres_for_gitlab,
        _image_source,
        _certificate,
        _ingress,
        _efs_replication,
        _ssh,
        _redis,
        _backup,
    ):
        try:
            yield from rule(path, account, gitlab)
        except AttributeError:  # a part that failed its own validation is reported already
            continue


def _task_size(path: str, account: Account, gitlab: GitLabConfig) -> Iterator[Problem]:
    task = gitlab.task
    if task.cpu not in FARGATE_SIZES:
        yield Problem(
            path,
            "gitlab.task.cpu",
            f"{task.cpu} is not a Fargate CPU size",
            "use one of " + ", ".join(map(str, FARGATE_SIZES)) + " (1024 units = 1 vCPU)",
        )
    elif task.memory not in FARGATE_SIZES[task.cpu]:
        allowed = FARGATE_SIZES[task.cpu]
        yield Problem(
            path,
            "gitlab.task.memory",
            f"{task.memory} MiB is not allowed with {task.cpu} CPU units on Fargate",
            f"use {allowed[0]} to {allowed[-1]} MiB in steps of {allowed[1] - allowed[0]}"
            if len(allowed) > 1
            else f"use {allowed[0]} MiB",
        )


def _postgres_for_gitlab(path: str, account: Account, gitlab: GitLabConfig) -> Iterator[Problem]:
    major = gitlab.image.major
    if major not in MIN_POSTGRES:
        yield Problem(
            path,
            "gitlab.image.tag",
            f"GitLab {major} is not a major this project renders gitlab.rb for",
            "pin a GitLab " + " or ".join(map(str, MIN_POSTGRES)) + " CE tag",
        )
        return
    needed = MIN_POSTGRES[major]
    if gitlab.database.version < needed:
        yield Problem(
            path,
            "gitlab.database.engine_version",
            f"GitLab {major} needs PostgreSQL {needed[0]}.{needed[1]} or later, not {gitlab.database.engine_version}",
            f"raise engine_version to a {needed[0]}.x release (e.g. {needed[0]}.{max(needed[1], 4)}) "
            "or pin an older GitLab",
        )


def _image_source(path: str, account: Account, gitlab: GitLabConfig) -> Iterator[Problem]:
    image = gitlab.image
    arn = image.pull_through_credential_arn
    if image.source == "repository":
        if arn is not None:
            yield Problem(
                path,
                "gitlab.image.pull_through_credential_arn",
                "is only used with source: pull_through_cache",
                "remove it, or set image.source: pull_through_cache",
            )
        return
    if arn is None:
        yield Problem(
            path,
            "gitlab.image.pull_through_credential_arn",
            "source: pull_through_cache needs Docker Hub credentials",
            f"create a Secrets Manager secret named {PULL_THROUGH_SECRET_PREFIX}<name> and give its ARN",
        )
        return
    problems = list(_secret_arn(path, "gitlab.image.pull_through_credential_arn", arn, account, "ECR"))
    yield from problems
    if problems:
        return
    parts = arn.split(":", 6)
    if not parts[6].startswith(PULL_THROUGH_SECRET_PREFIX):
        yield Problem(
            path,
            "gitlab.image.pull_through_credential_arn",
            f"secret name does not start with {PULL_THROUGH_SECRET_PREFIX}",
            f"ECR accepts only secrets named {PULL_THROUGH_SECRET_PREFIX}<name> for upstream credentials",
        )


def _secret_arn(path: str, field: str, arn: str, account: Account, reader: str) -> Iterator[Problem]:
    """A Secrets Manager secret ARN of this account and region."""
    parts = arn.split(":", 6)
    if len(parts) < 7 or parts[2] != "secretsmanager" or parts[5] != "secret":
        yield Problem(
            path,
            field,
            f"'{arn}' is not a Secrets Manager secret ARN",
            "use arn:aws:secretsmanager:<region>:<account>:secret:<name>",
        )
    elif parts[3] != account.region or parts[4] != account.account_id:
        yield Problem(
            path,
            field,
            f"secret is in {parts[4]} {parts[3]}, not this account's {account.account_id} {account.region}",
            f"{reader} reads the secret in its own account and region; create it there",
        )


def _redis(path: str, account: Account, gitlab: GitLabConfig) -> Iterator[Problem]:
    redis = gitlab.redis
    if redis is None:
        return
    yield from _secret_arn(path, "gitlab.redis.auth_token_secret_arn", redis.auth_token_secret_arn, account, "ECS")
    key = redis.auth_token_kms_key_arn
    if key is not None:
        parts = key.split(":", 5)
        # A secret and its KMS key are in the same region (Secrets Manager encryption).
        if parts[2] != "kms" or parts[3] != account.region or not parts[5].startswith("key/"):
            yield Problem(
                path,
                "gitlab.redis.auth_token_kms_key_arn",
                f"'{key}' is not a KMS key ARN in this account's region {account.region}",
                f"use arn:aws:kms:{account.region}:<account>:key/<id>, the key that encrypts the token's secret",
            )


def _certificate(path: str, account: Account, gitlab: GitLabConfig) -> Iterator[Problem]:
    certificate = gitlab.certificate
    existing, zone = certificate.existing_arn, certificate.dns_validation_zone_id
    if existing is not None and zone is not None:
        yield Problem(
            path,
            "gitlab.certificate",
            "existing_arn and dns_validation_zone_id are both set",
            "use an existing certificate or have one issued by DNS validation, not both",
        )
    elif existing is None and zone is None:
        yield Problem(
            path,
            "gitlab.certificate",
            "no certificate for the HTTPS listener",
            "set existing_arn (an issued ACM certificate) or dns_validation_zone_id (a public Route 53 zone)",
        )
    if certificate.codeconnections_tls_certificate is not None and existing is None:
        yield Problem(
            path,
            "gitlab.certificate.codeconnections_tls_certificate",
            "set for a certificate that ACM issues by DNS validation, which a public CA signs",
            "remove it (the host trusts public CAs), or use existing_arn with a certificate of your private CA",
        )
    if existing is not None:
        parts = existing.split(":", 5)
        if parts[2] != "acm" or not parts[5].startswith("certificate/"):
            yield Problem(
                path,
                "gitlab.certificate.existing_arn",
                f"'{existing}' is not an ACM certificate ARN",
                "use arn:aws:acm:<region>:<account>:certificate/<id>",
            )
        elif parts[3] != account.region or parts[4] != account.account_id:
            yield Problem(
                path,
                "gitlab.certificate.existing_arn",
                f"certificate is in {parts[4]} {parts[3]}, not this account's {account.account_id} {account.region}",
                "an ALB uses certificates from its own account and region",
            )


def _ingress(path: str, account: Account, gitlab: GitLabConfig) -> Iterator[Problem]:
    for index, cidr in enumerate(gitlab.load_balancer.allowed_ingress_cidrs):
        try:
            network = ipaddress.IPv4Network(cidr, strict=True)
        except ValueError as error:
            yield Problem(
                path,
                f"gitlab.load_balancer.allowed_ingress_cidrs[{index}]",
                f"'{cidr}' is not an IPv4 CIDR block ({error})",
                "write the network address and prefix, e.g. 10.200.0.0/22",
            )
            continue
        if network.is_global:
            yield Problem(
                path,
                f"gitlab.load_balancer.allowed_ingress_cidrs[{index}]",
                f"{cidr} is a public range",
                "GitLab is private: admit only private ranges (VPC, Client VPN, Transit Gateway peers)",
            )


def _efs_replication(path: str, account: Account, gitlab: GitLabConfig) -> Iterator[Problem]:
    region, key = gitlab.efs.replication_region, gitlab.efs.replication_kms_key_arn
    if region is None:
        if key is not None:
            yield Problem(
                path,
                "gitlab.efs.replication_kms_key_arn",
                "is only used with replication_region",
                "remove it, or set gitlab.efs.replication_region",
            )
        return
    if region not in KNOWN_REGIONS:
        yield Problem(
            path, "gitlab.efs.replication_region", f"'{region}' is not a known AWS region", "use a region code"
        )
    elif region == account.region:
        yield Problem(
            path,
            "gitlab.efs.replication_region",
            f"the replica would be in the account's own region {region}",
            "choose another region: the replica is for losing this one",
        )
    if key is not None:
        parts = key.split(":")
        if parts[2] != "kms" or parts[3] != region or parts[4] != account.account_id:
            yield Problem(
                path,
                "gitlab.efs.replication_kms_key_arn",
                f"'{key}' is not a KMS key of account {account.account_id} in {region}",
                "use arn:aws:kms:<replication_region>:<this account>:key/<id>",
            )


def _backup(path: str, account: Account, gitlab: GitLabConfig) -> Iterator[Problem]:
    backup = gitlab.backup
    if backup is None or not gitlab.object_storage.types:
        return
    days = gitlab.object_storage.noncurrent_version_days
    if backup.keep_days > days:
        # Objects in S3 are not in the archive ("Back up GitLab", object storage): an
        # archive can only be restored while the object versions it refers to exist.
        yield Problem(
            path,
            "gitlab.backup.keep_days",
            f"archives would be kept {backup.keep_days} days, but replaced or deleted objects only "
            f"{days} (gitlab.object_storage.noncurrent_version_days)",
            f"lower keep_days to {days} or less, or raise object_storage.noncurrent_version_days: an older "
            "archive refers to objects that are gone",
        )


def _ssh(path: str, account: Account, gitlab: GitLabConfig) -> Iterator[Problem]:
    if gitlab.ssh is not None and gitlab.ssh.hostname == account.gitlab_hostname:
        yield Problem(
            path,
            "gitlab.ssh.hostname",
            f"'{gitlab.ssh.hostname}' is already GitLab's HTTPS host name",
            "SSH goes through its own load balancer and needs its own name, e.g. ssh." + gitlab.ssh.hostname,
        )
