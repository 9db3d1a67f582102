"""The hub-routing workspace, and segmentation proven from the synthesized route tables."""

from __future__ import annotations

import ipaddress
import re
from typing import Any

import pytest

from tests.conftest import ROOT, Synthesis, example_environments
from tests.support.synth import resources
from tests.support.transit import resolve, transit_reachability, vpc_routes_to_gateway

HUB = "tooling-hub-routing"
TARGETS = list(example_environments().targets)


@pytest.fixture(scope="module")
def stack(synthesis: Synthesis) -> dict[str, Any]:
    return synthesis.stacks[HUB]


def test_runs_in_the_tooling_account(stack: dict[str, Any], synthesis: Synthesis) -> None:
    (provider,) = stack["provider"]["aws"]
    assert provider["allowed_account_ids"] == [synthesis.environments.tooling.account_id]
    assert provider["default_tags"][0]["tags"]["Workspace"] == HUB
    assert stack["terraform"]["backend"] == {"local": {"path": f"../../../terraform.{HUB}.tfstate"}}


def test_reads_tooling_and_every_target(stack: dict[str, Any]) -> None:
    assert sorted(stack["data"]["terraform_remote_state"]) == sorted(f"state-{w}" for w in ["tooling", *TARGETS])


def test_accepts_each_target_attachment(stack: dict[str, Any], synthesis: Synthesis) -> None:
    # auto_accept_shared_attachments is off in the example
    accepters = resources(stack, "aws_ec2_transit_gateway_vpc_attachment_accepter").values()
    accepted = sorted(resolve(synthesis.stacks, HUB, a["transit_gateway_attachment_id"])[0] for a in accepters)
    assert accepted == sorted(TARGETS)
    assert all(a["transit_gateway_default_route_table_association"] is False for a in accepters)


def test_segmentation_at_the_transit_gateway(synthesis: Synthesis) -> None:
    reach = transit_reachability(synthesis.stacks)
    assert reach == {"tooling": set(TARGETS), **{target: {"tooling"} for target in TARGETS}}
    assert "production" not in reach["staging"] and "staging" not in reach["production"]


def test_segmentation_in_the_vpc_route_tables(synthesis: Synthesis) -> None:
    environments = synthesis.environments
    tooling_cidr = environments.tooling.network.vpc_cidr
    for target in TARGETS:
        tables = vpc_routes_to_gateway(synthesis.stacks[target])
        assert tables and all(routes == {tooling_cidr} for routes in tables.values()), target
    target_cidrs = {t.network.vpc_cidr for t in environments.targets.values()}
    assert all(routes == target_cidrs for routes in vpc_routes_to_gateway(synthesis.stacks["tooling"]).values())


def test_staging_has_no_path_to_production(synthesis: Synthesis) -> None:
    # A packet needs a VPC route and a gateway route; staging has neither towards production.
    production = ipaddress.IPv4Network(synthesis.environments.targets["production"].network.vpc_cidr)
    staging_routes = set().union(*vpc_routes_to_gateway(synthesis.stacks["staging"]).values())
    assert not any(ipaddress.IPv4Network(cidr).overlaps(production) for cidr in staging_routes)
    assert "production" not in transit_reachability(synthesis.stacks)["staging"]


def test_outputs_table_of_docs_network_md_names_real_outputs(synthesis: Synthesis) -> None:
    text = (ROOT / "docs" / "network.md").read_text(encoding="utf-8")
    table = text[text.index("| output | from | read by |") :].split("\n\n", 1)[0]
    rows = [row.split(" | ") for row in table.splitlines()[2:]]
    assert len(rows) >= 5
    workspaces = {"tooling": ["tooling"], "each target": TARGETS, "tooling and each target": ["tooling", *TARGETS]}
    for names, producer, _ in rows:
        for name in re.findall(r"`(\w+)`", names):
            for workspace in workspaces[producer]:
                assert name in synthesis.stacks[workspace]["output"], (name, workspace)
