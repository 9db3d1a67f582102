"""A private hosted zone for one host name, answering with an alias to a load balancer."""

from __future__ import annotations

from dataclasses import dataclass

from cdktf_cdktf_provider_aws.route53_record import Route53Record, Route53RecordAlias
from cdktf_cdktf_provider_aws.route53_zone import Route53Zone, Route53ZoneVpc
from constructs import Construct

from modules.naming import Namer


@dataclass(frozen=True)
class PrivateDnsProps:
    """Inputs of ``PrivateDns``.

    The zone is named for the host itself (``gitlab.example.com``), not its parent
    domain, so every other name of the domain still resolves publicly. The alias
    target (a load balancer's DNS name and canonical hosted zone ID) is optional:
    without it the zone exists and answers nothing yet.
    """

    namer: Namer
    hostname: str
    vpc_id: str
    region: str
    alias_dns_name: str | None = None
    alias_zone_id: str | None = None

    def __post_init__(self) -> None:
        if (self.alias_dns_name is None) != (self.alias_zone_id is None):
            raise ValueError("alias_dns_name and alias_zone_id are set together or not at all")


class PrivateDns(Construct):
    def __init__(self, scope: Construct, id_: str, props: PrivateDnsProps) -> None:
        super().__init__(scope, id_)
        self.zone = Route53Zone(
            self,
            "zone",
            name=props.hostname,
            comment=f"{props.namer.prefix}-{props.namer.workspace}: {props.hostname} inside the VPC",
            vpc=[Route53ZoneVpc(vpc_id=props.vpc_id, vpc_region=props.region)],
            tags={"Name": props.namer.name("tag", "zone", props.hostname)},
        )
        self.record: Route53Record | None = None
        if props.alias_dns_name is not None and props.alias_zone_id is not None:
            self.record = Route53Record(
                self,
                "alias",
                zone_id=self.zone.zone_id,
                name=props.hostname,
                type="A",
                alias=Route53RecordAlias(
                    name=props.alias_dns_name, zone_id=props.alias_zone_id, evaluate_target_health=True
                ),
            )
