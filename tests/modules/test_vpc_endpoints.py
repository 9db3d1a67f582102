"""VpcEndpoints construct: the design's endpoints plus what a private Fargate task needs."""

from __future__ import annotations

from typing import Any

import pytest
from cdktf import TerraformStack, Testing

from modules.naming import Namer
from modules.vpc_endpoints import VpcEndpoints, VpcEndpointsProps
from tests.support.synth import by_path, policy, resources, synth_stack


@pytest.fixture(scope="module")
def stack() -> dict[str, Any]:
    app = Testing.app()
    scope = TerraformStack(app, "test")
    VpcEndpoints(
        scope,
        "vpc-endpoints",
        VpcEndpointsProps(
            namer=Namer("acme", "tooling"),
            account_id="123456789012",
            region="eu-west-1",
            vpc_id="vpc-1",
            vpc_cidr="10.0.0.0/16",
            subnet_ids=["subnet-a", "subnet-b"],
            route_table_ids=["rtb-a", "rtb-b"],
        ),
    )
    return synth_stack(scope)


def _by_service(stack: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {e["service_name"]: e for e in resources(stack, "aws_vpc_endpoint").values()}


def test_design_endpoints_and_what_the_task_needs(stack: dict[str, Any]) -> None:
    services = {name.removeprefix("com.amazonaws.eu-west-1.") for name in _by_service(stack)}
    assert services == {
        "ecr.api",
        "ecr.dkr",
        "s3",
        "ssmmessages",
        "email-smtp",
        "logs",
        "secretsmanager",
        "kms",
    }


def test_interface_endpoints_are_private_dns_in_every_subnet(stack: dict[str, Any]) -> None:
    for name, endpoint in _by_service(stack).items():
        if name.endswith(".s3"):
            continue
        assert endpoint["vpc_endpoint_type"] == "Interface", name
        assert endpoint["private_dns_enabled"] is True, name
        assert endpoint["subnet_ids"] == ["subnet-a", "subnet-b"], name
        assert len(endpoint["security_group_ids"]) == 1


def test_security_groups_admit_the_vpc_only(stack: dict[str, Any]) -> None:
    https = by_path(stack, "aws_vpc_security_group_ingress_rule", "https-sg-ingress")
    smtp = by_path(stack, "aws_vpc_security_group_ingress_rule", "smtp-sg-ingress")
    assert (https["from_port"], https["to_port"], https["cidr_ipv4"]) == (443, 443, "10.0.0.0/16")
    assert (smtp["from_port"], smtp["to_port"], smtp["cidr_ipv4"]) == (587, 587, "10.0.0.0/16")
    assert len(resources(stack, "aws_vpc_security_group_ingress_rule")) == 2
    assert resources(stack, "aws_vpc_security_group_egress_rule") == {}
    endpoints = _by_service(stack)
    assert (
        endpoints["com.amazonaws.eu-west-1.email-smtp"]["security_group_ids"]
        != (endpoints["com.amazonaws.eu-west-1.logs"]["security_group_ids"])
    )


def test_s3_gateway_routes_and_policy(stack: dict[str, Any]) -> None:
    s3 = _by_service(stack)["com.amazonaws.eu-west-1.s3"]
    assert s3["vpc_endpoint_type"] == "Gateway"
    assert s3["route_table_ids"] == ["rtb-a", "rtb-b"]
    statements = {s["Sid"]: s for s in policy(s3)["Statement"]}
    assert statements["EcrImageLayers"]["Resource"] == "arn:aws:s3:::prod-eu-west-1-starport-layer-bucket/*"
    assert statements["EcrImageLayers"]["Action"] == ["s3:GetObject"]
    assert statements["BucketsOfThisAccount"]["Condition"] == {"StringEquals": {"aws:ResourceAccount": "123456789012"}}


def test_each_interface_endpoint_says_why() -> None:
    from modules.vpc_endpoints import CODEBUILD_ENDPOINTS, INTERFACE_ENDPOINTS

    for table in (INTERFACE_ENDPOINTS, CODEBUILD_ENDPOINTS):
        for service, why in table.items():
            assert len(why.split(":", 1)[-1].split()) >= 3, service
