"""SshLoadBalancer construct: internal NLB forwarding TCP 22 to the task, private ingress only."""

from __future__ import annotations

from typing import Any

import pytest
from cdktf import TerraformOutput, TerraformStack, Testing

from modules.naming import Namer
from modules.ssh_load_balancer import SshLoadBalancer, SshLoadBalancerProps
from tests.support.synth import only, resources, synth_stack


@pytest.fixture(scope="module")
def stack() -> dict[str, Any]:
    app = Testing.app()
    scope = TerraformStack(app, "test")
    nlb = SshLoadBalancer(
        scope,
        "gitlab-ssh-nlb",
        SshLoadBalancerProps(
            namer=Namer("acme", "tooling"),
            vpc_id="vpc-1",
            vpc_cidr="10.0.0.0/16",
            subnet_ids=["subnet-a", "subnet-b"],
            allowed_ingress_cidrs=["10.200.0.0/22"],
            allowed_security_group_ids=["sg-vpn"],
        ),
    )
    TerraformOutput(scope, "dns_name", value=nlb.dns_name)
    TerraformOutput(scope, "zone_id", value=nlb.zone_id)
    return synth_stack(scope)


def test_internal_network_load_balancer_with_security_group(stack: dict[str, Any]) -> None:
    nlb = only(stack, "aws_lb")
    assert nlb["internal"] is True
    assert nlb["load_balancer_type"] == "network"
    assert nlb["enable_deletion_protection"] is True
    assert nlb["enable_cross_zone_load_balancing"] is True
    assert len(nlb["security_groups"]) == 1
    name = next(iter(resources(stack, "aws_lb")))
    assert stack["output"]["dns_name"]["value"] == f"${{aws_lb.{name}.dns_name}}"
    assert stack["output"]["zone_id"]["value"] == f"${{aws_lb.{name}.zone_id}}"


def test_tcp_22_forwarded_to_ip_targets(stack: dict[str, Any]) -> None:
    listener = only(stack, "aws_lb_listener")
    assert (listener["port"], listener["protocol"]) == (22, "TCP")
    assert listener["default_action"][0]["type"] == "forward"
    group = only(stack, "aws_lb_target_group")
    assert (group["port"], group["protocol"], group["target_type"]) == (22, "TCP", "ip")
    assert group["health_check"]["protocol"] == "TCP"


def test_ssh_only_from_private_sources(stack: dict[str, Any]) -> None:
    rules = resources(stack, "aws_vpc_security_group_ingress_rule").values()
    assert {(r["from_port"], r.get("cidr_ipv4") or r.get("referenced_security_group_id")) for r in rules} == {
        (22, "10.0.0.0/16"),
        (22, "10.200.0.0/22"),
        (22, "sg-vpn"),
    }
