"""Network construct: private-only VPC, per-AZ subnets and route tables, flow logs."""

from __future__ import annotations

from typing import Any

import pytest
from cdktf import TerraformStack, Testing

from modules.naming import Namer
from modules.network import Network, NetworkProps
from tests.support.synth import by_path, only, policy, ref, resources, synth_stack

SUBNETS = {"eu-west-1a": "10.0.0.0/20", "eu-west-1b": "10.0.16.0/20", "eu-west-1c": "10.0.32.0/20"}


@pytest.fixture(scope="module")
def stack() -> dict[str, Any]:
    app = Testing.app()
    scope = TerraformStack(app, "test")
    Network(
        scope,
        "network",
        NetworkProps(
            namer=Namer("acme", "tooling"),
            account_id="123456789012",
            region="eu-west-1",
            vpc_cidr="10.0.0.0/16",
            private_subnets=SUBNETS,
            flow_log_retention_days=400,
        ),
    )
    return synth_stack(scope)


def test_vpc_has_dns_and_cidr(stack: dict[str, Any]) -> None:
    vpc = only(stack, "aws_vpc")
    assert vpc["cidr_block"] == "10.0.0.0/16"
    assert vpc["enable_dns_support"] is True
    assert vpc["enable_dns_hostnames"] is True
    assert vpc["tags"]["Name"] == "acme-tooling-vpc"


def test_no_path_to_the_internet(stack: dict[str, Any]) -> None:
    for kind in ("aws_internet_gateway", "aws_egress_only_internet_gateway", "aws_nat_gateway", "aws_eip", "aws_route"):
        assert resources(stack, kind) == {}, kind
    for table in resources(stack, "aws_route_table").values():
        assert "route" not in table


def test_one_private_subnet_per_az_with_given_cidr(stack: dict[str, Any]) -> None:
    subnets = resources(stack, "aws_subnet")
    assert {s["availability_zone"]: s["cidr_block"] for s in subnets.values()} == SUBNETS
    for subnet in subnets.values():
        assert subnet["map_public_ip_on_launch"] is False
        assert subnet["tags"]["Tier"] == "private"


def test_route_table_per_az_associated_with_its_subnet(stack: dict[str, Any]) -> None:
    assert len(resources(stack, "aws_route_table")) == len(SUBNETS)
    for az in SUBNETS:
        association = by_path(stack, "aws_route_table_association", f"private-rta-{az}")
        assert association["subnet_id"] == ref(stack, "aws_subnet", f"private-{az}", "id")
        assert association["route_table_id"] == ref(stack, "aws_route_table", f"private-rt-{az}", "id")


def test_default_security_group_has_no_rules(stack: dict[str, Any]) -> None:
    default = only(stack, "aws_default_security_group")
    assert "ingress" not in default and "egress" not in default
    assert default["vpc_id"].startswith("${aws_vpc.")


def test_flow_logs_go_to_encrypted_log_group_with_retention(stack: dict[str, Any]) -> None:
    flow = only(stack, "aws_flow_log")
    group_name, group = next(iter(resources(stack, "aws_cloudwatch_log_group").items()))
    key_name = next(iter(resources(stack, "aws_kms_key")))
    assert flow["traffic_type"] == "ALL"
    assert flow["log_destination_type"] == "cloud-watch-logs"
    assert flow["log_destination"] == f"${{aws_cloudwatch_log_group.{group_name}.arn}}"
    assert group["retention_in_days"] == 400
    assert group["kms_key_id"] == f"${{aws_kms_key.{key_name}.arn}}"
    assert group["name"] == "/acme/tooling/vpc-flow-logs"


def test_flow_log_key_lets_logs_use_it_for_this_group_only(stack: dict[str, Any]) -> None:
    key = only(stack, "aws_kms_key")
    assert key["enable_key_rotation"] is True
    assert key["lifecycle"]["prevent_destroy"] is True
    statements = {s["Sid"]: s for s in policy(key)["Statement"]}
    logs = statements["CloudWatchLogsForFlowLogGroup"]
    assert logs["Principal"] == {"Service": "logs.eu-west-1.amazonaws.com"}
    assert logs["Condition"]["ArnEquals"]["kms:EncryptionContext:aws:logs:arn"] == (
        "arn:aws:logs:eu-west-1:123456789012:log-group:/acme/tooling/vpc-flow-logs"
    )
    assert statements["AccountAdministration"]["Principal"] == {"AWS": "arn:aws:iam::123456789012:root"}


def test_flow_log_role_is_scoped_to_its_log_group(stack: dict[str, Any]) -> None:
    role = only(stack, "aws_iam_role")
    trust = policy(role, "assume_role_policy")["Statement"][0]
    assert trust["Principal"] == {"Service": "vpc-flow-logs.amazonaws.com"}
    assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": "123456789012"}}
    grant = policy(only(stack, "aws_iam_role_policy"))["Statement"]
    assert len(grant) == 1
    assert "*" not in grant[0]["Resource"]
    assert grant[0]["Resource"][0] == "arn:aws:logs:eu-west-1:123456789012:log-group:/acme/tooling/vpc-flow-logs"
    assert set(grant[0]["Action"]) == {"logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"}
