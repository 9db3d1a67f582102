"""Typed model of one AWS account's configuration file in ``environments/``.

The model checks the shape and syntax of a single file; rules that need several
fields or several files (overlaps, AZs inside the region, exactly one tooling
account) live in ``config.checks`` so that every problem is reported at once.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field
from pydantic_core import PydanticCustomError

from config.gitlab import GitLabConfig
from config.operations import Operations
from config.pipelines import Delivery
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


class Strict(BaseModel):
    """Unknown keys are errors (a typo must not silently fall back to a default)."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class FlowLogs(Strict):
    """VPC flow logs, delivered to a KMS-encrypted CloudWatch log group."""

    retention_days: RetentionDays = Field(
        365, description="Days CloudWatch keeps flow-log records (at least a year for audits)."
    )
    traffic_type: Literal["ALL", "ACCEPT", "REJECT"] = Field("ALL", description="Which traffic the flow log records.")


class Network(Strict):
    """The account's VPC. Subnets are private only; there is no internet gateway."""

    vpc_cidr: VpcCidr = Field(description="IPv4 CIDR of the VPC, /16 to /26.")
    availability_zones: tuple[str, ...] = Field(
        description="AZ names in the account's region, at least two; pinned so synthesis never asks AWS."
    )
    subnet_newbits: int = Field(
        4,
        ge=1,
        le=12,
        description="Bits added to the VPC prefix for each private subnet (a /16 with 4 gives "
        "/20 subnets). Ignored where subnet_cidrs is set.",
    )
    subnet_cidrs: dict[str, Cidr] | None = Field(
        None,
        description="Explicit private subnet CIDR per AZ name, instead of computing them from vpc_cidr.",
    )
    flow_logs: FlowLogs = Field(default_factory=FlowLogs)  # type: ignore[arg-type]

    @property
    def private_subnets(self) -> dict[str, str]:
        """AZ name -> private subnet CIDR, in the order the AZs are configured."""
        if self.subnet_cidrs is not None:
            return {az: self.subnet_cidrs[az] for az in self.availability_zones}
        return {
            az: carve(self.vpc_cidr, self.subnet_newbits, index) for index, az in enumerate(self.availability_zones)
        }


def carve(vpc_cidr: str, newbits: int, index: int) -> str:
    """The ``index``-th block of ``newbits`` extra prefix bits (Terraform's cidrsubnet)."""
    vpc = ipaddress.IPv4Network(vpc_cidr)
    size = 2 ** (32 - vpc.prefixlen - newbits)
    return str(ipaddress.IPv4Network((int(vpc.network_address) + index * size, vpc.prefixlen + newbits)))


class Account(Strict):
    """One AWS account: one Terraform workspace."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        json_schema_extra={"title": "AWS account configuration (environments/<workspace>.yaml)"},
    )

    workspace: Name | None = Field(
        None,
        description="Terraform workspace (stack) name. Defaults to the file name without .yaml.",
    )
    role: Literal["tooling", "target"] = Field(
        description="tooling runs GitLab and the Transit Gateway (exactly one account); target accounts run pipelines."
    )
    account_id: AccountId = Field(description="12-digit AWS account ID, quoted.")
    region: Region = Field(description="AWS region of the account's resources.")
    deploy_role_arn: RoleArn | None = Field(
        None,
        description="IAM role Terraform assumes in this account. Omit to use the caller's credentials as they are.",
    )
    name_prefix: Name = Field("gitlab", description="Prefix of every physical resource name in this account.")
    tags: dict[str, str] = Field(
        default_factory=dict,
        description="Extra tags applied to every resource through the provider's default_tags.",
    )
    gitlab_hostname: Hostname | None = Field(
        None,
        description="Tooling account only: the fully qualified host name of GitLab (https://<this>), "
        "resolved privately to the internal load balancer.",
    )
    network: Network
    transit_gateway: TransitGatewayConfig | None = Field(
        None, description="Tooling account only: the Transit Gateway hub (defaults apply when omitted)."
    )
    client_vpn: ClientVpnConfig | None = Field(
        None, description="Tooling account only: Client VPN for people; omitted: no VPN endpoint."
    )
    delivery: Delivery | None = Field(None, description="Target accounts: CodeConnections to GitLab and pipelines.")
    gitlab: GitLabConfig | None = Field(None, description="Tooling account only: GitLab CE on ECS Fargate.")
    operations: Operations | None = Field(
        None, description="Tooling account only: mail, alarms, backups (docs/operations.md)."
    )

    @property
    def name(self) -> str:
        """The workspace name (set by the loader from the file name when omitted)."""
        assert self.workspace is not None, "the loader sets workspace"
        return self.workspace


# The network sections refer to the types above; imported last to avoid a cycle.
from config.transit import ClientVpnConfig, TransitGatewayConfig  # noqa: E402

Account.model_rebuild()
