"""The flow engine on small hand-made workspaces: each rule it relies on, taken away, breaks the flow."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from flows.matrix import EXTERNAL_REDIS, check
from flows.network import FlowModelError, Network

PROVIDER = {"aws": [{"region": "ap-northeast-1", "allowed_account_ids": ["111111111111"]}]}


def _vpc(cidr: str, subnet: str) -> dict[str, Any]:
    return {
        "aws_vpc": {"vpc": {"cidr_block": cidr}},
        "aws_subnet": {
            "a": {"vpc_id": "${aws_vpc.vpc.id}", "cidr_block": subnet, "availability_zone": "ap-northeast-1a"}
        },
        "aws_route_table": {"rt": {"vpc_id": "${aws_vpc.vpc.id}"}},
        "aws_route_table_association": {
            "rta": {"subnet_id": "${aws_subnet.a.id}", "route_table_id": "${aws_route_table.rt.id}"}
        },
    }


def _rule(group: str, port: int, **peer: str) -> dict[str, Any]:
    return {
        "security_group_id": f"${{aws_security_group.{group}.id}}",
        "ip_protocol": "tcp",
        "from_port": port,
        "to_port": port,
        "description": f"{group} {port}",
        **peer,
    }


ACCEPTED = "${aws_ec2_transit_gateway_vpc_attachment_accepter.accept.transit_gateway_attachment_id}"


def small() -> dict[str, dict[str, Any]]:
    """A hub VPC with a load balancer and a database; a spoke VPC with a build, through a Transit Gateway."""
    hub = _vpc("10.10.0.0/16", "10.10.0.0/20")
    hub["aws_security_group"] = {g: {"name": g, "vpc_id": "${aws_vpc.vpc.id}"} for g in ("alb", "db", "app")}
    hub["aws_vpc_security_group_ingress_rule"] = {
        "alb-from-spoke": _rule("alb", 443, cidr_ipv4="10.20.0.0/16"),
        "db-from-app": _rule("db", 5432, referenced_security_group_id="${aws_security_group.app.id}"),
    }
    hub["aws_vpc_security_group_egress_rule"] = {
        "app-to-db": _rule("app", 5432, referenced_security_group_id="${aws_security_group.db.id}"),
    }
    hub["aws_lb"] = {
        "lb": {"name": "lb", "subnets": ["${aws_subnet.a.id}"], "security_groups": ["${aws_security_group.alb.id}"]}
    }
    hub["aws_lb_listener"] = {"https": {"load_balancer_arn": "${aws_lb.lb.arn}", "port": 443}}
    hub["aws_db_subnet_group"] = {"dbs": {"subnet_ids": ["${aws_subnet.a.id}"]}}
    hub["aws_rds_cluster"] = {
        "db": {
            "cluster_identifier": "db",
            "db_subnet_group_name": "${aws_db_subnet_group.dbs.name}",
            "vpc_security_group_ids": ["${aws_security_group.db.id}"],
        }
    }
    hub["aws_ecs_service"] = {
        "app": {
            "name": "app",
            "network_configuration": {
                "subnets": ["${aws_subnet.a.id}"],
                "security_groups": ["${aws_security_group.app.id}"],
            },
        }
    }
    hub["aws_ec2_transit_gateway"] = {"tgw": {}}
    hub["aws_ec2_transit_gateway_route_table"] = {"rt": {"transit_gateway_id": "${aws_ec2_transit_gateway.tgw.id}"}}
    hub["aws_ec2_transit_gateway_vpc_attachment"] = {
        "att": {"vpc_id": "${aws_vpc.vpc.id}", "transit_gateway_id": "${aws_ec2_transit_gateway.tgw.id}"}
    }
    hub["aws_ec2_transit_gateway_route_table_association"] = {
        "hub": {
            "transit_gateway_attachment_id": "${aws_ec2_transit_gateway_vpc_attachment.att.id}",
            "transit_gateway_route_table_id": "${aws_ec2_transit_gateway_route_table.rt.id}",
        }
    }
    hub["aws_ec2_transit_gateway_route_table_propagation"] = {
        "hub": {
            "transit_gateway_attachment_id": "${aws_ec2_transit_gateway_vpc_attachment.att.id}",
            "transit_gateway_route_table_id": "${aws_ec2_transit_gateway_route_table.rt.id}",
        }
    }
    hub["aws_route"] = {
        "to-spoke": {
            "route_table_id": "${aws_route_table.rt.id}",
            "destination_cidr_block": "10.20.0.0/16",
            "transit_gateway_id": "${aws_ec2_transit_gateway.tgw.id}",
        }
    }
    spoke = _vpc("10.20.0.0/16", "10.20.0.0/20")
    spoke["aws_security_group"] = {"build": {"name": "build", "vpc_id": "${aws_vpc.vpc.id}"}}
    spoke["aws_vpc_security_group_egress_rule"] = {"build-443": _rule("build", 443, cidr_ipv4="10.10.0.0/16")}
    spoke["aws_codebuild_project"] = {
        "build": {
            "name": "build",
            "vpc_config": {"subnets": ["${aws_subnet.a.id}"], "security_group_ids": ["${aws_security_group.build.id}"]},
        }
    }
    remote = "${data.terraform_remote_state.state-hub.outputs.%s}"
    spoke["aws_ec2_transit_gateway_vpc_attachment"] = {
        "att": {"vpc_id": "${aws_vpc.vpc.id}", "transit_gateway_id": remote % "tgw"}
    }
    spoke["aws_route"] = {
        "to-hub": {
            "route_table_id": "${aws_route_table.rt.id}",
            "destination_cidr_block": "10.10.0.0/16",
            "transit_gateway_id": remote % "tgw",
        }
    }
    routing = {
        "aws_ec2_transit_gateway_vpc_attachment_accepter": {
            "accept": {"transit_gateway_attachment_id": "${data.terraform_remote_state.state-spoke.outputs.att}"}
        },
        "aws_ec2_transit_gateway_route_table_association": {
            "spoke": {
                "transit_gateway_attachment_id": ACCEPTED,
                "transit_gateway_route_table_id": remote % "rt",
            }
        },
        "aws_ec2_transit_gateway_route_table_propagation": {
            "spoke": {
                "transit_gateway_attachment_id": ACCEPTED,
                "transit_gateway_route_table_id": remote % "rt",
            }
        },
    }
    state = {
        "terraform_remote_state": {
            "state-hub": {"backend": "local", "config": {"path": "../terraform.hub.tfstate"}},
            "state-spoke": {"backend": "local", "config": {"path": "../terraform.spoke.tfstate"}},
        }
    }
    outputs_hub = {
        "tgw": {"value": "${aws_ec2_transit_gateway.tgw.id}"},
        "rt": {"value": "${aws_ec2_transit_gateway_route_table.rt.id}"},
    }
    return {
        "hub": {"provider": PROVIDER, "resource": hub, "output": outputs_hub},
        "spoke": {
            "provider": PROVIDER,
            "resource": spoke,
            "data": state,
            "output": {"att": {"value": "${aws_ec2_transit_gateway_vpc_attachment.att.id}"}},
        },
        "routing": {"provider": PROVIDER, "resource": routing, "data": state},
    }


def _without(stacks: dict[str, dict[str, Any]], workspace: str, rtype: str, name: str) -> dict[str, dict[str, Any]]:
    changed = copy.deepcopy(stacks)
    del changed[workspace]["resource"][rtype][name]
    return changed


BUILD, LB, APP, DB = "spoke/codebuild:build", "hub/alb:lb", "hub/ecs:app", "hub/database:db"


def test_the_small_network_has_its_flows() -> None:
    network = Network(small())
    verdict = network.reachable(BUILD, LB, 443)
    assert verdict.holds, verdict.because
    assert "rt" in verdict.because and "'build 443'" in verdict.because and "'alb 443'" in verdict.because
    assert network.reachable(APP, DB, 5432).holds


@pytest.mark.parametrize(
    ("workspace", "rtype", "name", "blocked_by"),
    [
        ("spoke", "aws_vpc_security_group_egress_rule", "build-443", "no egress rule of spoke/codebuild:build"),
        ("hub", "aws_vpc_security_group_ingress_rule", "alb-from-spoke", "no ingress rule of hub/alb:lb"),
        ("spoke", "aws_route", "to-hub", "no route to 10.10.0.0/20"),
        ("hub", "aws_route", "to-spoke", "no way back"),
        ("routing", "aws_ec2_transit_gateway_vpc_attachment_accepter", "accept", "never accepted"),
        (
            "routing",
            "aws_ec2_transit_gateway_route_table_association",
            "spoke",
            "associated with no gateway route table",
        ),
        ("routing", "aws_ec2_transit_gateway_route_table_propagation", "spoke", "no way back"),
        ("hub", "aws_lb_listener", "https", "listens on [] only"),
    ],
)
def test_a_missing_piece_breaks_the_flow(workspace: str, rtype: str, name: str, blocked_by: str) -> None:
    stacks = small()
    if rtype == "aws_ec2_transit_gateway_vpc_attachment_accepter":
        # The association and propagation name the attachment through the accepter; point them at
        # the spoke's output directly, as if nobody accepted it.
        for kind in (
            "aws_ec2_transit_gateway_route_table_association",
            "aws_ec2_transit_gateway_route_table_propagation",
        ):
            stacks["routing"]["resource"][kind]["spoke"]["transit_gateway_attachment_id"] = (
                "${data.terraform_remote_state.state-spoke.outputs.att}"
            )
    verdict = Network(_without(stacks, workspace, rtype, name)).reachable(BUILD, LB, 443)
    assert not verdict.holds
    assert blocked_by in verdict.because


def test_a_security_group_reference_admits_only_that_group() -> None:
    network = Network(small())
    assert not network.reachable("hub/alb:lb", DB, 5432).possible
    assert not network.reachable(BUILD, DB, 5432).possible


def test_a_rule_that_covers_part_of_a_subnet_makes_a_flow_possible_but_not_held() -> None:
    stacks = small()
    stacks["hub"]["resource"]["aws_vpc_security_group_ingress_rule"]["alb-from-spoke"]["cidr_ipv4"] = "10.20.0.0/24"
    verdict = Network(stacks).reachable(BUILD, LB, 443)
    assert not verdict.holds and verdict.possible


def test_nothing_reaches_in_from_outside_without_an_internet_gateway() -> None:
    stacks = small()
    network = Network(stacks)
    assert not network.reachable("outside", "hub/vpc", None, "-1").possible
    assert not network.reachable(APP, "internet", None, "-1").possible
    stacks["hub"]["resource"]["aws_internet_gateway"] = {"igw": {"vpc_id": "${aws_vpc.vpc.id}"}}
    stacks["hub"]["resource"]["aws_route"]["default"] = {
        "route_table_id": "${aws_route_table.rt.id}",
        "destination_cidr_block": "0.0.0.0/0",
        "gateway_id": "${aws_internet_gateway.igw.id}",
    }
    opened = Network(stacks)
    assert opened.reachable("outside", "hub/vpc", None, "-1").possible
    assert opened.reachable("hub/vpc", "internet", None, "-1").possible


def test_names_resolve_through_the_private_zone_associated_with_the_vpc() -> None:
    stacks = small()
    stacks["hub"]["resource"]["aws_route53_zone"] = {
        "zone": {"name": "git.example.com", "vpc": [{"vpc_id": "${aws_vpc.vpc.id}"}]}
    }
    stacks["hub"]["resource"]["aws_route53_record"] = {
        "alias": {
            "zone_id": "${aws_route53_zone.zone.zone_id}",
            "name": "git.example.com",
            "type": "A",
            "alias": {"name": "${aws_lb.lb.dns_name}", "zone_id": "${aws_lb.lb.zone_id}"},
        }
    }
    network = Network(stacks)
    assert network.resolves("git.example.com", network.vpc_of("hub")).answer == LB
    assert network.resolves("other.git.example.com", network.vpc_of("hub")).answer == "NXDOMAIN"
    assert network.resolves("git.example.com", network.vpc_of("spoke")).answer == "public DNS"


def test_an_unknown_reference_is_a_clear_error() -> None:
    stacks = small()
    stacks["spoke"]["resource"]["aws_route"]["to-hub"]["route_table_id"] = "${aws_route_table.missing.id}"
    with pytest.raises(FlowModelError, match=r"spoke: aws_route_table.missing is referenced but not defined"):
        Network(stacks)


def test_an_external_redis_needs_the_task_egress_to_its_port() -> None:
    stacks = small()
    checked, _names = check(Network(stacks), "hub", redis_port=6379)
    redis = [row for row in checked if row.flow.dst == EXTERNAL_REDIS]
    assert len(redis) == 1 and not redis[0].ok
    assert "no egress rule of hub/ecs:app admits tcp/6379" in redis[0].verdict.because
    stacks["hub"]["resource"]["aws_vpc_security_group_egress_rule"]["app-to-redis"] = _rule(
        "app", 6379, cidr_ipv4="10.10.0.0/16"
    )
    checked, _names = check(Network(stacks), "hub", redis_port=6379)
    redis = [row for row in checked if row.flow.dst == EXTERNAL_REDIS]
    assert redis[0].ok, redis[0].verdict.because
    assert "managed elsewhere" in redis[0].verdict.because


def test_the_matrix_of_the_small_network() -> None:
    checked, names = check(Network(small()), "hub")
    needed = {(r.flow.src, r.flow.dst, r.flow.port) for r in checked if r.flow.must}
    assert (APP, DB, 5432) in needed and (BUILD, LB, 443) in needed
    assert all(r.ok for r in checked if not r.flow.must), [r.verdict for r in checked if not r.ok]
    assert not names


@pytest.mark.parametrize(
    ("rtype", "body", "message"),
    [
        ("aws_network_acl", {"vpc_id": "${aws_vpc.vpc.id}"}, "aws_network_acl is not modelled"),
        ("aws_ec2_transit_gateway", {"security_group_referencing_support": "enable"}, "security group referencing"),
    ],
)
def test_what_the_model_does_not_know_is_refused(rtype: str, body: dict[str, Any], message: str) -> None:
    stacks = small()
    stacks["hub"]["resource"].setdefault(rtype, {})["extra"] = body
    with pytest.raises(FlowModelError, match=message):
        Network(stacks)
