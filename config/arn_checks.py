"""Rules AWS enforces between an ARN or a tag and the account that uses it.

* An ARN's partition is its region's (``aws``, ``aws-cn``, ``aws-us-gov``): an
  ``arn:aws:`` ARN can never name a resource of a GovCloud account, and the
  other way round ("Amazon Resource Names (ARNs)", AWS General Reference).
* Client VPN uses server and client-CA certificates from ACM in its own region
  and account ("Authentication", AWS Client VPN Administrator Guide).
* Tags: keys of 1 to 128 and values of up to 256 Unicode characters, letters,
  digits, spaces and ``_ . : / = + - @``; the ``aws:`` prefix is reserved; at most
  50 user tags on a resource, the provider's default_tags and the resource's own
  together ("Tag naming limits and requirements", Tagging AWS Resources).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel

from config.errors import Problem
from config.model import Account
from config.regions import KNOWN_REGIONS, partition_of

TAG_KEY_LENGTH = 128
TAG_VALUE_LENGTH = 256
TAGS_PER_RESOURCE = 50
# Keys every resource may carry besides an account's ``tags``: the stacks' default_tags
# (stacks/base.py) and the constructs' own (Name, Tier). tests/test_app.py checks the
# synthesized workspaces against this, so the count below cannot fall behind them.
BUILT_IN_TAG_KEYS = frozenset({"Project", "Workspace", "ManagedBy", "Name", "Tier"})
_TAG_PUNCTUATION = set("_.:/=+-@")


def _arns(value: Any, field: str) -> Iterator[tuple[str, str]]:
    """(field, ARN) of every ARN anywhere in a (partial) model."""
    if isinstance(value, str):
        if value.startswith("arn:"):
            yield field, value
    elif isinstance(value, BaseModel):
        for name in type(value).model_fields:
            if name in value.__dict__:
                yield from _arns(value.__dict__[name], f"{field}.{name}" if field else name)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _arns(item, f"{field}.{key}")
    elif isinstance(value, tuple | list):
        for index, item in enumerate(value):
            yield from _arns(item, f"{field}[{index}]")


def arn_partition_problem(file: str, field: str, arn: str, home_region: str) -> Problem | None:
    """The problem when ``arn``'s partition is not that of its own region (or, without one, ``home_region``)."""
    parts = arn.split(":")
    if len(parts) < 6:
        return None  # not an ARN: its own validator says so
    region = parts[3] if parts[3] in KNOWN_REGIONS else home_region
    expected = partition_of(region)
    if parts[1] == expected:
        return None
    whose = f"its region {region}" if region == parts[3] else f"this account's region {region}"
    return Problem(
        file,
        field,
        f"'{arn}' is in partition {parts[1]}, but {whose} is in partition {expected}",
        f"write it as arn:{expected}:{':'.join(parts[2:])}",
    )


def check_arns(path: str, account: Account) -> Iterator[Problem]:
    for field, arn in _arns(account, ""):
        problem = arn_partition_problem(path, field, arn, account.region)
        if problem is not None:
            yield problem
    yield from _vpn_certificates(path, account)
    yield from _tags(path, account)


def _vpn_certificates(path: str, account: Account) -> Iterator[Problem]:
    vpn = account.client_vpn
    if vpn is None or account.role != "tooling":
        return  # a target's client_vpn is reported as misplaced (config.network_checks)
    certificates = {"client_vpn.server_certificate_arn": vpn.server_certificate_arn}
    chain = getattr(vpn.authentication, "client_root_certificate_chain_arn", None)
    if chain is not None:
        certificates["client_vpn.authentication.client_root_certificate_chain_arn"] = chain
    for field, arn in certificates.items():
        region, owner = arn.split(":")[3:5]
        if (region, owner) != (account.region, account.account_id):
            yield Problem(
                path,
                field,
                f"certificate is in {owner} {region}, not this account's {account.account_id} {account.region}",
                "Client VPN uses ACM certificates of its own account and region; import the certificate there "
                "(docs/network.md)",
            )


def tag_problems(path: str, field: str, tags: dict[str, str]) -> Iterator[Problem]:
    """AWS's limits on tag keys and values."""

    def bad_characters(text: str) -> str:
        return "".join(sorted({c for c in text if not (c.isalnum() or c == " " or c in _TAG_PUNCTUATION)}))

    for key, value in tags.items():
        where = f"{field}.{key}"
        if not key or len(key) > TAG_KEY_LENGTH:
            yield Problem(
                path,
                where,
                f"tag key is {len(key)} characters; AWS allows 1 to {TAG_KEY_LENGTH}",
                "shorten the tag key",
            )
        if key.lower().startswith("aws:"):
            yield Problem(path, where, "tag keys starting with 'aws:' are reserved for AWS", "drop the aws: prefix")
        if len(value) > TAG_VALUE_LENGTH:
            yield Problem(
                path,
                where,
                f"tag value is {len(value)} characters; AWS allows at most {TAG_VALUE_LENGTH}",
                "shorten the tag value",
            )
        for what, text in (("key", key), ("value", value)):
            bad = bad_characters(text)
            if bad:
                yield Problem(
                    path,
                    where,
                    f"tag {what} contains {bad!r}, which AWS does not allow in tags",
                    "use letters, digits, spaces and _ . : / = + - @ only",
                )


def _tags(path: str, account: Account) -> Iterator[Problem]:
    yield from tag_problems(path, "tags", account.tags)
    total = len(BUILT_IN_TAG_KEYS | set(account.tags))
    if total > TAGS_PER_RESOURCE:
        room = TAGS_PER_RESOURCE - len(BUILT_IN_TAG_KEYS)
        yield Problem(
            path,
            "tags",
            f"{len(account.tags)} tags make {total} on a resource with the built-in "
            f"{', '.join(sorted(BUILT_IN_TAG_KEYS))}; AWS allows {TAGS_PER_RESOURCE}",
            f"keep at most {room} tags of your own (more of the built-in keys may be set here without counting)",
        )
