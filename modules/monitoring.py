"""CloudWatch alarms for GitLab's load balancer, service, database, file system and VPN,
an SNS topic (KMS) they notify, and a dashboard of the same metrics; with the image's
repository, its Inspector findings page the same topic (``modules/inspector_findings.py``)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

from cdktf_cdktf_provider_aws.cloudwatch_dashboard import CloudwatchDashboard
from cdktf_cdktf_provider_aws.cloudwatch_log_metric_filter import (
    CloudwatchLogMetricFilter,
    CloudwatchLogMetricFilterMetricTransformation,
)
from cdktf_cdktf_provider_aws.cloudwatch_metric_alarm import (
    CloudwatchMetricAlarm,
    CloudwatchMetricAlarmMetricQuery,
    CloudwatchMetricAlarmMetricQueryMetric,
)
from cdktf_cdktf_provider_aws.sns_topic import SnsTopic
from cdktf_cdktf_provider_aws.sns_topic_policy import SnsTopicPolicy
from cdktf_cdktf_provider_aws.sns_topic_subscription import SnsTopicSubscription
from constructs import Construct

from modules.inspector_findings import InspectorFindings, InspectorFindingsProps, Severity
from modules.kms_key import KmsKey, KmsKeyProps
from modules.naming import Namer
from modules.policy import document, statement

MIB = 1024**2
GIB = 1024**3
# Services that publish to the topic; an encrypted topic needs their use of the key
# ("Encryption at rest", Amazon SNS Developer Guide: CloudWatch alarms and AWS
# Backup notifications need a customer managed key that grants them; so do EventBridge
# rules, "Amazon SNS permissions", Amazon EventBridge User Guide).
PUBLISHERS = ("cloudwatch.amazonaws.com", "backup.amazonaws.com", "events.amazonaws.com")


@dataclass(frozen=True)
class AlarmThresholds:
    """When each alarm fires; see ``config.operations.Thresholds`` for the meaning."""

    alb_5xx_count: int = 10
    alb_latency_seconds: float = 5.0
    unhealthy_minutes: int = 20
    ecs_cpu_percent: int = 85
    ecs_memory_percent: int = 90
    task_missing_minutes: int = 15
    database_cpu_percent: int = 80
    database_connections: int = 500
    database_free_storage_gib: int = 10
    database_free_local_storage_gib: int = 2
    database_freeable_memory_mib: int = 512
    efs_throughput_percent: int = 80
    efs_burst_credit_gib: int = 180
    efs_replication_lag_minutes: int = 60
    vpn_authentication_failures: int = 20
    rails_5xx_percent: float = 5.0
    failed_sign_ins: int = 20
    sidekiq_job_failures: int = 10
    gitlab_backup_missing_hours: int = 26


@dataclass(frozen=True)
class LogMetric:
    """A metric filter: counts the events of a component's log group that match ``pattern``."""

    component: str
    pattern: str
    description: str


# CloudWatch JSON filter patterns ("Filter pattern syntax", CloudWatch Logs User
# Guide) on GitLab's JSON lines ("Log system", GitLab docs): production_json.log has
# the request's "status"; a failed password sign-in is the application log's
# "Failed Login: username=... ip=..." message; Sidekiq's log marks a failed job with
# "job_status": "fail".
LOG_METRICS: Mapping[str, LogMetric] = MappingProxyType(
    {
        "rails-requests": LogMetric("rails", "{ $.status >= 100 }", "Rails requests"),
        "rails-5xx": LogMetric("rails", "{ $.status >= 500 }", "Rails requests answered with 5xx"),
        "failed-sign-ins": LogMetric("application", '{ $.message = "Failed Login:*" }', "Failed sign-ins"),
        "sidekiq-job-failures": LogMetric("sidekiq", '{ $.job_status = "fail" }', "Failed Sidekiq jobs"),
        # The one JSON line each run of gitlab-backup-s3 prints (modules/gitlab_backup.py)
        # on the GitLab container's own output, component "backup".
        "gitlab-backups": LogMetric(
            "backup", '{ $.component = "gitlab-backup" && $.status = "succeeded" }', "Finished GitLab backups"
        ),
        "gitlab-backup-failures": LogMetric(
            "backup", '{ $.component = "gitlab-backup" && $.status = "failed" }', "Failed GitLab backups"
        ),
    }
)


@dataclass(frozen=True)
class Metric:
    """One CloudWatch metric with its statistic (``p95`` etc. for percentiles)."""

    namespace: str
    name: str
    dimensions: Mapping[str, str]
    statistic: str


@dataclass(frozen=True)
class Alarm:
    """One alarm: ``metrics`` holds one metric, or several combined by ``expression``
    (metric math over ids m0, m1, ...)."""

    description: str
    metrics: tuple[Metric, ...]
    comparison: str
    threshold: float
    period: int
    evaluation_periods: int
    treat_missing_data: str = "notBreaching"
    expression: str | None = None


@dataclass(frozen=True)
class MonitoringProps:
    """Inputs of ``Monitoring``.

    Identifiers are what CloudWatch uses as dimensions: the ALB's and target group's
    ``arn_suffix``, the ECS cluster and service names, the Aurora cluster or RDS
    instance identifier, the file system ID and, optionally, the Client VPN endpoint.
    ``efs_replica_file_system_id``: the EFS replica in another region, whose lag is
    watched. ``subscriptions``: name -> (protocol, endpoint).
    ``replicated_buckets``: key -> (source bucket, replica bucket, replication rule ID),
    whose failed replications are alarmed.
    ``log_groups``: component -> log group name of GitLab's routed logs
    (``modules.gitlab_service.LOG_FILES``), and ``backup`` -> the GitLab container's
    own log group when GitLab backs itself up; the metric filters of ``LOG_METRICS``
    and their alarms exist for the components present.
    ``image_repository_name``: the GitLab image's ECR repository whose Inspector
    findings at ``finding_min_severity`` or above page the topic; None: no such rule
    (basic scanning produces no Inspector findings).
    """

    namer: Namer
    account_id: str
    region: str
    load_balancer_arn_suffix: str
    target_group_arn_suffix: str
    cluster_name: str
    service_name: str
    database_identifier: str
    file_system_id: str
    partition: str = "aws"
    database_engine: Literal["aurora-postgresql", "postgres"] = "aurora-postgresql"
    efs_throughput_mode: Literal["elastic", "provisioned", "bursting"] = "elastic"
    client_vpn_endpoint_id: str | None = None
    efs_replica_file_system_id: str | None = None
    subscriptions: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    thresholds: AlarmThresholds = field(default_factory=AlarmThresholds)
    image_repository_name: str | None = None
    finding_min_severity: Severity = "HIGH"
    replicated_buckets: Mapping[str, tuple[str, str, str]] = field(default_factory=dict)
    log_groups: Mapping[str, str] = field(default_factory=dict)

    @property
    def log_namespace(self) -> str:
        return f"GitLab/{self.namer.prefix}-{self.namer.workspace}"

    def log_metric(self, key: str) -> Metric:
        return Metric(self.log_namespace, key, MappingProxyType({}), "Sum")

    def has_logs(self, *keys: str) -> bool:
        return all(LOG_METRICS[key].component in self.log_groups for key in keys)

    def __post_init__(self) -> None:
        object.__setattr__(self, "log_groups", MappingProxyType(dict(self.log_groups)))
        object.__setattr__(self, "subscriptions", MappingProxyType(dict(self.subscriptions)))
        object.__setattr__(self, "replicated_buckets", MappingProxyType(dict(self.replicated_buckets)))


def _metric(namespace: str, name: str, statistic: str, **dimensions: str) -> Metric:
    return Metric(namespace, name, MappingProxyType(dimensions), statistic)


def alarms(props: MonitoringProps) -> dict[str, Alarm]:
    """Every alarm, keyed by a stable name (the Terraform address and the alarm name)."""
    t = props.thresholds
    lb = {"LoadBalancer": props.load_balancer_arn_suffix}
    service = {"ClusterName": props.cluster_name, "ServiceName": props.service_name}
    found: dict[str, Alarm] = {
        "alb-5xx": Alarm(
            "GitLab's load balancer answered with 5xx itself (no healthy target, timeouts)",
            (_metric("AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count", "Sum", **lb),),
            "GreaterThanThreshold", t.alb_5xx_count, 300, 1,
        ),
        "target-5xx": Alarm(
            "GitLab answered with 5xx (the design's post-update 500 error shows up here)",
            (_metric("AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", "Sum", **lb),),
            "GreaterThanThreshold", t.alb_5xx_count, 300, 1,
        ),
        "unhealthy-target": Alarm(
            "GitLab's target fails the /-/readiness health check",
            (_metric("AWS/ApplicationELB", "UnHealthyHostCount", "Maximum",
                     TargetGroup=props.target_group_arn_suffix, **lb),),
            "GreaterThanThreshold", 0, 60, t.unhealthy_minutes,
        ),
        "latency": Alarm(
            f"p95 response time of GitLab above {t.alb_latency_seconds} s",
            (_metric("AWS/ApplicationELB", "TargetResponseTime", "p95", **lb),),
            "GreaterThanThreshold", t.alb_latency_seconds, 300, 3,
        ),
        "ecs-cpu": Alarm(
            "GitLab task CPU utilization",
            (_metric("AWS/ECS", "CPUUtilization", "Average", **service),),
            "GreaterThanThreshold", t.ecs_cpu_percent, 300, 3,
        ),
        "ecs-memory": Alarm(
            "GitLab task memory utilization",
            (_metric("AWS/ECS", "MemoryUtilization", "Average", **service),),
            "GreaterThanThreshold", t.ecs_memory_percent, 300, 3,
        ),
        # Container Insights (on for the cluster) publishes the count every minute;
        # no data at all is as bad as zero.
        "no-running-task": Alarm(
            "No GitLab task is running",
            (_metric("ECS/ContainerInsights", "RunningTaskCount", "Maximum", **service),),
            "LessThanThreshold", 1, 60, t.task_missing_minutes, treat_missing_data="breaching",
        ),
    }  # fmt: skip
    found.update(_database_alarms(props))
    found.update(_efs_alarms(props))
    # With replication metrics on, S3 publishes per rule in the source region
    # ("Monitoring progress with replication metrics", S3 User Guide).
    for name, (source, replica, rule) in props.replicated_buckets.items():
        found[f"s3-replication-{name}"] = Alarm(
            f"Objects of the {name} bucket failed to replicate to the recovery region",
            (_metric("AWS/S3", "OperationsFailedReplication", "Sum",
                     SourceBucket=source, DestinationBucket=replica, RuleId=rule),),
            "GreaterThanThreshold", 0, 300, 1,
        )  # fmt: skip
    found.update(_log_alarms(props))
    if props.client_vpn_endpoint_id is not None:
        found["vpn-auth-failures"] = Alarm(
            "Client VPN authentication failures (expired certificates, revoked users, guessing)",
            (_metric("AWS/ClientVPN", "AuthenticationFailures", "Sum", Endpoint=props.client_vpn_endpoint_id),),
            "GreaterThanThreshold",
            t.vpn_authentication_failures,
            300,
            1,
        )
    return found


def _log_alarms(props: MonitoringProps) -> dict[str, Alarm]:
    """Alarms on the metric filters of GitLab's routed logs."""
    t = props.thresholds
    found: dict[str, Alarm] = {}
    if props.has_logs("rails-5xx", "rails-requests"):
        # A rate, unlike target-5xx: a busy hour's few 5xx do not page, a small
        # instance's broken page does. No requests: no data, not breaching.
        found["rails-5xx-rate"] = Alarm(
            f"More than {t.rails_5xx_percent} % of GitLab's Rails requests answered with 5xx",
            (props.log_metric("rails-5xx"), props.log_metric("rails-requests")),
            "GreaterThanThreshold", t.rails_5xx_percent, 300, 2,
            expression="100 * m0 / m1",
        )  # fmt: skip
    if props.has_logs("failed-sign-ins"):
        found["failed-sign-ins"] = Alarm(
            "Failed GitLab sign-ins (guessing, a locked-out user, a broken integration)",
            (props.log_metric("failed-sign-ins"),),
            "GreaterThanThreshold", t.failed_sign_ins, 300, 1,
        )  # fmt: skip
    if props.has_logs("sidekiq-job-failures"):
        found["sidekiq-job-failures"] = Alarm(
            "Failed Sidekiq jobs (mail, pipelines, imports, housekeeping)",
            (props.log_metric("sidekiq-job-failures"),),
            "GreaterThanThreshold", t.sidekiq_job_failures, 300, 1,
        )  # fmt: skip
    if props.has_logs("gitlab-backups", "gitlab-backup-failures"):
        found["gitlab-backup-failed"] = Alarm(
            "A GitLab backup failed (gitlab-backup-s3; its step is in the GitLab log group)",
            (props.log_metric("gitlab-backup-failures"),),
            "GreaterThanThreshold", 0, 3600, 1,
        )  # fmt: skip
        # Hourly sums, every one of the window empty: no finished backup for that long,
        # whatever the reason (a stopped loop, a task replaced mid-run, maintenance).
        found["gitlab-backup-missing"] = Alarm(
            f"No finished GitLab backup for {t.gitlab_backup_missing_hours} hours",
            (props.log_metric("gitlab-backups"),),
            "LessThanThreshold", 1, 3600, t.gitlab_backup_missing_hours,
            treat_missing_data="breaching",
        )  # fmt: skip
    return found


def _database_alarms(props: MonitoringProps) -> dict[str, Alarm]:
    t = props.thresholds
    # Aurora publishes per cluster and role, which follows the writer across
    # failovers ("Amazon CloudWatch metrics for Amazon Aurora", Aurora User Guide).
    dims = (
        {"DBClusterIdentifier": props.database_identifier, "Role": "WRITER"}
        if props.database_engine == "aurora-postgresql"
        else {"DBInstanceIdentifier": props.database_identifier}
    )
    found = {
        "db-cpu": Alarm(
            "Database writer CPU utilization",
            (_metric("AWS/RDS", "CPUUtilization", "Average", **dims),),
            "GreaterThanThreshold", t.database_cpu_percent, 300, 3,
        ),
        "db-connections": Alarm(
            "Open database connections",
            (_metric("AWS/RDS", "DatabaseConnections", "Maximum", **dims),),
            "GreaterThanThreshold", t.database_connections, 300, 2,
        ),
        "db-freeable-memory": Alarm(
            "Database writer freeable memory",
            (_metric("AWS/RDS", "FreeableMemory", "Minimum", **dims),),
            "LessThanThreshold", t.database_freeable_memory_mib * MIB, 300, 3,
        ),
    }  # fmt: skip
    # Aurora's cluster volume grows by itself, so it has no FreeStorageSpace; what an
    # Aurora instance can run out of is its local storage for temporary files and logs,
    # whose size the instance class fixes ("Troubleshooting storage issues in Aurora
    # PostgreSQL", Aurora User Guide: watch FreeLocalStorage).
    if props.database_engine == "aurora-postgresql":
        found["db-free-local-storage"] = Alarm(
            "Database writer free local storage (temporary files, logs)",
            (_metric("AWS/RDS", "FreeLocalStorage", "Minimum", **dims),),
            "LessThanThreshold",
            t.database_free_local_storage_gib * GIB,
            300,
            1,
        )
    else:
        found["db-free-storage"] = Alarm(
            "Database free storage",
            (_metric("AWS/RDS", "FreeStorageSpace", "Minimum", **dims),),
            "LessThanThreshold",
            t.database_free_storage_gib * GIB,
            300,
            1,
        )
    return found


def _efs_alarms(props: MonitoringProps) -> dict[str, Alarm]:
    t = props.thresholds
    fs = {"FileSystemId": props.file_system_id}
    found: dict[str, Alarm] = {}
    if props.efs_replica_file_system_id is not None:
        # Seconds since the replica last had every change of the source; EFS aims at
        # minutes ("Monitoring replication status", EFS User Guide).
        found["efs-replication-lag"] = Alarm(
            "EFS replica behind the file system",
            (
                _metric("AWS/EFS", "TimeSinceLastSync", "Maximum",
                        DestinationFileSystemId=props.efs_replica_file_system_id, **fs),
            ),
            "GreaterThanThreshold", t.efs_replication_lag_minutes * 60, 300, 3,
        )  # fmt: skip
    if props.efs_throughput_mode == "bursting":
        found["efs-burst-credits"] = Alarm(
            "EFS burst credits running out (throughput falls to the baseline)",
            (_metric("AWS/EFS", "BurstCreditBalance", "Minimum", **fs),),
            "LessThanThreshold",
            t.efs_burst_credit_gib * GIB,
            300,
            1,
        )
        return found
    # Elastic and provisioned throughput have no credits; what can run out is the
    # permitted throughput. Utilization as the EFS console computes it ("Monitoring
    # metrics with CloudWatch", EFS User Guide): metered bytes per second over
    # PermittedThroughput (bytes per second).
    found["efs-throughput"] = Alarm(
        "EFS throughput close to what the file system is permitted",
        (
            _metric("AWS/EFS", "MeteredIOBytes", "Sum", **fs),
            _metric("AWS/EFS", "PermittedThroughput", "Average", **fs),
        ),
        "GreaterThanThreshold",
        t.efs_throughput_percent,
        300,
        3,
        expression="100 * (m0 / PERIOD(m0)) / m1",
    )
    return found


class Monitoring(Construct):
    """``topic`` receives every alarm's ALARM and OK transitions; ``alarms`` by key."""

    def __init__(self, scope: Construct, id_: str, props: MonitoringProps) -> None:
        super().__init__(scope, id_)
        namer = props.namer
        self.key = KmsKey(
            self,
            "topic-key",
            KmsKeyProps(
                namer=namer,
                purpose="alarms",
                description=f"GitLab alarm topic of {namer.prefix}-{namer.workspace}",
                account_id=props.account_id,
                partition=props.partition,
                # As in the services' documented key policies: no condition, since a
                # context key the service does not send would drop alarms silently;
                # the key encrypts this topic only.
                service_statements=(
                    statement(
                        "PublishersEncryptForTheTopic",
                        ["kms:Decrypt", "kms:GenerateDataKey*"],
                        ["*"],
                        principals={"Service": list(PUBLISHERS)},
                    ),
                ),
            ),
        )
        self.topic = SnsTopic(self, "topic", name=namer.name("sns", "gitlab-alarms"), kms_master_key_id=self.key.arn)
        topic_arn = self.topic.arn
        SnsTopicPolicy(
            self,
            "topic-policy",
            arn=topic_arn,
            policy=document(
                [
                    statement(
                        "AccountManagesTopic",
                        [
                            "sns:GetTopicAttributes",
                            "sns:SetTopicAttributes",
                            "sns:Subscribe",
                            "sns:ListSubscriptionsByTopic",
                            "sns:Publish",
                        ],
                        [topic_arn],
                        principals={"AWS": f"arn:{props.partition}:iam::{props.account_id}:root"},
                    ),
                    statement(
                        "AlarmsOfThisAccountPublish",
                        ["sns:Publish"],
                        [topic_arn],
                        principals={"Service": "cloudwatch.amazonaws.com"},
                        conditions={"StringEquals": {"aws:SourceAccount": props.account_id}},
                    ),
                    # The statement AWS Backup documents for vault notifications
                    # ("Notification options with AWS Backup"): a vault names the topic.
                    statement(
                        "BackupVaultNotificationsPublish",
                        ["sns:Publish"],
                        [topic_arn],
                        principals={"Service": "backup.amazonaws.com"},
                    ),
                    statement(
                        "EventRulesOfThisAccountPublish",
                        ["sns:Publish"],
                        [topic_arn],
                        principals={"Service": "events.amazonaws.com"},
                        conditions={"StringEquals": {"aws:SourceAccount": props.account_id}},
                    ),
                ]
            ),
        )
        self.subscriptions = {
            name: SnsTopicSubscription(self, f"subscription-{name}", topic_arn=topic_arn, protocol=p, endpoint=e)
            for name, (p, e) in props.subscriptions.items()
        }
        self.findings: InspectorFindings | None = None
        if props.image_repository_name is not None:
            self.findings = InspectorFindings(
                self,
                "inspector-findings",
                InspectorFindingsProps(
                    namer=namer,
                    account_id=props.account_id,
                    region=props.region,
                    partition=props.partition,
                    repository_name=props.image_repository_name,
                    topic_arn=topic_arn,
                    min_severity=props.finding_min_severity,
                ),
            )
        # default_value 0: a quiet period counts 0 instead of leaving the rate undefined.
        self.metric_filters = {
            key: CloudwatchLogMetricFilter(
                self,
                f"metric-filter-{key}",
                name=namer.name("cloudwatch", key),
                log_group_name=props.log_groups[metric.component],
                pattern=metric.pattern,
                metric_transformation=CloudwatchLogMetricFilterMetricTransformation(
                    name=key, namespace=props.log_namespace, value="1", default_value="0", unit="Count"
                ),
            )
            for key, metric in LOG_METRICS.items()
            if props.has_logs(key)
        }
        self.definitions = alarms(props)
        self.alarms = {key: self._alarm(props, key, alarm) for key, alarm in self.definitions.items()}
        self.dashboard = CloudwatchDashboard(
            self,
            "dashboard",
            dashboard_name=namer.name("cloudwatch", "gitlab"),
            dashboard_body=self._dashboard(props),
        )

    def _alarm(self, props: MonitoringProps, key: str, alarm: Alarm) -> CloudwatchMetricAlarm:
        common: dict[str, Any] = {
            "alarm_name": props.namer.name("cloudwatch", key),
            "alarm_description": alarm.description,
            "comparison_operator": alarm.comparison,
            "threshold": alarm.threshold,
            "evaluation_periods": alarm.evaluation_periods,
            "treat_missing_data": alarm.treat_missing_data,
            "alarm_actions": [self.topic.arn],
            "ok_actions": [self.topic.arn],
        }
        if alarm.expression is None:
            (metric,) = alarm.metrics
            percentile = metric.statistic.startswith("p")
            return CloudwatchMetricAlarm(
                self,
                f"alarm-{key}",
                namespace=metric.namespace,
                metric_name=metric.name,
                dimensions=dict(metric.dimensions) or None,
                period=alarm.period,
                statistic=None if percentile else metric.statistic,
                extended_statistic=metric.statistic if percentile else None,
                **common,
            )
        queries = [
            CloudwatchMetricAlarmMetricQuery(id="e0", expression=alarm.expression, label=key, return_data=True),
            *(
                CloudwatchMetricAlarmMetricQuery(
                    id=f"m{index}",
                    metric=CloudwatchMetricAlarmMetricQueryMetric(
                        namespace=metric.namespace,
                        metric_name=metric.name,
                        dimensions=dict(metric.dimensions) or None,
                        stat=metric.statistic,
                        period=alarm.period,
                    ),
                )
                for index, metric in enumerate(alarm.metrics)
            ),
        ]
        return CloudwatchMetricAlarm(self, f"alarm-{key}", metric_query=queries, **common)

    def _dashboard(self, props: MonitoringProps) -> str:
        width, height = 8, 6
        widgets: list[dict[str, Any]] = [
            {
                "type": "alarm",
                "x": 0,
                "y": 0,
                "width": 24,
                "height": 4,
                "properties": {"title": "GitLab alarms", "alarms": [a.arn for a in self.alarms.values()]},
            }
        ]
        for index, (key, alarm) in enumerate(self.definitions.items()):
            metrics: list[list[Any]] = []
            if alarm.expression is not None:
                metrics.append([{"expression": alarm.expression, "label": key, "id": "e0"}])
            for number, metric in enumerate(alarm.metrics):
                options: dict[str, Any] = {"stat": metric.statistic}
                if alarm.expression is not None:
                    options |= {"id": f"m{number}", "visible": False}
                flat = [part for pair in metric.dimensions.items() for part in pair]
                metrics.append([metric.namespace, metric.name, *flat, options])
            widgets.append(
                {
                    "type": "metric",
                    "x": (index % 3) * width,
                    "y": 4 + (index // 3) * height,
                    "width": width,
                    "height": height,
                    "properties": {
                        "title": alarm.description,
                        "region": props.region,
                        "view": "timeSeries",
                        "period": alarm.period,
                        "metrics": metrics,
                        "annotations": {"horizontal": [{"label": key, "value": alarm.threshold}]},
                    },
                }
            )
        if self.findings is not None:
            rows = (len(self.definitions) + 2) // 3
            widgets.append(
                {
                    "type": "log",
                    "x": 0,
                    "y": 4 + rows * height,
                    "width": 24,
                    "height": height,
                    "properties": {
                        "title": f"Open Inspector findings of {props.image_repository_name} "
                        f"at {props.finding_min_severity} or above (state changes in the time range)",
                        "region": props.region,
                        "view": "table",
                        "query": self.findings.open_findings_query,
                    },
                }
            )
        return json.dumps({"widgets": widgets}, sort_keys=True)
