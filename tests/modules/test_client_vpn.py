"""ClientVpn: authentication by props, logs, split tunnel, resolver DNS, SG, associations."""

from __future__ import annotations

from typing import Any

import pytest
from cdktf import TerraformStack, Testing

from modules.client_vpn import ClientVpn, ClientVpnProps, vpc_resolver
from modules.naming import Namer
from tests.support.synth import by_path, only, policy, ref, resources, synth_stack

CERT = "arn:aws:acm:eu-west-1:123456789012:certificate/00000000-0000-0000-0000-00000000000"
SAML = "arn:aws:iam::123456789012:saml-provider/idp"
SUBNETS = {"eu-west-1a": "subnet-a", "eu-west-1b": "subnet-b"}


def props(**overrides: Any) -> ClientVpnProps:
    values: dict[str, Any] = {
        "namer": Namer("acme", "tooling"),
        "account_id": "123456789012",
        "region": "eu-west-1",
        "vpc_id": "vpc-1",
        "vpc_cidr": "10.10.0.0/16",
        "subnet_ids": SUBNETS,
        "client_cidr": "10.250.0.0/22",
        "server_certificate_arn": CERT + "1",
        "client_root_certificate_chain_arn": CERT + "2",
    }
    return ClientVpnProps(**{**values, **overrides})


def vpn(**overrides: Any) -> dict[str, Any]:
    app = Testing.app()
    scope = TerraformStack(app, "test")
    ClientVpn(scope, "vpn", props(**overrides))
    return synth_stack(scope)


@pytest.fixture(scope="module")
def stack() -> dict[str, Any]:
    return vpn(other_networks={"staging": "10.20.0.0/16"})


def test_mutual_tls_split_tunnel_and_vpc_resolver(stack: dict[str, Any]) -> None:
    endpoint = only(stack, "aws_ec2_client_vpn_endpoint")
    assert endpoint["authentication_options"] == [
        {"type": "certificate-authentication", "root_certificate_chain_arn": CERT + "2"}
    ]
    assert endpoint["server_certificate_arn"] == CERT + "1"
    assert endpoint["client_cidr_block"] == "10.250.0.0/22"
    assert endpoint["split_tunnel"] is True
    assert endpoint["dns_servers"] == ["10.10.0.2"] == [vpc_resolver("10.10.0.0/16")]
    assert endpoint["self_service_portal"] == "disabled"
    assert endpoint["security_group_ids"] == [ref(stack, "aws_security_group", "vpn/sg", "id")]


def test_saml_federation() -> None:
    endpoint = only(
        vpn(client_root_certificate_chain_arn=None, saml_provider_arn=SAML, self_service_saml_provider_arn=SAML),
        "aws_ec2_client_vpn_endpoint",
    )
    assert endpoint["authentication_options"] == [
        {"type": "federated-authentication", "saml_provider_arn": SAML, "self_service_saml_provider_arn": SAML}
    ]
    assert endpoint["self_service_portal"] == "enabled"


def test_exactly_one_authentication_and_two_subnets() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        props(saml_provider_arn=SAML)
    with pytest.raises(ValueError, match="exactly one"):
        props(client_root_certificate_chain_arn=None)
    with pytest.raises(ValueError, match="at least two"):
        props(subnet_ids={"eu-west-1a": "subnet-a"})


def test_connection_logs_to_an_encrypted_group(stack: dict[str, Any]) -> None:
    options = only(stack, "aws_ec2_client_vpn_endpoint")["connection_log_options"]
    assert options["enabled"] is True
    assert options["cloudwatch_log_group"] == ref(stack, "aws_cloudwatch_log_group", "vpn/logs", "name")
    assert options["cloudwatch_log_stream"] == ref(stack, "aws_cloudwatch_log_stream", "vpn/connections", "name")
    group = only(stack, "aws_cloudwatch_log_group")
    assert group["name"] == "/acme/tooling/client-vpn"
    assert group["retention_in_days"] == 365
    assert group["kms_key_id"] == ref(stack, "aws_kms_key", "vpn/logs-key", "arn")
    grant = {s["Sid"]: s for s in policy(only(stack, "aws_kms_key"))["Statement"]}["CloudWatchLogsForClientVpnLogGroup"]
    assert grant["Condition"]["ArnEquals"]["kms:EncryptionContext:aws:logs:arn"].endswith(":/acme/tooling/client-vpn")


def test_associated_with_every_given_subnet(stack: dict[str, Any]) -> None:
    associations = resources(stack, "aws_ec2_client_vpn_network_association").values()
    assert sorted(a["subnet_id"] for a in associations) == ["subnet-a", "subnet-b"]


def test_authorized_and_routed_to_the_vpc_and_other_networks(stack: dict[str, Any]) -> None:
    rules = resources(stack, "aws_ec2_client_vpn_authorization_rule").values()
    assert sorted(r["target_network_cidr"] for r in rules) == ["10.10.0.0/16", "10.20.0.0/16"]
    assert all(r["authorize_all_groups"] is True for r in rules)
    # The VPC's own route comes with each association; other networks need one per subnet.
    routes = resources(stack, "aws_ec2_client_vpn_route").values()
    assert sorted((r["destination_cidr_block"], r["target_vpc_subnet_id"]) for r in routes) == [
        ("10.20.0.0/16", "subnet-a"),
        ("10.20.0.0/16", "subnet-b"),
    ]


def test_saml_group_restricts_authorization() -> None:
    stack = vpn(client_root_certificate_chain_arn=None, saml_provider_arn=SAML, access_group_id="gitlab-users")
    rule = only(stack, "aws_ec2_client_vpn_authorization_rule")
    assert rule["access_group_id"] == "gitlab-users"
    assert "authorize_all_groups" not in rule


def test_own_security_group_allows_https_and_dns_only(stack: dict[str, Any]) -> None:
    group = by_path(stack, "aws_security_group", "vpn/sg")
    assert "ingress" not in group and "egress" not in group
    rules = resources(stack, "aws_vpc_security_group_egress_rule").values()
    assert sorted((r["ip_protocol"], r["from_port"], r["cidr_ipv4"]) for r in rules) == [
        ("tcp", 53, "10.10.0.2/32"),
        ("tcp", 443, "10.10.0.0/16"),
        ("tcp", 443, "10.20.0.0/16"),
        ("udp", 53, "10.10.0.2/32"),
    ]
    assert resources(stack, "aws_vpc_security_group_ingress_rule") == {}
