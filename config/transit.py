"""Configuration of the multi-account network of the tooling account: the Transit
Gateway hub, how it is shared with the target accounts, and Client VPN.

Rules that need other fields or other files (the VPN client CIDR against every VPC,
subnets of the VPN inside the configured AZs, these sections only on the tooling
account) live in ``config.network_checks``.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated, Literal

from pydantic import AfterValidator, Field

from config.types import Cidr, Flag, RetentionDays, Strict, problem

# Client VPN accepts client CIDR blocks from /22 to /12 ("Client CIDR range",
# AWS Client VPN Administrator Guide, "Rules and best practices").
VPN_CIDR_LARGEST_PREFIX = 12
VPN_CIDR_SMALLEST_PREFIX = 22
# Private ASN ranges a Transit Gateway accepts (CreateTransitGateway, AmazonSideAsn).
PRIVATE_ASN_16 = (64512, 65534)
PRIVATE_ASN_32 = (4200000000, 4294967294)


def _asn(value: int) -> int:
    if not (PRIVATE_ASN_16[0] <= value <= PRIVATE_ASN_16[1] or PRIVATE_ASN_32[0] <= value <= PRIVATE_ASN_32[1]):
        raise problem(
            "asn",
            "{value} is not a private ASN",
            "use 64512-65534 or 4200000000-4294967294; the Transit Gateway's ASN must not be one your "
            "on-premises routers use",
            value=value,
        )
    return value


def _vpn_cidr(value: str) -> str:
    prefix = ipaddress.IPv4Network(value).prefixlen
    if not VPN_CIDR_LARGEST_PREFIX <= prefix <= VPN_CIDR_SMALLEST_PREFIX:
        raise problem(
            "vpn_cidr_size",
            "client CIDR {value} has prefix /{prefix}, outside /12 to /22",
            "AWS Client VPN needs a client CIDR between /12 and /22, e.g. 10.250.0.0/22",
            value=value,
            prefix=prefix,
        )
    return value


def _arn(service: str, resource: str, example: str) -> AfterValidator:
    pattern = re.compile(rf"arn:aws(-[a-z]+)*:{service}:[a-z0-9-]*:[0-9]{{12}}:{resource}")

    def check(value: str) -> str:
        if not pattern.fullmatch(value):
            raise problem(
                f"{service}_arn",
                "'{value}' is not " + example.split(",", maxsplit=1)[0],
                "use the full ARN, " + example,
                value=value,
            )
        return value

    return AfterValidator(check)


CertificateArn = Annotated[
    str,
    _arn(
        "acm",
        r"certificate/[0-9a-f-]{36}",
        "an ACM certificate ARN, e.g. arn:aws:acm:ap-northeast-1:111111111111:certificate/<uuid> "
        "(see docs/network.md for importing easy-rsa certificates)",
    ),
]
SamlProviderArn = Annotated[
    str,
    _arn(
        "iam",
        r"saml-provider/[\w+=,.@-]{1,128}",
        "an IAM SAML provider ARN, e.g. arn:aws:iam::111111111111:saml-provider/idp",
    ),
]


class TransitGatewayConfig(Strict):
    """The hub that joins the tooling VPC and every target VPC."""

    amazon_side_asn: Annotated[int, AfterValidator(_asn)] = Field(
        64512, description="Private ASN of the Transit Gateway's BGP side."
    )
    auto_accept_shared_attachments: Flag = Field(
        False,
        description="Accept attachments from the target accounts without review. Off: the hub-routing "
        "workspace accepts exactly the configured targets' attachments.",
    )
    dns_support: Flag = Field(True, description="Resolve public DNS names of attached VPCs to private IPs.")
    share_mode: Literal["organization", "accounts"] = Field(
        "organization",
        description="organization: all accounts are in one AWS Organization with RAM sharing enabled, so the "
        "share needs no invitation. accounts: the share allows external principals and each target "
        "workspace accepts its invitation.",
    )


class MutualTls(Strict):
    """Certificate-based (mutual TLS) authentication of VPN users."""

    type: Literal["mutual-tls"]
    client_root_certificate_chain_arn: CertificateArn = Field(
        description="ACM ARN of the CA that signs the client certificates."
    )


class Saml(Strict):
    """Federated (SAML 2.0) authentication of VPN users through an IAM SAML provider."""

    type: Literal["saml"]
    saml_provider_arn: SamlProviderArn = Field(description="IAM SAML provider for the VPN client.")
    self_service_saml_provider_arn: SamlProviderArn | None = Field(
        None, description="IAM SAML provider for the self-service portal; omitted: no portal."
    )
    access_group_id: str | None = Field(
        None,
        min_length=1,
        description="IdP group allowed to reach the networks; omitted: every authenticated user.",
    )


class ClientVpnConfig(Strict):
    """AWS Client VPN for people: the only way into the tooling VPC from outside."""

    client_cidr: Annotated[Cidr, AfterValidator(_vpn_cidr)] = Field(
        description="Addresses handed to VPN clients, /12 to /22, overlapping no VPC of any account."
    )
    server_certificate_arn: CertificateArn = Field(description="ACM ARN of the VPN endpoint's server certificate.")
    authentication: MutualTls | Saml = Field(discriminator="type", description="mutual-tls or saml.")
    availability_zones: tuple[str, ...] | None = Field(
        None,
        description="AZs whose private subnets the endpoint is associated with (at least two for "
        "availability); omitted: every AZ of network.availability_zones.",
    )
    target_vpcs: Flag = Field(False, description="Also route and authorize VPN clients to every target account's VPC.")
    split_tunnel: Flag = Field(
        True, description="Send only the VPC routes through the tunnel; the rest of the client's traffic stays local."
    )
    transport_protocol: Literal["udp", "tcp"] = "udp"
    vpn_port: Literal[443, 1194] = 443
    session_timeout_hours: Literal[8, 10, 12, 24] = Field(8, description="Maximum VPN session length.")
    log_retention_days: RetentionDays = Field(365, description="Days CloudWatch keeps connection logs.")
