"""Cross-field and cross-file rules of the multi-account network (``config.transit``).

Run by ``config.checks.check_all``; like the rules there, each yields every problem
it finds instead of raising.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator, Mapping

from config.errors import Problem
from config.model import Account
from config.workspaces import gitlab_workspace, hub_routing_workspace

Loaded = Mapping[str, Account]  # file path -> account


def check_network(accounts: Loaded) -> Iterator[Problem]:
    for path, account in accounts.items():
        for rule in (_tooling_only, _vpn_zones):
            try:
                yield from rule(path, account)
            except AttributeError:  # a field failed its own validation and is reported already
                continue
    yield from _vpn_overlaps(accounts)
    yield from _reserved_workspace(accounts)


def _tooling_only(path: str, account: Account) -> Iterator[Problem]:
    if account.role != "target":
        return
    hints = {
        "transit_gateway": ("the Transit Gateway", "target accounts attach to the tooling account's Transit Gateway"),
        "client_vpn": (
            "Client VPN",
            "VPN users reach target VPCs through the tooling account (client_vpn.target_vpcs)",
        ),
    }
    for field, (what, why) in hints.items():
        if getattr(account, field) is not None:
            yield Problem(path, field, f"{what} belongs to the tooling account", f"remove {field} here; {why}")


def _vpn_zones(path: str, account: Account) -> Iterator[Problem]:
    vpn = account.client_vpn
    if account.role != "tooling" or vpn is None or vpn.availability_zones is None:
        return
    zones = vpn.availability_zones
    configured = account.network.availability_zones
    for index, zone in enumerate(zones):
        if zone not in configured:
            yield Problem(
                path,
                f"client_vpn.availability_zones[{index}]",
                f"'{zone}' is not one of network.availability_zones",
                f"choose from {', '.join(configured)}; the endpoint is associated with that AZ's private subnet",
            )
    if len(set(zones)) < 2:
        yield Problem(
            path,
            "client_vpn.availability_zones",
            f"{len(set(zones))} distinct AZ configured; Client VPN needs subnets in at least two",
            "list two or more AZs (or omit the list to use every AZ): one AZ down would cut off every user",
        )


def _vpn_overlaps(accounts: Loaded) -> Iterator[Problem]:
    for path, account in accounts.items():
        vpn = getattr(account, "client_vpn", None)
        cidr = getattr(vpn, "client_cidr", None)
        if cidr is None:
            continue
        clients = ipaddress.IPv4Network(cidr)
        for other_path, other in accounts.items():
            vpc_cidr = getattr(getattr(other, "network", None), "vpc_cidr", None)
            if vpc_cidr is not None and clients.overlaps(ipaddress.IPv4Network(vpc_cidr)):
                yield Problem(
                    path,
                    "client_vpn.client_cidr",
                    f"VPN client CIDR {clients} overlaps the VPC {vpc_cidr} of {other_path}",
                    "choose a client range that no VPC of any account uses, e.g. 10.250.0.0/22; "
                    "a client address inside a VPC range could not be routed back",
                )


def _reserved_workspace(accounts: Loaded) -> Iterator[Problem]:
    tooling = [a for a in accounts.values() if getattr(a, "role", None) == "tooling" and a.workspace]
    if len(tooling) != 1:
        return
    reserved = {
        hub_routing_workspace(tooling[0].name): "hub-routing",
        # Reserved whether or not environments/gitlab.yaml exists yet, so adding it later never clashes.
        gitlab_workspace(tooling[0].name): "GitLab",
    }
    for path, account in accounts.items():
        name = getattr(account, "workspace", None)
        if name in reserved:
            yield Problem(
                path,
                "workspace",
                f"'{name}' is the tooling account's {reserved[name]} workspace",
                "rename this file or set another workspace:",
            )
