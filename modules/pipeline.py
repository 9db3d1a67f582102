"""One CodePipeline V2 with a GitLab source: build, optional approval, optional (cross-region) deploy.

Build and deploy are CodeBuild projects with their own roles and log groups. The
deploy stage is a CodeBuild project that runs a deploy buildspec from the
repository: it works for any kind of target (CDK/CloudFormation, ECS, S3, …)
without resources that must exist beforehand, and it can run in a region where
CodeConnections for GitLab is unavailable (a cross-region action).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

from cdktf import ITerraformDependable, TerraformProvider
from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from cdktf_cdktf_provider_aws.codebuild_project import (
    CodebuildProject,
    CodebuildProjectArtifacts,
    CodebuildProjectEnvironment,
    CodebuildProjectLogsConfig,
    CodebuildProjectLogsConfigCloudwatchLogs,
    CodebuildProjectLogsConfigS3Logs,
    CodebuildProjectSource,
    CodebuildProjectVpcConfig,
)
from cdktf_cdktf_provider_aws.codepipeline import (
    Codepipeline,
    CodepipelineArtifactStore,
    CodepipelineArtifactStoreEncryptionKey,
    CodepipelineStage,
    CodepipelineStageAction,
    CodepipelineTrigger,
    CodepipelineTriggerGitConfiguration,
    CodepipelineTriggerGitConfigurationPush,
    CodepipelineTriggerGitConfigurationPushBranches,
    CodepipelineTriggerGitConfigurationPushFilePaths,
)
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from cdktf_cdktf_provider_aws.iam_role_policy_attachment import IamRolePolicyAttachment
from cdktf_cdktf_provider_aws.security_group import SecurityGroup
from cdktf_cdktf_provider_aws.vpc_security_group_egress_rule import VpcSecurityGroupEgressRule
from constructs import Construct

from modules.codeconnections import HTTPS, use_connection_action
from modules.naming import Namer
from modules.policy import Statement, arn, document, service_trust, statement

SOURCE_ACTION = "Source"
SOURCE_ARTIFACT = "source"
BUILD_ARTIFACT = "build"
KMS_ACTIONS = ("kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*")


@dataclass(frozen=True)
class StoreRef:
    """An artifact store (bucket and key) in one region."""

    region: str
    bucket_name: str
    bucket_arn: str
    key_arn: str


@dataclass(frozen=True)
class VpcPlacement:
    """Private subnets a CodeBuild project runs in, and where it may connect (HTTPS):
    networks by CIDR, and managed prefix lists (the S3 gateway endpoint's)."""

    vpc_id: str
    subnet_ids: Sequence[str]
    egress_cidrs: Sequence[str]
    egress_prefix_list_ids: Sequence[str] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "subnet_ids", tuple(self.subnet_ids))
        object.__setattr__(self, "egress_cidrs", tuple(self.egress_cidrs))
        object.__setattr__(self, "egress_prefix_list_ids", tuple(self.egress_prefix_list_ids))


@dataclass(frozen=True)
class BuildProject:
    """A CodeBuild project's settings; ``vpc`` None runs it outside any VPC."""

    buildspec: str
    compute_type: str = "BUILD_GENERAL1_SMALL"
    image: str = "aws/codebuild/amazonlinux-x86_64-standard:5.0"
    timeout_minutes: int = 60
    vpc: VpcPlacement | None = None


@dataclass(frozen=True)
class DeployStage:
    """The deploy project, in ``region`` (through ``provider`` when not the stack's region)."""

    project: BuildProject
    region: str
    policy_arns: Sequence[str] = ()
    provider: TerraformProvider | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "policy_arns", tuple(self.policy_arns))


@dataclass(frozen=True)
class Approval:
    summary: str = "Approve the deployment"
    timeout_minutes: int = 10080


@dataclass(frozen=True)
class PipelineProps:
    """Inputs of ``Pipeline``.

    ``stores`` maps region to artifact store and must hold the pipeline's region and
    the deploy region. Empty branch includes default to ``branch``.
    """

    namer: Namer
    name: str
    account_id: str
    region: str
    connection_arn: str
    repository: str
    branch: str
    build: BuildProject
    stores: Mapping[str, StoreRef]
    partition: str = "aws"
    output_format: str = "CODE_ZIP"
    branch_includes: Sequence[str] = ()
    branch_excludes: Sequence[str] = ()
    file_path_includes: Sequence[str] = ()
    file_path_excludes: Sequence[str] = ()
    approval: Approval | None = None
    deploy: DeployStage | None = None
    log_retention_days: int = 365
    # The action for connection_arn; derived from it when not given (see
    # modules/codeconnections.py, which offers it as a Terraform local).
    connection_action: str | None = None
    # What must exist before the pipeline, e.g. the accepted RAM share of a
    # connection of another account (a new pipeline uses its connection at once).
    depends_on: Sequence[ITerraformDependable] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "stores", MappingProxyType(dict(self.stores)))
        object.__setattr__(self, "depends_on", tuple(self.depends_on))
        for name in ("branch_includes", "branch_excludes", "file_path_includes", "file_path_excludes"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        if self.connection_action is None:
            object.__setattr__(self, "connection_action", use_connection_action(self.connection_arn))
        if not self.branch_includes:
            object.__setattr__(self, "branch_includes", (self.branch,))
        needed = {self.region} | ({self.deploy.region} if self.deploy else set())
        missing = needed - set(self.stores)
        if missing:
            raise ValueError(f"pipeline {self.name}: no artifact store for {sorted(missing)}")

    @property
    def regions(self) -> list[str]:
        """The regions this pipeline's actions run in, its own first."""
        deploy = self.deploy.region if self.deploy else self.region
        return [self.region] if deploy == self.region else [self.region, deploy]


class Pipeline(Construct):
    def __init__(self, scope: Construct, id_: str, props: PipelineProps) -> None:
        super().__init__(scope, id_)
        self.props = props
        namer = props.namer
        self.pipeline_name = namer.name("codepipeline", props.name)
        self.build_project = self._project("build", props.build, props.region, None)
        self.deploy_project: CodebuildProject | None = None
        if props.deploy is not None:
            self.deploy_project = self._project(
                "deploy", props.deploy.project, props.deploy.region, props.deploy.provider, props.deploy.policy_arns
            )
        self.role = IamRole(
            self,
            "pipeline-role",
            name=namer.name("iam_role", props.name, "pipeline"),
            assume_role_policy=service_trust("codepipeline.amazonaws.com", props.account_id),
        )
        role_policy = IamRolePolicy(
            self,
            "pipeline-policy",
            name="pipeline",
            role=self.role.id,
            policy=document(self._pipeline_statements()),
        )
        cross_region = len(props.regions) > 1
        # A cross-region pipeline needs a store in each region, each naming its
        # region; a single-region one must not name it (aws_codepipeline docs).
        stores = [
            CodepipelineArtifactStore(
                type="S3",
                location=props.stores[region].bucket_name,
                encryption_key=CodepipelineArtifactStoreEncryptionKey(type="KMS", id=props.stores[region].key_arn),
                region=region if cross_region else None,
            )
            for region in props.regions
        ]
        self.pipeline = Codepipeline(
            self,
            "pipeline",
            name=self.pipeline_name,
            pipeline_type="V2",
            role_arn=self.role.arn,
            artifact_store=stores,
            stage=self._stages(),
            trigger=[self._trigger()],
            # A new pipeline starts at once; its role must already hold the grants.
            depends_on=[role_policy, *props.depends_on],
        )

    def _stages(self) -> list[CodepipelineStage]:
        props = self.props
        stages = [
            CodepipelineStage(
                name="Source",
                action=[
                    CodepipelineStageAction(
                        name=SOURCE_ACTION,
                        category="Source",
                        owner="AWS",
                        provider="CodeStarSourceConnection",
                        version="1",
                        output_artifacts=[SOURCE_ARTIFACT],
                        namespace="SourceVariables",
                        configuration={
                            "ConnectionArn": props.connection_arn,
                            "FullRepositoryId": props.repository,
                            "BranchName": props.branch,
                            "OutputArtifactFormat": props.output_format,
                        },
                    )
                ],
            ),
            CodepipelineStage(
                name="Build",
                action=[
                    CodepipelineStageAction(
                        name="Build",
                        category="Build",
                        owner="AWS",
                        provider="CodeBuild",
                        version="1",
                        input_artifacts=[SOURCE_ARTIFACT],
                        output_artifacts=[BUILD_ARTIFACT],
                        configuration={"ProjectName": self.build_project.name},
                    )
                ],
            ),
        ]
        if props.approval is not None:
            stages.append(
                CodepipelineStage(
                    name="Approval",
                    action=[
                        CodepipelineStageAction(
                            name="Approve",
                            category="Approval",
                            owner="AWS",
                            provider="Manual",
                            version="1",
                            configuration={"CustomData": props.approval.summary},
                            timeout_in_minutes=props.approval.timeout_minutes,
                        )
                    ],
                )
            )
        if props.deploy is not None and self.deploy_project is not None:
            stages.append(
                CodepipelineStage(
                    name="Deploy",
                    action=[
                        CodepipelineStageAction(
                            name="Deploy",
                            category="Build",
                            owner="AWS",
                            provider="CodeBuild",
                            version="1",
                            # The deploy buildspec comes from the source; the build
                            # output is in $CODEBUILD_SRC_DIR_build.
                            input_artifacts=[SOURCE_ARTIFACT, BUILD_ARTIFACT],
                            configuration={
                                "ProjectName": self.deploy_project.name,
                                "PrimarySource": SOURCE_ARTIFACT,
                            },
                            region=props.deploy.region if props.deploy.region != props.region else None,
                        )
                    ],
                )
            )
        return stages

    def _trigger(self) -> CodepipelineTrigger:
        props = self.props
        file_paths = None
        if props.file_path_includes or props.file_path_excludes:
            file_paths = CodepipelineTriggerGitConfigurationPushFilePaths(
                includes=list(props.file_path_includes) or None,
                excludes=list(props.file_path_excludes) or None,
            )
        return CodepipelineTrigger(
            provider_type="CodeStarSourceConnection",
            git_configuration=CodepipelineTriggerGitConfiguration(
                source_action_name=SOURCE_ACTION,
                push=[
                    CodepipelineTriggerGitConfigurationPush(
                        branches=CodepipelineTriggerGitConfigurationPushBranches(
                            includes=list(props.branch_includes),
                            excludes=list(props.branch_excludes) or None,
                        ),
                        file_paths=file_paths,
                    )
                ],
            ),
        )

    def _project_arn(self, region: str, name: str) -> str:
        return arn(self.props.partition, "codebuild", region, self.props.account_id, f"project/{name}")

    def _pipeline_statements(self) -> list[Statement]:
        props = self.props
        projects = [self._project_arn(props.region, self.build_project_name)]
        if props.deploy is not None:
            projects.append(self._project_arn(props.deploy.region, self.deploy_project_name))
        stores = [props.stores[region] for region in props.regions]
        return [
            statement("UseGitLabConnection", [self._connection_action], [props.connection_arn]),
            statement("RunBuildProjects", ["codebuild:BatchGetBuilds", "codebuild:StartBuild"], projects),
            *self._store_statements(stores, bucket_actions=("s3:GetBucketLocation", "s3:GetBucketVersioning")),
        ]

    @staticmethod
    def _store_statements(stores: Sequence[StoreRef], bucket_actions: Sequence[str]) -> list[Statement]:
        return [
            statement(
                "ReadWriteArtifacts",
                ["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject"],
                [f"{store.bucket_arn}/*" for store in stores],
            ),
            statement("ArtifactBuckets", list(bucket_actions), [store.bucket_arn for store in stores]),
            statement("ArtifactKeys", list(KMS_ACTIONS), [store.key_arn for store in stores]),
        ]

    @property
    def _connection_action(self) -> str:
        assert self.props.connection_action is not None, "set in PipelineProps.__post_init__"
        return self.props.connection_action

    @property
    def build_project_name(self) -> str:
        return self.props.namer.name("codebuild", self.props.name, "build")

    @property
    def deploy_project_name(self) -> str:
        return self.props.namer.name("codebuild", self.props.name, "deploy")

    def _project(
        self,
        kind: str,
        settings: BuildProject,
        region: str,
        provider: TerraformProvider | None,
        policy_arns: Sequence[str] = (),
    ) -> CodebuildProject:
        props, namer = self.props, self.props.namer
        store = props.stores[region]
        group_name = namer.path("log_group", "codebuild", props.name, kind)
        group_arn = arn(props.partition, "logs", region, props.account_id, f"log-group:{group_name}")
        group = CloudwatchLogGroup(
            self,
            f"{kind}-logs",
            name=group_name,
            retention_in_days=props.log_retention_days,
            kms_key_id=store.key_arn,
            provider=provider,
        )
        role = IamRole(
            self,
            f"{kind}-role",
            name=namer.name("iam_role", props.name, kind),
            assume_role_policy=service_trust("codebuild.amazonaws.com", props.account_id),
        )
        statements: list[Statement] = [
            statement(
                "WriteOwnLogs",
                ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
                [group_arn, f"{group_arn}:log-stream:*"],
            ),
            *self._store_statements([store], bucket_actions=("s3:GetBucketAcl", "s3:GetBucketLocation")),
        ]
        # With CODEBUILD_CLONE_REF the build clones from GitLab through the connection
        # ("CodeStarSourceConnection", CodePipeline action reference).
        if kind == "build" and props.output_format == "CODEBUILD_CLONE_REF":
            statements.append(statement("CloneThroughConnection", [self._connection_action], [props.connection_arn]))
        vpc_config = None
        if settings.vpc is not None:
            vpc_config = self._vpc(kind, settings.vpc, region, provider, statements)
        IamRolePolicy(self, f"{kind}-policy", name=kind, role=role.id, policy=document(statements))
        for index, policy_arn in enumerate(policy_arns):
            IamRolePolicyAttachment(self, f"{kind}-extra-policy-{index}", role=role.name, policy_arn=policy_arn)
        name = self.build_project_name if kind == "build" else self.deploy_project_name
        return CodebuildProject(
            self,
            kind,
            name=name,
            description=f"{kind} of pipeline {self.pipeline_name}",
            service_role=role.arn,
            build_timeout=settings.timeout_minutes,
            encryption_key=store.key_arn,
            artifacts=CodebuildProjectArtifacts(type="CODEPIPELINE"),
            source=CodebuildProjectSource(type="CODEPIPELINE", buildspec=settings.buildspec),
            environment=CodebuildProjectEnvironment(
                compute_type=settings.compute_type,
                image=settings.image,
                type="LINUX_CONTAINER",
                image_pull_credentials_type="CODEBUILD",
                privileged_mode=False,
            ),
            logs_config=CodebuildProjectLogsConfig(
                cloudwatch_logs=CodebuildProjectLogsConfigCloudwatchLogs(status="ENABLED", group_name=group.name),
                s3_logs=CodebuildProjectLogsConfigS3Logs(status="DISABLED"),
            ),
            vpc_config=vpc_config,
            provider=provider,
        )

    def _vpc(
        self,
        kind: str,
        placement: VpcPlacement,
        region: str,
        provider: TerraformProvider | None,
        statements: list[Statement],
    ) -> CodebuildProjectVpcConfig:
        props, namer = self.props, self.props.namer
        group = SecurityGroup(
            self,
            f"{kind}-sg",
            name=namer.name("security_group", "codebuild", props.name, kind),
            description=f"CodeBuild {kind} of {props.name}: HTTPS egress only",
            vpc_id=placement.vpc_id,
            tags={"Name": namer.name("tag", "codebuild", props.name, kind)},
            provider=provider,
        )
        for cidr in placement.egress_cidrs:
            VpcSecurityGroupEgressRule(
                self,
                f"{kind}-sg-https-{cidr.replace('/', '_')}",
                security_group_id=group.id,
                description=f"HTTPS to {cidr}",
                ip_protocol="tcp",
                from_port=HTTPS,
                to_port=HTTPS,
                cidr_ipv4=cidr,
                provider=provider,
            )
        for index, prefix_list in enumerate(placement.egress_prefix_list_ids):
            VpcSecurityGroupEgressRule(
                self,
                f"{kind}-sg-https-prefix-list-{index}",
                security_group_id=group.id,
                description="HTTPS to a gateway endpoint's prefix list (S3)",
                ip_protocol="tcp",
                from_port=HTTPS,
                to_port=HTTPS,
                prefix_list_id=prefix_list,
                provider=provider,
            )
        ec2 = f"arn:{props.partition}:ec2:{region}:{props.account_id}"
        subnet_arns = [f"{ec2}:subnet/{subnet}" for subnet in placement.subnet_ids]
        # What CodeBuild needs to attach its ENIs ("Allow CodeBuild access to AWS
        # services required to create a VPC network interface", CodeBuild User Guide).
        # The Describe calls have no resource-level permissions, hence "*".
        statements += [
            statement(
                "DescribeNetwork",
                [
                    "ec2:DescribeDhcpOptions",
                    "ec2:DescribeNetworkInterfaces",
                    "ec2:DescribeSecurityGroups",
                    "ec2:DescribeSubnets",
                    "ec2:DescribeVpcs",
                ],
                ["*"],
            ),
            statement(
                "ManageBuildInterfaces",
                ["ec2:CreateNetworkInterface", "ec2:DeleteNetworkInterface"],
                [f"{ec2}:network-interface/*", f"{ec2}:security-group/*", *subnet_arns],
            ),
            statement(
                "AttachBuildInterfaces",
                ["ec2:CreateNetworkInterfacePermission"],
                [f"{ec2}:network-interface/*"],
                conditions={
                    "StringEquals": {"ec2:AuthorizedService": "codebuild.amazonaws.com"},
                    "ArnEquals": {"ec2:Subnet": subnet_arns},
                },
            ),
        ]
        return CodebuildProjectVpcConfig(
            vpc_id=placement.vpc_id, subnets=list(placement.subnet_ids), security_group_ids=[group.id]
        )
