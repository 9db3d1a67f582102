"""RotationRestart: the rotation event of exactly the database secret starts a state machine
whose one SDK task forces a new deployment of exactly GitLab's service; each role may do
only its step; execution logs are encrypted and kept."""

from __future__ import annotations

import json
from typing import Any

import pytest
from cdktf import TerraformStack, Testing

from modules.naming import Namer
from modules.rotation_restart import RotationRestart, RotationRestartProps
from tests.support.synth import by_path, only, policy, ref, synth_stack

SECRET = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!cluster-abc"
CLUSTER = "arn:aws:ecs:eu-west-1:123456789012:cluster/acme-tooling-gitlab"
SERVICE = "arn:aws:ecs:eu-west-1:123456789012:service/acme-tooling-gitlab/acme-tooling-gitlab"


@pytest.fixture(scope="module")
def stack() -> dict[str, Any]:
    app = Testing.app()
    scope = TerraformStack(app, "test")
    RotationRestart(
        scope,
        "restart",
        RotationRestartProps(
            namer=Namer("acme", "tooling"),
            account_id="123456789012",
            region="eu-west-1",
            secret_arn=SECRET,
            cluster_arn=CLUSTER,
            service_arn=SERVICE,
            service_name="acme-tooling-gitlab",
            log_retention_days=90,
        ),
    )
    return synth_stack(scope)


def test_the_rule_matches_the_rotation_of_the_database_secret_only(stack: dict[str, Any]) -> None:
    pattern = json.loads(only(stack, "aws_cloudwatch_event_rule")["event_pattern"])
    assert pattern == {
        "source": ["aws.secretsmanager"],
        "detail-type": ["AWS Service Event via CloudTrail"],
        "detail": {
            "eventSource": ["secretsmanager.amazonaws.com"],
            "eventName": ["RotationSucceeded"],
            "additionalEventData": {"SecretId": [SECRET]},
        },
    }


def test_the_rule_starts_the_state_machine_with_a_role_that_may_only_start_it(stack: dict[str, Any]) -> None:
    target = only(stack, "aws_cloudwatch_event_target")
    assert target["arn"] == ref(stack, "aws_sfn_state_machine", "restart/state-machine", "arn")
    assert target["rule"] == ref(stack, "aws_cloudwatch_event_rule", "restart/rule", "name")
    assert target["role_arn"] == ref(stack, "aws_iam_role", "restart/events-role", "arn")
    trust = policy(by_path(stack, "aws_iam_role", "restart/events-role"), "assume_role_policy")["Statement"][0]
    assert trust["Principal"] == {"Service": "events.amazonaws.com"}
    assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": "123456789012"}}
    (grant,) = policy(by_path(stack, "aws_iam_role_policy", "restart/events-policy"))["Statement"]
    assert grant["Action"] == ["states:StartExecution"]
    assert grant["Resource"] == "arn:aws:states:eu-west-1:123456789012:stateMachine:acme-tooling-gitlab-restart"
    assert only(stack, "aws_sfn_state_machine")["name"] == "acme-tooling-gitlab-restart"


def test_the_state_machine_forces_a_new_deployment_through_the_sdk_integration(stack: dict[str, Any]) -> None:
    machine = only(stack, "aws_sfn_state_machine")
    body = json.loads(machine["definition"])
    assert body["StartAt"] == "ForceNewDeployment"
    (state,) = body["States"].values()
    assert state["Type"] == "Task" and state["End"] is True
    assert state["Resource"] == "arn:aws:states:::aws-sdk:ecs:updateService"
    assert state["Parameters"] == {"Cluster": CLUSTER, "Service": "acme-tooling-gitlab", "ForceNewDeployment": True}
    assert state["Retry"][0]["MaxAttempts"] >= 3
    assert machine["type"] == "STANDARD"
    assert machine["tracing_configuration"] == {"enabled": True}


def test_the_machine_role_may_update_gitlab_s_service_only(stack: dict[str, Any]) -> None:
    statements = {
        s["Sid"]: s for s in policy(by_path(stack, "aws_iam_role_policy", "restart/machine-policy"))["Statement"]
    }
    assert statements["ForceNewGitLabDeployment"]["Action"] == ["ecs:UpdateService"]
    assert statements["ForceNewGitLabDeployment"]["Resource"] == SERVICE
    # Only log delivery and X-Ray, which have no resource-level permissions, are on "*".
    wildcard = {a for s in statements.values() if s["Resource"] == "*" for a in s["Action"]}
    assert all(a.startswith(("logs:", "xray:")) for a in wildcard)
    assert not any(a.endswith("*") for s in statements.values() for a in s["Action"])
    trust = policy(by_path(stack, "aws_iam_role", "restart/machine-role"), "assume_role_policy")["Statement"][0]
    assert trust["Principal"] == {"Service": "states.amazonaws.com"}


def test_execution_logs_are_encrypted_and_kept(stack: dict[str, Any]) -> None:
    group = only(stack, "aws_cloudwatch_log_group")
    assert group["name"] == "/acme/tooling/gitlab-restart"
    assert group["retention_in_days"] == 90
    assert group["kms_key_id"] == ref(stack, "aws_kms_key", "restart/logs-key/key", "arn")
    grant = policy(only(stack, "aws_kms_key"))["Statement"][1]
    log_group_arn = "arn:aws:logs:eu-west-1:123456789012:log-group:/acme/tooling/gitlab-restart"
    assert grant["Condition"] == {"ArnEquals": {"kms:EncryptionContext:aws:logs:arn": log_group_arn}}
    logging = only(stack, "aws_sfn_state_machine")["logging_configuration"]
    assert logging["level"] == "ALL"
    assert logging["log_destination"] == ref(stack, "aws_cloudwatch_log_group", "restart/log-group", "arn") + ":*"
