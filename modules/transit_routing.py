"""Where one attachment sits in the Transit Gateway's route tables."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from cdktf_cdktf_provider_aws.ec2_transit_gateway_route_table_association import (
    Ec2TransitGatewayRouteTableAssociation,
)
from cdktf_cdktf_provider_aws.ec2_transit_gateway_route_table_propagation import (
    Ec2TransitGatewayRouteTablePropagation,
)
from cdktf_cdktf_provider_aws.ec2_transit_gateway_vpc_attachment_accepter import (
    Ec2TransitGatewayVpcAttachmentAccepter,
)
from constructs import Construct

from modules.naming import Namer


@dataclass(frozen=True)
class TransitRoutingProps:
    """Inputs of ``TransitRouting``.

    The attachment uses ``associate_with`` for its traffic, and its VPC CIDR is
    propagated into each of ``propagate_to`` (keyed by a stable name). ``accept`` is
    for an attachment from another account to a gateway that does not auto-accept.
    """

    namer: Namer
    attachment_id: str
    associate_with: str
    propagate_to: Mapping[str, str]
    accept: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "propagate_to", MappingProxyType(dict(self.propagate_to)))


class TransitRouting(Construct):
    def __init__(self, scope: Construct, id_: str, props: TransitRoutingProps) -> None:
        super().__init__(scope, id_)
        attachment_id = props.attachment_id
        self.accepter: Ec2TransitGatewayVpcAttachmentAccepter | None = None
        if props.accept:
            self.accepter = Ec2TransitGatewayVpcAttachmentAccepter(
                self,
                "accept",
                transit_gateway_attachment_id=props.attachment_id,
                # The gateway has no default route table; placement is below.
                transit_gateway_default_route_table_association=False,
                transit_gateway_default_route_table_propagation=False,
                tags={"Name": props.namer.name("tag", "tgw-attachment", id_)},
            )
            # Referring to the accepter orders association after acceptance.
            attachment_id = self.accepter.transit_gateway_attachment_id
        self.association = Ec2TransitGatewayRouteTableAssociation(
            self,
            "association",
            transit_gateway_attachment_id=attachment_id,
            transit_gateway_route_table_id=props.associate_with,
        )
        self.propagations = {
            name: Ec2TransitGatewayRouteTablePropagation(
                self,
                f"propagation-{name}",
                transit_gateway_attachment_id=attachment_id,
                transit_gateway_route_table_id=table_id,
            )
            for name, table_id in props.propagate_to.items()
        }
