"""Ingress rules that admit networks and security groups to one port of a security group."""

from __future__ import annotations

from collections.abc import Sequence

from cdktf_cdktf_provider_aws.vpc_security_group_ingress_rule import VpcSecurityGroupIngressRule
from constructs import Construct


def admit(
    scope: Construct,
    id_prefix: str,
    security_group_id: str,
    *,
    port: int,
    what: str,
    cidrs: Sequence[str] = (),
    security_group_ids: Sequence[str] = (),
) -> None:
    """One TCP rule per source. Rules for networks are keyed by the CIDR itself, so
    adding a network never moves another's rule; ``what`` names the traffic."""
    for cidr in cidrs:
        VpcSecurityGroupIngressRule(
            scope,
            f"{id_prefix}-{cidr.replace('/', '_')}",
            security_group_id=security_group_id,
            description=f"{what} from {cidr}",
            ip_protocol="tcp",
            from_port=port,
            to_port=port,
            cidr_ipv4=cidr,
        )
    for index, group in enumerate(security_group_ids):
        VpcSecurityGroupIngressRule(
            scope,
            f"{id_prefix}-sg-{index}",
            security_group_id=security_group_id,
            description=f"{what} from an admitted security group",
            ip_protocol="tcp",
            from_port=port,
            to_port=port,
            referenced_security_group_id=group,
        )
