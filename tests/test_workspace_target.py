"""Target workspaces (staging, production, any more), from the shared synthesis."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import EXAMPLE, Synthesis, example_environments
from tests.support.synth import address, by_path, only, policy, ref, resources
from tests.support.terraform import OVERRIDE_FILE, WorkspaceRun

TARGETS = list(example_environments().targets)
# Each target's connection is the tooling account's, read through its state.
CONNECTION = "data.terraform_remote_state.state-tooling.outputs.codeconnections_connection_arn_{workspace}"


def test_example_has_staging_and_production() -> None:
    assert TARGETS == ["production", "staging"]


@pytest.mark.parametrize("workspace", TARGETS)
def test_network_from_its_own_configuration(synthesis: Synthesis, workspace: str) -> None:
    stack = synthesis.stacks[workspace]
    account = synthesis.environments.targets[workspace]
    assert only(stack, "aws_vpc")["cidr_block"] == account.network.vpc_cidr
    subnets = {s["availability_zone"]: s["cidr_block"] for s in resources(stack, "aws_subnet").values()}
    assert subnets == account.network.private_subnets
    assert (
        by_path(stack, "aws_cloudwatch_log_group", "network/flow-logs")["name"] == f"/gitlab/{workspace}/vpc-flow-logs"
    )
    assert resources(stack, "aws_internet_gateway") == {}


def test_production_spans_three_azs(synthesis: Synthesis) -> None:
    assert len(resources(synthesis.stacks["production"], "aws_subnet")) == 3


TOOLING_STATE = "data.terraform_remote_state.state-tooling.outputs"


@pytest.mark.parametrize("workspace", TARGETS)
def test_reads_the_tooling_state_through_the_same_backend(synthesis: Synthesis, workspace: str) -> None:
    states = synthesis.stacks[workspace]["data"]["terraform_remote_state"]
    assert states == {"state-tooling": {"backend": "local", "config": {"path": "../../../terraform.tooling.tfstate"}}}


@pytest.mark.parametrize("workspace", TARGETS)
def test_attached_to_the_shared_gateway_in_every_subnet(synthesis: Synthesis, workspace: str) -> None:
    stack = synthesis.stacks[workspace]
    attachment = only(stack, "aws_ec2_transit_gateway_vpc_attachment")
    assert attachment["transit_gateway_id"] == f"${{{TOOLING_STATE}.transit_gateway_id}}"
    assert len(attachment["subnet_ids"]) == len(synthesis.environments.targets[workspace].network.availability_zones)
    # Organization mode: no invitation to accept.
    assert resources(stack, "aws_ram_resource_share_accepter") == {}
    assert stack["output"]["transit_gateway_attachment_id"]["value"] == ref(
        stack, "aws_ec2_transit_gateway_vpc_attachment", "transit-attachment/attachment", "id"
    )


@pytest.mark.parametrize("workspace", TARGETS)
def test_routes_to_the_tooling_cidr_only(synthesis: Synthesis, workspace: str) -> None:
    stack = synthesis.stacks[workspace]
    routes = list(resources(stack, "aws_route").values())
    assert len(routes) == len(resources(stack, "aws_route_table"))
    assert {r["destination_cidr_block"] for r in routes} == {synthesis.environments.tooling.network.vpc_cidr}
    assert all(r["transit_gateway_id"] == f"${{{TOOLING_STATE}.transit_gateway_id}}" for r in routes)


@pytest.mark.parametrize("workspace", TARGETS)
def test_gitlab_host_name_has_a_zone_in_this_vpc(synthesis: Synthesis, workspace: str) -> None:
    stack = synthesis.stacks[workspace]
    zone = only(stack, "aws_route53_zone")
    assert zone["name"] == synthesis.environments.tooling.gitlab_hostname
    assert zone["vpc"] == [{"vpc_id": ref(stack, "aws_vpc", "network/vpc", "id"), "vpc_region": "ap-northeast-1"}]
    assert resources(stack, "aws_route53_zone_association") == {}


@pytest.mark.parametrize("workspace", TARGETS)
def test_gitlab_host_name_aliases_the_tooling_alb(synthesis: Synthesis, workspace: str) -> None:
    # The record reads the ALB's name and zone from the tooling state (tooling is applied
    # first and reads nothing of the targets: no cycle, tests/test_app.py).
    stack, tooling = synthesis.stacks[workspace], synthesis.stacks["tooling"]
    record = by_path(stack, "aws_route53_record", "gitlab-dns/alias")
    assert record["zone_id"] == ref(stack, "aws_route53_zone", "gitlab-dns/zone", "zone_id")
    assert (record["name"], record["type"]) == ("gitlab.example.com", "A")
    assert record["alias"] == {
        "name": f"${{{TOOLING_STATE}.gitlab_alb_dns_name}}",
        "zone_id": f"${{{TOOLING_STATE}.gitlab_alb_zone_id}}",
        "evaluate_target_health": True,
    }
    assert tooling["output"]["gitlab_alb_dns_name"]["value"] == ref(tooling, "aws_lb", "gitlab-alb/alb", "dns_name")
    assert tooling["output"]["gitlab_alb_zone_id"]["value"] == ref(tooling, "aws_lb", "gitlab-alb/alb", "zone_id")
    assert "terraform_remote_state" not in tooling.get("data", {})


# --- Pipelines (issue 5): CodeConnections host and connection, artifact stores, pipelines ---


def _pipeline(stack: dict[str, Any], name: str) -> dict[str, Any]:
    return by_path(stack, "aws_codepipeline", f"pipeline-{name}/pipeline")


def _stages(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["name"]: s["action"][0] for s in body["stage"]}


@pytest.mark.parametrize("workspace", TARGETS)
def test_no_host_and_no_connection_of_its_own(synthesis: Synthesis, workspace: str) -> None:
    # The host is beside GitLab in the tooling workspace; the connection is its share.
    stack = synthesis.stacks[workspace]
    for kind in ("codeconnections_host", "codeconnections_connection", "codestarconnections_host",
                 "codestarconnections_connection"):  # fmt: skip
        assert resources(stack, f"aws_{kind}") == {}, kind
    groups = {body["name"] for body in resources(stack, "aws_security_group").values()}
    assert f"gitlab-{workspace}-codeconnections-host" not in groups


@pytest.mark.parametrize("workspace", TARGETS)
def test_connection_and_its_console_page_are_outputs(synthesis: Synthesis, workspace: str) -> None:
    outputs = synthesis.stacks[workspace]["output"]
    tooling = synthesis.environments.tooling
    read = CONNECTION.format(workspace=workspace)
    assert outputs["codeconnections_connection_arn"]["value"] == f"${{{read}}}"
    base = f"https://ap-northeast-1.console.aws.amazon.com/codesuite/settings/{tooling.account_id}/ap-northeast-1/"
    url = outputs["codeconnections_connection_console_url"]["value"]
    assert url == (
        f'${{join("", ["{base}", element(split(":", {read}), 2), "/connections/", '
        f'element(split("/", {read}), 1), "?region=ap-northeast-1"])}}'
    )
    assert outputs["pipeline_names"]["value"] == {"webapp": f"gitlab-{workspace}-webapp"}
    assert "codeconnections_host_console_url" not in outputs and "codeconnections_status" not in outputs


def test_staging_builds_develop_and_deploys_without_approval(synthesis: Synthesis) -> None:
    stack = synthesis.stacks["staging"]
    body = _pipeline(stack, "webapp")
    stages = _stages(body)
    assert list(stages) == ["Source", "Build", "Deploy"]
    assert stages["Source"]["configuration"]["BranchName"] == "develop"
    assert stages["Source"]["configuration"]["FullRepositoryId"] == "delivery/webapp"
    assert stages["Source"]["configuration"]["ConnectionArn"] == "${" + CONNECTION.format(workspace="staging") + "}"
    push = body["trigger"][0]["git_configuration"]["push"][0]
    assert push == {"branches": {"includes": ["develop"]}, "file_paths": {"excludes": ["docs/**", "*.md"]}}
    assert "region" not in stages["Deploy"]
    (store,) = body["artifact_store"]
    assert "region" not in store
    assert "vpc_config" not in by_path(stack, "aws_codebuild_project", "pipeline-webapp/build")


def test_production_builds_main_behind_an_approval_and_deploys_to_osaka(synthesis: Synthesis) -> None:
    stack = synthesis.stacks["production"]
    body = _pipeline(stack, "webapp")
    stages = _stages(body)
    assert list(stages) == ["Source", "Build", "Approval", "Deploy"]
    assert stages["Source"]["configuration"]["BranchName"] == "main"
    assert stages["Approval"]["provider"] == "Manual"
    assert stages["Deploy"]["region"] == "ap-northeast-3"
    assert [s["region"] for s in body["artifact_store"]] == ["ap-northeast-1", "ap-northeast-3"]
    build = by_path(stack, "aws_codebuild_project", "pipeline-webapp/build")
    assert build["environment"]["compute_type"] == "BUILD_GENERAL1_MEDIUM"
    assert build["vpc_config"]["vpc_id"] == ref(stack, "aws_vpc", "network/vpc", "id")
    deploy = by_path(stack, "aws_codebuild_project", "pipeline-webapp/deploy")
    assert deploy["provider"] == "aws.ap_northeast_3"
    osaka = [p for p in stack["provider"]["aws"] if p.get("alias") == "ap_northeast_3"]
    assert [p["region"] for p in osaka] == ["ap-northeast-3"]
    osaka_store = [
        body
        for kind, items in stack["resource"].items()
        for name, body in items.items()
        if name.startswith("artifacts-ap-northeast-3_")
    ]
    assert len(osaka_store) == 10  # key, alias, bucket and its seven settings (notification included)
    assert all(body["provider"] == "aws.ap_northeast_3" for body in osaka_store)
    assert by_path(stack, "aws_cloudwatch_log_group", "pipeline-webapp/deploy-logs")["provider"] == (
        "aws.ap_northeast_3"
    )


def test_pipeline_role_uses_only_this_connection_with_the_arns_prefix(synthesis: Synthesis) -> None:
    stack = synthesis.stacks["production"]
    grants = {
        s["Sid"]: s
        for s in policy(by_path(stack, "aws_iam_role_policy", "pipeline-webapp/pipeline-policy"))["Statement"]
    }
    connection = "${" + CONNECTION.format(workspace="production") + "}"
    (action,) = grants["UseGitLabConnection"]["Action"]
    # A Terraform local keeps the expression's quotes out of the JSON policy string.
    assert action == "${local.codeconnections-use-connection-action}"
    expression = stack["locals"][action[len("${local.") : -1]]
    assert expression == f'${{join(":", [element(split(":", {connection[2:-1]}), 2), "UseConnection"])}}'
    assert grants["UseGitLabConnection"]["Resource"] == connection
    buckets = [
        "arn:aws:s3:::gitlab-production-artifacts-333333333333-ap-northeast-1",
        "arn:aws:s3:::gitlab-production-artifacts-333333333333-ap-northeast-3",
    ]
    assert grants["ArtifactBuckets"]["Resource"] == buckets
    assert grants["ArtifactKeys"]["Resource"] == [
        ref(stack, "aws_kms_key", "artifacts/key/key", "arn"),
        ref(stack, "aws_kms_key", "artifacts-ap-northeast-3/key/key", "arn"),
    ]


def test_artifact_store_addresses_are_pinned(synthesis: Synthesis) -> None:
    # Renaming these construct IDs would make Terraform destroy and recreate them.
    stack = synthesis.stacks["production"]
    assert address(stack, "aws_s3_bucket", "artifacts/store/bucket") == "aws_s3_bucket.artifacts_store_bucket_BA7301ED"
    assert address(stack, "aws_kms_key", "artifacts/key/key") == "aws_kms_key.artifacts_key_9DE6640C"
    assert address(stack, "aws_s3_bucket", "artifacts-ap-northeast-3/store/bucket") == (
        "aws_s3_bucket.artifacts-ap-northeast-3_store_bucket_A744C6EA"
    )
    assert address(stack, "aws_kms_key", "artifacts-ap-northeast-3/key/key") == (
        "aws_kms_key.artifacts-ap-northeast-3_key_C8E126F3"
    )
    assert only(synthesis.stacks["staging"], "aws_s3_bucket")["bucket"] == (
        "gitlab-staging-artifacts-222222222222-ap-northeast-1"
    )


def test_offline_plan_overrides_the_aliased_provider_too(terraform_runs: dict[str, WorkspaceRun]) -> None:
    run = terraform_runs["production"]
    override = json.loads((run.directory / OVERRIDE_FILE).read_text(encoding="utf-8"))
    assert [p.get("alias") for p in override["provider"]["aws"]] == [None, "ap_northeast_3"]
    assert run.ok, run.report()


SECOND_PIPELINE = """\
    infra:
      repository: platform/infrastructure
      branch: develop
      output_format: CODEBUILD_CLONE_REF
      trigger:
        file_paths: {includes: ["terraform/**"]}
      build: {buildspec: ci/plan.yml, vpc: true}
"""


def test_a_second_pipeline_needs_only_configuration(tmp_path: Path) -> None:
    from cdktf import Testing

    from config.loader import load_environments
    from stacks.app import build_app

    environments_dir = tmp_path / "environments"
    shutil.copytree(EXAMPLE, environments_dir)
    staging = environments_dir / "staging.yaml"
    staging.write_text(staging.read_text(encoding="utf-8") + SECOND_PIPELINE, encoding="utf-8")
    _, stacks = build_app(load_environments(environments_dir), str(tmp_path / "out"))
    stack = json.loads(Testing.synth(stacks["staging"]))
    names = sorted(p["name"] for p in stack["resource"]["aws_codepipeline"].values())
    assert names == ["gitlab-staging-infra", "gitlab-staging-webapp"]
    infra = next(p for p in stack["resource"]["aws_codepipeline"].values() if p["name"].endswith("infra"))
    source = infra["stage"][0]["action"][0]["configuration"]
    assert source["FullRepositoryId"] == "platform/infrastructure"
    assert source["OutputArtifactFormat"] == "CODEBUILD_CLONE_REF"
    projects = {p["name"] for p in stack["resource"]["aws_codebuild_project"].values()}
    assert "gitlab-staging-infra-build" in projects


def test_vpc_builds_reach_aws_services_through_endpoints(synthesis: Synthesis) -> None:
    # production builds inside its VPC (no NAT there); staging builds outside any VPC.
    production = synthesis.stacks["production"]
    services = {e["service_name"]: e for e in resources(production, "aws_vpc_endpoint").values()}
    assert set(services) == {f"com.amazonaws.ap-northeast-1.{s}" for s in ("logs", "kms", "sts", "s3")}
    assert services["com.amazonaws.ap-northeast-1.s3"]["vpc_endpoint_type"] == "Gateway"
    assert all(e["private_dns_enabled"] is True for e in services.values() if e["vpc_endpoint_type"] == "Interface")
    egress = [
        r
        for r in resources(production, "aws_vpc_security_group_egress_rule").values()
        if r.get("prefix_list_id") == ref(production, "aws_vpc_endpoint", "vpc-endpoints/s3", "prefix_list_id")
    ]
    assert egress and all(r["from_port"] == 443 for r in egress)
    assert resources(synthesis.stacks["staging"], "aws_vpc_endpoint") == {}


def test_cut_over_repositories_of_the_committed_plan_get_the_push_deny(synthesis: Synthesis) -> None:
    # migration/staging.yaml: webapp has cut_over: true, api is still mirrored.
    stack = synthesis.stacks["staging"]
    deny = by_path(stack, "aws_iam_policy", "codecommit-push-deny/policy")
    assert (deny["name"], deny["path"]) == ("gitlab-staging-codecommit-push-deny", "/codecommit-cut-over/")
    (statement,) = policy(deny)["Statement"]
    assert statement["Resource"] == "arn:aws:codecommit:ap-northeast-1:222222222222:webapp"
    arn = ref(stack, "aws_iam_policy", "codecommit-push-deny/policy", "arn")
    attachments = resources(stack, "aws_iam_role_policy_attachment").values()
    attached = [a["role"] for a in attachments if a["policy_arn"] == arn]
    assert attached == ["staging-developers"]
    assert "codecommit_push_deny_policy_arn" in stack["output"]
    # No plan for production: nothing denied there.
    production = resources(synthesis.stacks["production"], "aws_iam_policy").values()
    assert not [p for p in production if p["name"].endswith("codecommit-push-deny")]
