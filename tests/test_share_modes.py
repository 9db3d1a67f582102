"""Configuration switches of the network, synthesized in-process with Testing:
the RAM share mode and auto-accept."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cdktf import Testing

from config.transit import TransitGatewayConfig
from stacks.hub_routing import HubRoutingStack
from stacks.target import TargetStack
from stacks.tooling import ToolingStack
from tests.conftest import example_environments
from tests.support.synth import by_path, name_at, only, resources, synth_stack
from tests.support.terraform import Terraform, remote_state_fixtures


def synthesize(**transit: Any) -> dict[str, dict[str, Any]]:
    environments = example_environments()
    tooling_account = environments.tooling.model_copy(update={"transit_gateway": TransitGatewayConfig(**transit)})
    app = Testing.app()
    tooling = ToolingStack(app, tooling_account, None, targets=environments.targets)
    staging = TargetStack(app, environments.targets["staging"], tooling=tooling)
    hub = HubRoutingStack(app, tooling, {"staging": staging})
    return {stack.workspace: synth_stack(stack) for stack in (tooling, staging, hub)}


@pytest.fixture(scope="module")
def by_account() -> dict[str, dict[str, Any]]:
    return synthesize(share_mode="accounts", auto_accept_shared_attachments=True)


SHARES = ("transit-hub/share", "codeconnections-staging/share", "codeconnections-production/share")
STATE = "${data.terraform_remote_state.state-tooling.outputs."


def test_accounts_mode_allows_external_principals(by_account: dict[str, dict[str, Any]]) -> None:
    for share in SHARES:
        assert by_path(by_account["tooling"], "aws_ram_resource_share", share)["allow_external_principals"] is True


def test_accounts_mode_target_accepts_the_share_before_attaching(by_account: dict[str, dict[str, Any]]) -> None:
    staging = by_account["staging"]
    accepter = by_path(staging, "aws_ram_resource_share_accepter", "transit-share-accepter")
    assert accepter["share_arn"] == f"{STATE}transit_gateway_share_arn}}"
    name = name_at(staging, "aws_ram_resource_share_accepter", "transit-share-accepter")
    attachment = only(staging, "aws_ec2_transit_gateway_vpc_attachment")
    assert attachment["depends_on"] == [f"aws_ram_resource_share_accepter.{name}"]


def test_accounts_mode_pipelines_wait_for_the_accepted_connection_share(
    by_account: dict[str, dict[str, Any]],
) -> None:
    staging = by_account["staging"]
    accepter = by_path(staging, "aws_ram_resource_share_accepter", "codeconnections-share-accepter")
    assert accepter["share_arn"] == f"{STATE}codeconnections_share_arn_staging}}"
    name = name_at(staging, "aws_ram_resource_share_accepter", "codeconnections-share-accepter")
    pipelines = resources(staging, "aws_codepipeline")
    assert pipelines
    for pipeline in pipelines.values():
        assert f"aws_ram_resource_share_accepter.{name}" in pipeline["depends_on"]


def test_organization_mode_has_no_accepter() -> None:
    stacks = synthesize(share_mode="organization")
    for share in SHARES:
        assert by_path(stacks["tooling"], "aws_ram_resource_share", share)["allow_external_principals"] is False
    assert resources(stacks["staging"], "aws_ram_resource_share_accepter") == {}
    assert "depends_on" not in only(stacks["staging"], "aws_ec2_transit_gateway_vpc_attachment")


def test_auto_accept_leaves_acceptance_out_of_hub_routing(by_account: dict[str, dict[str, Any]]) -> None:
    assert only(by_account["tooling"], "aws_ec2_transit_gateway")["auto_accept_shared_attachments"] == "enable"
    hub = by_account["tooling-hub-routing"]
    assert resources(hub, "aws_ec2_transit_gateway_vpc_attachment_accepter") == {}
    association = only(hub, "aws_ec2_transit_gateway_route_table_association")
    assert association["transit_gateway_attachment_id"] == (
        "${data.terraform_remote_state.state-staging.outputs.transit_gateway_attachment_id}"
    )


def test_accounts_mode_target_plans_offline(by_account: dict[str, dict[str, Any]], tmp_path: Path) -> None:
    # The example plans in organization mode (tests/test_terraform.py); this is the other mode.
    staging = by_account["staging"]
    source = tmp_path / "source"
    source.mkdir()
    (source / "cdk.tf.json").write_text(json.dumps(staging), encoding="utf-8")
    run = Terraform(tmp_path / ".config").check_workspace(
        "staging-accounts-mode", source, tmp_path, remote_state_fixtures(staging, by_account)
    )
    assert run.ok, run.report()
