"""TransitRouting: optional acceptance, one association, propagations."""

from __future__ import annotations

from typing import Any

from cdktf import TerraformStack, Testing

from modules.naming import Namer
from modules.transit_routing import TransitRouting, TransitRoutingProps
from tests.support.synth import only, resources, synth_stack


def routing(accept: bool) -> dict[str, Any]:
    app = Testing.app()
    scope = TerraformStack(app, "test")
    TransitRouting(
        scope,
        "staging",
        TransitRoutingProps(
            namer=Namer("acme", "tooling-hub-routing"),
            attachment_id="tgw-attach-1",
            associate_with="tgw-rtb-spokes",
            propagate_to={"hub": "tgw-rtb-hub"},
            accept=accept,
        ),
    )
    return synth_stack(scope)


def test_without_acceptance() -> None:
    stack = routing(accept=False)
    assert resources(stack, "aws_ec2_transit_gateway_vpc_attachment_accepter") == {}
    association = only(stack, "aws_ec2_transit_gateway_route_table_association")
    assert association == {
        "transit_gateway_attachment_id": "tgw-attach-1",
        "transit_gateway_route_table_id": "tgw-rtb-spokes",
    }
    propagation = only(stack, "aws_ec2_transit_gateway_route_table_propagation")
    assert propagation["transit_gateway_route_table_id"] == "tgw-rtb-hub"


def test_accepted_first_and_kept_out_of_default_tables() -> None:
    stack = routing(accept=True)
    (name, accepter), *_ = resources(stack, "aws_ec2_transit_gateway_vpc_attachment_accepter").items()
    assert accepter["transit_gateway_attachment_id"] == "tgw-attach-1"
    assert accepter["transit_gateway_default_route_table_association"] is False
    assert accepter["transit_gateway_default_route_table_propagation"] is False
    accepted = f"${{aws_ec2_transit_gateway_vpc_attachment_accepter.{name}.transit_gateway_attachment_id}}"
    assert only(stack, "aws_ec2_transit_gateway_route_table_association")["transit_gateway_attachment_id"] == accepted
    assert only(stack, "aws_ec2_transit_gateway_route_table_propagation")["transit_gateway_attachment_id"] == accepted
