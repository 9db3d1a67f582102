"""The tooling account's workspace: GitLab and what it stands on."""

from __future__ import annotations

from collections.abc import Mapping

from cdktf import TerraformOutput
from cdktf_cdktf_provider_aws.vpc_security_group_egress_rule import VpcSecurityGroupEgressRule
from constructs import Construct

from config.backend import S3BackendSettings
from config.model import Account
from config.transit import TransitGatewayConfig
from modules.client_vpn import ClientVpn, ClientVpnProps
from modules.codeconnections import CodeConnectionsHost, CodeConnectionsHostProps
from modules.network import Network
from modules.private_dns import PrivateDns, PrivateDnsProps
from modules.shared_connection import SharedConnection, SharedConnectionProps
from modules.ssh_load_balancer import SSH_PORT
from modules.transit_attachment import TransitAttachment, TransitAttachmentProps
from modules.transit_hub import TransitHub, TransitHubProps
from modules.transit_routing import TransitRouting, TransitRoutingProps
from stacks import outputs
from stacks.base import AccountStack
from stacks.gitlab import add_gitlab
from stacks.operations import add_operations
from stacks.shared import network_props


class ToolingStack(AccountStack):
    def __init__(
        self,
        scope: Construct,
        account: Account,
        backend: S3BackendSettings | None = None,
        targets: Mapping[str, Account] | None = None,
    ) -> None:
        super().__init__(scope, account.name, account, backend)
        self.targets = dict(targets or {})
        self.transit_config = account.transit_gateway or TransitGatewayConfig()  # type: ignore[call-arg]
        self.network = Network(self, "network", network_props(self))
        outputs.TOOLING_VPC_ID.export(self, self.network.vpc.id)
        self._transit_hub()
        self.client_vpn = self._client_vpn()
        assert account.gitlab is not None, "configuration requires the gitlab section on the tooling account"
        self.gitlab = add_gitlab(
            self,
            self.network,
            account.gitlab,
            admitted_security_group_ids=[self.client_vpn.security_group_id] if self.client_vpn else [],
            # VPC builds of the targets come through the Transit Gateway with their
            # own addresses (no NAT on the way).
            admitted_cidrs=[target.network.vpc_cidr for target in self.targets.values()],
        )
        self.operations = add_operations(self, self.gitlab, self.client_vpn)
        balancer = self.gitlab.load_balancer
        self.gitlab_dns = self._name_resolution(alias_dns_name=balancer.dns_name, alias_zone_id=balancer.zone_id)
        self.ssh_dns = self._ssh_name_resolution()
        self._client_vpn_ssh()
        self.codeconnections_host, self.connections = self._codeconnections()

    def _transit_hub(self) -> None:
        config = self.transit_config
        self.hub = TransitHub(
            self,
            "transit-hub",
            TransitHubProps(
                namer=self.namer,
                share_principals={name: target.account_id for name, target in self.targets.items()},
                amazon_side_asn=config.amazon_side_asn,
                auto_accept_shared_attachments=config.auto_accept_shared_attachments,
                dns_support=config.dns_support,
                allow_external_principals=config.share_mode == "accounts",
            ),
        )
        self.attachment = TransitAttachment(
            self,
            "transit-attachment",
            TransitAttachmentProps(
                namer=self.namer,
                transit_gateway_id=self.hub.gateway.id,
                vpc_id=self.network.vpc.id,
                subnet_ids={az: subnet.id for az, subnet in self.network.subnets.items()},
                route_table_ids={az: table.id for az, table in self.network.route_tables.items()},
                destinations={name: target.network.vpc_cidr for name, target in self.targets.items()},
                owner_account=True,
            ),
        )
        tables = self.hub.route_tables
        # The tooling VPC uses the hub table (a route to every target, propagated by
        # hub-routing) and is the only network propagated into the targets' table.
        TransitRouting(
            self,
            "transit-routing",
            TransitRoutingProps(
                namer=self.namer,
                attachment_id=self.attachment.id,
                associate_with=tables.hub.id,
                propagate_to={"spokes": tables.spokes.id},
            ),
        )
        outputs.TRANSIT_GATEWAY_ID.export(self, self.hub.gateway.id)
        outputs.TRANSIT_GATEWAY_SHARE_ARN.export(self, self.hub.share.arn)
        outputs.HUB_ROUTE_TABLE_ID.export(self, tables.hub.id)
        outputs.SPOKES_ROUTE_TABLE_ID.export(self, tables.spokes.id)

    def _codeconnections(self) -> tuple[CodeConnectionsHost | None, dict[str, SharedConnection]]:
        """The host beside GitLab and one shared connection per target with ``delivery:``.

        The host is in this VPC so that GitLab's webhooks reach the endpoint that
        CodeConnections creates next to it without leaving the VPC; RAM shares
        connections, not hosts, so the targets use connections on this one host.
        """
        delivering = {name: target for name, target in self.targets.items() if target.delivery is not None}
        if not delivering:
            return None, {}
        account, gitlab = self.account, self.account.gitlab
        assert account.gitlab_hostname is not None and gitlab is not None
        host = CodeConnectionsHost(
            self,
            "codeconnections",
            CodeConnectionsHostProps(
                namer=self.namer,
                account_id=account.account_id,
                region=account.region,
                gitlab_hostname=account.gitlab_hostname,
                vpc_id=self.network.vpc.id,
                subnet_ids=self.network.subnet_ids,
                gitlab_security_group_id=self.gitlab.service.security_group.id,
                load_balancer_security_group_id=self.gitlab.load_balancer.security_group.id,
                tls_certificate=gitlab.certificate.codeconnections_tls_certificate,
            ),
        )
        connections: dict[str, SharedConnection] = {}
        for name, target in delivering.items():
            shared = SharedConnection(
                self,
                f"codeconnections-{name}",
                SharedConnectionProps(
                    namer=self.namer,
                    account_id=account.account_id,
                    region=account.region,
                    host_arn=host.arn,
                    target=name,
                    target_account_id=target.account_id,
                    allow_external_principals=self.transit_config.share_mode == "accounts",
                ),
            )
            outputs.connection_arn(name).export(self, shared.arn)
            outputs.connection_share_arn(name).export(self, shared.share.arn)
            connections[name] = shared
        TerraformOutput(
            self,
            "codeconnections_host_console_url",
            value=host.console_url,
            description='Open and choose "Set up host" (docs/pipelines.md, step 2).',
        )
        TerraformOutput(
            self,
            "codeconnections_connection_console_urls",
            value={name: shared.console_url for name, shared in connections.items()},
            description='By target workspace: open and choose "Update pending connection" (docs/pipelines.md, step 3).',
        )
        TerraformOutput(
            self,
            "codeconnections_connection_statuses",
            value={name: shared.status for name, shared in connections.items()},
            description="By target workspace, as of the last apply or refresh: AVAILABLE once its handshake is done.",
        )
        return host, connections

    def _client_vpn(self) -> ClientVpn | None:
        config = self.account.client_vpn
        if config is None:
            return None
        zones = config.availability_zones or tuple(self.network.subnets)
        auth = config.authentication
        vpn = ClientVpn(
            self,
            "client-vpn",
            ClientVpnProps(
                namer=self.namer,
                account_id=self.account.account_id,
                region=self.account.region,
                partition=self.partition,
                vpc_id=self.network.vpc.id,
                vpc_cidr=self.network.cidr,
                subnet_ids={az: self.network.subnets[az].id for az in zones},
                client_cidr=config.client_cidr,
                server_certificate_arn=config.server_certificate_arn,
                client_root_certificate_chain_arn=(
                    auth.client_root_certificate_chain_arn if auth.type == "mutual-tls" else None
                ),
                saml_provider_arn=auth.saml_provider_arn if auth.type == "saml" else None,
                self_service_saml_provider_arn=auth.self_service_saml_provider_arn if auth.type == "saml" else None,
                access_group_id=auth.access_group_id if auth.type == "saml" else None,
                other_networks=(
                    {name: target.network.vpc_cidr for name, target in self.targets.items()}
                    if config.target_vpcs
                    else {}
                ),
                split_tunnel=config.split_tunnel,
                transport_protocol=config.transport_protocol,
                vpn_port=config.vpn_port,
                session_timeout_hours=config.session_timeout_hours,
                log_retention_days=config.log_retention_days,
            ),
        )
        outputs.CLIENT_VPN_ENDPOINT_ID.export(self, vpn.endpoint.id)
        outputs.CLIENT_VPN_SECURITY_GROUP_ID.export(self, vpn.security_group_id)
        return vpn

    def _name_resolution(self, alias_dns_name: str, alias_zone_id: str) -> PrivateDns:
        """GitLab's host name inside the tooling VPC (and so for VPN clients, whose DNS
        server is this VPC's resolver), aliasing the load balancer; its DNS name and zone
        are also exported for the target workspaces' own zones."""
        assert self.account.gitlab_hostname is not None, "config.checks requires it on the tooling account"
        dns = PrivateDns(
            self,
            "gitlab-dns",
            PrivateDnsProps(
                namer=self.namer,
                hostname=self.account.gitlab_hostname,
                vpc_id=self.network.vpc.id,
                region=self.account.region,
                alias_dns_name=alias_dns_name,
                alias_zone_id=alias_zone_id,
            ),
        )
        outputs.GITLAB_ALB_DNS_NAME.export(self, alias_dns_name)
        outputs.GITLAB_ALB_ZONE_ID.export(self, alias_zone_id)
        return dns

    def _client_vpn_ssh(self) -> None:
        """The endpoint's security group filters what VPN users reach (its egress rules,
        "Security groups", AWS Client VPN Administrator Guide): HTTPS comes with the
        construct; git over SSH is allowed to the SSH load balancer's group only."""
        nlb = self.gitlab.ssh_load_balancer
        if self.client_vpn is None or nlb is None:
            return
        VpcSecurityGroupEgressRule(
            self,
            "client-vpn-ssh-to-gitlab",
            security_group_id=self.client_vpn.security_group_id,
            ip_protocol="tcp",
            from_port=SSH_PORT,
            to_port=SSH_PORT,
            referenced_security_group_id=nlb.security_group.id,
            description="VPN users to git over SSH on GitLab's NLB",
        )

    def _ssh_name_resolution(self) -> PrivateDns | None:
        """The SSH clone host name, for people on the VPN (whose resolver is this VPC's).
        Its own zone, like GitLab's: no wider domain is shadowed."""
        ssh = self.account.gitlab.ssh if self.account.gitlab else None
        nlb = self.gitlab.ssh_load_balancer
        if ssh is None or nlb is None:
            return None
        return PrivateDns(
            self,
            "gitlab-ssh-dns",
            PrivateDnsProps(
                namer=self.namer,
                hostname=ssh.hostname,
                vpc_id=self.network.vpc.id,
                region=self.account.region,
                alias_dns_name=nlb.dns_name,
                alias_zone_id=nlb.zone_id,
            ),
        )
