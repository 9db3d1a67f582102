"""Amazon Inspector findings of the GitLab image's ECR repository, at or above a severity:
active ones to the alarm topic through an EventBridge rule, every state change into a
KMS-encrypted log group, whose latest state per finding is the open count on the dashboard."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Literal

from cdktf_cdktf_provider_aws.cloudwatch_event_rule import CloudwatchEventRule
from cdktf_cdktf_provider_aws.cloudwatch_event_target import (
    CloudwatchEventTarget,
    CloudwatchEventTargetInputTransformer,
)
from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from cdktf_cdktf_provider_aws.cloudwatch_log_resource_policy import CloudwatchLogResourcePolicy
from constructs import Construct

from modules.kms_key import KmsKey, KmsKeyProps
from modules.naming import Namer
from modules.policy import arn, document, logs_key_statement, statement

Severity = Literal["CRITICAL", "HIGH", "MEDIUM", "LOW", "INFORMATIONAL"]
# Inspector's severities, highest first ("Understanding severity levels for your Amazon
# Inspector findings", Amazon Inspector User Guide); UNTRIAGED has no score and is left out.
SEVERITIES: tuple[Severity, ...] = ("CRITICAL", "HIGH", "MEDIUM", "LOW", "INFORMATIONAL")
# Every finding is published as an "Inspector2 Finding" event when it is created and when
# its state changes (ACTIVE, SUPPRESSED, CLOSED); an ECR image finding names the image in
# detail.resources[].details.awsEcrContainerImage ("Amazon EventBridge event schema for
# Amazon Inspector events", Amazon Inspector User Guide).
SOURCE = "aws.inspector2"
DETAIL_TYPE = "Inspector2 Finding"
IMAGE = "$.detail.resources[0].details.awsEcrContainerImage"
# EventBridge writes to a log group whose name starts with /aws/events/ ("Amazon
# CloudWatch Logs" target, Amazon EventBridge User Guide).
LOG_GROUP_PREFIX = "/aws/events"


def severities_from(minimum: Severity) -> list[str]:
    """``minimum`` and every severity above it."""
    return list(SEVERITIES[: SEVERITIES.index(minimum) + 1])


def event_pattern(repository_name: str, minimum: Severity, statuses: list[str] | None = None) -> str:
    detail: dict[str, object] = {
        "severity": severities_from(minimum),
        "resources": {"details": {"awsEcrContainerImage": {"repositoryName": [repository_name]}}},
    }
    if statuses is not None:
        detail["status"] = statuses
    return json.dumps({"source": [SOURCE], "detail-type": [DETAIL_TYPE], "detail": detail}, sort_keys=True)


# The message the topic's subscribers read: which image, which finding, how bad.
INPUT_PATHS = {
    "severity": "$.detail.severity",
    "title": "$.detail.title",
    "finding": "$.detail.findingArn",
    "repository": f"{IMAGE}.repositoryName",
    "tags": f"{IMAGE}.imageTags",
    "digest": f"{IMAGE}.imageHash",
    "region": "$.region",
}
# A JSON template: EventBridge quotes string values itself, arrays (tags) stay arrays.
INPUT_TEMPLATE = (
    '{"source": "Amazon Inspector", "severity": <severity>, "title": <title>, '
    '"repository": <repository>, "tags": <tags>, "digest": <digest>, "finding": <finding>, '
    '"region": <region>}'
)


def open_findings_query(log_group_name: str) -> str:
    """Logs Insights: the latest state of each finding, counting those still ACTIVE."""
    return (
        f"SOURCE '{log_group_name}' "
        "| stats latest(detail.status) as status, latest(detail.severity) as severity by detail.findingArn "
        "| filter status = 'ACTIVE' "
        "| stats count(*) as open by severity"
    )


@dataclass(frozen=True)
class InspectorFindingsProps:
    """Inputs of ``InspectorFindings``: the repository (name as ECR shows it, the
    pull-through cache's included), the alarm topic, and the lowest severity that pages."""

    namer: Namer
    account_id: str
    region: str
    repository_name: str
    topic_arn: str
    partition: str = "aws"
    min_severity: Severity = "HIGH"
    log_retention_days: int = 365


class InspectorFindings(Construct):
    """``alarm_rule`` pages on active findings; ``log_group`` keeps every state change."""

    def __init__(self, scope: Construct, id_: str, props: InspectorFindingsProps) -> None:
        super().__init__(scope, id_)
        namer = props.namer
        log_name = LOG_GROUP_PREFIX + namer.path("log_group", "inspector-findings")
        log_arn = arn(props.partition, "logs", props.region, props.account_id, f"log-group:{log_name}")
        key = KmsKey(
            self,
            "logs-key",
            KmsKeyProps(
                namer=namer,
                purpose="inspector-findings-logs",
                description=f"Inspector findings log of {namer.prefix}-{namer.workspace}",
                account_id=props.account_id,
                partition=props.partition,
                service_statements=(logs_key_statement("CloudWatchLogsForTheFindingsLogGroup", props.region, log_arn),),
            ),
        )
        self.log_group = CloudwatchLogGroup(
            self, "log-group", name=log_name, retention_in_days=props.log_retention_days, kms_key_id=key.arn
        )
        self.alarm_rule = CloudwatchEventRule(
            self,
            "alarm-rule",
            name=namer.name("default", "inspector-findings"),
            description=f"Active Inspector findings of {props.repository_name} at {props.min_severity} or above",
            event_pattern=event_pattern(props.repository_name, props.min_severity, ["ACTIVE"]),
        )
        # SNS targets are allowed by the topic's policy, not by a role ("Amazon SNS
        # permissions", Amazon EventBridge User Guide).
        CloudwatchEventTarget(
            self,
            "alarm-target",
            rule=self.alarm_rule.name,
            arn=props.topic_arn,
            input_transformer=CloudwatchEventTargetInputTransformer(
                input_paths=INPUT_PATHS, input_template=INPUT_TEMPLATE
            ),
        )
        # Every state change, so that a closed or suppressed finding stops counting.
        self.log_rule = CloudwatchEventRule(
            self,
            "log-rule",
            name=namer.name("default", "inspector-findings-log"),
            description=f"Every state change of Inspector findings of {props.repository_name}",
            event_pattern=event_pattern(props.repository_name, props.min_severity),
        )
        # A log group target is allowed by the log group's resource policy, for both
        # principals the EventBridge guide names ("CloudWatch Logs permissions").
        CloudwatchLogResourcePolicy(
            self,
            "log-policy",
            policy_name=namer.name("default", "inspector-findings-to-logs"),
            policy_document=document(
                [
                    statement(
                        "EventBridgeWritesFindings",
                        ["logs:CreateLogStream", "logs:PutLogEvents"],
                        [f"{log_arn}:*"],
                        principals={"Service": ["events.amazonaws.com", "delivery.logs.amazonaws.com"]},
                        conditions={"ArnEquals": {"aws:SourceArn": self.log_rule.arn}},
                    )
                ]
            ),
        )
        CloudwatchEventTarget(self, "log-target", rule=self.log_rule.name, arn=self.log_group.arn)
        self.open_findings_query = open_findings_query(log_name)
