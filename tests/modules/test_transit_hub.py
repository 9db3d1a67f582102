"""TransitHub: no default route table, two route tables, RAM share to the targets."""

from __future__ import annotations

from typing import Any

import pytest
from cdktf import TerraformStack, Testing

from modules.naming import Namer
from modules.transit_hub import TransitHub, TransitHubProps
from tests.support.synth import only, ref, resources, synth_stack


def hub(**overrides: Any) -> dict[str, Any]:
    app = Testing.app()
    scope = TerraformStack(app, "test")
    props = {"namer": Namer("acme", "tooling"), "share_principals": {"qa": "444444444444", "prod": "555555555555"}}
    TransitHub(scope, "hub", TransitHubProps(**{**props, **overrides}))
    return synth_stack(scope)


@pytest.fixture(scope="module")
def stack() -> dict[str, Any]:
    return hub()


def test_gateway_places_nothing_by_default_and_accepts_nothing_by_itself(stack: dict[str, Any]) -> None:
    tgw = only(stack, "aws_ec2_transit_gateway")
    assert tgw["default_route_table_association"] == "disable"
    assert tgw["default_route_table_propagation"] == "disable"
    assert tgw["auto_accept_shared_attachments"] == "disable"
    assert tgw["amazon_side_asn"] == 64512
    assert tgw["dns_support"] == "enable"
    assert tgw["lifecycle"]["prevent_destroy"] is True


def test_options_come_from_props() -> None:
    tgw = only(hub(amazon_side_asn=4200000001, auto_accept_shared_attachments=True, dns_support=False),
               "aws_ec2_transit_gateway")  # fmt: skip
    assert tgw["amazon_side_asn"] == 4200000001
    assert tgw["auto_accept_shared_attachments"] == "enable"
    assert tgw["dns_support"] == "disable"


def test_two_route_tables_on_the_gateway(stack: dict[str, Any]) -> None:
    tables = resources(stack, "aws_ec2_transit_gateway_route_table")
    assert sorted(t["tags"]["Name"] for t in tables.values()) == [
        "acme-tooling-tgw-rt-hub",
        "acme-tooling-tgw-rt-spokes",
    ]
    gateway = ref(stack, "aws_ec2_transit_gateway", "hub/tgw", "id")
    assert all(t["transit_gateway_id"] == gateway for t in tables.values())


def test_shared_with_each_principal_only(stack: dict[str, Any]) -> None:
    share = only(stack, "aws_ram_resource_share")
    assert share["allow_external_principals"] is False
    share_arn = ref(stack, "aws_ram_resource_share", "hub/share", "arn")
    principals = resources(stack, "aws_ram_principal_association")
    assert sorted(p["principal"] for p in principals.values()) == ["444444444444", "555555555555"]
    assert all(p["resource_share_arn"] == share_arn for p in principals.values())
    association = only(stack, "aws_ram_resource_association")
    assert association["resource_arn"] == ref(stack, "aws_ec2_transit_gateway", "hub/tgw", "arn")


def test_external_principals_for_sharing_by_account() -> None:
    assert only(hub(allow_external_principals=True), "aws_ram_resource_share")["allow_external_principals"] is True
