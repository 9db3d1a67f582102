"""Rules across fields and files, run after each file has passed the model.

Each rule yields ``Problem``s instead of raising, so the person editing the
files sees all of them in one run.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator, Mapping
from itertools import combinations

from config.arn_checks import check_arns
from config.errors import Problem
from config.gitlab_checks import check_gitlab
from config.model import SMALLEST_SUBNET_PREFIX, Account
from config.name_checks import check_names
from config.network_checks import check_network
from config.operations import check_operations
from config.pipelines import check_delivery
from config.regions import availability_zones

Loaded = Mapping[str, Account]  # file path -> account


def check_all(accounts: Loaded, all_read: bool = True) -> list[Problem]:
    """Run every rule. Accounts may be partial (see ``config.loader``): a rule that
    needs a field that failed its own validation is skipped for that account, since
    that field already has its problem reported."""
    problems: list[Problem] = []
    for path, account in accounts.items():
        for rule in (
            _network,
            _deploy_role,
            _hostname_by_role,
            check_delivery,
            check_gitlab,
            check_operations,
            check_names,
            check_arns,
        ):
            try:
                problems.extend(rule(path, account))
            except AttributeError:
                continue
    # A file that could not be read or has no valid role is reported already; the
    # tooling count would only be a second, misleading message about it.
    if all_read and len(_having(accounts, "role")) == len(accounts):
        problems.extend(_roles(accounts))
    problems.extend(_unique(_having(accounts, "account_id"), "account_id", lambda a: a.account_id))
    problems.extend(_unique(_having(accounts, "workspace"), "workspace", lambda a: a.name))
    problems.extend(_vpc_overlaps(_having(accounts, "network", "vpc_cidr")))
    problems.extend(
        _same_region({p: a for p, a in _having(accounts, "role").items() if p in _having(accounts, "region")})
    )
    problems.extend(check_network(accounts))
    return problems


def _having(accounts: Loaded, *path: str) -> dict[str, Account]:
    """The accounts whose field at ``path`` is valid."""
    kept = {}
    for file, account in accounts.items():
        value: object = account
        for name in path:
            value = getattr(value, name, None)
        if value is not None:
            kept[file] = account
    return kept


def _network(path: str, account: Account) -> Iterator[Problem]:
    net = account.network
    zones = net.availability_zones
    offered = availability_zones(account.region)
    if len(set(zones)) < 2:
        yield Problem(
            path,
            "network.availability_zones",
            f"{len(set(zones))} distinct AZ configured; at least two are required",
            f"list two or more AZs of {account.region}, e.g. {', '.join(offered[:2])}",
        )
    for index, zone in enumerate(zones):
        if zone not in offered:
            yield Problem(
                path,
                f"network.availability_zones[{index}]",
                f"'{zone}' is not an AZ of the account's region {account.region}",
                f"choose from {', '.join(offered)}",
            )
        if zones.index(zone) != index:
            yield Problem(
                path,
                f"network.availability_zones[{index}]",
                f"'{zone}' is listed twice",
                "list each AZ once",
            )
    yield from _subnets(path, account)


def _subnets(path: str, account: Account) -> Iterator[Problem]:
    net = account.network
    vpc = ipaddress.IPv4Network(net.vpc_cidr)
    if net.subnet_cidrs is None:
        prefix = vpc.prefixlen + net.subnet_newbits
        if prefix > SMALLEST_SUBNET_PREFIX:
            yield Problem(
                path,
                "network.subnet_newbits",
                f"{net.vpc_cidr} plus {net.subnet_newbits} bits gives /{prefix} subnets, "
                f"smaller than AWS's /{SMALLEST_SUBNET_PREFIX} minimum",
                f"use subnet_newbits of at most {SMALLEST_SUBNET_PREFIX - vpc.prefixlen}",
            )
        elif len(net.availability_zones) > 2**net.subnet_newbits:
            yield Problem(
                path,
                "network.subnet_newbits",
                f"{2**net.subnet_newbits} subnets fit, {len(net.availability_zones)} AZs need one each",
                "raise subnet_newbits or list fewer AZs",
            )
        return
    configured = set(net.subnet_cidrs)
    for zone in sorted(set(net.availability_zones) - configured):
        yield Problem(
            path,
            "network.subnet_cidrs",
            f"no subnet for AZ '{zone}'",
            "give every AZ in availability_zones a subnet CIDR, or drop subnet_cidrs",
        )
    for zone in sorted(configured - set(net.availability_zones)):
        yield Problem(
            path,
            f"network.subnet_cidrs.{zone}",
            f"'{zone}' is not one of availability_zones",
            "key subnet_cidrs by the AZ names listed in availability_zones",
        )
    blocks = {zone: ipaddress.IPv4Network(cidr) for zone, cidr in net.subnet_cidrs.items()}
    for zone, block in blocks.items():
        if not block.subnet_of(vpc):
            yield Problem(
                path,
                f"network.subnet_cidrs.{zone}",
                f"{block} is not inside the VPC {vpc}",
                f"choose a block inside {vpc}",
            )
        elif block.prefixlen > SMALLEST_SUBNET_PREFIX:
            yield Problem(
                path,
                f"network.subnet_cidrs.{zone}",
                f"{block} is smaller than AWS's /{SMALLEST_SUBNET_PREFIX} minimum",
                f"use a prefix of /{SMALLEST_SUBNET_PREFIX} or larger",
            )
    for (zone_a, a), (zone_b, b) in combinations(sorted(blocks.items()), 2):
        if a.overlaps(b):
            yield Problem(
                path,
                f"network.subnet_cidrs.{zone_b}",
                f"{b} overlaps the subnet of {zone_a} ({a})",
                "give each AZ its own block",
            )


def _deploy_role(path: str, account: Account) -> Iterator[Problem]:
    arn = account.deploy_role_arn
    if arn is not None and arn.split(":")[4] != account.account_id:
        yield Problem(
            path,
            "deploy_role_arn",
            f"role is in account {arn.split(':')[4]}, not this file's account {account.account_id}",
            "name the deploy role that lives in this account",
        )


def _hostname_by_role(path: str, account: Account) -> Iterator[Problem]:
    if account.role == "tooling" and account.gitlab_hostname is None:
        yield Problem(
            path,
            "gitlab_hostname",
            "the tooling account needs GitLab's host name",
            "set gitlab_hostname, e.g. gitlab.example.com; GitLab's external_url is https://<it>",
        )
    if account.role == "target" and account.gitlab_hostname is not None:
        yield Problem(
            path,
            "gitlab_hostname",
            "only the tooling account runs GitLab",
            "remove gitlab_hostname here; target accounts take it from the tooling account",
        )


def _roles(accounts: Loaded) -> Iterator[Problem]:
    tooling = [path for path, account in accounts.items() if account.role == "tooling"]
    if len(tooling) != 1:
        found = ", ".join(tooling) or "none"
        for path in tooling or ["environments/"]:
            yield Problem(
                path,
                "role" if tooling else "",
                f"exactly one account must have role: tooling; found {len(tooling)} ({found})",
                "GitLab and the Transit Gateway live in one tooling account; give the others role: target",
            )


def _unique(accounts: Loaded, field: str, key: object) -> Iterator[Problem]:
    seen: dict[str, str] = {}
    for path, account in accounts.items():
        value = key(account)  # type: ignore[operator]
        if value in seen:
            yield Problem(
                path,
                field,
                f"'{value}' is already used by {seen[value]}",
                f"every account needs its own {field}",
            )
        else:
            seen[value] = path


def _vpc_overlaps(accounts: Loaded) -> Iterator[Problem]:
    networks = [(path, ipaddress.IPv4Network(a.network.vpc_cidr)) for path, a in accounts.items()]
    for first, second in combinations(networks, 2):
        # Reported on the target when one side is the tooling account: that is the
        # file to change, since the tooling VPC is what every target routes to.
        if getattr(accounts[second[0]], "role", None) == "tooling":
            first, second = second, first  # noqa: PLW2901
        (path_a, a), (path_b, b) = first, second
        if a.overlaps(b):
            owner = "the tooling VPC" if getattr(accounts[path_a], "role", None) == "tooling" else "the VPC"
            yield Problem(
                path_b,
                "network.vpc_cidr",
                f"{b} overlaps {owner} {a} of {path_a}",
                "accounts are joined by a Transit Gateway, so every VPC needs its own range",
            )


def _same_region(accounts: Loaded) -> Iterator[Problem]:
    """Every target in the tooling account's region: a Transit Gateway attaches VPCs of
    its own region only ("Transit gateway attachments to a VPC", Amazon VPC Transit
    Gateways guide), and nothing here peers a second one; the CodeConnections host,
    and so every pipeline, is in that region too."""
    tooling = [(path, a) for path, a in accounts.items() if a.role == "tooling"]
    if len(tooling) != 1:
        return  # reported by _roles
    tooling_path, hub = tooling[0]
    for path, account in accounts.items():
        if account.role == "target" and account.region != hub.region:
            yield Problem(
                path,
                "region",
                f"{account.region} is not the tooling account's region {hub.region} ({tooling_path}); "
                "the Transit Gateway is regional and nothing peers it, so this VPC could not attach",
                f"set region: {hub.region}; to deploy into {account.region}, keep the account in {hub.region} "
                f"and give its pipelines deploy.region: {account.region} (docs/pipelines.md)",
            )
