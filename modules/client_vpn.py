"""AWS Client VPN into the tooling VPC: how people reach GitLab."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from cdktf_cdktf_provider_aws.cloudwatch_log_stream import CloudwatchLogStream
from cdktf_cdktf_provider_aws.ec2_client_vpn_authorization_rule import Ec2ClientVpnAuthorizationRule
from cdktf_cdktf_provider_aws.ec2_client_vpn_endpoint import (
    Ec2ClientVpnEndpoint,
    Ec2ClientVpnEndpointAuthenticationOptions,
    Ec2ClientVpnEndpointConnectionLogOptions,
)
from cdktf_cdktf_provider_aws.ec2_client_vpn_network_association import Ec2ClientVpnNetworkAssociation
from cdktf_cdktf_provider_aws.ec2_client_vpn_route import Ec2ClientVpnRoute
from cdktf_cdktf_provider_aws.security_group import SecurityGroup
from cdktf_cdktf_provider_aws.vpc_security_group_egress_rule import VpcSecurityGroupEgressRule
from constructs import Construct

from modules.kms_key import KmsKey, KmsKeyProps
from modules.naming import Namer
from modules.policy import arn, logs_key_statement


def vpc_resolver(vpc_cidr: str) -> str:
    """The Amazon-provided DNS server of a VPC: its base address plus two
    ("Amazon DNS server", Amazon VPC User Guide)."""
    return str(ipaddress.IPv4Network(vpc_cidr).network_address + 2)


@dataclass(frozen=True)
class ClientVpnProps:
    """Inputs of ``ClientVpn``.

    Exactly one way of authenticating users: ``client_root_certificate_chain_arn``
    (mutual TLS) or ``saml_provider_arn`` (federation). ``subnet_ids`` (AZ -> subnet)
    are the network associations, at least two. ``other_networks`` (name -> CIDR) are
    networks behind the VPC, such as target VPCs through the Transit Gateway, that
    clients are routed and authorized to as well.
    """

    namer: Namer
    account_id: str
    region: str
    vpc_id: str
    vpc_cidr: str
    subnet_ids: Mapping[str, str]
    client_cidr: str
    server_certificate_arn: str
    client_root_certificate_chain_arn: str | None = None
    saml_provider_arn: str | None = None
    self_service_saml_provider_arn: str | None = None
    access_group_id: str | None = None
    other_networks: Mapping[str, str] = field(default_factory=dict)
    partition: str = "aws"
    split_tunnel: bool = True
    transport_protocol: str = "udp"
    vpn_port: int = 443
    session_timeout_hours: int = 8
    log_retention_days: int = 365
    # HTTPS to GitLab's load balancer is all people need through the VPN.
    egress_ports: tuple[int, ...] = (443,)

    def __post_init__(self) -> None:
        if (self.client_root_certificate_chain_arn is None) == (self.saml_provider_arn is None):
            raise ValueError("set exactly one of client_root_certificate_chain_arn and saml_provider_arn")
        if len(self.subnet_ids) < 2:
            raise ValueError("Client VPN needs subnets in at least two AZs")
        object.__setattr__(self, "subnet_ids", MappingProxyType(dict(self.subnet_ids)))
        object.__setattr__(self, "other_networks", MappingProxyType(dict(self.other_networks)))


class ClientVpn(Construct):
    """The endpoint with split tunnel and the VPC resolver as DNS server, connection
    logs in a KMS-encrypted log group, its own security group (for the load balancer
    to admit), network associations, and authorization rules and routes.
    """

    def __init__(self, scope: Construct, id_: str, props: ClientVpnProps) -> None:
        super().__init__(scope, id_)
        namer = props.namer
        networks = {"vpc": props.vpc_cidr, **props.other_networks}
        resolver = vpc_resolver(props.vpc_cidr)
        self.security_group = SecurityGroup(
            self,
            "sg",
            name=namer.name("security_group", "client-vpn"),
            description="Client VPN endpoint: what VPN users may reach",
            vpc_id=props.vpc_id,
            tags={"Name": namer.name("tag", "client-vpn")},
        )
        for name, cidr in networks.items():
            for port in props.egress_ports:
                VpcSecurityGroupEgressRule(
                    self,
                    f"egress-{name}-{port}",
                    security_group_id=self.security_group.id,
                    ip_protocol="tcp",
                    from_port=port,
                    to_port=port,
                    cidr_ipv4=cidr,
                    description=f"VPN users to TCP {port} in {name}",
                )
        for protocol in ("udp", "tcp"):
            VpcSecurityGroupEgressRule(
                self,
                f"egress-dns-{protocol}",
                security_group_id=self.security_group.id,
                ip_protocol=protocol,
                from_port=53,
                to_port=53,
                cidr_ipv4=f"{resolver}/32",
                description=f"VPN users' DNS ({protocol}) to the VPC resolver",
            )
        self.log_group, log_stream = self._logs(props)
        if props.client_root_certificate_chain_arn is not None:
            authentication = Ec2ClientVpnEndpointAuthenticationOptions(
                type="certificate-authentication",
                root_certificate_chain_arn=props.client_root_certificate_chain_arn,
            )
        else:
            authentication = Ec2ClientVpnEndpointAuthenticationOptions(
                type="federated-authentication",
                saml_provider_arn=props.saml_provider_arn,
                self_service_saml_provider_arn=props.self_service_saml_provider_arn,
            )
        self.endpoint = Ec2ClientVpnEndpoint(
            self,
            "endpoint",
            description=namer.name("tag", "client-vpn"),
            server_certificate_arn=props.server_certificate_arn,
            client_cidr_block=props.client_cidr,
            authentication_options=[authentication],
            connection_log_options=Ec2ClientVpnEndpointConnectionLogOptions(
                enabled=True, cloudwatch_log_group=self.log_group.name, cloudwatch_log_stream=log_stream.name
            ),
            # Only the routes below go through the tunnel; users keep their own internet path.
            split_tunnel=props.split_tunnel,
            # The VPC resolver answers the private hosted zone of GitLab's host name.
            dns_servers=[resolver],
            vpc_id=props.vpc_id,
            security_group_ids=[self.security_group.id],
            transport_protocol=props.transport_protocol,
            vpn_port=props.vpn_port,
            session_timeout_hours=props.session_timeout_hours,
            self_service_portal="enabled" if props.self_service_saml_provider_arn else "disabled",
            tags={"Name": namer.name("tag", "client-vpn")},
        )
        self.associations = {
            az: Ec2ClientVpnNetworkAssociation(
                self, f"association-{az}", client_vpn_endpoint_id=self.endpoint.id, subnet_id=subnet_id
            )
            for az, subnet_id in props.subnet_ids.items()
        }
        for name, cidr in networks.items():
            Ec2ClientVpnAuthorizationRule(
                self,
                f"authorize-{name}",
                client_vpn_endpoint_id=self.endpoint.id,
                target_network_cidr=cidr,
                access_group_id=props.access_group_id,
                authorize_all_groups=None if props.access_group_id else True,
                description=f"VPN users to {name}",
            )
        # Associating a subnet adds the route to its VPC by itself; networks behind
        # the VPC need a route through every associated subnet to survive an AZ outage.
        for name, cidr in props.other_networks.items():
            for az, subnet_id in props.subnet_ids.items():
                Ec2ClientVpnRoute(
                    self,
                    f"route-{name}-{az}",
                    client_vpn_endpoint_id=self.endpoint.id,
                    destination_cidr_block=cidr,
                    target_vpc_subnet_id=subnet_id,
                    description=f"{name} through {az}",
                    depends_on=[self.associations[az]],
                )

    def _logs(self, props: ClientVpnProps) -> tuple[CloudwatchLogGroup, CloudwatchLogStream]:
        namer = props.namer
        group_name = namer.path("log_group", "client-vpn")
        group_arn = arn(props.partition, "logs", props.region, props.account_id, f"log-group:{group_name}")
        key = KmsKey(
            self,
            "logs-key",
            KmsKeyProps(
                namer=namer,
                purpose="client-vpn-logs",
                description=f"Client VPN connection logs of {namer.prefix}-{namer.workspace}",
                account_id=props.account_id,
                partition=props.partition,
                service_statements=(logs_key_statement("CloudWatchLogsForClientVpnLogGroup", props.region, group_arn),),
            ),
        )
        group = CloudwatchLogGroup(
            self, "logs", name=group_name, retention_in_days=props.log_retention_days, kms_key_id=key.arn
        )
        stream = CloudwatchLogStream(self, "connections", name="connections", log_group_name=group.name)
        return group, stream

    @property
    def security_group_id(self) -> str:
        return self.security_group.id
