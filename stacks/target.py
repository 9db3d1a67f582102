"""A target account's workspace: its VPC and the pipelines that build from GitLab."""

from __future__ import annotations

from cdktf import ITerraformDependable, TerraformLocal, TerraformOutput
from cdktf_cdktf_provider_aws.ram_resource_share_accepter import RamResourceShareAccepter
from constructs import Construct

from config.backend import S3BackendSettings
from config.migration import Plan
from config.model import Account
from config.pipelines import Build, Delivery
from modules.artifact_store import ArtifactStore, ArtifactStoreProps
from modules.codecommit_push_deny import CodeCommitPushDeny, CodeCommitPushDenyProps
from modules.codeconnections import console_url, use_connection_action
from modules.network import Network
from modules.pipeline import Approval, BuildProject, DeployStage, Pipeline, PipelineProps, StoreRef, VpcPlacement
from modules.private_dns import PrivateDns, PrivateDnsProps
from modules.transit_attachment import TransitAttachment, TransitAttachmentProps
from modules.vpc_endpoints import CODEBUILD_ENDPOINTS, VpcEndpoints, VpcEndpointsProps
from stacks import outputs
from stacks.base import AccountStack
from stacks.shared import network_props
from stacks.tooling import ToolingStack


class TargetStack(AccountStack):
    def __init__(
        self,
        scope: Construct,
        account: Account,
        backend: S3BackendSettings | None = None,
        *,
        tooling: ToolingStack,
        plan: Plan | None = None,
    ) -> None:
        super().__init__(scope, account.name, account, backend)
        self.network = Network(self, "network", network_props(self))
        outputs.TARGET_VPC_ID.export(self, self.network.vpc.id)
        # Values of the tooling workspace come through its state (applied first);
        # configuration values (CIDRs, host name) come from the tooling file directly.
        self.tooling = self.remote_outputs(tooling)
        self._transit_attachment(tooling)
        self._name_resolution(tooling)
        self.pipelines: dict[str, Pipeline] = {}
        if account.delivery is not None:
            self._delivery(account.delivery, tooling)
        self.push_deny: CodeCommitPushDeny | None = None
        if plan is not None and plan.cut_over:
            self._push_deny(plan)

    def _push_deny(self, plan: Plan) -> None:
        # From the committed plan (migration/<workspace>.yaml): GitLab is the source of
        # the repositories with cut_over: true; migrate cut-over checks this policy.
        self.push_deny = CodeCommitPushDeny(
            self,
            "codecommit-push-deny",
            CodeCommitPushDenyProps(
                namer=self.namer,
                account_id=self.account.account_id,
                region=plan.region,
                partition=self.partition,
                repositories=plan.cut_over,
                roles=plan.push_deny.roles,
                groups=plan.push_deny.groups,
                users=plan.push_deny.users,
            ),
        )
        TerraformOutput(
            self,
            "codecommit_push_deny_policy_arn",
            value=self.push_deny.policy_arn,
            description="Denies writes to the cut-over CodeCommit repositories (migration/*.yaml).",
        )

    def _transit_attachment(self, tooling: ToolingStack) -> None:
        before: list[ITerraformDependable] = []
        if tooling.transit_config.share_mode == "accounts":
            # Outside an Organization the share is an invitation until accepted
            # ("Accepting and rejecting invitations", AWS RAM User Guide).
            before.append(
                RamResourceShareAccepter(
                    self, "transit-share-accepter", share_arn=self.tooling.get(outputs.TRANSIT_GATEWAY_SHARE_ARN)
                )
            )
        self.attachment = TransitAttachment(
            self,
            "transit-attachment",
            TransitAttachmentProps(
                namer=self.namer,
                transit_gateway_id=self.tooling.get(outputs.TRANSIT_GATEWAY_ID),
                vpc_id=self.network.vpc.id,
                subnet_ids={az: subnet.id for az, subnet in self.network.subnets.items()},
                route_table_ids={az: table.id for az, table in self.network.route_tables.items()},
                # The tooling VPC only: no default route, no other target.
                destinations={tooling.workspace: tooling.account.network.vpc_cidr},
                depends_on=before,
            ),
        )
        outputs.TRANSIT_GATEWAY_ATTACHMENT_ID.export(self, self.attachment.id)

    def _name_resolution(self, tooling: ToolingStack) -> None:
        # The zone is this account's own, associated with this VPC at creation: a zone of
        # the tooling account would need a cross-account association authorized by the
        # tooling account after this VPC exists, and then associated here, a cycle
        # between the workspaces. An alias to a load balancer of another account is
        # allowed ("Creating records by using the Amazon Route 53 console", Route 53 guide).
        assert tooling.account.gitlab_hostname is not None
        self.gitlab_dns = PrivateDns(
            self,
            "gitlab-dns",
            PrivateDnsProps(
                namer=self.namer,
                hostname=tooling.account.gitlab_hostname,
                vpc_id=self.network.vpc.id,
                region=self.account.region,
                alias_dns_name=self.tooling.get(outputs.GITLAB_ALB_DNS_NAME),
                alias_zone_id=self.tooling.get(outputs.GITLAB_ALB_ZONE_ID),
            ),
        )

    def _connection(self, tooling: ToolingStack) -> list[ITerraformDependable]:
        """The tooling account's connection for this workspace, read from its state;
        returns what a pipeline must wait for (the accepted share in accounts mode)."""
        self.connection_arn = self.tooling.get(outputs.connection_arn(self.workspace))
        # A Terraform local: a reference without quotes, so it can sit inside a JSON
        # policy string; the prefix follows the ARN's service (codeconnections or
        # codestar-connections).
        self.connection_action = TerraformLocal(
            self, "codeconnections-use-connection-action", use_connection_action(self.connection_arn)
        ).as_string
        if tooling.transit_config.share_mode != "accounts":
            return []
        # Outside an Organization the connection's share is an invitation until
        # accepted, and the pipeline cannot use the connection before
        # ("Share connections with AWS accounts", Developer Tools console User Guide).
        accepter = RamResourceShareAccepter(
            self,
            "codeconnections-share-accepter",
            share_arn=self.tooling.get(outputs.connection_share_arn(self.workspace)),
        )
        return [accepter]

    def _delivery(self, delivery: Delivery, tooling: ToolingStack) -> None:
        account = self.account
        tooling_vpc_cidr = tooling.account.network.vpc_cidr
        before = self._connection(tooling)
        # One store per region any pipeline uses; the account's region keeps the
        # construct ID "artifacts" so adding a region never moves its address.
        self.artifact_stores: dict[str, ArtifactStore] = {}
        for region in delivery.regions(account.region):
            self.artifact_stores[region] = ArtifactStore(
                self,
                "artifacts" if region == account.region else f"artifacts-{region}",
                ArtifactStoreProps(
                    namer=self.namer,
                    account_id=account.account_id,
                    region=region,
                    partition=self.partition,
                    log_group_prefix=self.namer.path("log_group", "codebuild") + "/",
                    provider=None if region == account.region else self.region_provider(region),
                ),
            )
        stores = {
            region: StoreRef(region, store.bucket_name, store.bucket_arn, store.key_arn)
            for region, store in self.artifact_stores.items()
        }
        # VPC builds reach GitLab (tooling VPC) and, with no NAT in this VPC, AWS
        # services through endpoints in their own VPC.
        self.endpoints: VpcEndpoints | None = None
        if delivery.uses_vpc:
            self.endpoints = VpcEndpoints(
                self,
                "vpc-endpoints",
                VpcEndpointsProps(
                    namer=self.namer,
                    account_id=account.account_id,
                    region=account.region,
                    partition=self.partition,
                    vpc_id=self.network.vpc.id,
                    vpc_cidr=account.network.vpc_cidr,
                    subnet_ids=self.network.subnet_ids,
                    route_table_ids=[table.id for table in self.network.route_tables.values()],
                    interface_endpoints=CODEBUILD_ENDPOINTS,
                    smtp=False,
                ),
            )
        placement = VpcPlacement(
            vpc_id=self.network.vpc.id,
            subnet_ids=self.network.subnet_ids,
            egress_cidrs=(tooling_vpc_cidr, account.network.vpc_cidr),
            egress_prefix_list_ids=[self.endpoints.s3_prefix_list_id] if self.endpoints else [],
        )

        def project(build: Build) -> BuildProject:
            return BuildProject(
                buildspec=build.buildspec,
                compute_type=build.compute_type,
                image=build.image,
                timeout_minutes=build.timeout_minutes,
                vpc=placement if build.vpc else None,
            )

        # Phase one plans no pipeline: one created while its connection is PENDING never
        # gets its GitLab webhook, so pushes would not start it (docs/pipelines.md).
        enabled = delivery.pipelines if delivery.pipelines_enabled else {}
        for name, pipeline in enabled.items():
            deploy = None
            if pipeline.deploy is not None:
                region = pipeline.deploy.region or account.region
                deploy = DeployStage(
                    project=project(pipeline.deploy),
                    region=region,
                    policy_arns=pipeline.deploy.policy_arns,
                    provider=None if region == account.region else self.region_provider(region),
                )
            approval = pipeline.approval
            branches, paths = pipeline.branch_filter, pipeline.trigger.file_paths
            self.pipelines[name] = Pipeline(
                self,
                f"pipeline-{name}",
                PipelineProps(
                    namer=self.namer,
                    name=name,
                    account_id=account.account_id,
                    region=account.region,
                    partition=self.partition,
                    connection_arn=self.connection_arn,
                    connection_action=self.connection_action,
                    repository=pipeline.repository,
                    branch=pipeline.branch,
                    output_format=pipeline.output_format,
                    branch_includes=branches.includes,
                    branch_excludes=branches.excludes,
                    file_path_includes=paths.includes if paths else (),
                    file_path_excludes=paths.excludes if paths else (),
                    build=project(pipeline.build),
                    approval=Approval(approval.summary, approval.timeout_minutes) if approval else None,
                    deploy=deploy,
                    stores=stores,
                    depends_on=before,
                ),
            )
        TerraformOutput(
            self,
            "codeconnections_connection_arn",
            value=self.connection_arn,
            description="GitLab connection of this account's pipelines (the tooling account's, shared through RAM).",
        )
        TerraformOutput(
            self,
            "codeconnections_connection_console_url",
            value=console_url(self.connection_arn, tooling.account.account_id, tooling.account.region, "connections"),
            description="The connection's page in the tooling account's console (its owner), where its handshake "
            "is done (docs/pipelines.md, step 3).",
        )
        TerraformOutput(
            self,
            "pipeline_names",
            value={name: p.pipeline_name for name, p in self.pipelines.items()},
            description="CodePipeline names by configured pipeline key.",
        )
