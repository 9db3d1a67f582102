"""Following values across workspaces in synthesized JSON, to reason about routing.

A value read through ``terraform_remote_state`` is followed to the producing
workspace's output and from there to the resource it names, so that an attachment
or route table is identified by (workspace, resource) wherever it is used.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from tests.support.terraform import producer_workspace

Stacks = Mapping[str, Mapping[str, Any]]
_REMOTE = re.compile(r"\$\{data\.terraform_remote_state\.([\w-]+)\.outputs\.(\w+)\}")
_ACCEPTED = re.compile(
    r"\$\{aws_ec2_transit_gateway_vpc_attachment_accepter\.([\w-]+)\.transit_gateway_attachment_id\}"
)
_RESOURCE = re.compile(r"\$\{([a-z0-9_]+)\.([\w-]+)\.id\}")


def resolve(stacks: Stacks, workspace: str, value: str) -> tuple[str, str]:
    """(workspace, "type.name") of the resource whose ID ``value`` is."""
    remote = _REMOTE.fullmatch(value)
    if remote:
        config = stacks[workspace]["data"]["terraform_remote_state"][remote.group(1)]["config"]
        producer = producer_workspace(config)
        return resolve(stacks, producer, stacks[producer]["output"][remote.group(2)]["value"])
    accepted = _ACCEPTED.fullmatch(value)
    if accepted:
        accepter = stacks[workspace]["resource"]["aws_ec2_transit_gateway_vpc_attachment_accepter"][accepted.group(1)]
        return resolve(stacks, workspace, accepter["transit_gateway_attachment_id"])
    resource = _RESOURCE.fullmatch(value)
    assert resource, f"cannot follow {value!r} in {workspace}"
    return workspace, f"{resource.group(1)}.{resource.group(2)}"


def transit_reachability(stacks: Stacks) -> dict[str, set[str]]:
    """For each attached VPC (named by its workspace), the VPCs the Transit Gateway
    forwards its traffic to: the propagations into the route table its attachment
    is associated with. Static gateway routes are not expected and fail here."""
    attachments: dict[tuple[str, str], str] = {}
    associations: dict[str, tuple[str, str]] = {}
    propagations: dict[tuple[str, str], set[str]] = {}
    for workspace, stack in stacks.items():
        assert "aws_ec2_transit_gateway_route" not in stack.get("resource", {}), workspace
        for name in stack.get("resource", {}).get("aws_ec2_transit_gateway_vpc_attachment", {}):
            attachments[(workspace, f"aws_ec2_transit_gateway_vpc_attachment.{name}")] = workspace
    for workspace, stack in stacks.items():
        found = stack.get("resource", {})
        for association in found.get("aws_ec2_transit_gateway_route_table_association", {}).values():
            vpc = attachments[resolve(stacks, workspace, association["transit_gateway_attachment_id"])]
            assert vpc not in associations, f"{vpc} is associated twice"
            associations[vpc] = resolve(stacks, workspace, association["transit_gateway_route_table_id"])
        for propagation in found.get("aws_ec2_transit_gateway_route_table_propagation", {}).values():
            vpc = attachments[resolve(stacks, workspace, propagation["transit_gateway_attachment_id"])]
            table = resolve(stacks, workspace, propagation["transit_gateway_route_table_id"])
            propagations.setdefault(table, set()).add(vpc)
    assert set(associations) == set(attachments.values()), "every attachment needs a route table"
    return {vpc: propagations.get(table, set()) - {vpc} for vpc, table in associations.items()}


def vpc_routes_to_gateway(stack: Mapping[str, Any]) -> dict[str, set[str]]:
    """Route table name -> destination CIDRs sent to a Transit Gateway."""
    routes: dict[str, set[str]] = {name: set() for name in stack.get("resource", {}).get("aws_route_table", {})}
    for route in stack.get("resource", {}).get("aws_route", {}).values():
        if "transit_gateway_id" in route:
            table = re.fullmatch(r"\$\{aws_route_table\.([\w-]+)\.id\}", route["route_table_id"])
            assert table, route
            routes[table.group(1)].add(route["destination_cidr_block"])
    return routes
