"""GitLab's PostgreSQL: an Aurora cluster (writer and reader in two AZs) or an RDS Multi-AZ instance."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from cdktf import TerraformResourceLifecycle
from cdktf_cdktf_provider_aws.db_instance import DbInstance
from cdktf_cdktf_provider_aws.db_parameter_group import DbParameterGroup, DbParameterGroupParameter
from cdktf_cdktf_provider_aws.db_subnet_group import DbSubnetGroup
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy_attachment import IamRolePolicyAttachment
from cdktf_cdktf_provider_aws.rds_cluster import RdsCluster
from cdktf_cdktf_provider_aws.rds_cluster_instance import RdsClusterInstance
from cdktf_cdktf_provider_aws.rds_cluster_parameter_group import (
    RdsClusterParameterGroup,
    RdsClusterParameterGroupParameter,
)
from cdktf_cdktf_provider_aws.security_group import SecurityGroup
from constructs import Construct

from modules.naming import Namer
from modules.policy import service_trust

PORT = 5432
PARAMETERS = {
    # SSL is forced by parameter ("Using SSL with a PostgreSQL DB instance", RDS User Guide).
    "rds.force_ssl": "1",
    # Schema changes and queries slower than a second reach the exported
    # postgresql log: an audit trail of migrations and a hint at slow pages.
    "log_statement": "ddl",
    "log_min_duration_statement": "1000",
}


@dataclass(frozen=True)
class DatabaseProps:
    """Inputs of ``Database``. ``availability_zones``: the writer goes to the first, the reader to the second."""

    namer: Namer
    vpc_id: str
    subnet_ids: Sequence[str]
    availability_zones: Sequence[str]
    kms_key_arn: str
    engine_version: str
    partition: str = "aws"
    account_id: str = ""
    engine: Literal["aurora-postgresql", "postgres"] = "aurora-postgresql"
    instance_class: str = "db.r6g.large"
    allocated_storage_gib: int = 100
    backup_retention_days: int = 14
    database_name: str = "gitlabhq_production"
    master_username: str = "gitlab"
    monitoring_interval_seconds: int = 60

    def __post_init__(self) -> None:
        object.__setattr__(self, "subnet_ids", tuple(self.subnet_ids))
        object.__setattr__(self, "availability_zones", tuple(self.availability_zones))


class Database(Construct):
    """The password is created and kept by RDS in Secrets Manager
    (``manage_master_user_password``): it never appears in Terraform state.

    ``endpoint`` is the writer; ``secret_arn`` the RDS-managed secret (JSON with
    ``username`` and ``password``); ``security_group`` admits nothing until a
    client adds its rule.
    """

    def __init__(self, scope: Construct, id_: str, props: DatabaseProps) -> None:
        super().__init__(scope, id_)
        namer = props.namer
        self.port = PORT
        self.security_group = SecurityGroup(
            self,
            "sg",
            name=namer.name("security_group", "database"),
            description="GitLab database: PostgreSQL from the GitLab service only",
            vpc_id=props.vpc_id,
            tags={"Name": namer.name("tag", "database")},
        )
        self.subnet_group = DbSubnetGroup(
            self,
            "subnet-group",
            name=namer.name("rds", "gitlab"),
            description="GitLab database private subnets",
            subnet_ids=list(props.subnet_ids),
        )
        self.monitoring_role = IamRole(
            self,
            "monitoring-role",
            name=namer.name("iam_role", "rds-monitoring"),
            assume_role_policy=service_trust("monitoring.rds.amazonaws.com", props.account_id),
        )
        # The AWS-managed policy is the documented one for Enhanced Monitoring and
        # only writes to the RDSOSMetrics log group ("Setting up Enhanced Monitoring").
        IamRolePolicyAttachment(
            self,
            "monitoring-policy",
            role=self.monitoring_role.name,
            policy_arn=f"arn:{props.partition}:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole",
        )
        major = props.engine_version.split(".", 1)[0]
        self.cluster: RdsCluster | None = None
        self.instances: dict[str, RdsClusterInstance] = {}
        self.instance: DbInstance | None = None
        if props.engine == "aurora-postgresql":
            self._aurora(props, major)
        else:
            self._postgres(props, major)

    def _aurora(self, props: DatabaseProps, major: str) -> None:
        namer = props.namer
        parameters = RdsClusterParameterGroup(
            self,
            "cluster-parameters",
            name=namer.name("rds", "gitlab-aurora-pg", major),
            family=f"aurora-postgresql{major}",
            description="GitLab Aurora PostgreSQL: SSL forced, DDL and slow queries logged",
            parameter=[RdsClusterParameterGroupParameter(name=k, value=v) for k, v in PARAMETERS.items()],
        )
        identifier = namer.name("rds", "gitlab")
        self.cluster = RdsCluster(
            self,
            "cluster",
            cluster_identifier=identifier,
            engine="aurora-postgresql",
            engine_version=props.engine_version,
            database_name=props.database_name,
            master_username=props.master_username,
            manage_master_user_password=True,
            master_user_secret_kms_key_id=props.kms_key_arn,
            port=PORT,
            db_subnet_group_name=self.subnet_group.name,
            vpc_security_group_ids=[self.security_group.id],
            db_cluster_parameter_group_name=parameters.name,
            storage_encrypted=True,
            kms_key_id=props.kms_key_arn,
            iam_database_authentication_enabled=True,
            deletion_protection=True,
            backup_retention_period=props.backup_retention_days,
            copy_tags_to_snapshot=True,
            skip_final_snapshot=False,
            final_snapshot_identifier=namer.name("rds", "gitlab", "final"),
            enabled_cloudwatch_logs_exports=["postgresql"],
            allow_major_version_upgrade=False,
            lifecycle=TerraformResourceLifecycle(prevent_destroy=True),
        )
        # A writer and a reader in two AZs: the reader is the failover target;
        # GitLab itself only uses the writer (cluster) endpoint.
        for role, zone in zip(("writer", "reader"), props.availability_zones, strict=False):
            self.instances[role] = RdsClusterInstance(
                self,
                role,
                identifier=namer.name("rds", "gitlab", role),
                cluster_identifier=self.cluster.id,
                engine="aurora-postgresql",
                engine_version=props.engine_version,
                instance_class=props.instance_class,
                availability_zone=zone,
                promotion_tier=0 if role == "writer" else 1,
                db_subnet_group_name=self.subnet_group.name,
                publicly_accessible=False,
                auto_minor_version_upgrade=True,
                performance_insights_enabled=True,
                performance_insights_kms_key_id=props.kms_key_arn,
                monitoring_interval=props.monitoring_interval_seconds,
                monitoring_role_arn=self.monitoring_role.arn,
                copy_tags_to_snapshot=True,
                lifecycle=TerraformResourceLifecycle(prevent_destroy=True),
            )
        self.endpoint = self.cluster.endpoint
        self.secret_arn = self.cluster.master_user_secret.get(0).secret_arn

    def _postgres(self, props: DatabaseProps, major: str) -> None:
        namer = props.namer
        parameters = DbParameterGroup(
            self,
            "parameters",
            name=namer.name("rds", "gitlab-pg", major),
            family=f"postgres{major}",
            description="GitLab PostgreSQL: SSL forced, DDL and slow queries logged",
            parameter=[DbParameterGroupParameter(name=k, value=v) for k, v in PARAMETERS.items()],
        )
        self.instance = DbInstance(
            self,
            "instance",
            identifier=namer.name("rds", "gitlab"),
            engine="postgres",
            engine_version=props.engine_version,
            instance_class=props.instance_class,
            db_name=props.database_name,
            username=props.master_username,
            manage_master_user_password=True,
            master_user_secret_kms_key_id=props.kms_key_arn,
            port=PORT,
            multi_az=True,
            allocated_storage=props.allocated_storage_gib,
            storage_type="gp3",
            storage_encrypted=True,
            kms_key_id=props.kms_key_arn,
            db_subnet_group_name=self.subnet_group.name,
            vpc_security_group_ids=[self.security_group.id],
            parameter_group_name=parameters.name,
            publicly_accessible=False,
            iam_database_authentication_enabled=True,
            deletion_protection=True,
            backup_retention_period=props.backup_retention_days,
            copy_tags_to_snapshot=True,
            skip_final_snapshot=False,
            final_snapshot_identifier=namer.name("rds", "gitlab", "final"),
            enabled_cloudwatch_logs_exports=["postgresql", "upgrade"],
            auto_minor_version_upgrade=True,
            allow_major_version_upgrade=False,
            performance_insights_enabled=True,
            performance_insights_kms_key_id=props.kms_key_arn,
            monitoring_interval=props.monitoring_interval_seconds,
            monitoring_role_arn=self.monitoring_role.arn,
            lifecycle=TerraformResourceLifecycle(prevent_destroy=True),
        )
        self.endpoint = self.instance.address
        self.secret_arn = self.instance.master_user_secret.get(0).secret_arn
