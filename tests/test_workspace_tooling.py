"""The tooling workspace, from the shared synthesis of the bundled example."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Synthesis
from tests.support.synth import address, only, resources


@pytest.fixture(scope="module")
def stack(synthesis: Synthesis) -> dict[str, Any]:
    return synthesis.stacks["tooling"]


def test_network_from_configuration(stack: dict[str, Any], synthesis: Synthesis) -> None:
    net = synthesis.environments.tooling.network
    assert only(stack, "aws_vpc")["cidr_block"] == net.vpc_cidr == "10.10.0.0/16"
    subnets = {s["availability_zone"]: s["cidr_block"] for s in resources(stack, "aws_subnet").values()}
    assert subnets == {"ap-northeast-1a": "10.10.0.0/20", "ap-northeast-1c": "10.10.16.0/20"}
    assert only(stack, "aws_flow_log")["traffic_type"] == "ALL"
    assert only(stack, "aws_cloudwatch_log_group")["retention_in_days"] == 365


def test_stateful_addresses_are_pinned(stack: dict[str, Any]) -> None:
    # Renaming these construct IDs would make Terraform destroy and recreate them.
    assert address(stack, "aws_vpc", "network/vpc") == "aws_vpc.network_vpc_4E8F0223"
    assert address(stack, "aws_kms_key", "network/flow-logs-key/key") == "aws_kms_key.network_flow-logs-key_1EE8C985"


def test_outputs(stack: dict[str, Any]) -> None:
    assert stack["output"]["vpc_id"]["value"] == "${aws_vpc.network_vpc_4E8F0223.id}"
