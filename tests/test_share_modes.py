"""Configuration switches of the network, synthesized in-process with Testing:
the RAM share mode, auto-accept, and the load balancer reaching the target zones."""

from __future__ import annotations

from typing import Any

import pytest
from cdktf import Testing

from config.transit import TransitGatewayConfig
from stacks.hub_routing import HubRoutingStack
from stacks.outputs import GITLAB_ALB_DNS_NAME, GITLAB_ALB_ZONE_ID
from stacks.target import TargetStack
from stacks.tooling import ToolingStack
from tests.conftest import example_environments
from tests.support.synth import by_path, only, resources, synth_stack

ALB_DNS = "internal-gitlab-1234.ap-northeast-1.elb.amazonaws.com"
ALB_ZONE = "Z14GRHDCWA56QT"


class ToolingWithAlb(ToolingStack):
    """Stands in for issue 3's load balancer, passed to name resolution."""

    def name_resolution(self, alias_dns_name: str | None = None, alias_zone_id: str | None = None) -> Any:
        return super().name_resolution(ALB_DNS, ALB_ZONE)


def synthesize(stack_class: type[ToolingStack] = ToolingStack, **transit: Any) -> dict[str, dict[str, Any]]:
    environments = example_environments()
    tooling_account = environments.tooling.model_copy(update={"transit_gateway": TransitGatewayConfig(**transit)})
    app = Testing.app()
    tooling = stack_class(app, tooling_account, None, targets=environments.targets)
    staging = TargetStack(app, environments.targets["staging"], tooling=tooling)
    hub = HubRoutingStack(app, tooling, {"staging": staging})
    return {stack.workspace: synth_stack(stack) for stack in (tooling, staging, hub)}


@pytest.fixture(scope="module")
def by_account() -> dict[str, dict[str, Any]]:
    return synthesize(share_mode="accounts", auto_accept_shared_attachments=True)


def test_accounts_mode_allows_external_principals(by_account: dict[str, dict[str, Any]]) -> None:
    assert only(by_account["tooling"], "aws_ram_resource_share")["allow_external_principals"] is True


def test_accounts_mode_target_accepts_the_share_before_attaching(by_account: dict[str, dict[str, Any]]) -> None:
    staging = by_account["staging"]
    accepter = only(staging, "aws_ram_resource_share_accepter")
    assert accepter["share_arn"] == "${data.terraform_remote_state.state-tooling.outputs.transit_gateway_share_arn}"
    (name,) = resources(staging, "aws_ram_resource_share_accepter")
    attachment = only(staging, "aws_ec2_transit_gateway_vpc_attachment")
    assert attachment["depends_on"] == [f"aws_ram_resource_share_accepter.{name}"]


def test_organization_mode_has_no_accepter() -> None:
    stacks = synthesize(share_mode="organization")
    assert only(stacks["tooling"], "aws_ram_resource_share")["allow_external_principals"] is False
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


def test_load_balancer_answers_in_tooling_and_in_every_target_zone() -> None:
    stacks = synthesize(ToolingWithAlb)
    tooling, staging = stacks["tooling"], stacks["staging"]
    assert by_path(tooling, "aws_route53_record", "gitlab-dns/alias")["alias"]["name"] == ALB_DNS
    assert tooling["output"][GITLAB_ALB_DNS_NAME.name]["value"] == ALB_DNS
    assert tooling["output"][GITLAB_ALB_ZONE_ID.name]["value"] == ALB_ZONE
    record = by_path(staging, "aws_route53_record", "gitlab-dns/alias")
    assert record["name"] == "gitlab.example.com"
    assert record["alias"] == {
        "name": "${data.terraform_remote_state.state-tooling.outputs.gitlab_alb_dns_name}",
        "zone_id": "${data.terraform_remote_state.state-tooling.outputs.gitlab_alb_zone_id}",
        "evaluate_target_health": True,
    }
