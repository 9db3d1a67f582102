"""Field types and the strict base model every configuration section shares.

Kept apart from ``config.model`` so that section modules (``config.gitlab``,
``config.pipelines``, ``config.transit``) can use them without importing the
account model that imports them.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field
from pydantic_core import PydanticCustomError

from config.regions import KNOWN_REGIONS

# AWS accepts VPC and subnet blocks from /16 to /28
# ("VPC CIDR blocks", Amazon VPC User Guide).
SMALLEST_SUBNET_PREFIX = 28
LARGEST_VPC_PREFIX = 16


def problem(kind: str, message: str, hint: str, **values: Any) -> PydanticCustomError:
    """A validation error that carries a hint for the person editing the file."""
    return PydanticCustomError(kind, message, {"hint": hint, **values})


def _account_id(value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        raise problem(
            "account_id_unquoted",
            "account ID was read as a number, not text",
            'quote it, e.g. account_id: "012345678901"; YAML reads bare digits as an integer and drops leading zeros',
        )
    if not isinstance(value, str) or not re.fullmatch(r"[0-9]{12}", value):
        raise problem(
            "account_id",
            "'{value}' is not a 12-digit AWS account ID",
            "an AWS account ID is exactly 12 digits, written in quotes",
            value=value,
        )
    return value


def _region(value: str) -> str:
    if value not in KNOWN_REGIONS:
        raise problem(
            "region",
            "'{value}' is not a known AWS region",
            "use a region code such as ap-northeast-1; known: " + ", ".join(KNOWN_REGIONS),
            value=value,
        )
    return value


def _cidr(value: str) -> str:
    try:
        network = ipaddress.IPv4Network(value, strict=True)
    except ValueError as error:
        raise problem(
            "cidr",
            "'{value}' is not an IPv4 CIDR block ({reason})",
            "write the network address and prefix, e.g. 10.10.0.0/16, with no host bits set",
            value=value,
            reason=str(error),
        ) from None
    return str(network)


def _vpc_cidr(value: str) -> str:
    prefix = ipaddress.IPv4Network(value).prefixlen
    if not LARGEST_VPC_PREFIX <= prefix <= SMALLEST_SUBNET_PREFIX - 2:
        raise problem(
            "vpc_cidr_size",
            "VPC CIDR {value} has prefix /{prefix}, outside /16 to /26",
            "AWS allows VPCs from /16 to /28 and this project needs room for a subnet per AZ",
            value=value,
            prefix=prefix,
        )
    return value


def _role_arn(value: str) -> str:
    if not re.fullmatch(r"arn:aws(-us-gov)?:iam::[0-9]{12}:role/[\w+=,.@/-]{1,512}", value):
        raise problem(
            "role_arn",
            "'{value}' is not an IAM role ARN",
            "use the form arn:aws:iam::123456789012:role/terraform-deploy",
            value=value,
        )
    return value


def _hostname(value: str) -> str:
    labels = value.split(".")
    label = re.compile(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?")
    if len(value) > 253 or len(labels) < 2 or not all(label.fullmatch(part) for part in labels):
        raise problem(
            "hostname",
            "'{value}' is not a fully qualified host name",
            "lowercase DNS labels separated by dots, e.g. gitlab.example.com",
            value=value,
        )
    return value


AccountId = Annotated[str, BeforeValidator(_account_id)]
Hostname = Annotated[str, AfterValidator(_hostname)]
Region = Annotated[str, AfterValidator(_region)]
Cidr = Annotated[str, AfterValidator(_cidr)]
VpcCidr = Annotated[str, AfterValidator(_cidr), AfterValidator(_vpc_cidr)]
RoleArn = Annotated[str, AfterValidator(_role_arn)]
Name = Annotated[str, Field(pattern=r"^[a-z]([a-z0-9-]{0,22}[a-z0-9])?$")]
# CloudWatch Logs accepts only these retention values (PutRetentionPolicy API).
RetentionDays = Literal[
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557,
    2922, 3288, 3653,
]  # fmt: skip


# YAML's true and false only: pydantic alone would also take 1, "yes" and "on" and read them
# as booleans, which hides a value meant for another key (or a typo) behind a silent true.
Flag = Annotated[bool, Field(strict=True)]


class Strict(BaseModel):
    """Unknown keys are errors (a typo must not silently fall back to a default)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
