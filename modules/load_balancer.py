"""The internal HTTPS Application Load Balancer in front of GitLab."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from cdktf import ITerraformDependable, TerraformResourceLifecycle
from cdktf_cdktf_provider_aws.acm_certificate import AcmCertificate
from cdktf_cdktf_provider_aws.acm_certificate_validation import AcmCertificateValidation
from cdktf_cdktf_provider_aws.lb import Lb, LbAccessLogs
from cdktf_cdktf_provider_aws.lb_listener import (
    LbListener,
    LbListenerDefaultAction,
    LbListenerDefaultActionRedirect,
)
from cdktf_cdktf_provider_aws.lb_target_group import LbTargetGroup, LbTargetGroupHealthCheck
from cdktf_cdktf_provider_aws.route53_record import Route53Record
from cdktf_cdktf_provider_aws.security_group import SecurityGroup
from constructs import Construct

from modules.ingress import admit
from modules.naming import Namer

HEALTH_CHECK_PATH = "/-/readiness"


@dataclass(frozen=True)
class LoadBalancerProps:
    """Inputs of ``LoadBalancer``.

    Exactly one of ``certificate_arn`` (an issued certificate) and
    ``validation_zone_id`` (a public Route 53 zone for a new DNS-validated
    certificate) is set; configuration checks that. ``allowed_ingress_cidrs``
    defaults to the VPC; Client VPN is admitted by its CIDR or by its security
    group in ``allowed_security_group_ids``.
    """

    namer: Namer
    vpc_id: str
    vpc_cidr: str
    subnet_ids: Sequence[str]
    hostname: str
    access_log_bucket: str
    certificate_arn: str | None = None
    validation_zone_id: str | None = None
    ssl_policy: str = "ELBSecurityPolicy-TLS13-1-2-2021-06"
    allowed_ingress_cidrs: Sequence[str] = ()
    allowed_security_group_ids: Sequence[str] = ()
    access_log_prefix: str = "alb"
    # What must exist before the ALB: the log bucket's policy admitting ELB log delivery.
    access_log_dependencies: Sequence[ITerraformDependable] = ()
    idle_timeout_seconds: int = 300
    target_port: int = 80

    def __post_init__(self) -> None:
        if (self.certificate_arn is None) == (self.validation_zone_id is None):
            raise ValueError("set exactly one of certificate_arn and validation_zone_id")
        object.__setattr__(self, "subnet_ids", tuple(self.subnet_ids))
        cidrs = tuple(dict.fromkeys((self.vpc_cidr, *self.allowed_ingress_cidrs)))
        object.__setattr__(self, "allowed_ingress_cidrs", cidrs)
        object.__setattr__(self, "allowed_security_group_ids", tuple(self.allowed_security_group_ids))
        object.__setattr__(self, "access_log_dependencies", tuple(self.access_log_dependencies))


class LoadBalancer(Construct):
    """``dns_name`` and ``zone_id`` are what a private Route 53 alias record for the
    host name points at; ``target_group`` is where the service registers."""

    def __init__(self, scope: Construct, id_: str, props: LoadBalancerProps) -> None:
        super().__init__(scope, id_)
        namer = props.namer
        self.security_group = SecurityGroup(
            self,
            "sg",
            name=namer.name("security_group", "alb"),
            description="GitLab internal ALB: HTTPS (and HTTP to redirect) from private networks",
            vpc_id=props.vpc_id,
            tags={"Name": namer.name("tag", "alb")},
        )
        for port in (443, 80):
            admit(
                self,
                f"ingress-{port}",
                self.security_group.id,
                port=port,
                what=f"port {port}",
                cidrs=props.allowed_ingress_cidrs,
                security_group_ids=props.allowed_security_group_ids,
            )
        self.alb = Lb(
            self,
            "alb",
            name=namer.name("lb", "gitlab"),
            internal=True,
            load_balancer_type="application",
            subnets=list(props.subnet_ids),
            security_groups=[self.security_group.id],
            drop_invalid_header_fields=True,
            enable_deletion_protection=True,
            idle_timeout=props.idle_timeout_seconds,
            access_logs=LbAccessLogs(bucket=props.access_log_bucket, prefix=props.access_log_prefix, enabled=True),
            # ELB checks that it may write to the bucket when access logs are set
            # (CreateLoadBalancer, ModifyLoadBalancerAttributes) and fails with
            # "InvalidConfigurationRequest: Access Denied for bucket" otherwise
            # (ELB User Guide, "Enable access logs for your Application Load Balancer";
            # aws-cdk #1633, terraform-aws-s3-bucket #98): the bucket policy comes first.
            depends_on=list(props.access_log_dependencies) or None,
        )
        self.target_group = LbTargetGroup(
            self,
            "target-group",
            name=namer.name("target_group", "gitlab"),
            target_type="ip",
            port=props.target_port,
            protocol="HTTP",
            vpc_id=props.vpc_id,
            deregistration_delay="60",
            health_check=LbTargetGroupHealthCheck(
                path=HEALTH_CHECK_PATH,
                protocol="HTTP",
                matcher="200",
                interval=30,
                timeout=10,
                healthy_threshold=2,
                unhealthy_threshold=5,
            ),
        )
        self.certificate_arn = self._certificate(props)
        self.https_listener = LbListener(
            self,
            "https",
            load_balancer_arn=self.alb.arn,
            port=443,
            protocol="HTTPS",
            ssl_policy=props.ssl_policy,
            certificate_arn=self.certificate_arn,
            default_action=[LbListenerDefaultAction(type="forward", target_group_arn=self.target_group.arn)],
        )
        LbListener(
            self,
            "http-redirect",
            load_balancer_arn=self.alb.arn,
            port=80,
            protocol="HTTP",
            default_action=[
                LbListenerDefaultAction(
                    type="redirect",
                    redirect=LbListenerDefaultActionRedirect(port="443", protocol="HTTPS", status_code="HTTP_301"),
                )
            ],
        )

    def _certificate(self, props: LoadBalancerProps) -> str:
        if props.certificate_arn is not None:
            return props.certificate_arn
        certificate = AcmCertificate(
            self,
            "certificate",
            domain_name=props.hostname,
            validation_method="DNS",
            lifecycle=TerraformResourceLifecycle(create_before_destroy=True),
        )
        # ACM validates through a CNAME in public DNS; this is the validation
        # record only, GitLab's own name resolves in the private zone.
        option = certificate.domain_validation_options.get(0)
        record = Route53Record(
            self,
            "certificate-validation-record",
            zone_id=str(props.validation_zone_id),
            name=option.resource_record_name,
            type=option.resource_record_type,
            records=[option.resource_record_value],
            ttl=300,
            allow_overwrite=True,
        )
        validation = AcmCertificateValidation(
            self,
            "certificate-validation",
            certificate_arn=certificate.arn,
            validation_record_fqdns=[record.fqdn],
        )
        return validation.certificate_arn

    @property
    def dns_name(self) -> str:
        return self.alb.dns_name

    @property
    def zone_id(self) -> str:
        return self.alb.zone_id
