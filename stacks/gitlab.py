"""GitLab in the tooling workspace: the constructs, wired from the account's ``gitlab:`` section."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from cdktf import TerraformOutput

from config.gitlab import OBJECT_TYPES, GitLabConfig
from config.operations import Operations
from modules.bucket_replication import BucketReplication, BucketReplicationProps, SourceBucket
from modules.database import Database, DatabaseProps
from modules.gitlab_backup import GitLabBackup, GitLabBackupProps
from modules.gitlab_image import GitLabImage, GitLabImageProps
from modules.gitlab_rb import GitLabRbSettings, RedisSettings, SmtpSettings, render
from modules.gitlab_service import EfsMount, GitLabService, GitLabServiceProps, RedisRef
from modules.gitlab_storage import ALB_LOG_PREFIX, GitLabStorage, GitLabStorageProps
from modules.image_copy import ImageCopy, ImageCopyProps
from modules.kms_key import KmsKey, KmsKeyProps
from modules.load_balancer import LoadBalancer, LoadBalancerProps
from modules.network import Network
from modules.rotation_restart import RotationRestart, RotationRestartProps
from modules.ssh_load_balancer import SshLoadBalancer, SshLoadBalancerProps
from modules.vpc_endpoints import VpcEndpoints, VpcEndpointsProps
from stacks.base import AccountStack


@dataclass(frozen=True)
class GitLab:
    """The parts other compositions refer to (issue: the private zone aliases ``load_balancer``)."""

    key: KmsKey
    image: GitLabImage
    endpoints: VpcEndpoints
    storage: GitLabStorage
    database: Database
    load_balancer: LoadBalancer
    service: GitLabService
    omnibus_config: str
    ssh_load_balancer: SshLoadBalancer | None
    replication: BucketReplication | None = None
    app_backup: GitLabBackup | None = None  # GitLab's own backup (gitlab.backup)


def add_gitlab(
    stack: AccountStack,
    network: Network,
    gitlab: GitLabConfig,
    admitted_security_group_ids: Sequence[str] = (),
    admitted_cidrs: Sequence[str] = (),
) -> GitLab:
    """``admitted_security_group_ids``: security groups (e.g. Client VPN's) allowed to reach
    the load balancers; ``admitted_cidrs``: networks besides the VPC and the configured
    ``allowed_ingress_cidrs`` (the target VPCs, through the Transit Gateway)."""
    account, namer, partition = stack.account, stack.namer, stack.partition
    assert account.gitlab_hostname, "configuration requires gitlab_hostname on the tooling account"
    net = account.network
    key = KmsKey(
        stack,
        "gitlab-key",
        KmsKeyProps(
            namer=namer,
            purpose="gitlab-data",
            description=f"GitLab data of {namer.prefix}-{namer.workspace}: image, EFS, S3, database, secrets",
            account_id=account.account_id,
            partition=partition,
        ),
    )
    image = GitLabImage(
        stack,
        "gitlab-image",
        GitLabImageProps(
            namer=namer,
            account_id=account.account_id,
            region=account.region,
            partition=partition,
            kms_key_arn=key.arn,
            tag=gitlab.image.tag,
            source=gitlab.image.source,
            credential_arn=gitlab.image.pull_through_credential_arn,
            scanning=gitlab.image.scanning,
            keep_tagged_images=gitlab.image.keep_tagged_images,
            expire_untagged_days=gitlab.image.expire_untagged_days,
        ),
    )
    if image.repository is not None:
        # Upgrades without a workstation: docs/runbooks.md, "Upgrading GitLab".
        copy = ImageCopy(
            stack,
            "gitlab-image-copy",
            ImageCopyProps(
                namer=namer,
                account_id=account.account_id,
                region=account.region,
                partition=partition,
                repository_name=image.repository_name,
                repository_url=image.repository.repository_url,
                repository_arn=image.repository.arn,
                kms_key_arn=key.arn,
                log_retention_days=gitlab.task.log_retention_days,
            ),
        )
        TerraformOutput(
            stack,
            "image_copy_project_name",
            value=copy.project.name,
            description="CodeBuild project copying a pinned GitLab tag from Docker Hub into ECR.",
        )
    endpoints = VpcEndpoints(
        stack,
        "vpc-endpoints",
        VpcEndpointsProps(
            namer=namer,
            account_id=account.account_id,
            region=account.region,
            partition=partition,
            vpc_id=network.vpc.id,
            vpc_cidr=net.vpc_cidr,
            subnet_ids=network.subnet_ids,
            route_table_ids=[table.id for table in network.route_tables.values()],
            smtp=gitlab.smtp is not None,
        ),
    )
    storage = GitLabStorage(
        stack,
        "gitlab-storage",
        GitLabStorageProps(
            namer=namer,
            account_id=account.account_id,
            region=account.region,
            partition=partition,
            vpc_id=network.vpc.id,
            subnet_ids={az: subnet.id for az, subnet in network.subnets.items()},
            kms_key_arn=key.arn,
            object_types=gitlab.object_storage.types,
            local_object_types=[t for t in OBJECT_TYPES if t not in gitlab.object_storage.types],
            noncurrent_version_days=gitlab.object_storage.noncurrent_version_days,
            access_log_days=gitlab.load_balancer.access_log_retention_days,
            replication_region=gitlab.efs.replication_region,
            replication_kms_key_arn=gitlab.efs.replication_kms_key_arn,
            # The AWS Backup plan of stacks/operations.py selects the file system when on.
            automatic_backups=(account.operations or Operations()).backup is None,
        ),
    )
    app_backup = (
        GitLabBackup(
            stack,
            "gitlab-backup",
            GitLabBackupProps(
                namer=namer,
                account_id=account.account_id,
                region=account.region,
                partition=partition,
                data_kms_key_arn=key.arn,
                access_log_bucket=storage.log_bucket.name,
                access_log_dependencies=(storage.log_bucket.policy,),
                daily_at=gitlab.backup.daily_at,
                keep_days=gitlab.backup.keep_days,
                config_keep_days=gitlab.backup.config_keep_days,
                schedule=not gitlab.maintenance,
            ),
        )
        if gitlab.backup is not None
        else None
    )
    replication = _object_replication(stack, gitlab, storage, key.arn, app_backup)
    db = gitlab.database
    database = Database(
        stack,
        "gitlab-database",
        DatabaseProps(
            namer=namer,
            account_id=account.account_id,
            partition=partition,
            vpc_id=network.vpc.id,
            subnet_ids=network.subnet_ids,
            availability_zones=net.availability_zones,
            kms_key_arn=key.arn,
            engine=db.engine,
            engine_version=db.engine_version,
            instance_class=db.instance_class,
            allocated_storage_gib=db.allocated_storage_gib,
            backup_retention_days=db.backup_retention_days,
            database_name=db.database_name,
            master_username=db.master_username,
        ),
    )
    lb = gitlab.load_balancer
    load_balancer = LoadBalancer(
        stack,
        "gitlab-alb",
        LoadBalancerProps(
            namer=namer,
            vpc_id=network.vpc.id,
            vpc_cidr=net.vpc_cidr,
            subnet_ids=network.subnet_ids,
            hostname=account.gitlab_hostname,
            access_log_bucket=storage.log_bucket.name,
            access_log_prefix=ALB_LOG_PREFIX,
            access_log_dependencies=(storage.log_bucket.policy,),
            certificate_arn=gitlab.certificate.existing_arn,
            validation_zone_id=gitlab.certificate.dns_validation_zone_id,
            ssl_policy=lb.ssl_policy,
            allowed_ingress_cidrs=(*lb.allowed_ingress_cidrs, *admitted_cidrs),
            allowed_security_group_ids=admitted_security_group_ids,
            idle_timeout_seconds=lb.idle_timeout_seconds,
        ),
    )
    ssh_load_balancer = (
        SshLoadBalancer(
            stack,
            "gitlab-ssh-nlb",
            SshLoadBalancerProps(
                namer=namer,
                vpc_id=network.vpc.id,
                vpc_cidr=net.vpc_cidr,
                subnet_ids=network.subnet_ids,
                allowed_ingress_cidrs=(*lb.allowed_ingress_cidrs, *admitted_cidrs),
                allowed_security_group_ids=admitted_security_group_ids,
            ),
        )
        if gitlab.ssh
        else None
    )
    buckets = {object_type: storage.buckets[object_type].name if object_type in storage.buckets else None
               for object_type in OBJECT_TYPES}  # fmt: skip
    smtp = gitlab.smtp
    redis = gitlab.redis
    omnibus_config = render(
        GitLabRbSettings(
            external_url=f"https://{account.gitlab_hostname}",
            db_host=database.endpoint,
            db_port=database.port,
            db_name=db.database_name,
            db_username=db.master_username,
            region=account.region,
            buckets=buckets,
            object_kms_key_arn=key.arn,
            trusted_cidrs=[net.vpc_cidr],
            smtp=(
                SmtpSettings(
                    address=f"email-smtp.{account.region}.amazonaws.com",
                    from_address=smtp.from_address,
                    reply_to=smtp.reply_to,
                    domain=smtp.domain or smtp.from_address.split("@", 1)[1],
                )
                if smtp
                else None
            ),
            prometheus=gitlab.prometheus,
            time_zone=gitlab.time_zone,
            ssh_host=gitlab.ssh.hostname if gitlab.ssh else None,
            redis=RedisSettings(redis.host, redis.port) if redis else None,
            backup_bucket=app_backup.archives.name if app_backup else None,
        )
    )
    service = GitLabService(
        stack,
        "gitlab-service",
        GitLabServiceProps(
            namer=namer,
            account_id=account.account_id,
            region=account.region,
            partition=partition,
            vpc_id=network.vpc.id,
            vpc_cidr=net.vpc_cidr,
            subnet_ids=network.subnet_ids,
            image=image.image,
            log_router_image=image.log_router_image,
            repository_arns=image.repository_arns,
            pull_actions=image.pull_actions,
            kms_key_arn=key.arn,
            omnibus_config=omnibus_config,
            file_system_id=storage.file_system.id,
            file_system_arn=storage.file_system.arn,
            efs_mounts={
                name: EfsMount(point.id, point.arn, storage.container_paths[name])
                for name, point in storage.access_points.items()
            },
            efs_security_group_id=storage.security_group.id,
            database_security_group_id=database.security_group.id,
            database_port=database.port,
            database_secret_arn=database.secret_arn,
            bucket_arns=[bucket.arn for bucket in storage.buckets.values()],
            load_balancer_security_group_id=load_balancer.security_group.id,
            target_group_arn=load_balancer.target_group.arn,
            s3_prefix_list_id=endpoints.s3_prefix_list_id,
            endpoint_security_group_id=endpoints.https_sg.id,
            smtp_endpoint_security_group_id=endpoints.smtp_sg.id if endpoints.smtp_sg else None,
            smtp=smtp is not None,
            cpu=gitlab.task.cpu,
            memory=gitlab.task.memory,
            ephemeral_storage_gib=gitlab.task.ephemeral_storage_gib,
            log_retention_days=gitlab.task.log_retention_days,
            maintenance=gitlab.maintenance,
            environment=app_backup.environment if app_backup else {},
            command=app_backup.command if app_backup else (),
            task_statements=app_backup.task_statements if app_backup else (),
            dependencies=[load_balancer.https_listener, *([ssh_load_balancer.listener] if ssh_load_balancer else [])],
            ssh_target_group_arn=ssh_load_balancer.target_group.arn if ssh_load_balancer else None,
            ssh_security_group_id=ssh_load_balancer.security_group.id if ssh_load_balancer else None,
            redis=(
                RedisRef(
                    port=redis.port,
                    secret_arn=redis.auth_token_secret_arn,
                    secret_json_key=redis.auth_token_secret_key,
                    kms_key_arn=redis.auth_token_kms_key_arn,
                )
                if redis
                else None
            ),
        ),
    )
    # RDS rotates its managed master secret every 7 days and GitLab reads the password
    # once, at start: every rotation restarts GitLab (docs/operations.md, "Database
    # password rotation").
    restart = RotationRestart(
        stack,
        "gitlab-rotation-restart",
        RotationRestartProps(
            namer=namer,
            account_id=account.account_id,
            region=account.region,
            partition=partition,
            secret_arn=database.secret_arn,
            cluster_arn=service.cluster.arn,
            service_arn=service.service.id,
            service_name=service.service.name,
            log_retention_days=gitlab.task.log_retention_days,
        ),
    )
    TerraformOutput(
        stack,
        "gitlab_restart_state_machine_arn",
        value=restart.state_machine.arn,
        description="Step Functions state machine that restarts GitLab after a database password rotation.",
    )
    # The ALB's name and zone are exported by the tooling stack's name resolution
    # (gitlab_alb_dns_name, gitlab_alb_zone_id), where the target workspaces read them.
    TerraformOutput(stack, "gitlab_url", value=f"https://{account.gitlab_hostname}", description="GitLab URL.")
    TerraformOutput(stack, "gitlab_image", value=image.image, description="Image the GitLab task runs.")
    TerraformOutput(
        stack, "log_router_image", value=image.log_router_image, description="Image of GitLab's log router sidecar."
    )
    TerraformOutput(
        stack,
        "object_storage_buckets",
        value={name: bucket.name for name, bucket in storage.buckets.items()},
        description="GitLab's object-storage buckets, by object type.",
    )
    TerraformOutput(stack, "ecs_cluster_name", value=service.cluster.name, description="ECS cluster, for ECS Exec.")
    if app_backup is not None:
        TerraformOutput(
            stack,
            "gitlab_backup_bucket",
            value=app_backup.archives.name,
            description="GitLab's own backup archives (gitlab-backup create).",
        )
        TerraformOutput(
            stack,
            "gitlab_config_backup_bucket",
            value=app_backup.config.name,
            description="Copies of /etc/gitlab (gitlab-secrets.json), apart from the archives.",
        )
    if ssh_load_balancer and gitlab.ssh:
        TerraformOutput(stack, "ssh_nlb_dns_name", value=ssh_load_balancer.dns_name, description="GitLab SSH NLB.")
        TerraformOutput(
            stack, "ssh_nlb_zone_id", value=ssh_load_balancer.zone_id, description="GitLab SSH NLB hosted zone ID."
        )
        TerraformOutput(stack, "ssh_hostname", value=gitlab.ssh.hostname, description="Host name in SSH clone URLs.")
    return GitLab(
        key, image, endpoints, storage, database, load_balancer, service, omnibus_config, ssh_load_balancer,
        replication, app_backup,
    )  # fmt: skip


def _object_replication(
    stack: AccountStack, gitlab: GitLabConfig, storage: GitLabStorage, key_arn: str, app_backup: GitLabBackup | None
) -> BucketReplication | None:
    """With ``gitlab.efs.replication_region`` the object-storage buckets replicate there
    too: the recovery region then holds the EFS replica, the backup copies (with
    ``operations.backup.copy_region`` set to the same region), the objects and GitLab's
    own archives. /etc/gitlab is there in the EFS replica; its copies stay home."""
    region = gitlab.efs.replication_region
    buckets = {
        name: SourceBucket(bucket.name, bucket.arn, bucket.versioning) for name, bucket in storage.buckets.items()
    }
    if app_backup is not None:
        archives = app_backup.archives
        buckets["backups"] = SourceBucket(archives.name, archives.arn, archives.versioning, app_backup.keep_days)
    if region is None or not buckets:
        return None
    account = stack.account
    replication = BucketReplication(
        stack,
        "gitlab-storage-replication",
        BucketReplicationProps(
            namer=stack.namer,
            account_id=account.account_id,
            partition=stack.partition,
            source_region=account.region,
            replica_region=region,
            provider=stack.region_provider(region),
            source_kms_key_arn=key_arn,
            buckets=buckets,
            noncurrent_version_days=gitlab.object_storage.noncurrent_version_days,
            access_log_days=gitlab.load_balancer.access_log_retention_days,
        ),
    )
    TerraformOutput(
        stack,
        "object_storage_replica_buckets",
        value={name: replica.name for name, replica in replication.replicas.items()},
        description=f"Replicas of the object-storage buckets in {region}, by object type.",
    )
    TerraformOutput(
        stack,
        "object_storage_replica_kms_key_arn",
        value=replication.key.arn,
        description=f"KMS key of the object-storage replicas in {region}.",
    )
    return replication
