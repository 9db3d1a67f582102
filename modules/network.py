"""The account VPC: private subnets only, flow logs, no way to or from the internet."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from cdktf_cdktf_provider_aws.default_security_group import DefaultSecurityGroup
from cdktf_cdktf_provider_aws.flow_log import FlowLog
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from cdktf_cdktf_provider_aws.route_table import RouteTable
from cdktf_cdktf_provider_aws.route_table_association import RouteTableAssociation
from cdktf_cdktf_provider_aws.subnet import Subnet
from cdktf_cdktf_provider_aws.vpc import Vpc
from constructs import Construct

from modules.kms_key import KmsKey, KmsKeyProps
from modules.naming import Namer
from modules.policy import arn, document, logs_key_statement, service_trust, statement


@dataclass(frozen=True)
class NetworkProps:
    """Inputs of ``Network``.

    ``private_subnets`` maps AZ name to CIDR in a fixed order; configuration
    computes it from the VPC CIDR so synthesis is deterministic and never asks AWS
    which AZs exist.
    """

    namer: Namer
    account_id: str
    region: str
    vpc_cidr: str
    private_subnets: Mapping[str, str]
    partition: str = "aws"
    flow_log_retention_days: int = 365
    flow_log_traffic_type: str = "ALL"
    # Aggregating each minute (instead of ten) gives investigators finer timing.
    flow_log_aggregation_seconds: int = 60
    subnet_tags: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "private_subnets", MappingProxyType(dict(self.private_subnets)))
        object.__setattr__(self, "subnet_tags", MappingProxyType(dict(self.subnet_tags)))


class Network(Construct):
    """VPC with DNS, one private subnet and route table per AZ, flow logs to a
    KMS-encrypted log group, and a default security group with no rules.

    There is no internet gateway and no NAT: AWS services are reached through VPC
    endpoints and other accounts through the Transit Gateway.
    """

    def __init__(self, scope: Construct, id_: str, props: NetworkProps) -> None:
        super().__init__(scope, id_)
        namer = props.namer
        self.cidr = props.vpc_cidr
        self.vpc = Vpc(
            self,
            "vpc",
            cidr_block=props.vpc_cidr,
            # Both are needed for private DNS names of interface endpoints
            # ("Access an AWS service using an interface VPC endpoint", AWS PrivateLink).
            enable_dns_support=True,
            enable_dns_hostnames=True,
            tags={"Name": namer.name("tag", "vpc")},
        )
        # CIS AWS Foundations 5.4: the default security group restricts all traffic.
        # Declaring it without rules makes Terraform remove AWS's default ones.
        DefaultSecurityGroup(self, "default-sg", vpc_id=self.vpc.id, tags={"Name": namer.name("tag", "default-deny")})
        self.subnets: dict[str, Subnet] = {}
        self.route_tables: dict[str, RouteTable] = {}
        for az, cidr in props.private_subnets.items():
            subnet = Subnet(
                self,
                f"private-{az}",
                vpc_id=self.vpc.id,
                cidr_block=cidr,
                availability_zone=az,
                map_public_ip_on_launch=False,
                tags={"Name": namer.name("tag", "private", az), "Tier": "private", **props.subnet_tags},
            )
            table = RouteTable(
                self, f"private-rt-{az}", vpc_id=self.vpc.id, tags={"Name": namer.name("tag", "private", az)}
            )
            RouteTableAssociation(self, f"private-rta-{az}", subnet_id=subnet.id, route_table_id=table.id)
            self.subnets[az] = subnet
            self.route_tables[az] = table
        self._flow_logs(props)

    def _flow_logs(self, props: NetworkProps) -> None:
        namer = props.namer
        group_name = namer.path("log_group", "vpc-flow-logs")
        group_arn = arn(props.partition, "logs", props.region, props.account_id, f"log-group:{group_name}")
        key = KmsKey(
            self,
            "flow-logs-key",
            KmsKeyProps(
                namer=namer,
                purpose="vpc-flow-logs",
                description=f"VPC flow logs of {namer.prefix}-{namer.workspace}",
                account_id=props.account_id,
                partition=props.partition,
                # CloudWatch Logs encrypts with the key only for this log group
                # ("Encrypt log data in CloudWatch Logs using AWS KMS").
                service_statements=(logs_key_statement("CloudWatchLogsForFlowLogGroup", props.region, group_arn),),
            ),
        )
        group = CloudwatchLogGroup(
            self,
            "flow-logs",
            name=group_name,
            retention_in_days=props.flow_log_retention_days,
            kms_key_id=key.arn,
        )
        role = IamRole(
            self,
            "flow-logs-role",
            name=namer.name("iam_role", "vpc-flow-logs"),
            assume_role_policy=service_trust("vpc-flow-logs.amazonaws.com", props.account_id),
        )
        # Only the delivery actions, on this log group only ("IAM role for
        # publishing flow logs to CloudWatch Logs", Amazon VPC User Guide).
        IamRolePolicy(
            self,
            "flow-logs-policy",
            name="deliver-to-log-group",
            role=role.id,
            policy=document(
                [
                    statement(
                        "DeliverFlowLogs",
                        ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                        [group_arn, f"{group_arn}:log-stream:*"],
                    )
                ]
            ),
        )
        self.flow_log = FlowLog(
            self,
            "flow-log",
            vpc_id=self.vpc.id,
            traffic_type=props.flow_log_traffic_type,
            log_destination_type="cloud-watch-logs",
            log_destination=group.arn,
            iam_role_arn=role.arn,
            max_aggregation_interval=props.flow_log_aggregation_seconds,
            tags={"Name": namer.name("tag", "vpc-flow-logs")},
        )
        self.flow_log_group = group
        self.flow_log_key = key

    @property
    def subnet_ids(self) -> list[str]:
        return [subnet.id for subnet in self.subnets.values()]
