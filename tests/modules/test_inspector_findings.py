"""Inspector findings: the paging rule's pattern and message, the log of every state change, its grants."""

from __future__ import annotations

import json
from typing import Any

import pytest
from cdktf import TerraformStack, Testing

from modules.inspector_findings import (
    INPUT_PATHS,
    InspectorFindings,
    InspectorFindingsProps,
    open_findings_query,
    severities_from,
)
from modules.naming import Namer
from tests.support.synth import by_path, policy, ref, resources, synth_stack

TOPIC = "arn:aws:sns:eu-west-1:123456789012:acme-tooling-gitlab-alarms"
LOG_GROUP = "/aws/events/acme/tooling/inspector-findings"


def synth(**changes: Any) -> dict[str, Any]:
    app = Testing.app()
    scope = TerraformStack(app, "test")
    values: dict[str, Any] = {
        "namer": Namer("acme", "tooling"),
        "account_id": "123456789012",
        "region": "eu-west-1",
        "repository_name": "acme-tooling-gitlab-ce",
        "topic_arn": TOPIC,
    }
    InspectorFindings(scope, "findings", InspectorFindingsProps(**(values | changes)))
    return synth_stack(scope)


@pytest.fixture(scope="module")
def stack() -> dict[str, Any]:
    return synth()


def test_severities_at_or_above_the_minimum() -> None:
    assert severities_from("CRITICAL") == ["CRITICAL"]
    assert severities_from("HIGH") == ["CRITICAL", "HIGH"]
    assert severities_from("LOW") == ["CRITICAL", "HIGH", "MEDIUM", "LOW"]


def test_active_findings_of_the_repository_page_the_topic(stack: dict[str, Any]) -> None:
    rule = by_path(stack, "aws_cloudwatch_event_rule", "findings/alarm-rule")
    assert rule["name"] == "acme-tooling-inspector-findings"
    assert json.loads(rule["event_pattern"]) == {
        "source": ["aws.inspector2"],
        "detail-type": ["Inspector2 Finding"],
        "detail": {
            "severity": ["CRITICAL", "HIGH"],
            "status": ["ACTIVE"],
            "resources": {"details": {"awsEcrContainerImage": {"repositoryName": ["acme-tooling-gitlab-ce"]}}},
        },
    }
    target = by_path(stack, "aws_cloudwatch_event_target", "findings/alarm-target")
    assert target["arn"] == TOPIC
    assert target["rule"] == ref(stack, "aws_cloudwatch_event_rule", "findings/alarm-rule", "name")
    transformer = target["input_transformer"]
    # Repository, tag and finding are in the message.
    paths = transformer["input_paths"]
    assert paths["repository"] == "$.detail.resources[0].details.awsEcrContainerImage.repositoryName"
    assert paths["tags"] == "$.detail.resources[0].details.awsEcrContainerImage.imageTags"
    assert paths["finding"] == "$.detail.findingArn"
    assert paths == INPUT_PATHS
    template = transformer["input_template"]
    for name in INPUT_PATHS:
        assert f"<{name}>" in template
    # With each placeholder replaced by a JSON value the template is a JSON object.
    filled = template
    for name in INPUT_PATHS:
        filled = filled.replace(f"<{name}>", '["x"]' if name == "tags" else '"x"')
    assert json.loads(filled)["repository"] == "x"


def test_the_minimum_severity_is_configurable() -> None:
    rule = by_path(synth(min_severity="CRITICAL"), "aws_cloudwatch_event_rule", "findings/alarm-rule")
    assert json.loads(rule["event_pattern"])["detail"]["severity"] == ["CRITICAL"]


def test_every_state_change_is_logged_encrypted(stack: dict[str, Any]) -> None:
    rule = by_path(stack, "aws_cloudwatch_event_rule", "findings/log-rule")
    pattern = json.loads(rule["event_pattern"])
    assert "status" not in pattern["detail"]  # CLOSED and SUPPRESSED too: the count goes down
    assert pattern["detail"]["severity"] == ["CRITICAL", "HIGH"]
    group = by_path(stack, "aws_cloudwatch_log_group", "findings/log-group")
    assert group["name"] == LOG_GROUP
    assert group["retention_in_days"] == 365
    assert group["kms_key_id"] == ref(stack, "aws_kms_key", "findings/logs-key/key", "arn")
    key_grant = policy(by_path(stack, "aws_kms_key", "findings/logs-key/key"))["Statement"][1]
    assert key_grant["Principal"] == {"Service": "logs.eu-west-1.amazonaws.com"}
    assert key_grant["Condition"] == {
        "ArnEquals": {
            "kms:EncryptionContext:aws:logs:arn": f"arn:aws:logs:eu-west-1:123456789012:log-group:{LOG_GROUP}"
        }
    }
    target = by_path(stack, "aws_cloudwatch_event_target", "findings/log-target")
    assert target["arn"] == ref(stack, "aws_cloudwatch_log_group", "findings/log-group", "arn")
    assert "role_arn" not in target


def test_only_the_log_rule_may_write_the_log_group(stack: dict[str, Any]) -> None:
    (body,) = resources(stack, "aws_cloudwatch_log_resource_policy").values()
    (grant,) = policy(body, "policy_document")["Statement"]
    assert grant["Principal"] == {"Service": ["events.amazonaws.com", "delivery.logs.amazonaws.com"]}
    assert grant["Action"] == ["logs:CreateLogStream", "logs:PutLogEvents"]
    assert grant["Resource"] == f"arn:aws:logs:eu-west-1:123456789012:log-group:{LOG_GROUP}:*"
    assert grant["Condition"] == {
        "ArnEquals": {"aws:SourceArn": ref(stack, "aws_cloudwatch_event_rule", "findings/log-rule", "arn")}
    }


def test_open_count_is_the_latest_state_per_finding() -> None:
    query = open_findings_query(LOG_GROUP)
    assert query.startswith(f"SOURCE '{LOG_GROUP}' ")
    assert "latest(detail.status) as status" in query
    assert "by detail.findingArn" in query
    assert "filter status = 'ACTIVE'" in query
