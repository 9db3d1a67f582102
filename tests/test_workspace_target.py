"""Target workspaces (staging, production, any more), from the shared synthesis."""

from __future__ import annotations

import pytest

from tests.conftest import Synthesis, example_environments
from tests.support.synth import only, resources

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
