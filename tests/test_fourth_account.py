"""A fourth target account is one new file in environments/ and nothing else."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from config.loader import load_environments
from stacks.atlantis import render
from tests.conftest import EXAMPLE
from tests.support.synth import by_path, only, policy, ref, resources
from tests.support.terraform import Terraform, remote_state_fixtures
from tests.support.transit import transit_reachability, vpc_routes_to_gateway

QA = """\
# yaml-language-server: $schema=./schema.json
role: target
account_id: "444444444444"
region: ap-northeast-1
deploy_role_arn: arn:aws:iam::444444444444:role/terraform-deploy
network:
  vpc_cidr: 10.40.0.0/16
  availability_zones: [ap-northeast-1a, ap-northeast-1c]
delivery:
  pipelines_enabled: true
  pipelines:
    webapp: {repository: delivery/webapp, branch: release}
"""


@pytest.fixture(scope="module")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    from stacks.app import build_app

    root = tmp_path_factory.mktemp("fourth")
    environments_dir = root / "environments"
    shutil.copytree(EXAMPLE, environments_dir)
    (environments_dir / "qa.yaml").write_text(QA, encoding="utf-8")
    out = root / "cdktf.out"
    app, stacks = build_app(load_environments(environments_dir), str(out))
    app.synth()
    parsed = {name: json.loads((out / "stacks" / name / "cdk.tf.json").read_text(encoding="utf-8")) for name in stacks}
    return parsed, json.loads((out / "manifest.json").read_text(encoding="utf-8"))


def test_new_workspace_between_tooling_and_hub_routing(
    synthesized: tuple[dict[str, dict[str, Any]], dict[str, Any]],
) -> None:
    stacks, manifest = synthesized
    assert list(stacks) == [
        "bootstrap",
        "tooling",
        "production",
        "qa",
        "staging",
        "tooling-hub-routing",
        "tooling-gitlab",
    ]
    assert set(manifest["stacks"]["qa"]["dependencies"]) == {"bootstrap", "tooling"}
    assert "qa" in manifest["stacks"]["tooling-hub-routing"]["dependencies"]


def test_tooling_has_a_connection_for_the_new_account_shared_with_it_only(
    synthesized: tuple[dict[str, dict[str, Any]], dict[str, Any]],
) -> None:
    tooling = synthesized[0]["tooling"]
    connection = by_path(tooling, "aws_codeconnections_connection", "codeconnections-qa/connection")
    assert connection["host_arn"] == ref(tooling, "aws_codeconnections_host", "codeconnections/host", "arn")
    share = ref(tooling, "aws_ram_resource_share", "codeconnections-qa/share", "arn")
    principals = [
        p["principal"]
        for p in resources(tooling, "aws_ram_principal_association").values()
        if p["resource_share_arn"] == share
    ]
    assert principals == ["444444444444"]
    arn = ref(tooling, "aws_codeconnections_connection", "codeconnections-qa/connection", "arn")
    assert tooling["output"]["codeconnections_connection_arn_qa"]["value"] == arn
    # Still one host for every target.
    assert len(resources(tooling, "aws_codeconnections_host")) == 1


def test_new_account_pipeline_uses_its_own_connection(
    synthesized: tuple[dict[str, dict[str, Any]], dict[str, Any]],
) -> None:
    qa = synthesized[0]["qa"]
    connection = "${data.terraform_remote_state.state-tooling.outputs.codeconnections_connection_arn_qa}"
    pipeline = by_path(qa, "aws_codepipeline", "pipeline-webapp/pipeline")
    source = pipeline["stage"][0]["action"][0]["configuration"]
    assert (source["ConnectionArn"], source["BranchName"]) == (connection, "release")
    grants = {
        s["Sid"]: s for s in policy(by_path(qa, "aws_iam_role_policy", "pipeline-webapp/pipeline-policy"))["Statement"]
    }
    assert grants["UseGitLabConnection"]["Resource"] == connection
    assert qa["output"]["pipeline_names"]["value"] == {"webapp": "gitlab-qa-webapp"}
    assert resources(qa, "aws_codeconnections_host") == {}


def test_tooling_shares_with_and_routes_to_the_new_account(
    synthesized: tuple[dict[str, dict[str, Any]], dict[str, Any]],
) -> None:
    tooling = synthesized[0]["tooling"]
    principals = {p["principal"] for p in resources(tooling, "aws_ram_principal_association").values()}
    assert "444444444444" in principals
    assert all("10.40.0.0/16" in routes for routes in vpc_routes_to_gateway(tooling).values())


def test_new_account_is_attached_and_segmented(synthesized: tuple[dict[str, dict[str, Any]], dict[str, Any]]) -> None:
    stacks = synthesized[0]
    qa = stacks["qa"]
    assert only(qa, "aws_vpc")["cidr_block"] == "10.40.0.0/16"
    assert all(routes == {"10.10.0.0/16"} for routes in vpc_routes_to_gateway(qa).values())
    reach = transit_reachability(stacks)
    assert reach["qa"] == {"tooling"}
    assert reach["tooling"] == {"production", "qa", "staging"}
    assert reach["staging"] == {"tooling"}


def test_gitlab_admits_and_resolves_for_the_new_account(
    synthesized: tuple[dict[str, dict[str, Any]], dict[str, Any]],
) -> None:
    stacks = synthesized[0]
    tooling, qa = stacks["tooling"], stacks["qa"]
    alb_group = ref(tooling, "aws_security_group", "gitlab-alb/sg", "id")
    admitted = {
        r.get("cidr_ipv4")
        for r in resources(tooling, "aws_vpc_security_group_ingress_rule").values()
        if r["security_group_id"] == alb_group and r["from_port"] == 443
    }
    assert "10.40.0.0/16" in admitted
    record = by_path(qa, "aws_route53_record", "gitlab-dns/alias")
    assert record["name"] == "gitlab.example.com"
    assert record["alias"]["name"] == "${data.terraform_remote_state.state-tooling.outputs.gitlab_alb_dns_name}"


def test_state_grant_and_atlantis_project_follow(synthesized: tuple[dict[str, dict[str, Any]], dict[str, Any]]) -> None:
    # Generated from the new file too: re-apply the bootstrap and run `make atlantis` (docs/network.md).
    stacks, manifest = synthesized
    bucket = by_path(stacks["bootstrap"], "aws_s3_bucket_policy", "state/bucket/policy")
    role = "arn:aws:iam::444444444444:role/terraform-deploy"
    grants = {s["Sid"]: s for s in policy(bucket)["Statement"]}
    (sid,) = (
        sid.removesuffix("DenyOtherReads")
        for sid, s in grants.items()
        if sid.endswith("DenyOtherReads") and s["Condition"]["ArnEquals"]["aws:PrincipalArn"] == role
    )
    assert grants[f"{sid}WriteOwnState"]["Resource"].endswith("/qa.tfstate")
    assert grants[f"{sid}ReadDependencies"]["Resource"].endswith("/tooling.tfstate")
    projects = {p["name"]: p["execution_order_group"] for p in yaml.safe_load(render(manifest))["projects"]}
    assert projects == {
        "tooling": 0,
        "production": 1,
        "qa": 1,
        "staging": 1,
        "tooling-hub-routing": 2,
        "tooling-gitlab": 1,
    }


def test_new_workspace_plans_offline(
    synthesized: tuple[dict[str, dict[str, Any]], dict[str, Any]], tmp_path: Path
) -> None:
    stacks = synthesized[0]
    source = tmp_path / "source"
    source.mkdir()
    (source / "cdk.tf.json").write_text(json.dumps(stacks["qa"]), encoding="utf-8")
    run = Terraform(tmp_path / ".config").check_workspace(
        "qa", source, tmp_path, remote_state_fixtures(stacks["qa"], stacks)
    )
    assert run.ok, run.report()
