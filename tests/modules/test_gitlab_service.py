"""GitLabService construct: cluster, task definition, container definition, service, IAM split, security group."""

from __future__ import annotations

import json
from typing import Any

import pytest
from cdktf import TerraformStack, Testing

from modules.gitlab_service import EfsMount, GitLabService, GitLabServiceProps, RedisRef
from modules.naming import Namer
from tests.support.synth import address, by_path, only, policy, resources, synth_stack

KEY = "arn:aws:kms:eu-west-1:123456789012:key/data"
DB_SECRET = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!cluster-abc"
BUCKETS = ["arn:aws:s3:::acme-artifacts", "arn:aws:s3:::acme-lfs"]
REPO = "arn:aws:ecr:eu-west-1:123456789012:repository/acme-tooling-gitlab-ce"
FS_ARN = "arn:aws:elasticfilesystem:eu-west-1:123456789012:file-system/fs-1"
MOUNTS = {
    "config": EfsMount("fsap-config", "arn:aws:elasticfilesystem:eu-west-1:123456789012:access-point/fsap-config",
                       "/etc/gitlab"),
    "git-data": EfsMount("fsap-data", "arn:aws:elasticfilesystem:eu-west-1:123456789012:access-point/fsap-data",
                         "/var/opt/gitlab/git-data"),
}  # fmt: skip


def props(**changes: Any) -> GitLabServiceProps:
    values: dict[str, Any] = {
        "namer": Namer("acme", "tooling"),
        "account_id": "123456789012",
        "region": "eu-west-1",
        "vpc_id": "vpc-1",
        "vpc_cidr": "10.0.0.0/16",
        "subnet_ids": ["subnet-a", "subnet-b"],
        "image": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/acme-tooling-gitlab-ce:19.6.1-ce.0",
        "repository_arns": [REPO],
        "kms_key_arn": KEY,
        "omnibus_config": "external_url 'https://gitlab.example.com'\n",
        "file_system_id": "fs-1",
        "file_system_arn": FS_ARN,
        "efs_mounts": MOUNTS,
        "efs_security_group_id": "sg-efs",
        "database_security_group_id": "sg-db",
        "database_secret_arn": DB_SECRET,
        "bucket_arns": BUCKETS,
        "load_balancer_security_group_id": "sg-alb",
        "target_group_arn": "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/acme/1",
        "s3_prefix_list_id": "pl-s3",
        "endpoint_security_group_id": "sg-endpoints",
        "smtp_endpoint_security_group_id": "sg-smtp-endpoint",
    }
    values.update(changes)
    return GitLabServiceProps(**values)


@pytest.fixture(scope="module")
def stack() -> dict[str, Any]:
    app = Testing.app()
    scope = TerraformStack(app, "test")
    GitLabService(scope, "gitlab-service", props())
    return synth_stack(scope)


@pytest.fixture(scope="module")
def container(stack: dict[str, Any]) -> dict[str, Any]:
    definitions = json.loads(only(stack, "aws_ecs_task_definition")["container_definitions"])
    assert len(definitions) == 1
    return definitions[0]  # type: ignore[no-any-return]


def test_cluster_has_container_insights_and_encrypted_logged_exec(stack: dict[str, Any]) -> None:
    cluster = only(stack, "aws_ecs_cluster")
    assert cluster["setting"] == [{"name": "containerInsights", "value": "enhanced"}]
    exec_config = cluster["configuration"]["execute_command_configuration"]
    assert exec_config["kms_key_id"] == KEY
    assert exec_config["logging"] == "OVERRIDE"
    log = exec_config["log_configuration"]
    assert log["cloud_watch_encryption_enabled"] is True
    exec_group = by_path(stack, "aws_cloudwatch_log_group", "exec-log-group")
    assert exec_group["name"] == "/acme/tooling/ecs-exec"
    assert log["cloud_watch_log_group_name"].startswith("${aws_cloudwatch_log_group.")


def test_task_storage_is_encrypted_with_a_key_fargate_uses_for_this_cluster_only(stack: dict[str, Any]) -> None:
    cluster = only(stack, "aws_ecs_cluster")
    key = address(stack, "aws_kms_key", "storage-key/key")
    assert cluster["configuration"]["managed_storage_configuration"] == {
        "fargate_ephemeral_storage_kms_key_id": f"${{{key}.arn}}"
    }
    statements = {st["Sid"]: st for st in policy(by_path(stack, "aws_kms_key", "storage-key/key"))["Statement"]}
    context = {
        "kms:EncryptionContext:aws:ecs:clusterAccount": ["123456789012"],
        "kms:EncryptionContext:aws:ecs:clusterName": [cluster["name"]],
    }
    data_keys = statements["FargateDataKeysForThisCluster"]
    assert data_keys["Principal"] == {"Service": "fargate.amazonaws.com"}
    assert data_keys["Action"] == ["kms:GenerateDataKeyWithoutPlaintext"]
    assert data_keys["Condition"] == {"StringEquals": context}
    grants = statements["FargateDecryptGrantsForThisCluster"]
    assert grants["Action"] == ["kms:CreateGrant"]
    assert grants["Condition"] == {
        "StringEquals": context,
        "ForAllValues:StringEquals": {"kms:GrantOperations": ["Decrypt"]},
    }


def test_log_groups_are_kms_encrypted_with_retention(stack: dict[str, Any]) -> None:
    groups = resources(stack, "aws_cloudwatch_log_group")
    assert len(groups) == 2
    for group in groups.values():
        assert group["kms_key_id"].startswith("${aws_kms_key.")
        assert group["retention_in_days"] == 365
    key = policy(by_path(stack, "aws_kms_key", "logs-key/key"))
    logs = next(s for s in key["Statement"] if s["Sid"] == "CloudWatchLogsForGitLabLogGroups")
    assert logs["Condition"]["ArnEquals"]["kms:EncryptionContext:aws:logs:arn"] == [
        "arn:aws:logs:eu-west-1:123456789012:log-group:/acme/tooling/ecs-exec",
        "arn:aws:logs:eu-west-1:123456789012:log-group:/acme/tooling/gitlab",
    ]


def test_task_definition_is_fargate_sized_with_efs_over_tls_and_iam(stack: dict[str, Any]) -> None:
    task = only(stack, "aws_ecs_task_definition")
    assert task["requires_compatibilities"] == ["FARGATE"]
    assert task["network_mode"] == "awsvpc"
    assert (task["cpu"], task["memory"]) == ("8192", "16384")
    assert task["ephemeral_storage"] == {"size_in_gib": 30}
    assert task["execution_role_arn"] != task["task_role_arn"]
    volumes = {v["name"]: v["efs_volume_configuration"] for v in task["volume"]}
    assert set(volumes) == {"config", "git-data"}
    for name, volume in volumes.items():
        assert volume["file_system_id"] == "fs-1"
        assert volume["transit_encryption"] == "ENABLED"
        assert volume["authorization_config"] == {"access_point_id": MOUNTS[name].access_point_id, "iam": "ENABLED"}


def test_container_definition(container: dict[str, Any]) -> None:
    assert container["name"] == "gitlab"
    assert container["image"].endswith(":19.6.1-ce.0")
    assert container["essential"] is True
    assert container["stopTimeout"] == 120
    assert container["portMappings"] == [{"containerPort": 80, "protocol": "tcp"}]
    assert container["environment"] == [
        {"name": "GITLAB_OMNIBUS_CONFIG", "value": "external_url 'https://gitlab.example.com'\n"}
    ]
    assert container["privileged"] is False
    assert container["linuxParameters"] == {"initProcessEnabled": True}
    assert {(m["sourceVolume"], m["containerPath"], m["readOnly"]) for m in container["mountPoints"]} == {
        ("config", "/etc/gitlab", False),
        ("git-data", "/var/opt/gitlab/git-data", False),
    }
    log = container["logConfiguration"]
    assert log["logDriver"] == "awslogs"
    assert log["options"]["awslogs-region"] == "eu-west-1"
    assert log["options"]["awslogs-stream-prefix"] == "gitlab"
    assert log["options"]["awslogs-group"].startswith("${aws_cloudwatch_log_group.")
    health = container["healthCheck"]
    assert health["command"][0] == "CMD-SHELL"
    assert "gitlab-healthcheck" in health["command"][1]
    assert health["startPeriod"] == 300


def test_secrets_come_from_secrets_manager_never_as_values(container: dict[str, Any], stack: dict[str, Any]) -> None:
    secrets = {s["name"]: s["valueFrom"] for s in container["secrets"]}
    assert secrets["GITLAB_DB_PASSWORD"] == f"{DB_SECRET}:password::"
    smtp = only(stack, "aws_secretsmanager_secret")
    assert smtp["kms_key_id"] == KEY
    smtp_ref = "${aws_secretsmanager_secret." + next(iter(resources(stack, "aws_secretsmanager_secret"))) + ".arn}"
    assert secrets["GITLAB_SMTP_USER_NAME"] == f"{smtp_ref}:username::"
    assert secrets["GITLAB_SMTP_PASSWORD"] == f"{smtp_ref}:password::"
    # The value is put by a runbook: no version, so no secret in Terraform state.
    assert resources(stack, "aws_secretsmanager_secret_version") == {}
    assert all("PASSWORD" not in e["name"] for e in container["environment"])


def test_service_deploys_one_task_at_a_time_privately(stack: dict[str, Any]) -> None:
    service = only(stack, "aws_ecs_service")
    assert service["desired_count"] == 1
    assert service["deployment_minimum_healthy_percent"] == 0
    assert service["deployment_maximum_percent"] == 100
    assert service["deployment_circuit_breaker"] == {"enable": True, "rollback": True}
    assert service["health_check_grace_period_seconds"] >= 900
    assert service["enable_execute_command"] is True
    assert service["launch_type"] == "FARGATE"
    assert service["platform_version"] == "LATEST"
    network = service["network_configuration"]
    assert network["assign_public_ip"] is False
    assert network["subnets"] == ["subnet-a", "subnet-b"]
    assert service["load_balancer"] == [
        {
            "target_group_arn": "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/acme/1",
            "container_name": "gitlab",
            "container_port": 80,
        }
    ]


def test_grace_period_below_900_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 900"):
        props(health_check_grace_seconds=600)


def _role_policy(stack: dict[str, Any], path: str) -> dict[str, dict[str, Any]]:
    return {s["Sid"]: s for s in policy(by_path(stack, "aws_iam_role_policy", path))["Statement"]}


def test_execution_role_only_starts_the_task(stack: dict[str, Any]) -> None:
    grants = _role_policy(stack, "execution-policy")
    assert set(grants) == {
        "EcrAuthorization",
        "PullGitLabImage",
        "WriteContainerLogs",
        "ReadTaskSecrets",
        "DecryptTaskSecrets",
    }
    assert grants["EcrAuthorization"]["Action"] == ["ecr:GetAuthorizationToken"]
    assert grants["PullGitLabImage"]["Resource"] == REPO
    assert grants["WriteContainerLogs"]["Resource"] == (
        "arn:aws:logs:eu-west-1:123456789012:log-group:/acme/tooling/gitlab:log-stream:*"
    )
    assert DB_SECRET in grants["ReadTaskSecrets"]["Resource"]
    assert grants["DecryptTaskSecrets"]["Resource"] == KEY
    assert grants["DecryptTaskSecrets"]["Condition"] == {
        "StringEquals": {"kms:ViaService": "secretsmanager.eu-west-1.amazonaws.com"}
    }
    for grant in grants.values():
        assert not any(action.endswith(":*") or action == "*" for action in grant["Action"])


def test_task_role_is_scoped_to_gitlabs_own_resources(stack: dict[str, Any]) -> None:
    grants = _role_policy(stack, "task-policy")
    assert set(grants["EcsExecChannels"]["Action"]) == {
        "ssmmessages:CreateControlChannel",
        "ssmmessages:CreateDataChannel",
        "ssmmessages:OpenControlChannel",
        "ssmmessages:OpenDataChannel",
    }
    assert grants["ObjectStorageBuckets"]["Resource"] == BUCKETS
    assert grants["ObjectStorageObjects"]["Resource"] == [f"{b}/*" for b in BUCKETS]
    assert grants["UseDataKey"]["Resource"] == KEY
    efs = grants["MountGitLabEfs"]
    assert efs["Resource"] == FS_ARN
    assert efs["Condition"]["StringEquals"]["elasticfilesystem:AccessPointArn"] == [
        m.access_point_arn for m in MOUNTS.values()
    ]
    # Only actions without resource-level permissions are granted on "*".
    for sid, grant in grants.items():
        if grant["Resource"] == "*":
            assert sid in {"EcsExecChannels", "EcsExecFindLogGroup"}, sid
        actions = grant["Action"] if isinstance(grant["Action"], list) else [grant["Action"]]
        assert not any(a.startswith(("ses:", "ssm:", "ecr:")) for a in actions), sid


def test_roles_trust_ecs_tasks_of_this_account(stack: dict[str, Any]) -> None:
    roles = resources(stack, "aws_iam_role")
    assert len(roles) == 2
    for role in roles.values():
        trust = policy(role, "assume_role_policy")["Statement"][0]
        assert trust["Principal"] == {"Service": "ecs-tasks.amazonaws.com"}
        assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": "123456789012"}}


def test_security_group_paths(stack: dict[str, Any]) -> None:
    ingress = resources(stack, "aws_vpc_security_group_ingress_rule")
    egress = resources(stack, "aws_vpc_security_group_egress_rule")
    from_alb = by_path(stack, "aws_vpc_security_group_ingress_rule", "from-alb")
    assert (from_alb["from_port"], from_alb["referenced_security_group_id"]) == (80, "sg-alb")
    db = by_path(stack, "aws_vpc_security_group_ingress_rule", "database-from-task")
    assert (db["security_group_id"], db["from_port"]) == ("sg-db", 5432)
    efs = by_path(stack, "aws_vpc_security_group_ingress_rule", "efs-from-task")
    assert (efs["security_group_id"], efs["from_port"]) == ("sg-efs", 2049)
    assert by_path(stack, "aws_vpc_security_group_egress_rule", "to-s3")["prefix_list_id"] == "pl-s3"
    endpoints = by_path(stack, "aws_vpc_security_group_egress_rule", "to-endpoints")
    assert (endpoints["from_port"], endpoints["to_port"]) == (443, 443)
    assert endpoints["referenced_security_group_id"] == "sg-endpoints"
    smtp = by_path(stack, "aws_vpc_security_group_egress_rule", "to-smtp")
    assert (smtp["from_port"], smtp["referenced_security_group_id"]) == (587, "sg-smtp-endpoint")
    # No rule opens the VPC's CIDR: every peer is named by its security group
    # (only an external Redis, which has none here, is reached by CIDR).
    for rule in [*ingress.values(), *egress.values()]:
        assert "cidr_ipv4" not in rule, rule["description"]
        assert rule["description"]


def test_smtp_needs_the_smtp_endpoints_security_group() -> None:
    with pytest.raises(ValueError, match="smtp_endpoint_security_group_id"):
        props(smtp_endpoint_security_group_id=None)
    assert props(smtp=False, smtp_endpoint_security_group_id=None).smtp is False


def test_without_smtp_there_is_no_smtp_secret() -> None:
    app = Testing.app()
    scope = TerraformStack(app, "test")
    GitLabService(scope, "gitlab-service", props(smtp=False))
    stack = synth_stack(scope)
    assert resources(stack, "aws_secretsmanager_secret") == {}
    container = json.loads(only(stack, "aws_ecs_task_definition")["container_definitions"])[0]
    assert [s["name"] for s in container["secrets"]] == ["GITLAB_DB_PASSWORD"]


def test_ssh_adds_a_port_a_target_and_the_nlb_path() -> None:
    app = Testing.app()
    scope = TerraformStack(app, "test")
    GitLabService(
        scope,
        "gitlab-service",
        props(ssh_target_group_arn="arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/ssh/2",
              ssh_security_group_id="sg-nlb"),
    )  # fmt: skip
    stack = synth_stack(scope)
    container = json.loads(only(stack, "aws_ecs_task_definition")["container_definitions"])[0]
    assert [p["containerPort"] for p in container["portMappings"]] == [80, 22]
    targets = only(stack, "aws_ecs_service")["load_balancer"]
    assert [(t["container_port"], t["target_group_arn"].rsplit("/", 2)[-2]) for t in targets] == [
        (80, "acme"),
        (22, "ssh"),
    ]
    from_nlb = by_path(stack, "aws_vpc_security_group_ingress_rule", "from-ssh-nlb")
    assert (from_nlb["from_port"], from_nlb["referenced_security_group_id"]) == (22, "sg-nlb")
    to_task = by_path(stack, "aws_vpc_security_group_egress_rule", "ssh-nlb-to-task")
    assert (to_task["security_group_id"], to_task["from_port"]) == ("sg-nlb", 22)


def test_ssh_target_and_group_go_together() -> None:
    with pytest.raises(ValueError, match="go together"):
        props(ssh_security_group_id="sg-nlb")


def test_external_redis_token_from_its_secret_and_key(stack: dict[str, Any]) -> None:
    without = stack
    redis_secret = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:gitlab/redis-AbCdEf"
    redis_key = "arn:aws:kms:eu-west-1:123456789012:key/redis"
    app = Testing.app()
    scope = TerraformStack(app, "test")
    GitLabService(
        scope,
        "gitlab-service",
        props(redis=RedisRef(port=6380, secret_arn=redis_secret, secret_json_key="token", kms_key_arn=redis_key)),
    )
    stack = synth_stack(scope)
    container = json.loads(only(stack, "aws_ecs_task_definition")["container_definitions"])[0]
    secrets = {s["name"]: s["valueFrom"] for s in container["secrets"]}
    assert secrets["GITLAB_REDIS_PASSWORD"] == f"{redis_secret}:token::"
    grants = _role_policy(stack, "execution-policy")
    assert redis_secret in grants["ReadTaskSecrets"]["Resource"]
    assert grants["DecryptTaskSecrets"]["Resource"] == [KEY, redis_key]
    egress = by_path(stack, "aws_vpc_security_group_egress_rule", "to-redis")
    assert (egress["from_port"], egress["to_port"], egress["cidr_ipv4"]) == (6380, 6380, "10.0.0.0/16")
    assert "to-redis" not in str(resources(without, "aws_vpc_security_group_egress_rule"))
    assert "GITLAB_REDIS_PASSWORD" not in only(without, "aws_ecs_task_definition")["container_definitions"]


ROUTER_IMAGE = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/acme-tooling-aws-for-fluent-bit:2.32.2.20240425"


@pytest.fixture(scope="module")
def routed() -> dict[str, Any]:
    app = Testing.app()
    scope = TerraformStack(app, "test")
    GitLabService(scope, "gitlab-service", props(log_router_image=ROUTER_IMAGE))
    return synth_stack(scope)


def routed_containers(stack: dict[str, Any]) -> dict[str, dict[str, Any]]:
    definitions = json.loads(only(stack, "aws_ecs_task_definition")["container_definitions"])
    return {d["name"]: d for d in definitions}


def test_log_router_is_a_non_essential_firelens_sidecar(routed: dict[str, Any]) -> None:
    containers = routed_containers(routed)
    assert set(containers) == {"gitlab", "log-router"}
    router, gitlab = containers["log-router"], containers["gitlab"]
    assert router["image"] == ROUTER_IMAGE
    assert router["essential"] is False
    assert gitlab["essential"] is True
    assert "dependsOn" not in gitlab and "dependsOn" not in router
    assert router["firelensConfiguration"] == {
        "type": "fluentbit",
        "options": {"config-file-type": "file", "config-file-value": "/fluent-bit/etc/gitlab.conf"},
    }
    assert router["memory"] == 256
    assert router["restartPolicy"]["enabled"] is True
    # The sidecar writes the rendered configuration where FireLens includes it, then
    # starts the image's own entrypoint.
    assert router["entryPoint"] == ["/bin/sh", "-c"]
    assert router["command"] == [
        'printf "%s" "$GITLAB_FLUENT_BIT_CONFIG" > /fluent-bit/etc/gitlab.conf && exec /entrypoint.sh'
    ]
    # GitLab's own stdout stays on awslogs; the router's too, under its own prefix.
    assert gitlab["logConfiguration"]["logDriver"] == "awslogs"
    assert router["logConfiguration"]["logDriver"] == "awslogs"
    assert router["logConfiguration"]["options"]["awslogs-stream-prefix"] == "log-router"
    assert (
        router["logConfiguration"]["options"]["awslogs-group"] == gitlab["logConfiguration"]["options"]["awslogs-group"]
    )


def test_log_directory_is_a_shared_task_volume(routed: dict[str, Any]) -> None:
    containers = routed_containers(routed)
    mounts = {c: {m["containerPath"]: m for m in d["mountPoints"]} for c, d in containers.items()}
    assert mounts["gitlab"]["/var/log/gitlab"] == {
        "sourceVolume": "gitlab-logs", "containerPath": "/var/log/gitlab", "readOnly": False,
    }  # fmt: skip
    assert mounts["log-router"] == {
        "/var/log/gitlab": {"sourceVolume": "gitlab-logs", "containerPath": "/var/log/gitlab", "readOnly": True}
    }
    volumes = {v["name"]: v for v in only(routed, "aws_ecs_task_definition")["volume"]}
    assert volumes["gitlab-logs"] == {"name": "gitlab-logs"}  # task storage, no EFS
    assert {"config", "git-data"} <= set(volumes)


def test_each_component_has_its_encrypted_log_group_and_output(routed: dict[str, Any]) -> None:
    from modules.gitlab_service import LOG_FILES

    groups = resources(routed, "aws_cloudwatch_log_group")
    config_env = only(routed, "aws_ecs_task_definition")["container_definitions"]
    router = routed_containers(routed)["log-router"]
    (env,) = router["environment"]
    assert env["name"] == "GITLAB_FLUENT_BIT_CONFIG"
    config = env["value"]
    for component, file in LOG_FILES.items():
        group = by_path(routed, "aws_cloudwatch_log_group", f"gitlab-service/log-group-{component}")
        assert group["name"] == Namer("acme", "tooling").path("log_group", "gitlab", component)
        assert group["retention_in_days"] == 365
        assert group["kms_key_id"].startswith("${aws_kms_key.")
        assert f"Path              /var/log/gitlab/{file}\n" in config
        assert f"Tag               gitlab.{component}\n" in config
        assert f"Match             gitlab.{component}\n" in config
    assert len(groups) == 2 + len(LOG_FILES)
    assert config.count("Name              cloudwatch_logs") == len(LOG_FILES)
    # JSON lines go out as they are; buffers bounded; no group created by the router.
    assert config.count("log_key           log\n") == len(LOG_FILES)
    assert config.count("Mem_Buf_Limit     16MB\n") == len(LOG_FILES)
    assert config.count("auto_create_group Off\n") == len(LOG_FILES)
    assert "${aws_cloudwatch_log_group." in config_env


def test_logs_key_and_task_role_cover_the_component_groups(routed: dict[str, Any]) -> None:
    from modules.gitlab_service import LOG_FILES

    key_policy = policy(by_path(routed, "aws_kms_key", "logs-key/key"))
    logs = next(s for s in key_policy["Statement"] if s["Sid"] == "CloudWatchLogsForGitLabLogGroups")
    arns = logs["Condition"]["ArnEquals"]["kms:EncryptionContext:aws:logs:arn"]
    assert len(arns) == 2 + len(LOG_FILES)
    task = policy(by_path(routed, "aws_iam_role_policy", "gitlab-service/task-policy"))
    route = next(s for s in task["Statement"] if s["Sid"] == "RouteGitLabLogs")
    assert sorted(route["Action"]) == ["logs:CreateLogStream", "logs:PutLogEvents"]
    assert len(route["Resource"]) == len(LOG_FILES)
    assert all(r.endswith(":log-stream:*") and "/gitlab/" in r for r in route["Resource"])


def test_without_a_router_image_there_is_no_sidecar(stack: dict[str, Any], container: dict[str, Any]) -> None:
    assert len(resources(stack, "aws_cloudwatch_log_group")) == 2
    assert "/var/log/gitlab" not in {m["containerPath"] for m in container["mountPoints"]}
    task = policy(by_path(stack, "aws_iam_role_policy", "gitlab-service/task-policy"))
    assert "RouteGitLabLogs" not in {s["Sid"] for s in task["Statement"]}


def test_router_buffers_must_fit_its_memory() -> None:
    with pytest.raises(ValueError, match="buffers"):
        props(log_router_image=ROUTER_IMAGE, log_router_memory_mib=64)


def test_maintenance_ignores_health_checks_for_a_day_in_a_new_task_definition(stack: dict[str, Any]) -> None:
    app = Testing.app()
    scope = TerraformStack(app, "test")
    GitLabService(scope, "gitlab-service", props(maintenance=True, environment={"EXTRA": "1"}))
    maintained = synth_stack(scope)
    assert only(maintained, "aws_ecs_service")["health_check_grace_period_seconds"] == 86400
    assert only(stack, "aws_ecs_service")["health_check_grace_period_seconds"] == 900
    (container,) = json.loads(only(maintained, "aws_ecs_task_definition")["container_definitions"])
    env = {e["name"]: e["value"] for e in container["environment"]}
    assert env["GITLAB_MAINTENANCE"] == "true" and env["EXTRA"] == "1"
    with pytest.raises(ValueError, match="GITLAB_MAINTENANCE"):
        props(environment={"GITLAB_MAINTENANCE": "false"})
