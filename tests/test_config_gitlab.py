"""The tooling account's gitlab: section: each rule and its message."""

from __future__ import annotations

from pathlib import Path

import pytest

from config.gitlab import FARGATE_SIZES
from config.loader import load_environments
from tests.conftest import EXAMPLE
from tests.test_config import TARGET, TOOLING, only_problem, problems, write

GITLAB = """\
gitlab:
  image: {tag: 19.6.1-ce.0}
  database: {engine_version: "17.4"}
  certificate: {dns_validation_zone_id: Z0123456789EXAMPLE}
"""


def tooling(gitlab: str) -> str:
    """TOOLING with its gitlab section replaced by ``gitlab``."""
    assert GITLAB in TOOLING
    return TOOLING.replace(GITLAB, gitlab)


def test_defaults_are_the_1000_user_reference_and_aurora() -> None:
    env = load_environments(EXAMPLE)
    gitlab = env.tooling.gitlab
    assert gitlab is not None
    assert (gitlab.task.cpu, gitlab.task.memory) == (8192, 16384)
    assert gitlab.image.tag == "19.6.1-ce.0"
    assert gitlab.image.major == 19
    assert gitlab.database.engine == "aurora-postgresql"
    assert gitlab.database.major == 17
    assert all(a.gitlab is None for a in env.targets.values())


@pytest.mark.parametrize(
    ("gitlab", "field", "message", "hint"),
    [
        (GITLAB.replace("19.6.1-ce.0", "latest"), "gitlab.image.tag", "'latest' is not pinned", "19.6.1-ce.0"),
        (GITLAB.replace("19.6.1-ce.0", "''"), "gitlab.image.tag", "'' is not pinned", "pin a released"),
        (GITLAB.replace("19.6.1-ce.0", "19.6.1-ee.0"), "gitlab.image.tag", "not a GitLab CE release tag", "-ce."),
        (
            GITLAB.replace("17.4", "16.8"),
            "gitlab.database.engine_version",
            "GitLab 19 needs PostgreSQL 17.0 or later, not 16.8",
            "raise engine_version",
        ),
        (
            GITLAB.replace("19.6.1", "18.11.0").replace("17.4", "16.4"),
            "gitlab.database.engine_version",
            "GitLab 18 needs PostgreSQL 16.5 or later, not 16.4",
            "16.",
        ),
        (GITLAB.replace("19.6.1", "17.11.0"), "gitlab.image.tag", "GitLab 17 is not a major", "18 or 19"),
        (GITLAB.replace("17.4", "seventeen"), "gitlab.database.engine_version", "not a PostgreSQL", "17.4"),
        (GITLAB + "  task: {cpu: 3000}\n", "gitlab.task.cpu", "3000 is not a Fargate CPU size", "8192"),
        (
            GITLAB + "  task: {cpu: 8192, memory: 16000}\n",
            "gitlab.task.memory",
            "16000 MiB is not allowed with 8192 CPU units on Fargate",
            "16384 to 61440 MiB in steps of 4096",
        ),
        (
            GITLAB.replace("{dns_validation_zone_id: Z0123456789EXAMPLE}", "{}"),
            "gitlab.certificate",
            "no certificate for the HTTPS listener",
            "existing_arn",
        ),
        (
            GITLAB.replace(
                "{dns_validation_zone_id: Z0123456789EXAMPLE}",
                "{dns_validation_zone_id: Z0123456789EXAMPLE, existing_arn: "
                "'arn:aws:acm:ap-northeast-1:111111111111:certificate/abc'}",
            ),
            "gitlab.certificate",
            "existing_arn and dns_validation_zone_id are both set",
            "not both",
        ),
        (
            GITLAB.replace(
                "{dns_validation_zone_id: Z0123456789EXAMPLE}",
                "{existing_arn: 'arn:aws:acm:us-east-1:111111111111:certificate/abc'}",
            ),
            "gitlab.certificate.existing_arn",
            "certificate is in 111111111111 us-east-1",
            "its own account and region",
        ),
        (
            GITLAB.replace(
                "{tag: 19.6.1-ce.0}",
                "{tag: 19.6.1-ce.0, source: pull_through_cache, pull_through_credential_arn: "
                "'arn:aws:secretsmanager:ap-northeast-1:111111111111:secret:dockerhub-AbCdEf'}",
            ),
            "gitlab.image.pull_through_credential_arn",
            "secret name does not start with ecr-pullthroughcache/",
            "ecr-pullthroughcache/<name>",
        ),
        (
            GITLAB.replace(
                "{tag: 19.6.1-ce.0}",
                "{tag: 19.6.1-ce.0, source: pull_through_cache, pull_through_credential_arn: "
                "'arn:aws:secretsmanager:eu-west-1:222222222222:secret:ecr-pullthroughcache/hub-AbCdEf'}",
            ),
            "gitlab.image.pull_through_credential_arn",
            "secret is in 222222222222 eu-west-1, not this account's 111111111111 ap-northeast-1",
            "own account and region",
        ),
        (
            GITLAB + "  redis: {host: cache.example.internal, auth_token_secret_arn: "
            "'arn:aws:secretsmanager:eu-west-1:111111111111:secret:redis-AbCdEf'}\n",
            "gitlab.redis.auth_token_secret_arn",
            "secret is in 111111111111 eu-west-1, not this account's 111111111111 ap-northeast-1",
            "ECS reads the secret in its own account and region",
        ),
        (
            GITLAB + "  redis: {host: cache.example.internal, auth_token_secret_arn: "
            "'arn:aws:ssm:ap-northeast-1:111111111111:parameter/redis'}\n",
            "gitlab.redis.auth_token_secret_arn",
            "is not a Secrets Manager secret ARN",
            "arn:aws:secretsmanager:",
        ),
        (
            GITLAB + "  redis: {host: cache.example.internal, auth_token_secret_arn: "
            "'arn:aws:secretsmanager:ap-northeast-1:111111111111:secret:redis-AbCdEf', auth_token_kms_key_arn: "
            "'arn:aws:kms:us-east-1:111111111111:key/abc'}\n",
            "gitlab.redis.auth_token_kms_key_arn",
            "is not a KMS key ARN in this account's region ap-northeast-1",
            "arn:aws:kms:ap-northeast-1:",
        ),
        (
            GITLAB.replace("{tag: 19.6.1-ce.0}", "{tag: 19.6.1-ce.0, source: pull_through_cache}"),
            "gitlab.image.pull_through_credential_arn",
            "needs Docker Hub credentials",
            "ecr-pullthroughcache/",
        ),
        (
            GITLAB + "  load_balancer: {allowed_ingress_cidrs: [8.8.8.0/24]}\n",
            "gitlab.load_balancer.allowed_ingress_cidrs[0]",
            "8.8.8.0/24 is a public range",
            "private ranges",
        ),
        ("", "gitlab", "the tooling account needs a gitlab section", "docs/gitlab.md"),
        (
            GITLAB + "  ssh: {hostname: gitlab.example.com}\n",
            "gitlab.ssh.hostname",
            "'gitlab.example.com' is already GitLab's HTTPS host name",
            "its own name",
        ),
        (
            GITLAB + "  efs: {replication_region: ap-northeast-1}\n",
            "gitlab.efs.replication_region",
            "the replica would be in the account's own region ap-northeast-1",
            "another region",
        ),
        (
            GITLAB + "  efs: {replication_region: ap-northeast-3, replication_kms_key_arn: "
            "'arn:aws:kms:ap-northeast-1:111111111111:key/abc'}\n",
            "gitlab.efs.replication_kms_key_arn",
            "is not a KMS key of account 111111111111 in ap-northeast-3",
            "arn:aws:kms:<replication_region>",
        ),
        (
            GITLAB + "  efs: {replication_kms_key_arn: 'arn:aws:kms:ap-northeast-3:111111111111:key/abc'}\n",
            "gitlab.efs.replication_kms_key_arn",
            "only used with replication_region",
            "replication_region",
        ),
        (GITLAB + "  backup: {daily_at: '2:30'}\n", "gitlab.backup.daily_at", "'2:30' is not a time of day", '"HH:MM"'),
        (GITLAB + "  backup: {daily_at: '24:00'}\n", "gitlab.backup.daily_at", "'24:00' is not a time of day", "23:59"),
        (
            GITLAB + "  backup: {keep_days: 45}\n",
            "gitlab.backup.keep_days",
            "archives would be kept 45 days, but replaced or deleted objects only 30 "
            "(gitlab.object_storage.noncurrent_version_days)",
            "lower keep_days to 30 or less, or raise object_storage.noncurrent_version_days",
        ),
    ],
)
def test_each_gitlab_problem_names_field_and_hint(
    tmp_path: Path, gitlab: str, field: str, message: str, hint: str
) -> None:
    found = only_problem(write(tmp_path / "e", tooling=tooling(gitlab)))
    assert found.startswith(f"e/tooling.yaml: {field}: "), found
    assert message in found
    assert hint in found.split("hint: ", 1)[1]


def test_backup_on_by_default_kept_longer_with_longer_object_versions(tmp_path: Path) -> None:
    gitlab = load_environments(write(tmp_path / "on", tooling=TOOLING)).tooling.gitlab
    assert gitlab is not None and gitlab.backup is not None
    assert (gitlab.backup.daily_at, gitlab.backup.keep_days, gitlab.maintenance) == ("02:00", 30, False)
    longer = GITLAB + "  backup: {keep_days: 45}\n  object_storage: {noncurrent_version_days: 45}\n"
    kept = load_environments(write(tmp_path / "longer", tooling=tooling(longer))).tooling.gitlab
    assert kept is not None and kept.backup is not None and kept.backup.keep_days == 45
    off = load_environments(write(tmp_path / "off", tooling=tooling(GITLAB + "  backup: null\n"))).tooling.gitlab
    assert off is not None and off.backup is None


def test_targets_have_no_gitlab_section(tmp_path: Path) -> None:
    found = only_problem(write(tmp_path / "e", tooling=TOOLING, a=TARGET + GITLAB))
    assert found.startswith("e/a.yaml: gitlab: only the tooling account runs GitLab")


def test_all_gitlab_problems_at_once(tmp_path: Path) -> None:
    broken = GITLAB.replace("17.4", "16.8") + "  task: {cpu: 3000}\n"
    found = problems(write(tmp_path / "e", tooling=tooling(broken)))
    assert len(found) == 2
    assert any("gitlab.task.cpu" in p for p in found)
    assert any("gitlab.database.engine_version" in p for p in found)


def test_fargate_table_holds_the_default_size() -> None:
    assert 16384 in FARGATE_SIZES[8192]
    assert FARGATE_SIZES[256] == (512, 1024, 2048)


def test_tls13_policy_by_default_and_older_policies_refused() -> None:
    from pydantic import ValidationError

    from config.gitlab import LoadBalancer

    assert LoadBalancer().ssl_policy == "ELBSecurityPolicy-TLS13-1-2-2021-06"  # type: ignore[call-arg]
    with pytest.raises(ValidationError, match="TLS13"):
        LoadBalancer(ssl_policy="ELBSecurityPolicy-TLS-1-2-2017-01")  # type: ignore[call-arg]
