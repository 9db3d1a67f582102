"""The CodeConnections host for the private GitLab, in the tooling VPC beside it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from cdktf import Fn, TerraformResourceLifecycle, Token
from cdktf_cdktf_provider_aws.codeconnections_host import (
    CodeconnectionsHost,
    CodeconnectionsHostVpcConfiguration,
)
from cdktf_cdktf_provider_aws.security_group import SecurityGroup
from cdktf_cdktf_provider_aws.vpc_security_group_egress_rule import VpcSecurityGroupEgressRule
from cdktf_cdktf_provider_aws.vpc_security_group_ingress_rule import VpcSecurityGroupIngressRule
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
class CodeConnectionsHostProps:
    """Inputs of ``CodeConnectionsHost``.

    ``subnet_ids`` are private subnets of ``vpc_id`` (the tooling VPC), one per AZ,
    at least two. ``gitlab_security_group_id`` is GitLab's task group (it sends the
    webhooks), ``load_balancer_security_group_id`` GitLab's internal ALB (the host
    calls GitLab's API and clones through it). ``tls_certificate``: the PEM
    certificate GitLab presents, only when a private CA issued it (checked by
    config/certificates.py); None for an ACM certificate of a public CA.
    """

    namer: Namer
    account_id: str
    region: str
    gitlab_hostname: str
    vpc_id: str
    subnet_ids: Sequence[str]
    gitlab_security_group_id: str
    load_balancer_security_group_id: str
    tls_certificate: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "subnet_ids", tuple(self.subnet_ids))
        # One subnet per AZ (the network construct's layout): two keep the host
        # reachable when an AZ fails.
        if len(set(self.subnet_ids)) < 2:
            raise ValueError("the CodeConnections host needs subnets in at least two AZs")


class CodeConnectionsHost(Construct):
    """One ``GitLabSelfManaged`` host (``PENDING`` until "Set up host" is done by hand,
    docs/pipelines.md) and the security group of the network interfaces and the
    webhook endpoint that CodeConnections creates in the tooling VPC.

    The connections on it, one per target account, are ``SharedConnection``s.
    """

    def __init__(self, scope: Construct, id_: str, props: CodeConnectionsHostProps) -> None:
        super().__init__(scope, id_)
        namer = props.namer
        self.security_group = SecurityGroup(
            self,
            "sg",
            name=namer.name("security_group", "codeconnections-host"),
            description="CodeConnections host: webhooks from the GitLab task in, HTTPS to the GitLab ALB out",
            vpc_id=props.vpc_id,
            tags={"Name": namer.name("tag", "codeconnections-host")},
        )
        own = self.security_group.id
        # With a VPC configuration CodeConnections creates the interface endpoint
        # com.amazonaws.<region>.codestar-connections.webhooks in the host's VPC with
        # the host's security groups, and GitLab's webhooks arrive there; the host's
        # network interfaces call GitLab's API ("Create a host", "AWS CodeConnections
        # and interface VPC endpoints", Developer Tools console User Guide). Terraform
        # drops AWS's default allow-all egress rule, so these four rules are all.
        ingress, egress = VpcSecurityGroupIngressRule, VpcSecurityGroupEgressRule
        rules = (
            (ingress, "webhooks-from-gitlab", own, props.gitlab_security_group_id,
             "Webhooks from the GitLab task into the CodeConnections webhook endpoint"),
            (egress, "gitlab-to-webhooks", props.gitlab_security_group_id, own,
             "GitLab task webhooks to the CodeConnections webhook endpoint"),
            (egress, "to-gitlab-alb", own, props.load_balancer_security_group_id,
             "CodeConnections host: GitLab API and clone through the ALB"),
            (ingress, "gitlab-alb-from-host", props.load_balancer_security_group_id, own,
             "HTTPS from the CodeConnections host (API and clone)"),
        )  # fmt: skip
        for rule_type, rule_id, group, peer, description in rules:
            rule_type(
                self,
                rule_id,
                security_group_id=group,
                description=description,
                ip_protocol="tcp",
                from_port=HTTPS,
                to_port=HTTPS,
                referenced_security_group_id=peer,
            )
        # Replacing the host would orphan every connection on it and their handshakes
        # (done by hand): never destroyed by a plan.
        self.host = CodeconnectionsHost(
            self,
            "host",
            name=namer.name("codeconnections", "gitlab"),
            provider_type="GitLabSelfManaged",
            provider_endpoint=f"https://{props.gitlab_hostname}",
            vpc_configuration=[
                CodeconnectionsHostVpcConfiguration(
                    vpc_id=props.vpc_id,
                    subnet_ids=list(props.subnet_ids),
                    security_group_ids=[own],
                    tls_certificate=props.tls_certificate,
                )
            ],
            lifecycle=TerraformResourceLifecycle(prevent_destroy=True),
        )
        self.console_url = console_url(self.host.arn, props.account_id, props.region, "hosts")

    @property
    def arn(self) -> str:
        return self.host.arn
