"""VPC endpoints that let private subnets without internet reach the AWS services GitLab uses."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

from cdktf_cdktf_provider_aws.security_group import SecurityGroup
from cdktf_cdktf_provider_aws.vpc_endpoint import VpcEndpoint
from cdktf_cdktf_provider_aws.vpc_security_group_ingress_rule import VpcSecurityGroupIngressRule
from constructs import Construct

from modules.naming import Namer
from modules.policy import document, statement

# Interface endpoints (service suffix -> why), all on HTTPS. The design lists
# ecr.dkr, ecr.api, s3, ssmmessages and email-smtp; the rest is what Fargate and
# GitLab call when there is no route to the internet. Not needed: ecs, ecs-agent
# and ecs-telemetry (EC2 container instances only), ssm and ec2messages (ECS Exec
# uses ssmmessages only), sts (the task role's credentials come from the task
# metadata endpoint) and elasticfilesystem (NFS goes to the mount targets).
INTERFACE_ENDPOINTS: Mapping[str, str] = MappingProxyType(
    {
        # Image pulls: the registry API and the Docker registry protocol
        # ("Amazon ECR interface VPC endpoints", ECR User Guide).
        "ecr.api": "ECR API: authorization token and image manifests for the task's image pull",
        "ecr.dkr": "ECR Docker registry endpoint: image pulls by the Fargate agent",
        # The awslogs driver sends container output to CloudWatch Logs, and ECS
        # Exec session logs go there too.
        "logs": "CloudWatch Logs: the awslogs driver and ECS Exec session logs",
        # ECS resolves the task's `secrets` (database and SMTP passwords) at start.
        "secretsmanager": "Secrets Manager: the database and SMTP secrets injected at task start",
        # Decrypting secrets and ECS Exec's session data key happen through KMS.
        "kms": "KMS: ECS Exec session encryption and decrypting the secrets' data keys",
        # ECS Exec (the design's way into the container) runs over SSM's message channels.
        "ssmmessages": "SSM messages: the ECS Exec channel into the container",
    }
)
# What CodeBuild projects placed in a target VPC call from inside it; the S3
# gateway endpoint carries the pipeline artifacts ("Use AWS CodeBuild with Amazon
# Virtual Private Cloud", CodeBuild User Guide: without NAT, builds need endpoints).
CODEBUILD_ENDPOINTS: Mapping[str, str] = MappingProxyType(
    {
        "logs": "CloudWatch Logs: the build's log group",
        "kms": "KMS: decrypting and encrypting the pipeline's artifacts",
        "sts": "STS: AWS SDK and CLI calls in buildspecs that assume roles or ask who they are",
    }
)
# SES's SMTP interface listens on 587 (STARTTLS), not 443 ("Amazon SES and VPC endpoints").
SMTP_ENDPOINT = "email-smtp"
SMTP_PORT = 587

# ECR keeps image layers in this AWS-owned bucket per region ("Amazon ECR
# interface VPC endpoints": the S3 gateway endpoint must allow it).
ECR_LAYER_BUCKET = "prod-{region}-starport-layer-bucket"


@dataclass(frozen=True)
class VpcEndpointsProps:
    """Inputs of ``VpcEndpoints``. ``subnet_ids`` one per AZ; ``route_table_ids`` get the S3 route."""

    namer: Namer
    account_id: str
    region: str
    vpc_id: str
    vpc_cidr: str
    subnet_ids: Sequence[str]
    route_table_ids: Sequence[str]
    partition: str = "aws"
    interface_endpoints: Mapping[str, str] = field(default_factory=lambda: INTERFACE_ENDPOINTS)
    smtp: bool = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "subnet_ids", tuple(self.subnet_ids))
        object.__setattr__(self, "route_table_ids", tuple(self.route_table_ids))
        object.__setattr__(self, "interface_endpoints", MappingProxyType(dict(self.interface_endpoints)))


class VpcEndpoints(Construct):
    """Interface endpoints with private DNS behind security groups open to the VPC
    only, and an S3 gateway endpoint limited to this account's buckets and ECR's
    layer bucket."""

    def __init__(self, scope: Construct, id_: str, props: VpcEndpointsProps) -> None:
        super().__init__(scope, id_)
        namer = props.namer
        self.https_sg = self._security_group("https-sg", props, "vpc-endpoints-https", 443)
        self.endpoints: dict[str, VpcEndpoint] = {}
        for service, why in props.interface_endpoints.items():
            self.endpoints[service] = self._interface(service, why, props, self.https_sg)
        self.smtp_sg: SecurityGroup | None = None
        if props.smtp:
            self.smtp_sg = self._security_group("smtp-sg", props, "vpc-endpoints-smtp", SMTP_PORT)
            self.endpoints[SMTP_ENDPOINT] = self._interface(
                SMTP_ENDPOINT, "SES SMTP: GitLab's outgoing mail", props, self.smtp_sg
            )
        # S3 as a gateway (the design's): ECR's image layers, which are in S3, and
        # GitLab's object storage, without an hourly interface endpoint.
        layer_bucket = f"arn:{props.partition}:s3:::{ECR_LAYER_BUCKET.format(region=props.region)}"
        self.s3 = VpcEndpoint(
            self,
            "s3",
            vpc_id=props.vpc_id,
            service_name=f"com.amazonaws.{props.region}.s3",
            vpc_endpoint_type="Gateway",
            route_table_ids=list(props.route_table_ids),
            policy=document(
                [
                    statement("EcrImageLayers", ["s3:GetObject"], [f"{layer_bucket}/*"], principals={"AWS": "*"}),
                    statement(
                        "BucketsOfThisAccount",
                        ["s3:*"],
                        ["*"],
                        principals={"AWS": "*"},
                        conditions={"StringEquals": {"aws:ResourceAccount": props.account_id}},
                    ),
                ]
            ),
            tags={"Name": namer.name("tag", "s3")},
        )

    def _security_group(self, id_: str, props: VpcEndpointsProps, name: str, port: int) -> SecurityGroup:
        group = SecurityGroup(
            self,
            id_,
            name=props.namer.name("security_group", name),
            description=f"VPC endpoints: port {port} from the VPC only",
            vpc_id=props.vpc_id,
            tags={"Name": props.namer.name("tag", name)},
        )
        VpcSecurityGroupIngressRule(
            self,
            f"{id_}-ingress",
            security_group_id=group.id,
            description=f"port {port} from the VPC",
            ip_protocol="tcp",
            from_port=port,
            to_port=port,
            cidr_ipv4=props.vpc_cidr,
        )
        # No egress rule: endpoints only answer, and Terraform removes AWS's default allow-all.
        return group

    def _interface(self, service: str, _why: str, props: VpcEndpointsProps, group: SecurityGroup) -> VpcEndpoint:
        return VpcEndpoint(
            self,
            service.replace(".", "-"),
            vpc_id=props.vpc_id,
            service_name=f"com.amazonaws.{props.region}.{service}",
            vpc_endpoint_type="Interface",
            private_dns_enabled=True,
            subnet_ids=list(props.subnet_ids),
            security_group_ids=[group.id],
            tags={"Name": props.namer.name("tag", service)},
        )

    @property
    def s3_prefix_list_id(self) -> str:
        return self.s3.prefix_list_id
