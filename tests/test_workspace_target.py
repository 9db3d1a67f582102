"""Target workspaces (staging, production, any more), from the shared synthesis."""

from __future__ import annotations

import pytest

from tests.conftest import Synthesis, example_environments
from tests.support.synth import only, ref, resources

TARGETS = list(example_environments().targets)


def test_example_has_staging_and_production() -> None:
    assert TARGETS == ["production", "staging"]


@pytest.mark.parametrize("workspace", TARGETS)
def test_network_from_its_own_configuration(synthesis: Synthesis, workspace: str) -> None:
    stack = synthesis.stacks[workspace]
    account = synthesis.environments.targets[workspace]
    assert only(stack, "aws_vpc")["cidr_block"] == account.network.vpc_cidr
    subnets = {s["availability_zone"]: s["cidr_block"] for s in resources(stack, "aws_subnet").values()}
    assert subnets == account.network.private_subnets
    assert only(stack, "aws_cloudwatch_log_group")["name"] == f"/gitlab/{workspace}/vpc-flow-logs"
    assert resources(stack, "aws_internet_gateway") == {}


def test_production_spans_three_azs(synthesis: Synthesis) -> None:
    assert len(resources(synthesis.stacks["production"], "aws_subnet")) == 3


TOOLING_STATE = "data.terraform_remote_state.state-tooling.outputs"


@pytest.mark.parametrize("workspace", TARGETS)
def test_reads_the_tooling_state_through_the_same_backend(synthesis: Synthesis, workspace: str) -> None:
    states = synthesis.stacks[workspace]["data"]["terraform_remote_state"]
    assert states == {"state-tooling": {"backend": "local", "config": {"path": "../../../terraform.tooling.tfstate"}}}


@pytest.mark.parametrize("workspace", TARGETS)
def test_attached_to_the_shared_gateway_in_every_subnet(synthesis: Synthesis, workspace: str) -> None:
    stack = synthesis.stacks[workspace]
    attachment = only(stack, "aws_ec2_transit_gateway_vpc_attachment")
    assert attachment["transit_gateway_id"] == f"${{{TOOLING_STATE}.transit_gateway_id}}"
    assert len(attachment["subnet_ids"]) == len(synthesis.environments.targets[workspace].network.availability_zones)
    # Organization mode: no invitation to accept.
    assert resources(stack, "aws_ram_resource_share_accepter") == {}
    assert stack["output"]["transit_gateway_attachment_id"]["value"] == ref(
        stack, "aws_ec2_transit_gateway_vpc_attachment", "transit-attachment/attachment", "id"
    )


@pytest.mark.parametrize("workspace", TARGETS)
def test_routes_to_the_tooling_cidr_only(synthesis: Synthesis, workspace: str) -> None:
    stack = synthesis.stacks[workspace]
    routes = list(resources(stack, "aws_route").values())
    assert len(routes) == len(resources(stack, "aws_route_table"))
    assert {r["destination_cidr_block"] for r in routes} == {synthesis.environments.tooling.network.vpc_cidr}
    assert all(r["transit_gateway_id"] == f"${{{TOOLING_STATE}.transit_gateway_id}}" for r in routes)


@pytest.mark.parametrize("workspace", TARGETS)
def test_gitlab_host_name_has_a_zone_in_this_vpc(synthesis: Synthesis, workspace: str) -> None:
    stack = synthesis.stacks[workspace]
    zone = only(stack, "aws_route53_zone")
    assert zone["name"] == synthesis.environments.tooling.gitlab_hostname
    assert zone["vpc"] == [{"vpc_id": ref(stack, "aws_vpc", "network/vpc", "id"), "vpc_region": "ap-northeast-1"}]
    assert resources(stack, "aws_route53_zone_association") == {}
