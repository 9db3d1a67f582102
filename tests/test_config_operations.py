"""The tooling account's operations: section: defaults, each rule and its message."""

from __future__ import annotations

from pathlib import Path

import pytest

from config.loader import load_environments
from config.operations import Operations, mail_domain
from tests.conftest import EXAMPLE
from tests.test_config import TARGET, TOOLING, only_problem, problems, write

SMTP = "  smtp: {from_address: gitlab@mail.example.com}\n"
WITH_SMTP = TOOLING.replace("gitlab:\n", "gitlab:\n" + SMTP)


def test_example_configures_mail_alarms_and_a_copied_backup() -> None:
    env = load_environments(EXAMPLE)
    operations = env.tooling.operations
    assert operations is not None
    assert operations.mail.route53_zone_id == "Z0123456789EXAMPLE"
    assert operations.monitoring is not None
    assert operations.monitoring.subscriptions["ops-mail"].protocol == "email"
    assert operations.backup is not None
    assert operations.backup.copy_region == "ap-northeast-3"
    assert set(operations.backup.rules) == {"daily", "monthly"}
    assert mail_domain(env.tooling) == "example.com"
    assert all(a.operations is None for a in env.targets.values())


def test_omitted_means_alarms_and_a_daily_backup_null_means_off(tmp_path: Path) -> None:
    defaults = Operations()
    assert defaults.monitoring is not None and defaults.monitoring.subscriptions == {}
    assert defaults.backup is not None
    assert defaults.backup.rules["daily"].retention_days == 35
    assert defaults.backup.copy_region is None
    env = load_environments(write(tmp_path / "e", tooling=TOOLING + "operations: {monitoring: null, backup: null}\n"))
    assert env.tooling.operations is not None
    assert (env.tooling.operations.monitoring, env.tooling.operations.backup) == (None, None)
    assert mail_domain(env.tooling) is None  # no gitlab.smtp: no mail


def test_mail_domain_defaults_to_the_senders_and_may_be_a_parent(tmp_path: Path) -> None:
    env = load_environments(write(tmp_path / "a", tooling=WITH_SMTP))
    assert mail_domain(env.tooling) == "mail.example.com"
    env = load_environments(write(tmp_path / "b", tooling=WITH_SMTP + "operations: {mail: {domain: example.com}}\n"))
    assert mail_domain(env.tooling) == "example.com"


@pytest.mark.parametrize(
    ("config", "field", "message", "hint"),
    [
        (
            TOOLING + "operations: {mail: {mail_from_subdomain: bounce}}\n",
            "operations.mail",
            "mail settings without gitlab.smtp",
            "add gitlab.smtp",
        ),
        (
            WITH_SMTP + "operations: {mail: {domain: other.example.org}}\n",
            "operations.mail.domain",
            "gitlab@mail.example.com is not in the SES identity's domain other.example.org",
            "verified identities",
        ),
        (
            WITH_SMTP + "operations: {mail: {existing_identity: true, route53_zone_id: Z0123456789EXAMPLE}}\n",
            "operations.mail.route53_zone_id",
            "only written for an identity this workspace creates",
            "existing_identity: false",
        ),
        (
            TOOLING + "operations: {monitoring: {subscriptions: {ops: {protocol: email, endpoint: ops}}}}\n",
            "operations.monitoring.subscriptions.ops.endpoint",
            "'ops' is not a mail address",
            "ops@example.com",
        ),
        (
            TOOLING
            + "operations: {monitoring: {subscriptions: {hook: {protocol: https, endpoint: 'http://x.example.com'}}}}\n",
            "operations.monitoring.subscriptions.hook.endpoint",
            "is not an https:// URL",
            "TLS",
        ),
        (
            TOOLING + "operations: {monitoring: {subscriptions: {q: {protocol: sqs, "
            "endpoint: 'arn:aws:sns:ap-northeast-1:111111111111:t'}}}}\n",
            "operations.monitoring.subscriptions.q.endpoint",
            "is not an SQS ARN",
            "arn:aws:sqs:",
        ),
        (
            TOOLING + "operations: {backup: {copy_region: ap-northeast-1}}\n",
            "operations.backup.copy_region",
            "the copy would be in the account's own region ap-northeast-1",
            "another region",
        ),
        (
            TOOLING + "operations: {backup: {copy_region: mars-north-1}}\n",
            "operations.backup.copy_region",
            "'mars-north-1' is not a known AWS region",
            "region code",
        ),
        (
            TOOLING + "operations: {backup: {rules: {daily: {copy_retention_days: 7}}}}\n",
            "operations.backup.rules.daily.copy_retention_days",
            "only used with copy_region",
            "copy_region",
        ),
        (
            TOOLING + "operations: {backup: {rules: {}}}\n",
            "operations.backup.rules",
            "no backup rule",
            "daily",
        ),
    ],
)
def test_each_operations_problem_names_field_and_hint(
    tmp_path: Path, config: str, field: str, message: str, hint: str
) -> None:
    found = only_problem(write(tmp_path / "e", tooling=config))
    assert found.startswith(f"e/tooling.yaml: {field}: "), found
    assert message in found
    assert hint in found.split("hint: ", 1)[1]


def test_shape_errors_are_reported_by_the_model(tmp_path: Path) -> None:
    found = problems(
        write(
            tmp_path / "e",
            tooling=TOOLING
            + "operations:\n  backup: {rules: {daily: {schedule: 'rate(1 day)', retention_days: 0}}}\n"
            + "  monitoring: {thresholds: {ecs_cpu_percent: 120, unknown: 1}}\n",
        )
    )
    fields = sorted(p.split(": ", 2)[1] for p in found)
    assert fields == [
        "operations.backup.rules.daily.retention_days",
        "operations.backup.rules.daily.schedule",
        "operations.monitoring.thresholds.ecs_cpu_percent",
        "operations.monitoring.thresholds.unknown",
    ]


def test_targets_have_no_operations_section(tmp_path: Path) -> None:
    found = only_problem(write(tmp_path / "e", tooling=TOOLING, a=TARGET + "operations: {}\n"))
    assert found.startswith("e/a.yaml: operations: only the tooling account runs GitLab's operations")


def test_inspector_findings_page_from_high_unless_configured(tmp_path: Path) -> None:
    defaults = Operations()
    assert defaults.monitoring is not None and defaults.monitoring.finding_min_severity == "HIGH"
    env = load_environments(
        write(tmp_path / "a", tooling=TOOLING + "operations: {monitoring: {finding_min_severity: CRITICAL}}\n")
    )
    assert env.tooling.operations is not None and env.tooling.operations.monitoring is not None
    assert env.tooling.operations.monitoring.finding_min_severity == "CRITICAL"
    message = only_problem(
        write(tmp_path / "b", tooling=TOOLING + "operations: {monitoring: {finding_min_severity: high}}\n")
    )
    assert "operations.monitoring.finding_min_severity" in message
    assert "CRITICAL" in message and "HIGH" in message  # the hint lists what is allowed
