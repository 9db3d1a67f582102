"""The tooling workspace, from the shared synthesis of the bundled example."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Synthesis
from tests.support.synth import address, by_path, only, ref, resources


@pytest.fixture(scope="module")
def stack(synthesis: Synthesis) -> dict[str, Any]:
    return synthesis.stacks["tooling"]


def test_network_from_configuration(stack: dict[str, Any], synthesis: Synthesis) -> None:
    net = synthesis.environments.tooling.network
    assert only(stack, "aws_vpc")["cidr_block"] == net.vpc_cidr == "10.10.0.0/16"
    subnets = {s["availability_zone"]: s["cidr_block"] for s in resources(stack, "aws_subnet").values()}
    assert subnets == {"ap-northeast-1a": "10.10.0.0/20", "ap-northeast-1c": "10.10.16.0/20"}
    assert only(stack, "aws_flow_log")["traffic_type"] == "ALL"
    assert by_path(stack, "aws_cloudwatch_log_group", "network/flow-logs")["retention_in_days"] == 365


def test_stateful_addresses_are_pinned(stack: dict[str, Any]) -> None:
    # Renaming these construct IDs would make Terraform destroy and recreate them.
    assert address(stack, "aws_vpc", "network/vpc") == "aws_vpc.network_vpc_4E8F0223"
    assert address(stack, "aws_kms_key", "network/flow-logs-key/key") == "aws_kms_key.network_flow-logs-key_1EE8C985"


def test_outputs(stack: dict[str, Any]) -> None:
    assert stack["output"]["vpc_id"]["value"] == "${aws_vpc.network_vpc_4E8F0223.id}"


def test_transit_gateway_from_configuration_and_pinned(stack: dict[str, Any], synthesis: Synthesis) -> None:
    config = synthesis.environments.tooling.transit_gateway
    assert config is not None
    tgw = only(stack, "aws_ec2_transit_gateway")
    assert tgw["amazon_side_asn"] == config.amazon_side_asn == 64512
    assert tgw["auto_accept_shared_attachments"] == "disable"
    assert tgw["lifecycle"]["prevent_destroy"] is True
    assert address(stack, "aws_ec2_transit_gateway", "transit-hub/tgw") == (
        "aws_ec2_transit_gateway.transit-hub_tgw_C3B31FC8"
    )
    assert address(stack, "aws_kms_key", "client-vpn/logs-key/key") == "aws_kms_key.client-vpn_logs-key_CD6F3FFE"


def test_shared_in_the_organization_with_each_target_account(stack: dict[str, Any], synthesis: Synthesis) -> None:
    assert only(stack, "aws_ram_resource_share")["allow_external_principals"] is False
    principals = sorted(p["principal"] for p in resources(stack, "aws_ram_principal_association").values())
    assert principals == sorted(t.account_id for t in synthesis.environments.targets.values())


def test_tooling_vpc_routes_each_target_cidr_to_the_gateway(stack: dict[str, Any], synthesis: Synthesis) -> None:
    gateway = ref(stack, "aws_ec2_transit_gateway", "transit-hub/tgw", "id")
    routes = resources(stack, "aws_route").values()
    expected = {t.network.vpc_cidr for t in synthesis.environments.targets.values()}
    for table in resources(stack, "aws_route_table"):
        mine = {
            r["destination_cidr_block"] for r in routes if r["route_table_id"] == f"${{aws_route_table.{table}.id}}"
        }
        assert mine == expected == {"10.20.0.0/16", "10.30.0.0/16"}
    assert all(r["transit_gateway_id"] == gateway for r in routes)


def test_tooling_attachment_placed_in_the_hub_table(stack: dict[str, Any]) -> None:
    attachment = ref(stack, "aws_ec2_transit_gateway_vpc_attachment", "transit-attachment/attachment", "id")
    association = only(stack, "aws_ec2_transit_gateway_route_table_association")
    assert association["transit_gateway_attachment_id"] == attachment
    assert association["transit_gateway_route_table_id"] == ref(
        stack, "aws_ec2_transit_gateway_route_table", "transit-hub/rt-hub", "id"
    )
    propagation = only(stack, "aws_ec2_transit_gateway_route_table_propagation")
    assert propagation["transit_gateway_route_table_id"] == ref(
        stack, "aws_ec2_transit_gateway_route_table", "transit-hub/rt-spokes", "id"
    )


def test_gitlab_host_name_resolves_privately_in_the_tooling_vpc(stack: dict[str, Any]) -> None:
    zone = only(stack, "aws_route53_zone")
    assert zone["name"] == "gitlab.example.com"
    assert zone["vpc"] == [{"vpc_id": "${aws_vpc.network_vpc_4E8F0223.id}", "vpc_region": "ap-northeast-1"}]
    # The record appears once the load balancer (issue 3) is passed to name_resolution.
    assert resources(stack, "aws_route53_record") == {}


def test_client_vpn_from_configuration(stack: dict[str, Any], synthesis: Synthesis) -> None:
    config = synthesis.environments.tooling.client_vpn
    assert config is not None
    endpoint = only(stack, "aws_ec2_client_vpn_endpoint")
    assert endpoint["client_cidr_block"] == config.client_cidr == "10.250.0.0/22"
    assert endpoint["server_certificate_arn"] == config.server_certificate_arn
    assert endpoint["authentication_options"][0]["type"] == "certificate-authentication"
    assert endpoint["split_tunnel"] is True
    assert endpoint["dns_servers"] == ["10.10.0.2"]
    subnets = {a["subnet_id"] for a in resources(stack, "aws_ec2_client_vpn_network_association").values()}
    assert subnets == {
        ref(stack, "aws_subnet", f"network/private-{az}", "id")
        for az in synthesis.environments.tooling.network.availability_zones
    }
    rules = resources(stack, "aws_ec2_client_vpn_authorization_rule").values()
    assert [r["target_network_cidr"] for r in rules] == ["10.10.0.0/16"]  # target_vpcs: false
    assert resources(stack, "aws_ec2_client_vpn_route") == {}


def test_network_outputs(stack: dict[str, Any]) -> None:
    # Other parts of the workspace add their own outputs.
    assert set(stack["output"]) >= {
        "vpc_id",
        "transit_gateway_id",
        "transit_gateway_share_arn",
        "transit_gateway_hub_route_table_id",
        "transit_gateway_spokes_route_table_id",
        "client_vpn_endpoint_id",
        "client_vpn_security_group_id",
    }
    assert stack["output"]["client_vpn_security_group_id"]["value"] == ref(
        stack, "aws_security_group", "client-vpn/sg", "id"
    )
