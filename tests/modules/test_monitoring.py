"""Monitoring construct: encrypted topic and its subscribers, each alarm's metric and action, the dashboard."""

from __future__ import annotations

import json
from typing import Any

import pytest
from cdktf import TerraformStack, Testing

from modules.monitoring import GIB, MIB, AlarmThresholds, Monitoring, MonitoringProps
from modules.naming import Namer
from tests.support.synth import by_path, only, policy, ref, resources, synth_stack

COMMON = {"alb-5xx", "target-5xx", "unhealthy-target", "latency", "ecs-cpu", "ecs-memory", "no-running-task"}
DATABASE = {"db-cpu", "db-connections", "db-freeable-memory"}
AURORA = {"db-free-local-storage"}


def synth(**changes: Any) -> dict[str, Any]:
    app = Testing.app()
    scope = TerraformStack(app, "test")
    values: dict[str, Any] = {
        "namer": Namer("acme", "tooling"),
        "account_id": "123456789012",
        "region": "eu-west-1",
        "load_balancer_arn_suffix": "app/gitlab/abc",
        "target_group_arn_suffix": "targetgroup/gitlab/def",
        "cluster_name": "acme-tooling-gitlab",
        "service_name": "acme-tooling-gitlab",
        "database_identifier": "acme-tooling-gitlab",
        "file_system_id": "fs-123",
    }
    Monitoring(scope, "monitoring", MonitoringProps(**(values | changes)))
    return synth_stack(scope)


@pytest.fixture(scope="module")
def stack() -> dict[str, Any]:
    return synth(
        client_vpn_endpoint_id="cvpn-endpoint-1",
        subscriptions={"ops": ("email", "ops@example.com"), "queue": ("sqs", "arn:aws:sqs:eu-west-1:1:q")},
        thresholds=AlarmThresholds(alb_latency_seconds=2.5, database_connections=300, task_missing_minutes=20),
    )


def alarm(stack: dict[str, Any], key: str) -> dict[str, Any]:
    return by_path(stack, "aws_cloudwatch_metric_alarm", f"monitoring/alarm-{key}")


def test_topic_is_encrypted_with_a_key_its_publishers_may_use(stack: dict[str, Any]) -> None:
    topic = only(stack, "aws_sns_topic")
    assert topic["name"] == "acme-tooling-gitlab-alarms"
    key = next(iter(resources(stack, "aws_kms_key")))
    assert topic["kms_master_key_id"] == f"${{aws_kms_key.{key}.arn}}"
    grant = policy(only(stack, "aws_kms_key"))["Statement"][1]
    assert grant["Principal"] == {
        "Service": ["cloudwatch.amazonaws.com", "backup.amazonaws.com", "events.amazonaws.com"]
    }
    assert grant["Action"] == ["kms:Decrypt", "kms:GenerateDataKey*"]
    statements = {s["Sid"]: s for s in policy(only(stack, "aws_sns_topic_policy"))["Statement"]}
    alarms = statements["AlarmsOfThisAccountPublish"]
    assert (alarms["Principal"], alarms["Action"]) == ({"Service": "cloudwatch.amazonaws.com"}, ["sns:Publish"])
    assert alarms["Condition"] == {"StringEquals": {"aws:SourceAccount": "123456789012"}}
    backup = statements["BackupVaultNotificationsPublish"]
    assert (backup["Principal"], backup["Action"]) == ({"Service": "backup.amazonaws.com"}, ["sns:Publish"])
    rules = statements["EventRulesOfThisAccountPublish"]
    assert (rules["Principal"], rules["Action"]) == ({"Service": "events.amazonaws.com"}, ["sns:Publish"])
    assert rules["Condition"] == {"StringEquals": {"aws:SourceAccount": "123456789012"}}
    assert statements["AccountManagesTopic"]["Principal"] == {"AWS": "arn:aws:iam::123456789012:root"}
    topic_arn = ref(stack, "aws_sns_topic", "monitoring/topic", "arn")
    assert all(s["Resource"] == topic_arn for s in statements.values())


def test_subscriptions_keyed_by_name(stack: dict[str, Any]) -> None:
    ops = by_path(stack, "aws_sns_topic_subscription", "monitoring/subscription-ops")
    assert (ops["protocol"], ops["endpoint"]) == ("email", "ops@example.com")
    assert ops["topic_arn"] == ref(stack, "aws_sns_topic", "monitoring/topic", "arn")
    assert by_path(stack, "aws_sns_topic_subscription", "monitoring/subscription-queue")["protocol"] == "sqs"


def test_every_alarm_notifies_the_topic_on_alarm_and_ok(stack: dict[str, Any]) -> None:
    topic = ref(stack, "aws_sns_topic", "monitoring/topic", "arn")
    alarms = resources(stack, "aws_cloudwatch_metric_alarm").values()
    names = {a["alarm_name"] for a in alarms}
    assert names == {
        f"acme-tooling-{key}" for key in COMMON | DATABASE | AURORA | {"efs-throughput", "vpn-auth-failures"}
    }
    for body in alarms:
        assert body["alarm_actions"] == [topic], body["alarm_name"]
        assert body["ok_actions"] == [topic], body["alarm_name"]


def test_load_balancer_alarms(stack: dict[str, Any]) -> None:
    elb = alarm(stack, "alb-5xx")
    assert (elb["namespace"], elb["metric_name"], elb["statistic"]) == (
        "AWS/ApplicationELB",
        "HTTPCode_ELB_5XX_Count",
        "Sum",
    )
    assert elb["dimensions"] == {"LoadBalancer": "app/gitlab/abc"}
    assert (elb["threshold"], elb["period"], elb["treat_missing_data"]) == (10, 300, "notBreaching")
    assert alarm(stack, "target-5xx")["metric_name"] == "HTTPCode_Target_5XX_Count"
    unhealthy = alarm(stack, "unhealthy-target")
    assert unhealthy["dimensions"] == {"LoadBalancer": "app/gitlab/abc", "TargetGroup": "targetgroup/gitlab/def"}
    assert (unhealthy["comparison_operator"], unhealthy["threshold"]) == ("GreaterThanThreshold", 0)
    assert unhealthy["evaluation_periods"] * unhealthy["period"] == 20 * 60
    latency = alarm(stack, "latency")
    assert (latency["metric_name"], latency["extended_statistic"], latency["threshold"]) == (
        "TargetResponseTime",
        "p95",
        2.5,
    )
    assert "statistic" not in latency


def test_service_alarms_and_a_missing_task(stack: dict[str, Any]) -> None:
    service = {"ClusterName": "acme-tooling-gitlab", "ServiceName": "acme-tooling-gitlab"}
    for key, metric, threshold in (("ecs-cpu", "CPUUtilization", 85), ("ecs-memory", "MemoryUtilization", 90)):
        body = alarm(stack, key)
        assert (body["namespace"], body["metric_name"], body["threshold"]) == ("AWS/ECS", metric, threshold)
        assert body["dimensions"] == service
    missing = alarm(stack, "no-running-task")
    assert (missing["namespace"], missing["metric_name"]) == ("ECS/ContainerInsights", "RunningTaskCount")
    assert (missing["comparison_operator"], missing["threshold"]) == ("LessThanThreshold", 1)
    assert missing["treat_missing_data"] == "breaching"
    assert missing["evaluation_periods"] * missing["period"] == 20 * 60  # configured minutes


def test_aurora_alarms_follow_the_writer_and_skip_storage(stack: dict[str, Any]) -> None:
    writer = {"DBClusterIdentifier": "acme-tooling-gitlab", "Role": "WRITER"}
    for key in DATABASE | AURORA:
        assert alarm(stack, key)["dimensions"] == writer, key
    assert alarm(stack, "db-connections")["threshold"] == 300
    memory = alarm(stack, "db-freeable-memory")
    assert (memory["comparison_operator"], memory["threshold"]) == ("LessThanThreshold", 512 * MIB)
    names = [a["alarm_name"] for a in resources(stack, "aws_cloudwatch_metric_alarm").values()]
    assert not any(name.endswith("db-free-storage") for name in names)
    # The "free storage" for Aurora: the instance's local storage, not the volume.
    local = alarm(stack, "db-free-local-storage")
    assert (local["metric_name"], local["statistic"]) == ("FreeLocalStorage", "Minimum")
    assert (local["comparison_operator"], local["threshold"]) == ("LessThanThreshold", 2 * GIB)


def test_rds_instance_alarms_include_free_storage() -> None:
    stack = synth(database_engine="postgres")
    storage = alarm(stack, "db-free-storage")
    assert storage["dimensions"] == {"DBInstanceIdentifier": "acme-tooling-gitlab"}
    assert (storage["metric_name"], storage["threshold"]) == ("FreeStorageSpace", 10 * GIB)
    assert alarm(stack, "db-cpu")["dimensions"] == {"DBInstanceIdentifier": "acme-tooling-gitlab"}
    assert not any(
        a["alarm_name"].endswith("db-free-local-storage")
        for a in resources(stack, "aws_cloudwatch_metric_alarm").values()
    )
    assert not any("vpn" in a["alarm_name"] for a in resources(stack, "aws_cloudwatch_metric_alarm").values())


def test_elastic_efs_watches_throughput_utilization_not_credits(stack: dict[str, Any]) -> None:
    body = alarm(stack, "efs-throughput")
    assert "metric_name" not in body
    queries = {q["id"]: q for q in body["metric_query"]}
    assert queries["e0"]["expression"] == "100 * (m0 / PERIOD(m0)) / m1"
    assert queries["e0"]["return_data"] is True
    assert (queries["m0"]["metric"]["metric_name"], queries["m0"]["metric"]["stat"]) == ("MeteredIOBytes", "Sum")
    assert queries["m1"]["metric"]["metric_name"] == "PermittedThroughput"
    assert queries["m1"]["metric"]["dimensions"] == {"FileSystemId": "fs-123"}
    assert body["threshold"] == 80


def test_bursting_efs_watches_credits() -> None:
    stack = synth(efs_throughput_mode="bursting")
    credits = alarm(stack, "efs-burst-credits")
    assert (credits["metric_name"], credits["comparison_operator"]) == ("BurstCreditBalance", "LessThanThreshold")
    names = [a["alarm_name"] for a in resources(stack, "aws_cloudwatch_metric_alarm").values()]
    assert not any(name.endswith(("efs-throughput", "efs-replication-lag")) for name in names)


def test_replica_lag_is_watched_with_a_replica() -> None:
    stack = synth(efs_replica_file_system_id="fs-replica", thresholds=AlarmThresholds(efs_replication_lag_minutes=30))
    lag = alarm(stack, "efs-replication-lag")
    assert (lag["metric_name"], lag["statistic"], lag["threshold"]) == ("TimeSinceLastSync", "Maximum", 30 * 60)
    assert lag["dimensions"] == {"FileSystemId": "fs-123", "DestinationFileSystemId": "fs-replica"}


def test_client_vpn_alarm(stack: dict[str, Any]) -> None:
    vpn = alarm(stack, "vpn-auth-failures")
    assert (vpn["namespace"], vpn["metric_name"]) == ("AWS/ClientVPN", "AuthenticationFailures")
    assert vpn["dimensions"] == {"Endpoint": "cvpn-endpoint-1"}


def test_dashboard_shows_every_alarm_and_its_metric(stack: dict[str, Any]) -> None:
    dashboard = only(stack, "aws_cloudwatch_dashboard")
    assert dashboard["dashboard_name"] == "acme-tooling-gitlab"
    body = json.loads(dashboard["dashboard_body"])
    status, *graphs = body["widgets"]
    alarms = resources(stack, "aws_cloudwatch_metric_alarm")
    assert sorted(status["properties"]["alarms"]) == sorted(
        f"${{aws_cloudwatch_metric_alarm.{name}.arn}}" for name in alarms
    )
    assert len(graphs) == len(alarms)
    titles = {g["properties"]["title"] for g in graphs}
    assert titles == {a["alarm_description"] for a in alarms.values()}
    assert all(g["properties"]["region"] == "eu-west-1" for g in graphs)
    efs = next(g for g in graphs if isinstance(g["properties"]["metrics"][0][0], dict))
    assert efs["properties"]["metrics"][0][0]["expression"] == "100 * (m0 / PERIOD(m0)) / m1"
    assert efs["properties"]["metrics"][1][-1] == {"id": "m0", "stat": "Sum", "visible": False}
    positions = {(g["x"], g["y"]) for g in graphs}
    assert len(positions) == len(graphs)  # no two graphs on top of each other


def test_configured_thresholds_reach_the_construct_with_the_same_defaults() -> None:
    from dataclasses import fields

    from config.operations import Thresholds

    defaults = {f.name: f.default for f in fields(AlarmThresholds)}
    configured = Thresholds().model_dump()
    assert {name: defaults[name] for name in configured} == configured
    # Only the burst-credit alarm's threshold is not configurable: the file system's
    # throughput mode is fixed to elastic (modules/gitlab_storage.THROUGHPUT_MODE).
    assert set(defaults) - set(configured) == {"efs_burst_credit_gib"}


def test_inspector_findings_page_the_topic_and_show_on_the_dashboard() -> None:
    stack = synth(image_repository_name="acme-tooling-gitlab-ce", finding_min_severity="CRITICAL")
    rule = by_path(stack, "aws_cloudwatch_event_rule", "monitoring/inspector-findings/alarm-rule")
    pattern = json.loads(rule["event_pattern"])
    assert pattern["detail"]["severity"] == ["CRITICAL"]
    target = by_path(stack, "aws_cloudwatch_event_target", "monitoring/inspector-findings/alarm-target")
    assert target["arn"] == ref(stack, "aws_sns_topic", "monitoring/topic", "arn")
    body = json.loads(only(stack, "aws_cloudwatch_dashboard")["dashboard_body"])
    (widget,) = [w for w in body["widgets"] if w["type"] == "log"]
    assert widget["properties"]["query"].startswith("SOURCE '/aws/events/acme/tooling/inspector-findings' ")
    assert "CRITICAL" in widget["properties"]["title"]
    metric_bottom = max(w["y"] + w["height"] for w in body["widgets"] if w["type"] == "metric")
    assert widget["y"] >= metric_bottom  # below every graph, overlapping none


def test_no_findings_rule_without_a_repository(stack: dict[str, Any]) -> None:
    assert resources(stack, "aws_cloudwatch_event_rule") == {}
    body = json.loads(only(stack, "aws_cloudwatch_dashboard")["dashboard_body"])
    assert all(w["type"] != "log" for w in body["widgets"])


LOG_GROUPS = {
    "rails": "/gitlab/tooling/gitlab/rails",
    "application": "/gitlab/tooling/gitlab/application",
    "sidekiq": "/gitlab/tooling/gitlab/sidekiq",
    "gitaly": "/gitlab/tooling/gitlab/gitaly",
}


@pytest.fixture(scope="module")
def logged() -> dict[str, Any]:
    return synth(log_groups=LOG_GROUPS, thresholds=AlarmThresholds(rails_5xx_percent=2.5))


def test_metric_filters_count_gitlabs_json_log_events(logged: dict[str, Any]) -> None:
    filters = {
        key: by_path(logged, "aws_cloudwatch_log_metric_filter", f"monitoring/metric-filter-{key}")
        for key in ("rails-requests", "rails-5xx", "failed-sign-ins", "sidekiq-job-failures")
    }
    assert len(resources(logged, "aws_cloudwatch_log_metric_filter")) == 4
    assert filters["rails-5xx"]["log_group_name"] == LOG_GROUPS["rails"]
    assert filters["rails-5xx"]["pattern"] == "{ $.status >= 500 }"
    assert filters["rails-requests"]["pattern"] == "{ $.status >= 100 }"
    assert filters["failed-sign-ins"]["log_group_name"] == LOG_GROUPS["application"]
    assert filters["failed-sign-ins"]["pattern"] == '{ $.message = "Failed Login:*" }'
    assert filters["sidekiq-job-failures"]["log_group_name"] == LOG_GROUPS["sidekiq"]
    assert filters["sidekiq-job-failures"]["pattern"] == '{ $.job_status = "fail" }'
    for key, body in filters.items():
        assert body["name"] == f"acme-tooling-{key}"
        assert body["metric_transformation"] == {
            "name": key, "namespace": "GitLab/acme-tooling", "value": "1", "default_value": "0", "unit": "Count",
        }  # fmt: skip


def test_log_alarms_page_the_topic(logged: dict[str, Any]) -> None:
    rate = alarm(logged, "rails-5xx-rate")
    assert rate["threshold"] == 2.5
    assert rate["comparison_operator"] == "GreaterThanThreshold"
    queries = {q["id"]: q for q in rate["metric_query"]}
    assert queries["e0"]["expression"] == "100 * m0 / m1"
    assert queries["m0"]["metric"]["metric_name"] == "rails-5xx"
    assert queries["m1"]["metric"]["metric_name"] == "rails-requests"
    assert queries["m0"]["metric"]["namespace"] == "GitLab/acme-tooling"
    sign_ins = alarm(logged, "failed-sign-ins")
    assert (sign_ins["metric_name"], sign_ins["namespace"], sign_ins["statistic"]) == (
        "failed-sign-ins", "GitLab/acme-tooling", "Sum",
    )  # fmt: skip
    assert sign_ins["threshold"] == 20
    assert "dimensions" not in sign_ins
    sidekiq = alarm(logged, "sidekiq-job-failures")
    assert sidekiq["threshold"] == 10
    for body in (rate, sign_ins, sidekiq):
        assert body["alarm_actions"] == body["ok_actions"]
        assert body["alarm_actions"][0].startswith("${aws_sns_topic.")


def test_log_alarms_are_on_the_dashboard(logged: dict[str, Any]) -> None:
    body = json.loads(only(logged, "aws_cloudwatch_dashboard")["dashboard_body"])
    titles = {w["properties"].get("title") for w in body["widgets"]}
    assert any(t and "Failed GitLab sign-ins" in t for t in titles)
    assert any(t and "Failed Sidekiq jobs" in t for t in titles)
    assert any(t and "Rails requests answered with 5xx" in t for t in titles)
    alarms_widget = body["widgets"][0]["properties"]["alarms"]
    assert len(alarms_widget) == len(resources(logged, "aws_cloudwatch_metric_alarm"))


def test_a_failed_or_missing_gitlab_backup_pages_the_topic() -> None:
    backed_up = synth(
        log_groups={"backup": "/acme/tooling/gitlab"}, thresholds=AlarmThresholds(gitlab_backup_missing_hours=30)
    )
    filters = resources(backed_up, "aws_cloudwatch_log_metric_filter")
    assert {f["name"] for f in filters.values()} == {
        "acme-tooling-gitlab-backups",
        "acme-tooling-gitlab-backup-failures",
    }
    finished = by_path(backed_up, "aws_cloudwatch_log_metric_filter", "monitoring/metric-filter-gitlab-backups")
    assert finished["log_group_name"] == "/acme/tooling/gitlab"
    assert finished["pattern"] == '{ $.component = "gitlab-backup" && $.status = "succeeded" }'
    failed = alarm(backed_up, "gitlab-backup-failed")
    assert (failed["metric_name"], failed["comparison_operator"], failed["threshold"]) == (
        "gitlab-backup-failures", "GreaterThanThreshold", 0,
    )  # fmt: skip
    missing = alarm(backed_up, "gitlab-backup-missing")
    assert (missing["metric_name"], missing["comparison_operator"], missing["threshold"]) == (
        "gitlab-backups", "LessThanThreshold", 1,
    )  # fmt: skip
    # Every hour of the window without a finished backup, missing data included; the
    # window fits CloudWatch's 7 days for hourly periods (PutMetricAlarm, EvaluationPeriods).
    assert (missing["period"], missing["evaluation_periods"], missing["treat_missing_data"]) == (3600, 30, "breaching")
    assert missing["period"] * missing["evaluation_periods"] <= 7 * 86400


def test_no_log_metrics_without_routed_logs(stack: dict[str, Any]) -> None:
    assert resources(stack, "aws_cloudwatch_log_metric_filter") == {}
    assert not {"rails-5xx-rate", "failed-sign-ins", "sidekiq-job-failures"} & {
        key.split("alarm-")[-1] for key in resources(stack, "aws_cloudwatch_metric_alarm")
    }
