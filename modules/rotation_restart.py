"""A controlled GitLab restart after the database password rotates: an EventBridge rule on
Secrets Manager's ``RotationSucceeded`` event of the database secret starts a Step Functions
state machine whose only state is the SDK integration ``ecs:updateService`` with
``forceNewDeployment`` (no custom code)."""

from __future__ import annotations

import json
from dataclasses import dataclass

from cdktf_cdktf_provider_aws.cloudwatch_event_rule import CloudwatchEventRule
from cdktf_cdktf_provider_aws.cloudwatch_event_target import CloudwatchEventTarget
from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from cdktf_cdktf_provider_aws.sfn_state_machine import (
    SfnStateMachine,
    SfnStateMachineLoggingConfiguration,
    SfnStateMachineTracingConfiguration,
)
from constructs import Construct

from modules.kms_key import KmsKey, KmsKeyProps
from modules.naming import Namer
from modules.policy import arn, document, logs_key_statement, service_trust, statement

# Secrets Manager records the end of every rotation, managed ones included, as the
# CloudTrail event RotationSucceeded (a service event, not an API call), whose
# additionalEventData.SecretId is the secret's ARN ("Log AWS Secrets Manager events
# with AWS CloudTrail", Secrets Manager User Guide; "Match events when a secret value
# rotates", same guide).
DETAIL_TYPE = "AWS Service Event via CloudTrail"
EVENT_NAME = "RotationSucceeded"
# Step Functions' AWS SDK service integration ("AWS SDK service integrations",
# Step Functions Developer Guide): the service name and the API action in camel case.
UPDATE_SERVICE = "arn:aws:states:::aws-sdk:ecs:updateService"
# Vended-log delivery actions have no resource-level permissions ("Logging using
# CloudWatch Logs", Step Functions Developer Guide, IAM policies for logging).
LOG_DELIVERY_ACTIONS = (
    "logs:CreateLogDelivery",
    "logs:DeleteLogDelivery",
    "logs:DescribeLogGroups",
    "logs:DescribeResourcePolicies",
    "logs:GetLogDelivery",
    "logs:ListLogDeliveries",
    "logs:PutResourcePolicy",
    "logs:UpdateLogDelivery",
)
# X-Ray's write actions take no resource ("AWS X-Ray and Step Functions", X-Ray permissions).
XRAY_ACTIONS = ("xray:GetSamplingRules", "xray:GetSamplingTargets", "xray:PutTraceSegments", "xray:PutTelemetryRecords")


@dataclass(frozen=True)
class RotationRestartProps:
    """Inputs of ``RotationRestart``: the rotating secret and the ECS service that reads it at start."""

    namer: Namer
    account_id: str
    region: str
    secret_arn: str
    cluster_arn: str
    service_arn: str
    service_name: str
    partition: str = "aws"
    log_retention_days: int = 365


def event_pattern(secret_arn: str) -> str:
    return json.dumps(
        {
            "source": ["aws.secretsmanager"],
            "detail-type": [DETAIL_TYPE],
            "detail": {
                "eventSource": ["secretsmanager.amazonaws.com"],
                "eventName": [EVENT_NAME],
                "additionalEventData": {"SecretId": [secret_arn]},
            },
        },
        sort_keys=True,
    )


def definition(cluster_arn: str, service_name: str) -> str:
    """One task state, retried with backoff (ECS throttles and has transient errors)."""
    return json.dumps(
        {
            "Comment": "Restart GitLab after its database password rotated (GitLab reads it at start)",
            "StartAt": "ForceNewDeployment",
            "States": {
                "ForceNewDeployment": {
                    "Type": "Task",
                    "Resource": UPDATE_SERVICE,
                    "Parameters": {"Cluster": cluster_arn, "Service": service_name, "ForceNewDeployment": True},
                    "Retry": [
                        {"ErrorEquals": ["States.ALL"], "IntervalSeconds": 30, "MaxAttempts": 5, "BackoffRate": 2}
                    ],
                    "End": True,
                }
            },
        },
        sort_keys=True,
    )


class RotationRestart(Construct):
    """``state_machine`` can also be started by hand (the runbook does after a manual rotation)."""

    def __init__(self, scope: Construct, id_: str, props: RotationRestartProps) -> None:
        super().__init__(scope, id_)
        namer = props.namer
        log_name = namer.path("log_group", "gitlab-restart")
        log_arn = arn(props.partition, "logs", props.region, props.account_id, f"log-group:{log_name}")
        key = KmsKey(
            self,
            "logs-key",
            KmsKeyProps(
                namer=namer,
                purpose="gitlab-restart-logs",
                description=f"GitLab restart state machine logs of {namer.prefix}-{namer.workspace}",
                account_id=props.account_id,
                partition=props.partition,
                service_statements=(logs_key_statement("CloudWatchLogsForTheRestartLogGroup", props.region, log_arn),),
            ),
        )
        self.log_group = CloudwatchLogGroup(
            self, "log-group", name=log_name, retention_in_days=props.log_retention_days, kms_key_id=key.arn
        )
        machine_name = namer.name("default", "gitlab-restart")
        machine_arn = arn(props.partition, "states", props.region, props.account_id, f"stateMachine:{machine_name}")
        self.machine_role = IamRole(
            self,
            "machine-role",
            name=namer.name("iam_role", "gitlab-restart"),
            assume_role_policy=service_trust("states.amazonaws.com", props.account_id),
        )
        IamRolePolicy(
            self,
            "machine-policy",
            name="restart-gitlab",
            role=self.machine_role.id,
            policy=document(
                [
                    statement("ForceNewGitLabDeployment", ["ecs:UpdateService"], [props.service_arn]),
                    statement("DeliverExecutionLogs", list(LOG_DELIVERY_ACTIONS), ["*"]),
                    statement("WriteTraces", list(XRAY_ACTIONS), ["*"]),
                ]
            ),
        )
        self.state_machine = SfnStateMachine(
            self,
            "state-machine",
            name=machine_name,
            type="STANDARD",
            role_arn=self.machine_role.arn,
            definition=definition(props.cluster_arn, props.service_name),
            logging_configuration=SfnStateMachineLoggingConfiguration(
                log_destination=f"{self.log_group.arn}:*", level="ALL", include_execution_data=True
            ),
            tracing_configuration=SfnStateMachineTracingConfiguration(enabled=True),
        )
        self.events_role = IamRole(
            self,
            "events-role",
            name=namer.name("iam_role", "gitlab-restart-events"),
            assume_role_policy=service_trust("events.amazonaws.com", props.account_id),
        )
        IamRolePolicy(
            self,
            "events-policy",
            name="start-gitlab-restart",
            role=self.events_role.id,
            policy=document([statement("StartRestart", ["states:StartExecution"], [machine_arn])]),
        )
        self.rule = CloudwatchEventRule(
            self,
            "rule",
            name=namer.name("default", "gitlab-db-rotated"),
            description="The database secret rotated: restart GitLab, which reads the password at start",
            event_pattern=event_pattern(props.secret_arn),
        )
        CloudwatchEventTarget(
            self,
            "target",
            rule=self.rule.name,
            arn=self.state_machine.arn,
            role_arn=self.events_role.arn,
        )
