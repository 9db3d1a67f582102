"""The flow matrix on the example's synthesis: every needed flow holds, every forbidden one is
impossible, every name resolves where it must; docs/network.md and docs/architecture.dot match it."""

from __future__ import annotations

import copy
import shutil
import subprocess
from pathlib import Path

import pytest

from flows.matrix import Checked, CheckedName, check, redis_port
from flows.network import Network
from flows.render import BEGIN, END, accounts_of, dot, markdown, replace_section
from tests.conftest import Synthesis

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def network(synthesis: Synthesis) -> Network:
    return Network(synthesis.stacks)


@pytest.fixture(scope="module")
def matrix(network: Network, synthesis: Synthesis) -> tuple[list[Checked], list[CheckedName]]:
    return check(network, synthesis.environments.tooling.name, redis_port(synthesis.environments))


def test_needed_flows_hold(matrix: tuple[list[Checked], list[CheckedName]]) -> None:
    failing = [f"{r.flow.src} -> {r.flow.dst} {r.flow.port_text}: {r.verdict.because}" for r in matrix[0]
               if r.flow.must and not r.ok]  # fmt: skip
    assert not failing, "\n".join(failing)


def test_forbidden_flows_are_impossible(matrix: tuple[list[Checked], list[CheckedName]]) -> None:
    possible = [f"{r.flow.src} -> {r.flow.dst} {r.flow.port_text}: {r.verdict.because}" for r in matrix[0]
                if not r.flow.must and not r.ok]  # fmt: skip
    assert not possible, "\n".join(possible)


def test_names_resolve(matrix: tuple[list[Checked], list[CheckedName]]) -> None:
    wrong = [f"{n.name.name} from {n.name.workspace}: {n.resolution}" for n in matrix[1] if not n.ok]
    assert not wrong, "\n".join(wrong)


def test_gitlab_reaches_and_resolves_the_webhook_endpoint(
    matrix: tuple[list[Checked], list[CheckedName]], network: Network
) -> None:
    flows = [r for r in matrix[0] if r.flow.dst.split("/")[-1].startswith("webhook-endpoint:")]
    names = [n for n in matrix[1] if n.name.expect.split("/")[-1].startswith("webhook-endpoint:")]
    assert flows and names
    # The host sits beside GitLab (issue 10): its webhook endpoint is in the tooling VPC.
    assert {network.nodes[r.flow.dst].workspace for r in flows} == {"tooling"}
    assert all(r.ok for r in flows), [r.verdict.because for r in flows]
    assert all(n.ok for n in names), [n.resolution for n in names]


def test_the_matrix_covers_what_the_system_needs(matrix: tuple[list[Checked], list[CheckedName]]) -> None:
    """Each class of flow of issue 10 is in the matrix, so that a node the model stops finding
    (a renamed resource type) cannot silently empty it."""
    rows = {(r.flow.src.split(":")[0], r.flow.dst.split(":")[0], r.flow.port_text, r.flow.must) for r in matrix[0]}
    for needed in [
        ("vpn-client", "tooling/alb", "tcp/443", True),
        ("vpn-client", "tooling/nlb", "tcp/22", True),
        ("tooling/alb", "tooling/ecs", "tcp/80", True),
        ("tooling/ecs", "tooling/database", "tcp/5432", True),
        ("tooling/ecs", "tooling/efs", "tcp/2049", True),
        ("tooling/ecs", "tooling/endpoint", "tcp/443", True),
        ("tooling/ecs", "tooling/endpoint", "tcp/587", True),
        ("production/codebuild", "production/endpoint", "tcp/443", True),
        ("production/codebuild", "tooling/alb", "tcp/443", True),
        ("staging/vpc", "production/vpc", "any", False),
        ("production/vpc", "staging/vpc", "any", False),
        ("staging/vpc", "tooling/database", "tcp/any", False),
        ("production/vpc", "tooling/efs", "tcp/any", False),
        ("tooling/ecs", "internet", "any", False),
        ("tooling/ecs", "tooling/alb", "tcp/any", False),
        ("outside", "tooling/vpc", "any", False),
    ]:
        assert needed in rows, needed
    assert any(r.flow.src.startswith("tooling/host:") and r.flow.dst.startswith("tooling/alb:") for r in matrix[0])
    assert any(r.flow.dst.split(":")[0].endswith("/webhook-endpoint") for r in matrix[0])


EGRESS, INGRESS = "aws_vpc_security_group_egress_rule", "aws_vpc_security_group_ingress_rule"
# (workspace, resource type, construct ID prefix, a needed flow it carries: source and destination prefixes).
# GitLab's egress names each peer's security group, so each of its rules alone carries its flows.
CARRIERS = [
    ("tooling", EGRESS, "codeconnections_gitlab-to-webhooks_", ("tooling/ecs:", "tooling/webhook-endpoint:")),
    ("tooling", EGRESS, "gitlab-service_to-endpoints_", ("tooling/ecs:", "tooling/endpoint:")),
    ("tooling", EGRESS, "gitlab-service_to-smtp_", ("tooling/ecs:", "tooling/endpoint:email-smtp")),
    ("tooling", EGRESS, "client-vpn_egress-dns-udp_", ("vpn-client", "tooling/resolver")),
    ("tooling", INGRESS, "codeconnections_webhooks-from-gitlab_", ("tooling/ecs:", "tooling/webhook-endpoint:")),
    ("tooling", EGRESS, "codeconnections_to-gitlab-alb_", ("tooling/host:", "tooling/alb:")),
    ("tooling", INGRESS, "gitlab-service_database-from-task_", ("tooling/ecs:", "tooling/database:")),
    ("tooling", INGRESS, "gitlab-alb_ingress-443-103000_16_", ("production/codebuild:", "tooling/alb:")),
    (
        "tooling",
        "aws_route",
        "transit-attachment_to-production-ap-northeast-1a_",
        ("production/codebuild:", "tooling/"),
    ),
    (
        "tooling-hub-routing",
        "aws_ec2_transit_gateway_route_table_propagation",
        "production_propagation-hub_",
        ("production/codebuild:", "tooling/alb:"),
    ),
    (
        "production",
        EGRESS,
        "pipeline-webapp_build-sg-https-103000_16_",
        ("production/codebuild:", "production/endpoint:"),
    ),
]


@pytest.mark.parametrize(("workspace", "rtype", "prefix", "breaks"), CARRIERS)
def test_taking_a_real_rule_away_breaks_its_flows(
    synthesis: Synthesis, workspace: str, rtype: str, prefix: str, breaks: tuple[str, str]
) -> None:
    """The matrix rests on the synthesized resources: without one of them, a needed flow fails."""
    stacks = copy.deepcopy(synthesis.stacks)
    found = [name for name in stacks[workspace]["resource"][rtype] if name.startswith(prefix)]
    assert len(found) == 1, (prefix, sorted(stacks[workspace]["resource"][rtype]))
    del stacks[workspace]["resource"][rtype][found[0]]
    checked, _names = check(Network(stacks), synthesis.environments.tooling.name)
    broken = [r for r in checked if r.flow.must and not r.ok]
    assert any(r.flow.src.startswith(breaks[0]) and r.flow.dst.startswith(breaks[1]) for r in broken), [
        (r.flow.src, r.flow.dst) for r in broken
    ]


def test_no_other_way_into_the_network(network: Network) -> None:
    assert not network.entries, "a VPN connection, Direct Connect or peering enters the network: add it to the model"
    assert not network.internet_gateways


def test_docs_network_md_is_current(matrix: tuple[list[Checked], list[CheckedName]]) -> None:
    document = (ROOT / "docs" / "network.md").read_text(encoding="utf-8")
    assert BEGIN in document and END in document, "docs/network.md lost its generated markers"
    assert replace_section(document, markdown(*matrix)) == document, "docs/network.md is stale: run `make diagram`"


def test_architecture_diagram_is_current(matrix: tuple[list[Checked], list[CheckedName]], network: Network) -> None:
    committed = (ROOT / "docs" / "architecture.dot").read_text(encoding="utf-8")
    assert dot(network, matrix[0], accounts_of(network)) == committed, (
        "docs/architecture.dot is stale: run `make diagram`"
    )
    assert (ROOT / "docs" / "architecture.svg").is_file()
    assert "docs/architecture.svg" in (ROOT / "README.md").read_text(encoding="utf-8")


@pytest.mark.skipif(shutil.which("dot") is None, reason="graphviz's dot is not installed (README prerequisites)")
def test_the_diagram_renders(tmp_path: Path) -> None:
    result = subprocess.run(
        ["dot", "-Tsvg", "-o", str(tmp_path / "a.svg"), str(ROOT / "docs" / "architecture.dot")],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "<svg" in (tmp_path / "a.svg").read_text(encoding="utf-8")
