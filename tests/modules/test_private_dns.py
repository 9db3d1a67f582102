"""PrivateDns: a private zone for the host name, an alias record once a target is given."""

from __future__ import annotations

from typing import Any

import pytest
from cdktf import TerraformStack, Testing

from modules.naming import Namer
from modules.private_dns import PrivateDns, PrivateDnsProps
from tests.support.synth import only, ref, resources, synth_stack


def dns(**alias: str) -> dict[str, Any]:
    app = Testing.app()
    scope = TerraformStack(app, "test")
    PrivateDns(
        scope,
        "dns",
        PrivateDnsProps(
            namer=Namer("acme", "staging"),
            hostname="gitlab.example.com",
            vpc_id="vpc-1",
            region="eu-west-1",
            **alias,  # type: ignore[arg-type]
        ),
    )
    return synth_stack(scope)


def test_private_zone_for_the_host_only_without_record_yet() -> None:
    stack = dns()
    zone = only(stack, "aws_route53_zone")
    assert zone["name"] == "gitlab.example.com"
    assert zone["vpc"] == [{"vpc_id": "vpc-1", "vpc_region": "eu-west-1"}]
    assert resources(stack, "aws_route53_record") == {}


def test_alias_to_the_load_balancer() -> None:
    stack = dns(alias_dns_name="internal-x.eu-west-1.elb.amazonaws.com", alias_zone_id="Z32O12XQLNTSW2")
    record = only(stack, "aws_route53_record")
    assert record["name"] == "gitlab.example.com"
    assert record["type"] == "A"
    assert record["zone_id"] == ref(stack, "aws_route53_zone", "dns/zone", "zone_id")
    assert record["alias"] == {
        "name": "internal-x.eu-west-1.elb.amazonaws.com",
        "zone_id": "Z32O12XQLNTSW2",
        "evaluate_target_health": True,
    }


def test_alias_name_and_zone_come_together() -> None:
    with pytest.raises(ValueError, match="together"):
        dns(alias_dns_name="internal-x.eu-west-1.elb.amazonaws.com")
