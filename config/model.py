"""Typed model of one AWS account's configuration file in ``environments/``.

The model checks the shape and syntax of a single file; rules that need several
fields or several files (overlaps, AZs inside the region, exactly one tooling
account) live in ``config.checks`` so that every problem is reported at once.
"""

from __future__ import annotations

import ipaddress
from typing import Literal

from pydantic import ConfigDict, Field

from config.gitlab import GitLabConfig
from config.operations import Operations
from config.pipelines import Delivery
from config.transit import ClientVpnConfig, TransitGatewayConfig
from config.types import (
    LARGEST_VPC_PREFIX,
    SMALLEST_SUBNET_PREFIX,
    AccountId,
    Cidr,
    Hostname,
    Name,
    Region,
    RetentionDays,
    RoleArn,
    Strict,
    VpcCidr,
    problem,
)

__all__ = [
    "LARGEST_VPC_PREFIX",
    "SMALLEST_SUBNET_PREFIX",
    "Account",
    "Cidr",
    "Network",
    "Region",
    "RetentionDays",
    "RoleArn",
    "Strict",
    "problem",
]


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
