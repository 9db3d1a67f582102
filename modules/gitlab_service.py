"""GitLab CE on ECS Fargate: cluster, task definition, service, its security group and IAM roles;
with a log router image, a FireLens (Fluent Bit) sidecar sends GitLab's log files to one
CloudWatch log group per component."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from cdktf import ITerraformDependable
from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from cdktf_cdktf_provider_aws.ecs_cluster import (
    EcsCluster,
    EcsClusterConfiguration,
    EcsClusterConfigurationExecuteCommandConfiguration,
    EcsClusterConfigurationExecuteCommandConfigurationLogConfiguration,
    EcsClusterConfigurationManagedStorageConfiguration,
    EcsClusterSetting,
)
from cdktf_cdktf_provider_aws.ecs_service import (
    EcsService,
    EcsServiceDeploymentCircuitBreaker,
    EcsServiceLoadBalancer,
    EcsServiceNetworkConfiguration,
)
from cdktf_cdktf_provider_aws.ecs_task_definition import (
    EcsTaskDefinition,
    EcsTaskDefinitionEphemeralStorage,
    EcsTaskDefinitionRuntimePlatform,
    EcsTaskDefinitionVolume,
    EcsTaskDefinitionVolumeEfsVolumeConfiguration,
    EcsTaskDefinitionVolumeEfsVolumeConfigurationAuthorizationConfig,
)
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from cdktf_cdktf_provider_aws.secretsmanager_secret import SecretsmanagerSecret
from cdktf_cdktf_provider_aws.security_group import SecurityGroup
from cdktf_cdktf_provider_aws.vpc_security_group_egress_rule import VpcSecurityGroupEgressRule
from cdktf_cdktf_provider_aws.vpc_security_group_ingress_rule import VpcSecurityGroupIngressRule
from constructs import Construct

from modules.gitlab_rb import DB_PASSWORD_ENV, REDIS_PASSWORD_ENV, SMTP_PASSWORD_ENV, SMTP_USER_ENV
from modules.kms_key import KmsKey, KmsKeyProps
from modules.naming import Namer
from modules.policy import arn, document, logs_key_statement, service_trust, statement

CONTAINER = "gitlab"
HTTP_PORT = 80
SSH_PORT = 22
SMTP_PORT = 587
# The actions ECS Exec's agent needs; ssmmessages has no resource-level
# permissions ("Using ECS Exec", ECS Developer Guide, IAM permissions).
SSM_MESSAGES_ACTIONS = (
    "ssmmessages:CreateControlChannel",
    "ssmmessages:CreateDataChannel",
    "ssmmessages:OpenControlChannel",
    "ssmmessages:OpenDataChannel",
)
# gitlab.maintenance (a restore, a repair): for a day after the task starts ECS replaces
# it for no failed load balancer or container health check, while Puma and Sidekiq are
# stopped by hand ("healthCheckGracePeriodSeconds", ECS API Reference).
MAINTENANCE_GRACE_SECONDS = 86400
MAINTENANCE_ENV = "GITLAB_MAINTENANCE"
LOG_ROUTER = "log-router"
LOG_VOLUME = "gitlab-logs"
LOG_DIR = "/var/log/gitlab"
# Where FireLens finds our part of the Fluent Bit configuration ("Using a custom
# configuration file", ECS Developer Guide: on Fargate only config-file-type "file",
# a path inside the container; the sidecar writes the file there before starting).
LOG_ROUTER_CONFIG = "/fluent-bit/etc/gitlab.conf"
CONFIG_ENV = "GITLAB_FLUENT_BIT_CONFIG"
# Component -> its file under /var/log/gitlab (GitLab's "Log system" page, Linux
# package paths). Omnibus writes these files and not stdout: the container's stdout
# is `gitlab-ctl tail` of every file at once, interleaved with file headers, so one
# component's JSON cannot be told from another's there. The sidecar therefore tails
# the files through a volume both containers mount. All but NGINX's access log are
# JSON lines by default (Omnibus "Logs" settings: JSON is the default format).
LOG_FILES: Mapping[str, str] = MappingProxyType(
    {
        "rails": "gitlab-rails/production_json.log",
        "api": "gitlab-rails/api_json.log",
        "application": "gitlab-rails/application_json.log",
        "sidekiq": "sidekiq/current",
        "workhorse": "gitlab-workhorse/current",
        "gitaly": "gitaly/current",
        "nginx": "nginx/gitlab_access.log",
        "puma": "puma/puma_stdout.log",
    }
)


def fluent_bit_config(region: str, log_groups: Mapping[str, str], mem_buf_limit_mib: int) -> str:
    """Fluent Bit's classic configuration: one tail input and one CloudWatch output per component.

    ``log_key log`` sends each line as it is, so a JSON line stays one JSON event that
    Logs Insights parses by itself; ``Mem_Buf_Limit`` pauses a file's tail (it resumes
    where it stopped) instead of letting the sidecar grow when CloudWatch is slow.
    """
    sections: list[str] = []
    for component, group in log_groups.items():
        tag = f"gitlab.{component}"
        sections.append(
            "[INPUT]\n"
            "    Name              tail\n"
            f"    Tag               {tag}\n"
            f"    Path              {LOG_DIR}/{LOG_FILES[component]}\n"
            f"    DB                /tmp/tail-{component}.db\n"
            "    Read_from_Head    On\n"
            "    Skip_Long_Lines   On\n"
            "    Refresh_Interval  10\n"
            f"    Mem_Buf_Limit     {mem_buf_limit_mib}MB\n"
        )
        sections.append(
            "[OUTPUT]\n"
            "    Name              cloudwatch_logs\n"
            f"    Match             {tag}\n"
            f"    region            {region}\n"
            f"    log_group_name    {group}\n"
            f"    log_stream_prefix {component}-\n"
            "    log_key           log\n"
            "    auto_create_group Off\n"
        )
    return "\n".join(sections)


@dataclass(frozen=True)
class EfsMount:
    """One EFS access point mounted into the container."""

    access_point_id: str
    access_point_arn: str
    container_path: str


@dataclass(frozen=True)
class RedisRef:
    """How the task reaches an external Redis: port, token secret, the secret's key."""

    port: int
    secret_arn: str
    secret_json_key: str | None = None
    kms_key_arn: str | None = None

    @property
    def value_from(self) -> str:
        return f"{self.secret_arn}:{self.secret_json_key}::" if self.secret_json_key else self.secret_arn


@dataclass(frozen=True)
class GitLabServiceProps:
    """Inputs of ``GitLabService``.

    ``omnibus_config`` is the rendered gitlab.rb (``modules.gitlab_rb``); the
    secrets it reads from the environment come from ``database_secret_arn`` and,
    with ``smtp``, from a Secrets Manager secret this construct creates without a
    value (a runbook puts SES's SMTP credentials into it).
    """

    namer: Namer
    account_id: str
    region: str
    vpc_id: str
    vpc_cidr: str
    subnet_ids: Sequence[str]
    image: str
    repository_arns: Sequence[str]
    kms_key_arn: str  # data key: secrets, S3 objects, ECS Exec sessions
    omnibus_config: str
    file_system_id: str
    file_system_arn: str
    efs_mounts: Mapping[str, EfsMount]
    efs_security_group_id: str
    database_security_group_id: str
    database_secret_arn: str
    bucket_arns: Sequence[str]
    load_balancer_security_group_id: str
    target_group_arn: str
    s3_prefix_list_id: str
    # The interface endpoints' security groups: HTTPS (the AWS APIs) and, with
    # smtp, SES's SMTP endpoint. The task's egress names them, not the VPC's CIDR.
    endpoint_security_group_id: str
    smtp_endpoint_security_group_id: str | None = None
    partition: str = "aws"
    pull_actions: Sequence[str] = ()
    database_port: int = 5432
    smtp: bool = True
    cpu: int = 8192
    memory: int = 16384
    ephemeral_storage_gib: int = 30
    log_retention_days: int = 365
    # First boot runs all database migrations; the load balancer's and the
    # container's health checks are ignored this long.
    health_check_grace_seconds: int = 900
    # Omnibus needs time to stop its services cleanly; 120 s is Fargate's maximum.
    stop_timeout_seconds: int = 120
    # LATEST is 1.4.0 today, the first Linux platform with EFS access points and
    # ECS Exec; it never resolves to anything older.
    platform_version: str = "LATEST"
    dependencies: Sequence[ITerraformDependable] = field(default_factory=tuple)
    # An external Redis: its port, the ECS valueFrom of its AUTH token, and the KMS
    # key of that secret when it is not kms_key_arn. None: Redis is bundled.
    redis: RedisRef | None = None
    # git over SSH: the NLB's target group and security group, both or neither.
    ssh_target_group_arn: str | None = None
    ssh_security_group_id: str | None = None
    # The FireLens sidecar's image (modules/gitlab_image.py); None: no sidecar, the
    # container's stdout only. Its hard memory limit and each file's buffer limit.
    log_router_image: str | None = None
    log_router_memory_mib: int = 256
    log_router_mem_buf_limit_mib: int = 16
    # More of the container: environment variables, a start command (run by /bin/bash -c
    # instead of the image's CMD) and task-role statements, e.g. GitLab's own backup
    # (modules/gitlab_backup.py). An empty command keeps the image's.
    environment: Mapping[str, str] = field(default_factory=dict)
    command: Sequence[str] = ()
    task_statements: Sequence[Mapping[str, Any]] = ()
    # A restore or repair: the grace period becomes MAINTENANCE_GRACE_SECONDS, and the
    # container carries GITLAB_MAINTENANCE so that the task definition always changes and
    # a new task comes with it (the grace period counts from a task's start).
    maintenance: bool = False

    def __post_init__(self) -> None:
        if self.smtp and self.smtp_endpoint_security_group_id is None:
            raise ValueError("smtp needs smtp_endpoint_security_group_id (the SES SMTP endpoint's security group)")
        if (self.ssh_target_group_arn is None) != (self.ssh_security_group_id is None):
            raise ValueError("ssh_target_group_arn and ssh_security_group_id go together")
        if self.health_check_grace_seconds < 900:
            raise ValueError("GitLab's first boot needs a health-check grace period of at least 900 s")
        if self.log_router_mem_buf_limit_mib * len(LOG_FILES) >= self.log_router_memory_mib:
            raise ValueError("the log router's buffers (one per log file) must fit in its memory limit")
        if {"GITLAB_OMNIBUS_CONFIG", MAINTENANCE_ENV} & set(self.environment):
            raise ValueError(f"GITLAB_OMNIBUS_CONFIG and {MAINTENANCE_ENV} come from omnibus_config and maintenance")
        for name in ("subnet_ids", "repository_arns", "bucket_arns", "pull_actions", "dependencies", "command",
                     "task_statements"):  # fmt: skip
            object.__setattr__(self, name, tuple(getattr(self, name)))
        object.__setattr__(self, "efs_mounts", MappingProxyType(dict(self.efs_mounts)))
        object.__setattr__(self, "environment", MappingProxyType(dict(self.environment)))


class GitLabService(Construct):
    """One GitLab task, never two: deployments stop the old task before starting
    the new one (minimum 0 %, maximum 100 %), since two GitLab containers must not
    share the same data."""

    def __init__(self, scope: Construct, id_: str, props: GitLabServiceProps) -> None:
        super().__init__(scope, id_)
        namer = props.namer
        self._logs(props)
        self.smtp_secret = (
            SecretsmanagerSecret(
                self,
                "smtp-secret",
                name=namer.name("secret", "smtp", separator="/"),
                description='SES SMTP credentials for GitLab, JSON {"username": ..., "password": ...}; '
                "the value is put by the runbook in docs/gitlab.md, never by Terraform",
                kms_key_id=props.kms_key_arn,
                recovery_window_in_days=30,
            )
            if props.smtp
            else None
        )
        self.secrets = self._secret_refs(props)
        cluster_name = namer.name("ecs", "gitlab")
        self.storage_key = self._storage_key(props, cluster_name)
        self.cluster = EcsCluster(
            self,
            "cluster",
            name=cluster_name,
            setting=[EcsClusterSetting(name="containerInsights", value="enhanced")],
            configuration=EcsClusterConfiguration(
                execute_command_configuration=EcsClusterConfigurationExecuteCommandConfiguration(
                    kms_key_id=props.kms_key_arn,
                    logging="OVERRIDE",
                    log_configuration=EcsClusterConfigurationExecuteCommandConfigurationLogConfiguration(
                        cloud_watch_log_group_name=self.exec_log_group.name,
                        cloud_watch_encryption_enabled=True,
                    ),
                ),
                # The task's storage holds the image, the logs and, before its upload,
                # GitLab's backup archive: encrypted with a key of ours, not AWS's own.
                managed_storage_configuration=EcsClusterConfigurationManagedStorageConfiguration(
                    fargate_ephemeral_storage_kms_key_id=self.storage_key.arn
                ),
            ),
        )
        self._roles(props)
        self._security_group(props)
        containers = [self._container(props)]
        if props.log_router_image is not None:
            containers.append(self._log_router(props))
        self.container_definitions = json.dumps(containers, sort_keys=True)
        self.task_definition = EcsTaskDefinition(
            self,
            "task",
            family=namer.name("ecs", "gitlab"),
            requires_compatibilities=["FARGATE"],
            network_mode="awsvpc",
            cpu=str(props.cpu),
            memory=str(props.memory),
            execution_role_arn=self.execution_role.arn,
            task_role_arn=self.task_role.arn,
            ephemeral_storage=EcsTaskDefinitionEphemeralStorage(size_in_gib=props.ephemeral_storage_gib),
            runtime_platform=EcsTaskDefinitionRuntimePlatform(
                operating_system_family="LINUX", cpu_architecture="X86_64"
            ),
            container_definitions=self.container_definitions,
            volume=[
                EcsTaskDefinitionVolume(
                    name=name,
                    efs_volume_configuration=EcsTaskDefinitionVolumeEfsVolumeConfiguration(
                        file_system_id=props.file_system_id,
                        root_directory="/",  # the access point sets the directory
                        transit_encryption="ENABLED",
                        authorization_config=EcsTaskDefinitionVolumeEfsVolumeConfigurationAuthorizationConfig(
                            access_point_id=mount.access_point_id, iam="ENABLED"
                        ),
                    ),
                )
                for name, mount in props.efs_mounts.items()
            ]
            # A volume without a source is task storage both containers share
            # ("Bind mounts", ECS Developer Guide); it lives as long as the task.
            + ([EcsTaskDefinitionVolume(name=LOG_VOLUME)] if props.log_router_image else []),
        )
        self.service = EcsService(
            self,
            "service",
            name=namer.name("ecs", "gitlab"),
            cluster=self.cluster.arn,
            task_definition=self.task_definition.arn,
            launch_type="FARGATE",
            platform_version=props.platform_version,
            desired_count=1,
            deployment_minimum_healthy_percent=0,
            deployment_maximum_percent=100,
            deployment_circuit_breaker=EcsServiceDeploymentCircuitBreaker(enable=True, rollback=True),
            health_check_grace_period_seconds=(
                MAINTENANCE_GRACE_SECONDS if props.maintenance else props.health_check_grace_seconds
            ),
            enable_execute_command=True,
            enable_ecs_managed_tags=True,
            propagate_tags="SERVICE",
            network_configuration=EcsServiceNetworkConfiguration(
                subnets=list(props.subnet_ids),
                security_groups=[self.security_group.id],
                assign_public_ip=False,
            ),
            load_balancer=[
                EcsServiceLoadBalancer(
                    target_group_arn=props.target_group_arn, container_name=CONTAINER, container_port=HTTP_PORT
                ),
                *(
                    [
                        EcsServiceLoadBalancer(
                            target_group_arn=props.ssh_target_group_arn,
                            container_name=CONTAINER,
                            container_port=SSH_PORT,
                        )
                    ]
                    if props.ssh_target_group_arn
                    else []
                ),
            ],
            # ECS rejects a target group that no listener uses yet.
            depends_on=list(props.dependencies),
        )

    def _logs(self, props: GitLabServiceProps) -> None:
        namer = props.namer
        app_name = namer.path("log_group", "gitlab")
        exec_name = namer.path("log_group", "ecs-exec")
        component_names = (
            {component: namer.path("log_group", "gitlab", component) for component in LOG_FILES}
            if props.log_router_image
            else {}
        )
        self.log_group_arns = {
            name: arn(props.partition, "logs", props.region, props.account_id, f"log-group:{name}")
            for name in (app_name, exec_name, *component_names.values())
        }
        key = KmsKey(
            self,
            "logs-key",
            KmsKeyProps(
                namer=namer,
                purpose="gitlab-logs",
                description=f"GitLab container and ECS Exec logs of {namer.prefix}-{namer.workspace}",
                account_id=props.account_id,
                partition=props.partition,
                service_statements=(
                    logs_key_statement(
                        "CloudWatchLogsForGitLabLogGroups", props.region, sorted(self.log_group_arns.values())
                    ),
                ),
            ),
        )
        self.logs_key = key
        self.log_group = CloudwatchLogGroup(
            self, "log-group", name=app_name, retention_in_days=props.log_retention_days, kms_key_id=key.arn
        )
        self.exec_log_group = CloudwatchLogGroup(
            self, "exec-log-group", name=exec_name, retention_in_days=props.log_retention_days, kms_key_id=key.arn
        )
        self.log_group_arn = self.log_group_arns[app_name]
        self.exec_log_group_arn = self.log_group_arns[exec_name]
        # Component -> its log group, filled by the log router; same retention and key.
        self.component_log_groups = {
            component: CloudwatchLogGroup(
                self,
                f"log-group-{component}",
                name=name,
                retention_in_days=props.log_retention_days,
                kms_key_id=key.arn,
            )
            for component, name in component_names.items()
        }
        self.component_log_group_arns = {c: self.log_group_arns[n] for c, n in component_names.items()}

    def _storage_key(self, props: GitLabServiceProps, cluster_name: str) -> KmsKey:
        """The key of the tasks' ephemeral storage. Fargate may make data keys and grant
        itself Decrypt for this cluster only ("Create an encryption key for Fargate
        ephemeral storage", ECS Developer Guide: the encryption context carries the
        cluster's account and name)."""
        context = {
            "kms:EncryptionContext:aws:ecs:clusterAccount": [props.account_id],
            "kms:EncryptionContext:aws:ecs:clusterName": [cluster_name],
        }
        fargate = {"Service": "fargate.amazonaws.com"}
        return KmsKey(
            self,
            "storage-key",
            KmsKeyProps(
                namer=props.namer,
                purpose="gitlab-task-storage",
                description=f"Fargate ephemeral storage of {cluster_name}",
                account_id=props.account_id,
                partition=props.partition,
                service_statements=(
                    statement(
                        "FargateDataKeysForThisCluster",
                        ["kms:GenerateDataKeyWithoutPlaintext"],
                        ["*"],
                        principals=fargate,
                        conditions={"StringEquals": context},
                    ),
                    statement(
                        "FargateDecryptGrantsForThisCluster",
                        ["kms:CreateGrant"],
                        ["*"],
                        principals=fargate,
                        conditions={
                            "StringEquals": context,
                            "ForAllValues:StringEquals": {"kms:GrantOperations": ["Decrypt"]},
                        },
                    ),
                ),
            ),
        )

    def _secret_refs(self, props: GitLabServiceProps) -> dict[str, str]:
        """Environment variable -> ECS ``valueFrom`` (one JSON key of a secret)."""
        refs = {DB_PASSWORD_ENV: f"{props.database_secret_arn}:password::"}
        self.secret_arns = [props.database_secret_arn]
        if self.smtp_secret is not None:
            self.secret_arns.append(self.smtp_secret.arn)
            refs[SMTP_USER_ENV] = f"{self.smtp_secret.arn}:username::"
            refs[SMTP_PASSWORD_ENV] = f"{self.smtp_secret.arn}:password::"
        if props.redis is not None:
            self.secret_arns.append(props.redis.secret_arn)
            refs[REDIS_PASSWORD_ENV] = props.redis.value_from
        return refs

    def _container(self, props: GitLabServiceProps) -> dict[str, Any]:
        return {
            "name": CONTAINER,
            "image": props.image,
            "essential": True,
            "portMappings": [
                {"containerPort": port, "protocol": "tcp"}
                for port in ((HTTP_PORT, SSH_PORT) if props.ssh_target_group_arn else (HTTP_PORT,))
            ],
            "environment": [
                {"name": name, "value": value}
                for name, value in sorted(
                    {
                        **props.environment,
                        "GITLAB_OMNIBUS_CONFIG": props.omnibus_config,
                        **({MAINTENANCE_ENV: "true"} if props.maintenance else {}),
                    }.items()
                )
            ],
            **({"entryPoint": ["/bin/bash", "-c"], "command": list(props.command)} if props.command else {}),
            "secrets": [{"name": name, "valueFrom": ref} for name, ref in self.secrets.items()],
            "mountPoints": [
                {"sourceVolume": name, "containerPath": mount.container_path, "readOnly": False}
                for name, mount in props.efs_mounts.items()
            ]
            + (
                [{"sourceVolume": LOG_VOLUME, "containerPath": LOG_DIR, "readOnly": False}]
                if props.log_router_image
                else []
            ),
            # Its stdout stays on awslogs, not the router: GitLab neither waits for nor
            # depends on the sidecar (no dependsOn), so a failed router loses only the
            # component streams, never GitLab.
            "logConfiguration": {
                "logDriver": "awslogs",
                "options": {
                    "awslogs-group": self.log_group.name,
                    "awslogs-region": props.region,
                    "awslogs-stream-prefix": CONTAINER,
                },
            },
            "stopTimeout": props.stop_timeout_seconds,
            # The image's own HEALTHCHECK, which ECS ignores unless repeated here.
            "healthCheck": {
                "command": ["CMD-SHELL", "/opt/gitlab/bin/gitlab-healthcheck --fail --max-time 10"],
                "interval": 60,
                "timeout": 30,
                "retries": 5,
                "startPeriod": 300,
            },
            # An init process reaps the SSM agent's children in ECS Exec sessions.
            "linuxParameters": {"initProcessEnabled": True},
            "privileged": False,
            # Omnibus writes its configuration and runtime state under / at every start.
            "readonlyRootFilesystem": False,
        }

    def _log_router(self, props: GitLabServiceProps) -> dict[str, Any]:
        groups = {c: group.name for c, group in self.component_log_groups.items()}
        return {
            "name": LOG_ROUTER,
            "image": props.log_router_image,
            # Non-essential: when it stops, the task and GitLab go on ("essential",
            # ECS Developer Guide, container definition parameters).
            "essential": False,
            "firelensConfiguration": {
                "type": "fluentbit",
                "options": {"config-file-type": "file", "config-file-value": LOG_ROUTER_CONFIG},
            },
            "environment": [
                {
                    "name": CONFIG_ENV,
                    "value": fluent_bit_config(props.region, groups, props.log_router_mem_buf_limit_mib),
                }
            ],
            # The image's own start script (/entrypoint.sh) runs Fluent Bit on the
            # configuration FireLens generates, which includes LOG_ROUTER_CONFIG.
            "entryPoint": ["/bin/sh", "-c"],
            "command": [f'printf "%s" "${CONFIG_ENV}" > {LOG_ROUTER_CONFIG} && exec /entrypoint.sh'],
            "mountPoints": [{"sourceVolume": LOG_VOLUME, "containerPath": LOG_DIR, "readOnly": True}],
            # A hard limit: past it only this container is stopped, then restarted.
            "memory": props.log_router_memory_mib,
            "restartPolicy": {"enabled": True, "restartAttemptPeriod": 60},
            "logConfiguration": {
                "logDriver": "awslogs",
                "options": {
                    "awslogs-group": self.log_group.name,
                    "awslogs-region": props.region,
                    "awslogs-stream-prefix": LOG_ROUTER,
                },
            },
            "privileged": False,
            # It writes its configuration file and the tail offsets (/tmp) at start.
            "readonlyRootFilesystem": False,
        }

    def _roles(self, props: GitLabServiceProps) -> None:
        namer = props.namer
        trust = service_trust("ecs-tasks.amazonaws.com", props.account_id)
        self.execution_role = IamRole(
            self, "execution-role", name=namer.name("iam_role", "gitlab-execution"), assume_role_policy=trust
        )
        # What ECS itself needs to start the task: pull the image, write logs,
        # resolve the secrets (replaces AmazonECSTaskExecutionRolePolicy,
        # AmazonEC2ContainerRegistryReadOnly and AmazonS3ReadOnlyAccess).
        self.execution_policy = IamRolePolicy(
            self,
            "execution-policy",
            name="start-gitlab-task",
            role=self.execution_role.id,
            policy=document(
                [
                    # GetAuthorizationToken has no resource-level permissions (ECR User Guide).
                    statement("EcrAuthorization", ["ecr:GetAuthorizationToken"], ["*"]),
                    statement(
                        "PullGitLabImage",
                        [
                            "ecr:BatchCheckLayerAvailability",
                            "ecr:BatchGetImage",
                            "ecr:GetDownloadUrlForLayer",
                            *props.pull_actions,
                        ],
                        list(props.repository_arns),
                    ),
                    statement(
                        "WriteContainerLogs",
                        ["logs:CreateLogStream", "logs:PutLogEvents"],
                        [f"{self.log_group_arn}:log-stream:*"],
                    ),
                    statement("ReadTaskSecrets", ["secretsmanager:GetSecretValue"], self.secret_arns),
                    statement(
                        "DecryptTaskSecrets",
                        ["kms:Decrypt"],
                        [
                            props.kms_key_arn,
                            *([props.redis.kms_key_arn] if props.redis and props.redis.kms_key_arn else []),
                        ],
                        conditions={"StringEquals": {"kms:ViaService": f"secretsmanager.{props.region}.amazonaws.com"}},
                    ),
                ]
            ),
        )
        self.task_role = IamRole(
            self, "task-role", name=namer.name("iam_role", "gitlab-task"), assume_role_policy=trust
        )
        objects = [f"{bucket}/*" for bucket in props.bucket_arns]
        # What GitLab does while running (replaces AmazonSSMFullAccess and the
        # design's ses:SendEmail on "*": mail goes through SES SMTP credentials).
        self.task_policy = IamRolePolicy(
            self,
            "task-policy",
            name="run-gitlab",
            role=self.task_role.id,
            policy=document(
                [
                    statement("EcsExecChannels", list(SSM_MESSAGES_ACTIONS), ["*"]),
                    # The ECS Exec agent checks that its log group exists; Describe* is not resource-scoped.
                    statement("EcsExecFindLogGroup", ["logs:DescribeLogGroups"], ["*"]),
                    statement(
                        "EcsExecSessionLogs",
                        ["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"],
                        [self.exec_log_group_arn, f"{self.exec_log_group_arn}:log-stream:*"],
                    ),
                    statement(
                        "ObjectStorageBuckets",
                        ["s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketMultipartUploads"],
                        list(props.bucket_arns),
                    ),
                    statement(
                        "ObjectStorageObjects",
                        [
                            "s3:AbortMultipartUpload",
                            "s3:DeleteObject",
                            "s3:GetObject",
                            "s3:ListMultipartUploadParts",
                            "s3:PutObject",
                        ],
                        objects,
                    ),
                    *(
                        [
                            # Fluent Bit's cloudwatch_logs output: streams in the
                            # existing groups only (auto_create_group Off).
                            statement(
                                "RouteGitLabLogs",
                                ["logs:CreateLogStream", "logs:PutLogEvents"],
                                [f"{a}:log-stream:*" for a in self.component_log_group_arns.values()],
                            )
                        ]
                        if self.component_log_group_arns
                        else []
                    ),
                    # S3 objects (SSE-KMS) and ECS Exec sessions use the data key.
                    statement("UseDataKey", ["kms:Decrypt", "kms:GenerateDataKey"], [props.kms_key_arn]),
                    statement(
                        "MountGitLabEfs",
                        [
                            "elasticfilesystem:ClientMount",
                            "elasticfilesystem:ClientRootAccess",
                            "elasticfilesystem:ClientWrite",
                        ],
                        [props.file_system_arn],
                        conditions={
                            "StringEquals": {
                                "elasticfilesystem:AccessPointArn": [
                                    m.access_point_arn for m in props.efs_mounts.values()
                                ]
                            }
                        },
                    ),
                    *props.task_statements,
                ]
            ),
        )

    def _security_group(self, props: GitLabServiceProps) -> None:
        namer = props.namer
        self.security_group = SecurityGroup(
            self,
            "sg",
            name=namer.name("security_group", "gitlab"),
            description="GitLab task: HTTP from the ALB; out to the database, EFS and VPC endpoints",
            vpc_id=props.vpc_id,
            tags={"Name": namer.name("tag", "gitlab")},
        )
        own = self.security_group.id
        VpcSecurityGroupIngressRule(
            self,
            "from-alb",
            security_group_id=own,
            description="HTTP from the GitLab ALB",
            ip_protocol="tcp",
            from_port=HTTP_PORT,
            to_port=HTTP_PORT,
            referenced_security_group_id=props.load_balancer_security_group_id,
        )
        VpcSecurityGroupEgressRule(
            self,
            "alb-to-task",
            security_group_id=props.load_balancer_security_group_id,
            description="ALB to the GitLab task",
            ip_protocol="tcp",
            from_port=HTTP_PORT,
            to_port=HTTP_PORT,
            referenced_security_group_id=own,
        )
        if props.ssh_security_group_id:
            VpcSecurityGroupIngressRule(
                self,
                "from-ssh-nlb",
                security_group_id=own,
                description="SSH from the GitLab SSH NLB",
                ip_protocol="tcp",
                from_port=SSH_PORT,
                to_port=SSH_PORT,
                referenced_security_group_id=props.ssh_security_group_id,
            )
            VpcSecurityGroupEgressRule(
                self,
                "ssh-nlb-to-task",
                security_group_id=props.ssh_security_group_id,
                description="SSH NLB to the GitLab task",
                ip_protocol="tcp",
                from_port=SSH_PORT,
                to_port=SSH_PORT,
                referenced_security_group_id=own,
            )
        peers = {
            "database": (props.database_security_group_id, props.database_port, "PostgreSQL"),
            "efs": (props.efs_security_group_id, 2049, "NFS"),
        }
        for name, (group, port, what) in peers.items():
            VpcSecurityGroupEgressRule(
                self,
                f"to-{name}",
                security_group_id=own,
                description=f"{what} to the GitLab {name}",
                ip_protocol="tcp",
                from_port=port,
                to_port=port,
                referenced_security_group_id=group,
            )
            VpcSecurityGroupIngressRule(
                self,
                f"{name}-from-task",
                security_group_id=group,
                description=f"{what} from the GitLab task",
                ip_protocol="tcp",
                from_port=port,
                to_port=port,
                referenced_security_group_id=own,
            )
        # HTTPS goes to the interface endpoints' group only (docs/network.md): the
        # ALB, the CodeConnections host and the rest of the VPC are not the task's
        # to call; the webhook endpoint has its own rule (modules/codeconnections.py).
        VpcSecurityGroupEgressRule(
            self,
            "to-endpoints",
            security_group_id=own,
            description="HTTPS to the VPC's interface endpoints",
            ip_protocol="tcp",
            from_port=443,
            to_port=443,
            referenced_security_group_id=props.endpoint_security_group_id,
        )
        VpcSecurityGroupEgressRule(
            self,
            "to-s3",
            security_group_id=own,
            description="HTTPS to S3 through the gateway endpoint (image layers, object storage)",
            ip_protocol="tcp",
            from_port=443,
            to_port=443,
            prefix_list_id=props.s3_prefix_list_id,
        )
        if props.redis is not None:
            VpcSecurityGroupEgressRule(
                self,
                "to-redis",
                security_group_id=own,
                description="Redis (TLS) to the external ElastiCache in this VPC",
                ip_protocol="tcp",
                from_port=props.redis.port,
                to_port=props.redis.port,
                cidr_ipv4=props.vpc_cidr,
            )
        if props.smtp:
            VpcSecurityGroupEgressRule(
                self,
                "to-smtp",
                security_group_id=own,
                description="SMTP submission to the SES endpoint",
                ip_protocol="tcp",
                from_port=SMTP_PORT,
                to_port=SMTP_PORT,
                referenced_security_group_id=props.smtp_endpoint_security_group_id,
            )
