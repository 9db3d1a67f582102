"""The Transit Gateway hub: the gateway, its two route tables and its RAM share."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from cdktf import TerraformResourceLifecycle
from cdktf_cdktf_provider_aws.ec2_transit_gateway import Ec2TransitGateway
from cdktf_cdktf_provider_aws.ec2_transit_gateway_route_table import Ec2TransitGatewayRouteTable
from cdktf_cdktf_provider_aws.ram_principal_association import RamPrincipalAssociation
from cdktf_cdktf_provider_aws.ram_resource_association import RamResourceAssociation
from cdktf_cdktf_provider_aws.ram_resource_share import RamResourceShare
from constructs import Construct

from modules.naming import Namer


@dataclass(frozen=True)
class TransitHubProps:
    """Inputs of ``TransitHub``.

    ``share_principals`` maps a stable name (the target workspace) to the account ID
    the gateway is shared with. ``allow_external_principals`` is False inside an AWS
    Organization with RAM sharing enabled (no invitation) and True when sharing with
    accounts by ID outside it (each target accepts an invitation).
    """

    namer: Namer
    share_principals: Mapping[str, str]
    amazon_side_asn: int = 64512
    auto_accept_shared_attachments: bool = False
    dns_support: bool = True
    allow_external_principals: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "share_principals", MappingProxyType(dict(self.share_principals)))


@dataclass
class _RouteTables:
    hub: Ec2TransitGatewayRouteTable
    spokes: Ec2TransitGatewayRouteTable


class TransitHub(Construct):
    """A Transit Gateway without a default route table: every attachment is placed
    explicitly, so a new attachment reaches nothing until it is associated.

    Two route tables carry the segmentation: ``hub`` (used by the tooling VPC's
    attachment, one route per target) and ``spokes`` (used by every target attachment,
    a route to the tooling VPC only). Targets never propagate into ``spokes``, so no
    target has a route to another.
    """

    def __init__(self, scope: Construct, id_: str, props: TransitHubProps) -> None:
        super().__init__(scope, id_)
        namer = props.namer
        self.gateway = Ec2TransitGateway(
            self,
            "tgw",
            description=f"{namer.prefix}-{namer.workspace} hub: tooling VPC and target accounts",
            amazon_side_asn=props.amazon_side_asn,
            auto_accept_shared_attachments="enable" if props.auto_accept_shared_attachments else "disable",
            # With the defaults enabled, an attachment would be associated with and
            # propagate into one shared route table, and every VPC would reach every
            # other ("Transit gateway route tables", Amazon VPC Transit Gateways guide).
            default_route_table_association="disable",
            default_route_table_propagation="disable",
            dns_support="enable" if props.dns_support else "disable",
            vpn_ecmp_support="enable",
            tags={"Name": namer.name("tag", "tgw")},
            lifecycle=TerraformResourceLifecycle(prevent_destroy=True),
        )
        self.route_tables = _RouteTables(
            hub=Ec2TransitGatewayRouteTable(
                self, "rt-hub", transit_gateway_id=self.gateway.id, tags={"Name": namer.name("tag", "tgw-rt-hub")}
            ),
            spokes=Ec2TransitGatewayRouteTable(
                self,
                "rt-spokes",
                transit_gateway_id=self.gateway.id,
                tags={"Name": namer.name("tag", "tgw-rt-spokes")},
            ),
        )
        self.share = RamResourceShare(
            self,
            "share",
            name=namer.name("default", "tgw"),
            allow_external_principals=props.allow_external_principals,
            tags={"Name": namer.name("tag", "tgw-share")},
        )
        RamResourceAssociation(self, "share-tgw", resource_arn=self.gateway.arn, resource_share_arn=self.share.arn)
        for name, account_id in props.share_principals.items():
            RamPrincipalAssociation(self, f"share-{name}", principal=account_id, resource_share_arn=self.share.arn)
