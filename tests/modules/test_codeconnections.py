"""CodeConnections construct: GitLab host in the VPC, HTTPS-only security group, connection."""

from __future__ import annotations

from typing import Any

import pytest
from cdktf import TerraformOutput, TerraformStack, Testing

from modules.codeconnections import CodeConnections, CodeConnectionsProps, console_url, use_connection_action
from modules.naming import Namer
from tests.support.synth import only, ref, resources, synth_stack

PEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"


@pytest.fixture(scope="module")
def stack() -> dict[str, Any]:
    app = Testing.app()
    scope = TerraformStack(app, "test")
    connections = CodeConnections(
        scope,
        "codeconnections",
        CodeConnectionsProps(
            namer=Namer("acme", "staging"),
            account_id="222222222222",
            region="eu-west-1",
            gitlab_hostname="git.example.com",
            vpc_id="vpc-0123456789abcdef0",
            subnet_ids=["subnet-aaaaaaaa", "subnet-bbbbbbbb"],
            gitlab_cidr="10.10.0.0/16",
            tls_certificate=PEM,
        ),
    )
    TerraformOutput(scope, "host_url", value=connections.host_console_url)
    TerraformOutput(scope, "connection_url", value=connections.connection_console_url)
    TerraformOutput(scope, "action", value=connections.use_connection_action)
    return synth_stack(scope)


def test_host_is_gitlab_self_managed_at_its_https_url_inside_the_vpc(stack: dict[str, Any]) -> None:
    host = only(stack, "aws_codestarconnections_host")
    assert host["provider_type"] == "GitLabSelfManaged"
    assert host["provider_endpoint"] == "https://git.example.com"
    assert host["name"] == "acme-staging-gitlab"
    vpc = host["vpc_configuration"]
    assert vpc["vpc_id"] == "vpc-0123456789abcdef0"
    assert vpc["subnet_ids"] == ["subnet-aaaaaaaa", "subnet-bbbbbbbb"]
    assert vpc["security_group_ids"] == [ref(stack, "aws_security_group", "host-sg", "id")]
    assert vpc["tls_certificate"] == PEM


def test_security_group_allows_only_https_to_the_tooling_vpc(stack: dict[str, Any]) -> None:
    group = only(stack, "aws_security_group")
    assert "ingress" not in group and "egress" not in group
    assert group["vpc_id"] == "vpc-0123456789abcdef0"
    rule = only(stack, "aws_vpc_security_group_egress_rule")
    assert rule["security_group_id"] == ref(stack, "aws_security_group", "host-sg", "id")
    assert (rule["ip_protocol"], rule["from_port"], rule["to_port"]) == ("tcp", 443, 443)
    assert rule["cidr_ipv4"] == "10.10.0.0/16"
    assert resources(stack, "aws_vpc_security_group_ingress_rule") == {}
    assert resources(stack, "aws_security_group_rule") == {}


def test_connection_is_on_the_host(stack: dict[str, Any]) -> None:
    connection = only(stack, "aws_codestarconnections_connection")
    assert connection["host_arn"] == ref(stack, "aws_codestarconnections_host", "host", "arn")
    assert connection["name"] == "acme-staging-gitlab"
    assert "provider_type" not in connection  # given by the host


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


def test_console_urls_point_at_host_and_connection(stack: dict[str, Any]) -> None:
    base = "https://eu-west-1.console.aws.amazon.com/codesuite/settings/222222222222/eu-west-1/"
    for output, resource, kind in (
        ("host_url", ref(stack, "aws_codestarconnections_host", "host", "arn"), "hosts"),
        ("connection_url", ref(stack, "aws_codestarconnections_connection", "connection", "arn"), "connections"),
    ):
        arn = resource[2:-1]
        assert stack["output"][output]["value"] == (
            f'${{join("", ["{base}", element(split(":", {arn}), 2), "/{kind}/", '
            f'element(split("/", {arn}), 1), "?region=eu-west-1"])}}'
        )


def test_use_connection_prefix_follows_the_arn_service(stack: dict[str, Any]) -> None:
    old = "arn:aws:codestar-connections:eu-west-1:222222222222:connection/abc"
    new = "arn:aws:codeconnections:eu-west-1:222222222222:connection/abc"
    assert use_connection_action(old) == "codestar-connections:UseConnection"
    assert use_connection_action(new) == "codeconnections:UseConnection"
    # Unknown until apply: Terraform takes the service from the ARN itself.
    reference = stack["output"]["action"]["value"]
    assert reference.startswith("${local.codeconnections_use-connection-action_")
    derived = stack["locals"][reference[len("${local.") : -1]]
    assert derived.startswith('${join(":", [element(split(":", aws_codestarconnections_connection.')
    assert derived.endswith('.arn), 2), "UseConnection"])}')


def test_one_subnet_is_not_enough() -> None:
    with pytest.raises(ValueError, match="at least two AZs"):
        CodeConnectionsProps(
            namer=Namer("acme", "staging"),
            account_id="222222222222",
            region="eu-west-1",
            gitlab_hostname="git.example.com",
            vpc_id="vpc-1",
            subnet_ids=["subnet-a", "subnet-a"],
            gitlab_cidr="10.10.0.0/16",
        )
