"""An internal Network Load Balancer for git over SSH (port 22) to the GitLab task."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from cdktf_cdktf_provider_aws.lb import Lb
from cdktf_cdktf_provider_aws.lb_listener import LbListener, LbListenerDefaultAction
from cdktf_cdktf_provider_aws.lb_target_group import LbTargetGroup, LbTargetGroupHealthCheck
from cdktf_cdktf_provider_aws.security_group import SecurityGroup
from constructs import Construct

from modules.ingress import admit
from modules.naming import Namer

SSH_PORT = 22


@dataclass(frozen=True)
class SshLoadBalancerProps:
    """Inputs of ``SshLoadBalancer``; ingress is the VPC plus the extra CIDRs and security groups."""

    namer: Namer
    vpc_id: str
    vpc_cidr: str
    subnet_ids: Sequence[str]
    allowed_ingress_cidrs: Sequence[str] = ()
    allowed_security_group_ids: Sequence[str] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "subnet_ids", tuple(self.subnet_ids))
        object.__setattr__(
            self, "allowed_ingress_cidrs", tuple(dict.fromkeys((self.vpc_cidr, *self.allowed_ingress_cidrs)))
        )
        object.__setattr__(self, "allowed_security_group_ids", tuple(self.allowed_security_group_ids))


class SshLoadBalancer(Construct):
    """SSH is end-to-end encrypted by SSH itself, so the NLB only forwards TCP;
    the host keys live on EFS (/etc/gitlab) and stay the same across tasks."""

    def __init__(self, scope: Construct, id_: str, props: SshLoadBalancerProps) -> None:
        super().__init__(scope, id_)
        namer = props.namer
        self.security_group = SecurityGroup(
            self,
            "sg",
            name=namer.name("security_group", "ssh-nlb"),
            description="GitLab internal NLB: git over SSH from private networks",
            vpc_id=props.vpc_id,
            tags={"Name": namer.name("tag", "ssh-nlb")},
        )
        admit(
            self,
            "ingress",
            self.security_group.id,
            port=SSH_PORT,
            what="SSH",
            cidrs=props.allowed_ingress_cidrs,
            security_group_ids=props.allowed_security_group_ids,
        )
        self.nlb = Lb(
            self,
            "nlb",
            name=namer.name("lb", "gitlab-ssh"),
            internal=True,
            load_balancer_type="network",
            subnets=list(props.subnet_ids),
            security_groups=[self.security_group.id],
            enable_deletion_protection=True,
            # The one task runs in one AZ; clients resolving another AZ's node still reach it.
            enable_cross_zone_load_balancing=True,
        )
        self.target_group = LbTargetGroup(
            self,
            "target-group",
            name=namer.name("target_group", "gitlab-ssh"),
            target_type="ip",
            port=SSH_PORT,
            protocol="TCP",
            vpc_id=props.vpc_id,
            deregistration_delay="60",
            health_check=LbTargetGroupHealthCheck(
                protocol="TCP", interval=30, healthy_threshold=2, unhealthy_threshold=3
            ),
        )
        self.listener = LbListener(
            self,
            "ssh",
            load_balancer_arn=self.nlb.arn,
            port=SSH_PORT,
            protocol="TCP",
            default_action=[LbListenerDefaultAction(type="forward", target_group_arn=self.target_group.arn)],
        )

    @property
    def dns_name(self) -> str:
        return self.nlb.dns_name

    @property
    def zone_id(self) -> str:
        return self.nlb.zone_id
