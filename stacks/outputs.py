"""Outputs that one workspace exports and another reads through its state.

Only identifiers, ARNs and DNS names: nothing here is a secret, since every reader of
a state can read all of its outputs.
"""

from __future__ import annotations

from stacks.base import Output

# tooling
TOOLING_VPC_ID = Output("vpc_id", "Tooling VPC ID.")
TRANSIT_GATEWAY_ID = Output("transit_gateway_id", "ID of the Transit Gateway hub, shared with the target accounts.")
TRANSIT_GATEWAY_SHARE_ARN = Output(
    "transit_gateway_share_arn", "ARN of the RAM share of the Transit Gateway (accepted by targets in accounts mode)."
)
HUB_ROUTE_TABLE_ID = Output(
    "transit_gateway_hub_route_table_id",
    "Transit Gateway route table of the tooling attachment: routes to every target.",
)
SPOKES_ROUTE_TABLE_ID = Output(
    "transit_gateway_spokes_route_table_id",
    "Transit Gateway route table of every target attachment: a route to the tooling VPC only.",
)
GITLAB_ALB_DNS_NAME = Output("gitlab_alb_dns_name", "DNS name of GitLab's internal load balancer.")
GITLAB_ALB_ZONE_ID = Output("gitlab_alb_zone_id", "Canonical hosted zone ID of GitLab's internal load balancer.")
CLIENT_VPN_ENDPOINT_ID = Output("client_vpn_endpoint_id", "Client VPN endpoint (download its client configuration).")
CLIENT_VPN_SECURITY_GROUP_ID = Output(
    "client_vpn_security_group_id", "Security group of the Client VPN endpoint, admitted by GitLab's load balancer."
)


def connection_arn(target: str) -> Output:
    """The GitLab connection of one target workspace, on the tooling account's host."""
    return Output(
        f"codeconnections_connection_arn_{target.replace('-', '_')}",
        f"GitLab connection of the {target} workspace (shared with its account through AWS RAM).",
    )


def connection_share_arn(target: str) -> Output:
    """The RAM share of that connection (accepted by the target in accounts mode)."""
    return Output(
        f"codeconnections_share_arn_{target.replace('-', '_')}",
        f"RAM share of the {target} workspace's GitLab connection (accepted by the target in accounts mode).",
    )


# every target
TARGET_VPC_ID = Output("vpc_id", "Target VPC ID.")
TRANSIT_GATEWAY_ATTACHMENT_ID = Output(
    "transit_gateway_attachment_id", "This VPC's Transit Gateway attachment, placed by the hub-routing workspace."
)
