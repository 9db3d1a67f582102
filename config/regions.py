"""AWS partitions, regions and the Availability Zone names each region offers.

Synthesis must not call AWS (no ``aws_availability_zones`` data source), so the
AZ names that configuration may pin are checked against this table instead.
Source: AWS General Reference, "AWS Regions and Availability Zones"
(docs.aws.amazon.com/global-infrastructure/latest/regions/aws-availability-zones.html).
AZ *names* map to different physical zones per account, but the set of letters a
region offers is the same for every account that is not an older one with a
retired letter (us-east-1 ``e``, us-west-1 ``a``/``b`` vary by account, so all
are accepted there).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

_LETTERS: Mapping[str, str] = MappingProxyType(
    {
        "us-east-1": "abcdef",
        "us-east-2": "abc",
        "us-west-1": "abc",
        "us-west-2": "abcd",
        "af-south-1": "abc",
        "ap-east-1": "abc",
        "ap-east-2": "abc",
        "ap-south-1": "abc",
        "ap-south-2": "abc",
        "ap-southeast-1": "abc",
        "ap-southeast-2": "abc",
        "ap-southeast-3": "abc",
        "ap-southeast-4": "abc",
        "ap-southeast-5": "abc",
        "ap-southeast-7": "abc",
        "ap-northeast-1": "acd",
        "ap-northeast-2": "abcd",
        "ap-northeast-3": "abc",
        "ca-central-1": "abd",
        "ca-west-1": "abc",
        "eu-central-1": "abc",
        "eu-central-2": "abc",
        "eu-west-1": "abc",
        "eu-west-2": "abc",
        "eu-west-3": "abc",
        "eu-south-1": "abc",
        "eu-south-2": "abc",
        "eu-north-1": "abc",
        "il-central-1": "abc",
        "me-south-1": "abc",
        "me-central-1": "abc",
        "mx-central-1": "abc",
        "sa-east-1": "abc",
        "us-gov-west-1": "abc",
        "us-gov-east-1": "abc",
    }
)

KNOWN_REGIONS: tuple[str, ...] = tuple(sorted(_LETTERS))


def partition_of(region: str) -> str:
    """The ARN partition of a region (``aws`` or ``aws-us-gov``)."""
    return "aws-us-gov" if region.startswith("us-gov-") else "aws"


def availability_zones(region: str) -> tuple[str, ...]:
    """Every AZ name the region offers, e.g. ``ap-northeast-1a``."""
    return tuple(f"{region}{letter}" for letter in _LETTERS.get(region, ""))
