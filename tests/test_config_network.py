"""Configuration of the Transit Gateway and Client VPN: each rule and its message."""

from __future__ import annotations

from pathlib import Path

import pytest

from config.loader import load_environments
from config.transit import TransitGatewayConfig
from tests.test_config import TARGET, TOOLING, only_problem, problems, write

CERT = "arn:aws:acm:ap-northeast-1:111111111111:certificate/00000000-0000-0000-0000-00000000000"
VPN = f"""\
client_vpn:
  client_cidr: {{cidr}}
  server_certificate_arn: {CERT}1
  authentication:
    type: mutual-tls
    client_root_certificate_chain_arn: {CERT}2
"""


def vpn(cidr: str = "10.250.0.0/22", extra: str = "") -> str:
    return TOOLING + VPN.format(cidr=cidr) + extra


def test_defaults_and_a_valid_vpn(tmp_path: Path) -> None:
    env = load_environments(write(tmp_path / "e", tooling=vpn(), a=TARGET))
    assert env.tooling.transit_gateway is None  # the stack uses TransitGatewayConfig() then
    defaults = TransitGatewayConfig()  # type: ignore[call-arg]
    assert defaults.auto_accept_shared_attachments is False
    assert (defaults.share_mode, defaults.amazon_side_asn) == ("organization", 64512)
    assert env.tooling.client_vpn is not None
    assert env.tooling.client_vpn.authentication.type == "mutual-tls"
    assert env.tooling.client_vpn.split_tunnel is True


def test_saml_authentication(tmp_path: Path) -> None:
    text = vpn().replace(
        f"    type: mutual-tls\n    client_root_certificate_chain_arn: {CERT}2\n",
        "    type: saml\n    saml_provider_arn: arn:aws:iam::111111111111:saml-provider/okta\n",
    )
    env = load_environments(write(tmp_path / "e", tooling=text))
    assert env.tooling.client_vpn is not None
    assert env.tooling.client_vpn.authentication.type == "saml"


def test_vpn_client_cidr_overlapping_a_vpc_is_rejected(tmp_path: Path) -> None:
    found = only_problem(write(tmp_path / "e", tooling=vpn("10.20.0.0/22"), staging=TARGET))
    assert found.startswith(
        "e/tooling.yaml: client_vpn.client_cidr: VPN client CIDR 10.20.0.0/22 overlaps the VPC 10.20.0.0/16 "
        "of e/staging.yaml"
    )
    assert "no VPC of any account uses" in found
    own = only_problem(write(tmp_path / "f", tooling=vpn("10.0.0.0/12")))
    assert "VPN client CIDR 10.0.0.0/12 overlaps the VPC 10.10.0.0/16 of f/tooling.yaml" in own


@pytest.mark.parametrize("cidr", ["10.250.0.0/23", "10.0.0.0/11"])
def test_vpn_client_cidr_size(tmp_path: Path, cidr: str) -> None:
    found = only_problem(write(tmp_path / "e", tooling=vpn(cidr)))
    assert f"client_vpn.client_cidr: client CIDR {cidr} has prefix /{cidr.split('/')[1]}, outside /12 to /22" in found
    assert "between /12 and /22" in found


def test_target_cidr_overlapping_tooling_is_rejected_on_the_target(tmp_path: Path) -> None:
    found = only_problem(write(tmp_path / "e", tooling=TOOLING, staging=TARGET.replace("10.20.0.0/16", "10.10.0.0/20")))
    assert found.startswith("e/staging.yaml: network.vpc_cidr: 10.10.0.0/20 overlaps the tooling VPC 10.10.0.0/16")


def test_network_sections_only_on_the_tooling_account(tmp_path: Path) -> None:
    target = TARGET + "transit_gateway: {amazon_side_asn: 64513}\n" + VPN.format(cidr="10.250.0.0/22")
    found = problems(write(tmp_path / "e", tooling=TOOLING, a=target))
    assert sorted(found) == [
        "e/a.yaml: client_vpn: Client VPN belongs to the tooling account\n"
        "    hint: remove client_vpn here; VPN users reach target VPCs through the tooling account "
        "(client_vpn.target_vpcs)",
        "e/a.yaml: transit_gateway: the Transit Gateway belongs to the tooling account\n"
        "    hint: remove transit_gateway here; target accounts attach to the tooling account's Transit Gateway",
    ]


def test_vpn_zones_are_configured_zones_and_at_least_two(tmp_path: Path) -> None:
    found = problems(write(tmp_path / "e", tooling=vpn(extra="  availability_zones: [ap-northeast-1d]\n")))
    assert any("client_vpn.availability_zones[0]: 'ap-northeast-1d' is not one of network.availability_zones" in p
               for p in found)  # fmt: skip
    assert any("Client VPN needs subnets in at least two" in p for p in found)


def test_asn_share_mode_and_arns(tmp_path: Path) -> None:
    text = TOOLING + "transit_gateway: {amazon_side_asn: 65535, share_mode: everyone}\n"
    found = problems(write(tmp_path / "e", tooling=text))
    assert any("transit_gateway.amazon_side_asn: 65535 is not a private ASN" in p for p in found)
    assert any("transit_gateway.share_mode" in p for p in found)
    bad_arn = vpn().replace(f"server_certificate_arn: {CERT}1", "server_certificate_arn: my-cert")
    assert "'my-cert' is not an ACM certificate ARN" in only_problem(write(tmp_path / "f", tooling=bad_arn))


def test_hub_routing_workspace_name_is_reserved(tmp_path: Path) -> None:
    found = only_problem(write(tmp_path / "e", tooling=TOOLING, a=TARGET + "workspace: tooling-hub-routing\n"))
    assert "e/a.yaml: workspace: 'tooling-hub-routing' is the tooling account's hub-routing workspace" in found
    found = only_problem(write(tmp_path / "g", tooling=TOOLING, a=TARGET + "workspace: tooling-gitlab\n"))
    assert "g/a.yaml: workspace: 'tooling-gitlab' is the tooling account's GitLab workspace" in found
