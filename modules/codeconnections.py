"""A CodeConnections host for the private GitLab, in the account VPC, and a connection on it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from cdktf import Fn, TerraformLocal, Token
from cdktf_cdktf_provider_aws.codestarconnections_connection import CodestarconnectionsConnection
from cdktf_cdktf_provider_aws.codestarconnections_host import (
    CodestarconnectionsHost,
    CodestarconnectionsHostVpcConfiguration,
)
from cdktf_cdktf_provider_aws.security_group import SecurityGroup
from cdktf_cdktf_provider_aws.vpc_security_group_egress_rule import VpcSecurityGroupEgressRule
from constructs import Construct

from modules.naming import Namer

HTTPS = 443


def use_connection_action(connection_arn: str) -> str:
    """``<service>:UseConnection`` with the service of the connection's ARN.

    Connections made through the older API have ``codestar-connections`` ARNs,
    newer ones ``codeconnections``; "the service prefix needs to match that of the
    resource" in an IAM policy ("Connections rename - Summary of changes",
    Developer Tools console User Guide). The provider decides which at apply time,
    so for an unknown ARN Terraform derives it.
    """
    if Token.is_unresolved(connection_arn):
        return Fn.join(":", [Fn.element(Fn.split(":", connection_arn), 2), "UseConnection"])
    return f"{connection_arn.split(':')[2]}:UseConnection"


def console_url(arn: str, account_id: str, region: str, kind: str) -> str:
    """The Developer Tools console page of a host (``kind`` "hosts") or a connection
    (``kind`` "connections"), from its ARN.

    Since the rename the console's detail pages name the ARN's service, as the IAM
    prefix does: ``codesuite/settings/<account>/<region>/<service>/connections/<id>``
    for a connection; a host's page takes the same form with ``hosts/<name>-<id>``.
    AWS documents only the entry page (https://console.aws.amazon.com/codesuite/settings/connections,
    "View host details"), which docs/pipelines.md gives as the fallback.
    Derived by Terraform for an unknown ARN.
    """
    base = f"https://{region}.console.aws.amazon.com/codesuite/settings/{account_id}/{region}/"
    query = f"?region={region}"
    if Token.is_unresolved(arn):
        service, resource = Fn.element(Fn.split(":", arn), 2), Fn.element(Fn.split("/", arn), 1)
        return Fn.join("", [base, service, f"/{kind}/", resource, query])
    return f"{base}{arn.split(':')[2]}/{kind}/{arn.split('/', 1)[1]}{query}"


@dataclass(frozen=True)
class CodeConnectionsProps:
    """Inputs of ``CodeConnections``.

    ``subnet_ids`` are private subnets in at least two AZs of ``vpc_id``;
    ``gitlab_cidr`` is the tooling VPC, reached through the Transit Gateway.
    ``tls_certificate`` is the PEM of a private CA that issued GitLab's certificate.
    """

    namer: Namer
    account_id: str
    region: str
    gitlab_hostname: str
    vpc_id: str
    subnet_ids: Sequence[str]
    gitlab_cidr: str
    tls_certificate: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "subnet_ids", tuple(self.subnet_ids))
        # One subnet per AZ (the network construct's layout): two keep the host
        # reachable when an AZ fails.
        if len(set(self.subnet_ids)) < 2:
            raise ValueError("the CodeConnections host needs subnets in at least two AZs")


class CodeConnections(Construct):
    """Host (``PENDING`` until "Set up host" is done by hand) and connection
    (``PENDING`` until its handshake); see docs/pipelines.md."""

    def __init__(self, scope: Construct, id_: str, props: CodeConnectionsProps) -> None:
        super().__init__(scope, id_)
        namer = props.namer
        self.security_group = SecurityGroup(
            self,
            "host-sg",
            name=namer.name("security_group", "codeconnections-host"),
            description="CodeConnections host ENIs: HTTPS to GitLab in the tooling VPC only",
            vpc_id=props.vpc_id,
            tags={"Name": namer.name("tag", "codeconnections-host")},
        )
        # Terraform drops AWS's default allow-all egress rule of a new group;
        # this is the only rule: the host's ENIs call GitLab's API and nothing else.
        VpcSecurityGroupEgressRule(
            self,
            "host-sg-https-to-gitlab",
            security_group_id=self.security_group.id,
            description="HTTPS to GitLab (tooling VPC, through the Transit Gateway)",
            ip_protocol="tcp",
            from_port=HTTPS,
            to_port=HTTPS,
            cidr_ipv4=props.gitlab_cidr,
        )
        # The host represents GitLab's https URL; with a VPC configuration
        # CodeConnections places ENIs in these subnets to reach it
        # ("Create a connection to GitLab self-managed", Developer Tools console User Guide).
        self.host = CodestarconnectionsHost(
            self,
            "host",
            name=namer.name("codeconnections", "gitlab"),
            provider_type="GitLabSelfManaged",
            provider_endpoint=f"https://{props.gitlab_hostname}",
            vpc_configuration=CodestarconnectionsHostVpcConfiguration(
                vpc_id=props.vpc_id,
                subnet_ids=list(props.subnet_ids),
                security_group_ids=[self.security_group.id],
                tls_certificate=props.tls_certificate,
            ),
        )
        self.connection = CodestarconnectionsConnection(
            self,
            "connection",
            name=namer.name("codeconnections", "gitlab"),
            host_arn=self.host.arn,
        )
        self._action: TerraformLocal | None = None
        self.host_console_url = console_url(self.host.arn, props.account_id, props.region, "hosts")
        self.connection_console_url = console_url(self.connection.arn, props.account_id, props.region, "connections")

    @property
    def connection_arn(self) -> str:
        return self.connection.arn

    @property
    def use_connection_action(self) -> str:
        """The UseConnection action for this connection, as a Terraform local: a
        reference without quotes, so it can sit inside a JSON policy string."""
        if self._action is None:
            self._action = TerraformLocal(self, "use-connection-action", use_connection_action(self.connection.arn))
        return self._action.as_string
