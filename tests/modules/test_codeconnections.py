"""CodeConnections host construct: GitLab host in the tooling VPC, its security group's four rules."""

from __future__ import annotations

from typing import Any

import pytest
from cdktf import Fn, TerraformLocal, TerraformOutput, TerraformStack, Testing

from modules.codeconnections import (
    CodeConnectionsHost,
    CodeConnectionsHostProps,
    console_url,
    use_connection_action,
)
from modules.naming import Namer
from tests.support.synth import only, ref, resources, synth_stack

PEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
GITLAB_SG = "sg-0aaaaaaaaaaaaaaa1"
ALB_SG = "sg-0bbbbbbbbbbbbbbb2"


def props(**changes: Any) -> CodeConnectionsHostProps:
    values: dict[str, Any] = {
        "namer": Namer("acme", "tooling"),
        "account_id": "111111111111",
        "region": "eu-west-1",
        "gitlab_hostname": "git.example.com",
        "vpc_id": "vpc-0123456789abcdef0",
        "subnet_ids": ["subnet-aaaaaaaa", "subnet-bbbbbbbb"],
        "gitlab_security_group_id": GITLAB_SG,
        "load_balancer_security_group_id": ALB_SG,
        "tls_certificate": PEM,
    }
    values.update(changes)
    return CodeConnectionsHostProps(**values)


@pytest.fixture(scope="module")
def stack() -> dict[str, Any]:
    app = Testing.app()
    scope = TerraformStack(app, "test")
    host = CodeConnectionsHost(scope, "codeconnections", props())
    TerraformOutput(scope, "host_url", value=host.console_url)
    connection = "arn:aws:codeconnections:eu-west-1:111111111111:connection/abc"
    TerraformOutput(scope, "action", value=TerraformLocal(scope, "action-local", use_connection_action(
        Fn.join("", [connection]))).as_string)  # fmt: skip
    return synth_stack(scope)


def test_host_is_gitlab_self_managed_at_its_https_url_in_the_tooling_vpc(stack: dict[str, Any]) -> None:
    host = only(stack, "aws_codeconnections_host")
    assert host["provider_type"] == "GitLabSelfManaged"
    assert host["provider_endpoint"] == "https://git.example.com"
    assert host["name"] == "acme-tooling-gitlab"
    (vpc,) = host["vpc_configuration"]
    assert vpc["vpc_id"] == "vpc-0123456789abcdef0"
    assert vpc["subnet_ids"] == ["subnet-aaaaaaaa", "subnet-bbbbbbbb"]
    assert vpc["security_group_ids"] == [ref(stack, "aws_security_group", "codeconnections/sg", "id")]
    assert vpc["tls_certificate"] == PEM
    # Every connection of every target is on it: never destroyed by a plan.
    assert host["lifecycle"] == {"prevent_destroy": True}
    assert resources(stack, "aws_codestarconnections_host") == {}


def test_security_group_has_exactly_four_https_rules_between_groups(stack: dict[str, Any]) -> None:
    group = only(stack, "aws_security_group")
    assert "ingress" not in group and "egress" not in group
    assert group["name"] == "acme-tooling-codeconnections-host"
    assert group["vpc_id"] == "vpc-0123456789abcdef0"
    host = ref(stack, "aws_security_group", "codeconnections/sg", "id")
    rules = {
        (kind, body["security_group_id"], body["referenced_security_group_id"])
        for kind in ("ingress", "egress")
        for body in resources(stack, f"aws_vpc_security_group_{kind}_rule").values()
    }
    assert rules == {
        ("ingress", host, GITLAB_SG),  # webhooks into the endpoint CodeConnections creates
        ("egress", GITLAB_SG, host),
        ("egress", host, ALB_SG),  # GitLab's API and clones
        ("ingress", ALB_SG, host),
    }
    for kind in ("ingress", "egress"):
        for body in resources(stack, f"aws_vpc_security_group_{kind}_rule").values():
            assert (body["ip_protocol"], body["from_port"], body["to_port"]) == ("tcp", 443, 443)
            assert not {"cidr_ipv4", "cidr_ipv6", "prefix_list_id"} & set(body)
    assert resources(stack, "aws_security_group_rule") == {}


def test_no_certificate_with_a_public_ca() -> None:
    app = Testing.app()
    scope = TerraformStack(app, "test")
    CodeConnectionsHost(scope, "codeconnections", props(tls_certificate=None))
    (vpc,) = only(synth_stack(scope), "aws_codeconnections_host")["vpc_configuration"]
    assert "tls_certificate" not in vpc


def test_host_console_url_points_at_the_host(stack: dict[str, Any]) -> None:
    base = "https://eu-west-1.console.aws.amazon.com/codesuite/settings/111111111111/eu-west-1/"
    arn = ref(stack, "aws_codeconnections_host", "codeconnections/host", "arn")[2:-1]
    assert stack["output"]["host_url"]["value"] == (
        f'${{join("", ["{base}", element(split(":", {arn}), 2), "/hosts/", '
        f'element(split("/", {arn}), 1), "?region=eu-west-1"])}}'
    )


def test_console_urls_name_the_arns_service_and_resource() -> None:
    # The console's own link for a connection (AWS documents only the entry page).
    old = "arn:aws:codestar-connections:us-west-2:384862141196:connection/f8234ecc-8990-4e63-b25a-ec36764b7701"
    new = old.replace("codestar-connections", "codeconnections")
    base = "https://us-west-2.console.aws.amazon.com/codesuite/settings/384862141196/us-west-2/"
    assert console_url(new, "384862141196", "us-west-2", "connections") == (
        f"{base}codeconnections/connections/f8234ecc-8990-4e63-b25a-ec36764b7701?region=us-west-2"
    )
    assert console_url(old, "384862141196", "us-west-2", "connections") == (
        f"{base}codestar-connections/connections/f8234ecc-8990-4e63-b25a-ec36764b7701?region=us-west-2"
    )
    host = "arn:aws:codestar-connections:us-west-2:384862141196:host/acme-gitlab-28aef605"
    assert console_url(host, "384862141196", "us-west-2", "hosts") == (
        f"{base}codestar-connections/hosts/acme-gitlab-28aef605?region=us-west-2"
    )


def test_use_connection_prefix_follows_the_arn_service(stack: dict[str, Any]) -> None:
    old = "arn:aws:codestar-connections:eu-west-1:222222222222:connection/abc"
    new = "arn:aws:codeconnections:eu-west-1:222222222222:connection/abc"
    assert use_connection_action(old) == "codestar-connections:UseConnection"
    assert use_connection_action(new) == "codeconnections:UseConnection"
    # Unknown until apply: Terraform takes the service from the ARN itself.
    derived = stack["locals"]["action-local"]
    assert derived.startswith('${join(":", [element(split(":", join("", ["arn:aws:codeconnections:')
    assert derived.endswith('"])), 2), "UseConnection"])}')


def test_one_subnet_is_not_enough() -> None:
    with pytest.raises(ValueError, match="at least two AZs"):
        props(subnet_ids=["subnet-a", "subnet-a"])
