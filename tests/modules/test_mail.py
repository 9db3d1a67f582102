"""Mail construct: SES identity with DKIM and MAIL FROM, its records, a send-only SMTP user, no key."""

from __future__ import annotations

from typing import Any

import pytest
from cdktf import TerraformOutput, TerraformStack, Testing

from modules.mail import Mail, MailProps
from modules.naming import Namer
from tests.support.synth import only, policy, ref, resources, synth_stack


def synth(**changes: Any) -> dict[str, Any]:
    app = Testing.app()
    scope = TerraformStack(app, "test")
    values: dict[str, Any] = {
        "namer": Namer("acme", "tooling"),
        "account_id": "123456789012",
        "region": "eu-west-1",
        "domain": "example.com",
        "from_addresses": ("gitlab@example.com",),
    }
    mail = Mail(scope, "mail", MailProps(**(values | changes)))
    TerraformOutput(scope, "records", value=mail.dns_records)
    return synth_stack(scope)


def test_identity_with_dkim_and_custom_mail_from() -> None:
    stack = synth(zone_id="Z123EXAMPLE")
    identity = only(stack, "aws_sesv2_email_identity")
    assert identity["email_identity"] == "example.com"
    mail_from = only(stack, "aws_sesv2_email_identity_mail_from_attributes")
    assert mail_from["mail_from_domain"] == "bounce.example.com"
    assert mail_from["behavior_on_mx_failure"] == "USE_DEFAULT_VALUE"
    assert mail_from["email_identity"].startswith("${aws_sesv2_email_identity.")


def test_records_in_the_zone_match_the_listed_ones() -> None:
    stack = synth(zone_id="Z123EXAMPLE", mail_from_subdomain="mx")
    records = resources(stack, "aws_route53_record").values()
    assert all(r["zone_id"] == "Z123EXAMPLE" for r in records)
    by_type: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        by_type.setdefault(record["type"], []).append(record)
    assert len(by_type["CNAME"]) == 3
    for index, record in enumerate(sorted(by_type["CNAME"], key=lambda r: r["name"])):
        assert record["name"].startswith("${element(aws_sesv2_email_identity."), record
        assert f"dkim_signing_attributes[0].tokens, {index})" in record["name"]
        assert record["name"].endswith("._domainkey.example.com")
        assert record["records"][0].endswith(".dkim.amazonses.com")
    (mx,) = by_type["MX"]
    assert (mx["name"], mx["records"]) == ("mx.example.com", ["10 feedback-smtp.eu-west-1.amazonses.com"])
    (spf,) = by_type["TXT"]
    assert (spf["name"], spf["records"]) == ("mx.example.com", ["v=spf1 include:amazonses.com ~all"])
    listed = stack["output"]["records"]["value"]
    assert sorted((r["name"], r["type"], r["value"]) for r in listed) == sorted(
        (r["name"], r["type"], r["records"][0]) for r in records
    )


def test_without_a_zone_records_are_only_listed() -> None:
    stack = synth()
    assert resources(stack, "aws_route53_record") == {}
    assert len(stack["output"]["records"]["value"]) == 5


def test_existing_identity_builds_only_the_user() -> None:
    stack = synth(create_identity=False)
    assert resources(stack, "aws_sesv2_email_identity") == {}
    assert resources(stack, "aws_route53_record") == {}
    assert stack["output"]["records"]["value"] == []
    assert only(stack, "aws_iam_user")["name"] == "acme-tooling-ses-smtp"


def test_smtp_user_may_only_send_from_the_identity_as_gitlab() -> None:
    stack = synth(partition="aws-cn")
    user = only(stack, "aws_iam_user")
    assert (user["name"], user["path"]) == ("acme-tooling-ses-smtp", "/gitlab/")
    assert resources(stack, "aws_iam_user_policy") == {}
    assert resources(stack, "aws_iam_user_policy_attachment") == {}
    group = only(stack, "aws_iam_group")
    membership = only(stack, "aws_iam_user_group_membership")
    assert membership["groups"] == [ref(stack, "aws_iam_group", "mail/smtp-group", "name")]
    assert membership["user"] == ref(stack, "aws_iam_user", "mail/smtp-user", "name")
    assert group["name"] == "acme-tooling-ses-smtp-senders"
    (statement,) = policy(only(stack, "aws_iam_group_policy"))["Statement"]
    assert statement["Action"] == ["ses:SendRawEmail"]
    assert statement["Resource"] == "arn:aws-cn:ses:eu-west-1:123456789012:identity/example.com"
    assert statement["Condition"] == {"StringEquals": {"ses:FromAddress": ["gitlab@example.com"]}}


def test_no_access_key_and_no_login_profile() -> None:
    stack = synth(zone_id="Z123EXAMPLE")
    assert resources(stack, "aws_iam_access_key") == {}
    assert resources(stack, "aws_iam_user_login_profile") == {}
    assert resources(stack, "aws_secretsmanager_secret_version") == {}


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"from_addresses": ()}, "at least one sender"),
        ({"zone_id": "Z1", "create_identity": False}, "only for an identity this construct creates"),
    ],
)
def test_props_refuse_inconsistent_inputs(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        synth(**changes)
