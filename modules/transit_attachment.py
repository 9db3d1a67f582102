"""A VPC's attachment to the Transit Gateway and the VPC routes that use it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

from cdktf import ITerraformDependable
from cdktf_cdktf_provider_aws.ec2_transit_gateway_vpc_attachment import Ec2TransitGatewayVpcAttachment
from cdktf_cdktf_provider_aws.route import Route
from constructs import Construct

from modules.naming import Namer


@dataclass(frozen=True)
class TransitAttachmentProps:
    """Inputs of ``TransitAttachment``.

    ``subnet_ids`` and ``route_table_ids`` are keyed by AZ; ``destinations`` maps a
    stable name (the workspace on the other side) to the CIDR routed to the gateway
    from every route table. ``owner_account`` is True when the VPC is in the gateway's
    own account: only the owner may set the default route-table flags.
    ``depends_on`` holds what must exist first, e.g. the accepted RAM share.
    """

    namer: Namer
    transit_gateway_id: str
    vpc_id: str
    subnet_ids: Mapping[str, str]
    route_table_ids: Mapping[str, str]
    destinations: Mapping[str, str]
    owner_account: bool = False
    depends_on: Sequence[ITerraformDependable] = ()

    def __post_init__(self) -> None:
        for name in ("subnet_ids", "route_table_ids", "destinations"):
            object.__setattr__(self, name, MappingProxyType(dict(getattr(self, name))))
        object.__setattr__(self, "depends_on", tuple(self.depends_on))


class TransitAttachment(Construct):
    """The attachment in one subnet per AZ, and one route per (route table, destination).

    Only the listed destinations are routed: there is no default route, so nothing but
    those VPCs is reachable through the gateway from this VPC.
    """

    def __init__(self, scope: Construct, id_: str, props: TransitAttachmentProps) -> None:
        super().__init__(scope, id_)
        # Placement is explicit (see TransitHub). Only the gateway's owner may set these
        # flags; an attachment to a shared gateway must leave them out.
        no_default = False if props.owner_account else None
        self.attachment = Ec2TransitGatewayVpcAttachment(
            self,
            "attachment",
            transit_gateway_id=props.transit_gateway_id,
            vpc_id=props.vpc_id,
            subnet_ids=list(props.subnet_ids.values()),
            dns_support="enable",
            tags={"Name": props.namer.name("tag", "tgw-attachment")},
            transit_gateway_default_route_table_association=no_default,
            transit_gateway_default_route_table_propagation=no_default,
            depends_on=list(props.depends_on) or None,
        )
        self.routes: dict[tuple[str, str], Route] = {}
        for az, table_id in props.route_table_ids.items():
            for name, cidr in props.destinations.items():
                self.routes[(az, name)] = Route(
                    self,
                    f"to-{name}-{az}",
                    route_table_id=table_id,
                    destination_cidr_block=cidr,
                    transit_gateway_id=props.transit_gateway_id,
                    # A route to a gateway the VPC is not attached to is refused.
                    depends_on=[self.attachment],
                )

    @property
    def id(self) -> str:
        return self.attachment.id
