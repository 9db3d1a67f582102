"""TransitAttachment: the attachment and one route per route table and destination."""

from __future__ import annotations

from typing import Any

from cdktf import TerraformStack, Testing

from modules.naming import Namer
from modules.transit_attachment import TransitAttachment, TransitAttachmentProps
from tests.support.synth import only, resources, synth_stack


def attachment(owner: bool) -> dict[str, Any]:
    app = Testing.app()
    scope = TerraformStack(app, "test")
    TransitAttachment(
        scope,
        "attach",
        TransitAttachmentProps(
            namer=Namer("acme", "staging"),
            transit_gateway_id="tgw-123",
            vpc_id="vpc-1",
            subnet_ids={"a": "subnet-a", "c": "subnet-c"},
            route_table_ids={"a": "rtb-a", "c": "rtb-c"},
            destinations={"tooling": "10.10.0.0/16", "other": "10.99.0.0/16"},
            owner_account=owner,
        ),
    )
    return synth_stack(scope)


def test_attachment_in_every_subnet_and_flags_only_for_the_owner() -> None:
    shared = only(attachment(owner=False), "aws_ec2_transit_gateway_vpc_attachment")
    assert shared["subnet_ids"] == ["subnet-a", "subnet-c"]
    assert shared["transit_gateway_id"] == "tgw-123"
    assert "transit_gateway_default_route_table_association" not in shared
    owned = only(attachment(owner=True), "aws_ec2_transit_gateway_vpc_attachment")
    assert owned["transit_gateway_default_route_table_association"] is False
    assert owned["transit_gateway_default_route_table_propagation"] is False


def test_one_route_per_table_and_destination_after_the_attachment() -> None:
    stack = attachment(owner=False)
    routes = resources(stack, "aws_route").values()
    assert sorted((r["route_table_id"], r["destination_cidr_block"]) for r in routes) == [
        ("rtb-a", "10.10.0.0/16"),
        ("rtb-a", "10.99.0.0/16"),
        ("rtb-c", "10.10.0.0/16"),
        ("rtb-c", "10.99.0.0/16"),
    ]
    (name,) = resources(stack, "aws_ec2_transit_gateway_vpc_attachment")
    for route in routes:
        assert route["transit_gateway_id"] == "tgw-123"
        assert route["depends_on"] == [f"aws_ec2_transit_gateway_vpc_attachment.{name}"]
        assert "0.0.0.0/0" not in route["destination_cidr_block"]
