"""Amazon SES for GitLab's mail: a domain identity with DKIM and a custom MAIL FROM domain,
its DNS records, and the IAM user whose SMTP credentials GitLab signs in with."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cdktf import Fn
from cdktf_cdktf_provider_aws.iam_group import IamGroup
from cdktf_cdktf_provider_aws.iam_group_policy import IamGroupPolicy
from cdktf_cdktf_provider_aws.iam_user import IamUser
from cdktf_cdktf_provider_aws.iam_user_group_membership import IamUserGroupMembership
from cdktf_cdktf_provider_aws.route53_record import Route53Record
from cdktf_cdktf_provider_aws.sesv2_email_identity import Sesv2EmailIdentity
from cdktf_cdktf_provider_aws.sesv2_email_identity_mail_from_attributes import (
    Sesv2EmailIdentityMailFromAttributes,
)
from constructs import Construct

from modules.naming import Namer
from modules.policy import arn, document, statement

# Easy DKIM always publishes three CNAME tokens ("Easy DKIM in Amazon SES", SES Developer Guide).
DKIM_TOKENS = 3
# SES's SMTP interface authorizes each message as ses:SendRawEmail ("Obtaining Amazon SES
# SMTP credentials", SES Developer Guide); nothing else is needed to send.
SMTP_ACTIONS = ("ses:SendRawEmail",)


@dataclass(frozen=True)
class MailProps:
    """Inputs of ``Mail``.

    ``from_addresses``: the only senders the SMTP user may use (GitLab's
    ``gitlab_email_from`` and its reply-to). ``zone_id``: a public Route 53 zone
    of ``domain`` for the DKIM and MAIL FROM records; without it they are only
    listed in ``dns_records``. ``create_identity=False`` uses an identity that
    exists already (no records are written then).
    """

    namer: Namer
    account_id: str
    region: str
    domain: str
    from_addresses: tuple[str, ...]
    partition: str = "aws"
    zone_id: str | None = None
    mail_from_subdomain: str = "bounce"
    create_identity: bool = True
    record_ttl: int = 1800

    def __post_init__(self) -> None:
        if not self.from_addresses:
            raise ValueError("the SMTP user needs at least one sender address")
        if self.zone_id is not None and not self.create_identity:
            raise ValueError("records are written only for an identity this construct creates")
        object.__setattr__(self, "from_addresses", tuple(self.from_addresses))


class Mail(Construct):
    """The identity and the SMTP user. No access key is created here: it would put the
    secret into Terraform state. The runbook (docs/runbooks.md) creates it, derives the
    SMTP password and stores both in GitLab's SMTP secret."""

    def __init__(self, scope: Construct, id_: str, props: MailProps) -> None:
        super().__init__(scope, id_)
        namer = props.namer
        self.mail_from_domain = f"{props.mail_from_subdomain}.{props.domain}"
        self.identity_arn = arn(props.partition, "ses", props.region, props.account_id, f"identity/{props.domain}")
        self.dns_records: list[dict[str, Any]] = []
        self.identity: Sesv2EmailIdentity | None = None
        if props.create_identity:
            self._identity(props)
        self.user = IamUser(self, "smtp-user", name=namer.name("iam_user", "ses-smtp"), path="/gitlab/")
        # Permissions go to a group of one: IAM users never carry their own policies.
        self.group = IamGroup(self, "smtp-group", name=namer.name("iam_user", "ses-smtp-senders"), path="/gitlab/")
        IamUserGroupMembership(self, "smtp-membership", user=self.user.name, groups=[self.group.name])
        IamGroupPolicy(
            self,
            "smtp-policy",
            name="send-from-gitlab-identity",
            group=self.group.name,
            policy=document(
                [
                    statement(
                        "SendAsGitLabOnly",
                        list(SMTP_ACTIONS),
                        [self.identity_arn],
                        conditions={"StringEquals": {"ses:FromAddress": list(props.from_addresses)}},
                    )
                ]
            ),
        )

    def _identity(self, props: MailProps) -> None:
        self.identity = Sesv2EmailIdentity(self, "identity", email_identity=props.domain)
        self.mail_from = Sesv2EmailIdentityMailFromAttributes(
            self,
            "mail-from",
            email_identity=self.identity.email_identity,
            mail_from_domain=self.mail_from_domain,
            # Keep sending from amazonses.com until the MX record is seen.
            behavior_on_mx_failure="USE_DEFAULT_VALUE",
        )
        tokens = self.identity.dkim_signing_attributes.tokens
        records: dict[str, tuple[str, str, str]] = {
            f"dkim-{index}": (
                f"{Fn.element(tokens, index)}._domainkey.{props.domain}",
                "CNAME",
                f"{Fn.element(tokens, index)}.dkim.amazonses.com",
            )
            for index in range(DKIM_TOKENS)
        }
        # The MAIL FROM domain's MX and SPF ("Using a custom MAIL FROM domain", SES Developer Guide).
        records["mail-from-mx"] = (self.mail_from_domain, "MX", f"10 feedback-smtp.{props.region}.amazonses.com")
        records["mail-from-spf"] = (self.mail_from_domain, "TXT", "v=spf1 include:amazonses.com ~all")
        for key, (name, kind, value) in records.items():
            self.dns_records.append({"name": name, "type": kind, "value": value})
            if props.zone_id is not None:
                Route53Record(
                    self,
                    f"record-{key}",
                    zone_id=props.zone_id,
                    name=name,
                    type=kind,
                    records=[value],
                    ttl=props.record_ttl,
                )
