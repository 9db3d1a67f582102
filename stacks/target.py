"""A target account's workspace: its VPC and the pipelines that build from GitLab."""

from __future__ import annotations

from cdktf import ITerraformDependable
from cdktf_cdktf_provider_aws.ram_resource_share_accepter import RamResourceShareAccepter
from constructs import Construct

from config.backend import S3BackendSettings
from config.model import Account
from modules.network import Network
from modules.private_dns import PrivateDns, PrivateDnsProps
from modules.transit_attachment import TransitAttachment, TransitAttachmentProps
from stacks import outputs
from stacks.base import AccountStack
from stacks.shared import network_props
from stacks.tooling import ToolingStack


class TargetStack(AccountStack):
    def __init__(
        self, scope: Construct, account: Account, backend: S3BackendSettings | None = None, *, tooling: ToolingStack
    ) -> None:
        super().__init__(scope, account.name, account, backend)
        self.network = Network(self, "network", network_props(self))
        outputs.TARGET_VPC_ID.export(self, self.network.vpc.id)
        # Values of the tooling workspace come through its state (applied first);
        # configuration values (CIDRs, host name) come from the tooling file directly.
        self.tooling = self.remote_outputs(tooling)
        self._transit_attachment(tooling)
        self._name_resolution(tooling)

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
        alias = tooling.exports_gitlab_alias
        self.gitlab_dns = PrivateDns(
            self,
            "gitlab-dns",
            PrivateDnsProps(
                namer=self.namer,
                hostname=tooling.account.gitlab_hostname,
                vpc_id=self.network.vpc.id,
                region=self.account.region,
                alias_dns_name=self.tooling.get(outputs.GITLAB_ALB_DNS_NAME) if alias else None,
                alias_zone_id=self.tooling.get(outputs.GITLAB_ALB_ZONE_ID) if alias else None,
            ),
        )
