"""Pipeline construct: CodePipeline V2 from GitLab, CodeBuild build/deploy, scoped roles."""

from __future__ import annotations

import json
from typing import Any

import pytest
from cdktf import TerraformStack, Testing
from cdktf_cdktf_provider_aws.provider import AwsProvider

from modules.naming import Namer
from modules.pipeline import Approval, BuildProject, DeployStage, Pipeline, PipelineProps, StoreRef, VpcPlacement
from tests.support.synth import by_path, name_at, policy, resources, synth_stack

CONNECTION = "arn:aws:codeconnections:ap-northeast-1:333333333333:connection/0a1b2c3d"
STORES = {
    region: StoreRef(
        region,
        f"artifacts-{region}",
        f"arn:aws:s3:::artifacts-{region}",
        f"arn:aws:kms:{region}:333333333333:key/{region}",
    )
    for region in ("ap-northeast-1", "ap-northeast-3")
}
NAMER = Namer("acme", "prod")


def props(name: str, **changes: Any) -> PipelineProps:
    values: dict[str, Any] = {
        "namer": NAMER,
        "name": name,
        "account_id": "333333333333",
        "region": "ap-northeast-1",
        "connection_arn": CONNECTION,
        "repository": "delivery/webapp",
        "branch": "main",
        "build": BuildProject(buildspec="ci/buildspec.yml", compute_type="BUILD_GENERAL1_MEDIUM"),
        "stores": STORES,
        **changes,
    }
    return PipelineProps(**values)


@pytest.fixture(scope="module")
def stack() -> dict[str, Any]:
    app = Testing.app()
    scope = TerraformStack(app, "test")
    AwsProvider(scope, "aws", region="ap-northeast-1")
    osaka = AwsProvider(scope, "osaka", region="ap-northeast-3", alias="osaka")
    vpc = VpcPlacement("vpc-1", ["subnet-a", "subnet-c"], ["10.10.0.0/16", "10.30.0.0/16"])
    Pipeline(
        scope,
        "release",
        props(
            "release",
            build=BuildProject(buildspec="ci/buildspec.yml", compute_type="BUILD_GENERAL1_MEDIUM", vpc=vpc),
            file_path_excludes=["docs/**"],
            approval=Approval(summary="Ship it?"),
            deploy=DeployStage(
                project=BuildProject(buildspec="ci/deploy.yml"),
                region="ap-northeast-3",
                policy_arns=["arn:aws:iam::333333333333:policy/deploy-webapp"],
                provider=osaka,
            ),
        ),
    )
    Pipeline(
        scope,
        "checks",
        props("checks", branch="develop", output_format="CODEBUILD_CLONE_REF", branch_includes=["develop", "feat/*"]),
    )
    return synth_stack(scope)


def pipeline(stack: dict[str, Any], name: str) -> dict[str, Any]:
    return by_path(stack, "aws_codepipeline", f"{name}/pipeline")


def stage(body: dict[str, Any], name: str) -> dict[str, Any]:
    (found,) = [s for s in body["stage"] if s["name"] == name]
    (action,) = found["action"]
    return action  # type: ignore[no-any-return]


def test_v2_pipeline_with_source_build_approval_deploy(stack: dict[str, Any]) -> None:
    body = pipeline(stack, "release")
    assert body["name"] == "acme-prod-release"
    assert body["pipeline_type"] == "V2"
    role_policy = name_at(stack, "aws_iam_role_policy", "release/pipeline-policy")
    assert body["depends_on"] == [f"aws_iam_role_policy.{role_policy}"]
    assert [s["name"] for s in body["stage"]] == ["Source", "Build", "Approval", "Deploy"]
    source = stage(body, "Source")
    assert (source["category"], source["owner"], source["provider"]) == ("Source", "AWS", "CodeStarSourceConnection")
    assert source["configuration"] == {
        "ConnectionArn": CONNECTION,
        "FullRepositoryId": "delivery/webapp",
        "BranchName": "main",
        "OutputArtifactFormat": "CODE_ZIP",
    }
    build = stage(body, "Build")
    assert build["provider"] == "CodeBuild"
    assert build["configuration"]["ProjectName"].startswith("${aws_codebuild_project.release_build_")
    assert stage(body, "Approval")["provider"] == "Manual"
    assert stage(body, "Approval")["configuration"] == {"CustomData": "Ship it?"}
    deploy = stage(body, "Deploy")
    assert deploy["region"] == "ap-northeast-3"
    assert deploy["input_artifacts"] == ["source", "build"]
    assert deploy["configuration"]["PrimarySource"] == "source"


def test_push_trigger_with_branch_and_file_path_filters(stack: dict[str, Any]) -> None:
    (trigger,) = pipeline(stack, "release")["trigger"]
    assert trigger["provider_type"] == "CodeStarSourceConnection"
    assert trigger["git_configuration"]["source_action_name"] == "Source"
    (push,) = trigger["git_configuration"]["push"]
    assert push == {"branches": {"includes": ["main"]}, "file_paths": {"excludes": ["docs/**"]}}
    (other,) = pipeline(stack, "checks")["trigger"][0]["git_configuration"]["push"]
    assert other == {"branches": {"includes": ["develop", "feat/*"]}}


def test_artifact_store_in_each_region_of_a_cross_region_pipeline(stack: dict[str, Any]) -> None:
    stores = pipeline(stack, "release")["artifact_store"]
    assert [(s["region"], s["location"]) for s in stores] == [
        ("ap-northeast-1", "artifacts-ap-northeast-1"),
        ("ap-northeast-3", "artifacts-ap-northeast-3"),
    ]
    assert stores[1]["encryption_key"] == {
        "type": "KMS",
        "id": "arn:aws:kms:ap-northeast-3:333333333333:key/ap-northeast-3",
    }
    (single,) = pipeline(stack, "checks")["artifact_store"]
    assert "region" not in single
    assert [s["name"] for s in pipeline(stack, "checks")["stage"]] == ["Source", "Build"]


def test_build_project_settings_vpc_and_logs(stack: dict[str, Any]) -> None:
    project = by_path(stack, "aws_codebuild_project", "release/build")
    assert project["name"] == "acme-prod-release-build"
    assert project["source"] == {"type": "CODEPIPELINE", "buildspec": "ci/buildspec.yml"}
    assert project["artifacts"] == {"type": "CODEPIPELINE"}
    assert project["environment"]["compute_type"] == "BUILD_GENERAL1_MEDIUM"
    assert project["environment"]["privileged_mode"] is False
    assert project["encryption_key"] == STORES["ap-northeast-1"].key_arn
    assert project["vpc_config"]["vpc_id"] == "vpc-1"
    assert project["vpc_config"]["subnets"] == ["subnet-a", "subnet-c"]
    assert project["logs_config"]["cloudwatch_logs"]["status"] == "ENABLED"
    group = by_path(stack, "aws_cloudwatch_log_group", "release/build-logs")
    assert group["name"] == "/acme/prod/codebuild/release/build"
    assert group["retention_in_days"] == 365
    assert group["kms_key_id"] == STORES["ap-northeast-1"].key_arn
    rules = list(resources(stack, "aws_vpc_security_group_egress_rule").values())
    assert sorted((r["cidr_ipv4"], r["from_port"], r["to_port"]) for r in rules) == [
        ("10.10.0.0/16", 443, 443),
        ("10.30.0.0/16", 443, 443),
    ]
    assert "vpc_config" not in by_path(stack, "aws_codebuild_project", "checks/build")


def test_deploy_project_lives_in_the_deploy_region(stack: dict[str, Any]) -> None:
    project = by_path(stack, "aws_codebuild_project", "release/deploy")
    assert project["provider"] == "aws.osaka"
    assert project["source"]["buildspec"] == "ci/deploy.yml"
    assert project["encryption_key"] == STORES["ap-northeast-3"].key_arn
    group = by_path(stack, "aws_cloudwatch_log_group", "release/deploy-logs")
    assert group["provider"] == "aws.osaka"
    assert group["kms_key_id"] == STORES["ap-northeast-3"].key_arn
    attachment = by_path(stack, "aws_iam_role_policy_attachment", "release/deploy-extra-policy-0")
    assert attachment["policy_arn"] == "arn:aws:iam::333333333333:policy/deploy-webapp"


def statements(stack: dict[str, Any], path: str) -> dict[str, dict[str, Any]]:
    return {s["Sid"]: s for s in policy(by_path(stack, "aws_iam_role_policy", path))["Statement"]}


def test_pipeline_role_is_scoped(stack: dict[str, Any]) -> None:
    grants = statements(stack, "release/pipeline-policy")
    assert grants["UseGitLabConnection"] == {
        "Sid": "UseGitLabConnection",
        "Effect": "Allow",
        "Action": ["codeconnections:UseConnection"],
        "Resource": CONNECTION,
    }
    assert grants["RunBuildProjects"]["Resource"] == [
        "arn:aws:codebuild:ap-northeast-1:333333333333:project/acme-prod-release-build",
        "arn:aws:codebuild:ap-northeast-3:333333333333:project/acme-prod-release-deploy",
    ]
    assert grants["ReadWriteArtifacts"]["Resource"] == [f"{s.bucket_arn}/*" for s in STORES.values()]
    assert grants["ArtifactBuckets"]["Resource"] == [s.bucket_arn for s in STORES.values()]
    assert grants["ArtifactKeys"]["Resource"] == [s.key_arn for s in STORES.values()]
    single = statements(stack, "checks/pipeline-policy")
    assert single["ArtifactKeys"]["Resource"] == STORES["ap-northeast-1"].key_arn
    trust = policy(by_path(stack, "aws_iam_role", "release/pipeline-role"), "assume_role_policy")["Statement"][0]
    assert trust["Principal"] == {"Service": "codepipeline.amazonaws.com"}


def test_build_roles_write_only_their_logs_and_their_regions_store(stack: dict[str, Any]) -> None:
    build = statements(stack, "release/build-policy")
    group = "arn:aws:logs:ap-northeast-1:333333333333:log-group:/acme/prod/codebuild/release/build"
    assert build["WriteOwnLogs"]["Resource"] == [group, f"{group}:log-stream:*"]
    assert build["ArtifactKeys"]["Resource"] == STORES["ap-northeast-1"].key_arn
    assert "CloneThroughConnection" not in build
    assert build["DescribeNetwork"]["Resource"] == "*"
    assert all(a.startswith("ec2:Describe") for a in build["DescribeNetwork"]["Action"])
    attach = build["AttachBuildInterfaces"]["Condition"]
    assert attach["StringEquals"] == {"ec2:AuthorizedService": "codebuild.amazonaws.com"}
    assert attach["ArnEquals"]["ec2:Subnet"] == [
        "arn:aws:ec2:ap-northeast-1:333333333333:subnet/subnet-a",
        "arn:aws:ec2:ap-northeast-1:333333333333:subnet/subnet-c",
    ]
    deploy = statements(stack, "release/deploy-policy")
    assert deploy["WriteOwnLogs"]["Resource"][0].startswith("arn:aws:logs:ap-northeast-3:")
    assert deploy["ReadWriteArtifacts"]["Resource"] == "arn:aws:s3:::artifacts-ap-northeast-3/*"
    assert "DescribeNetwork" not in deploy
    for path in ("release/build-policy", "release/deploy-policy", "release/pipeline-policy", "checks/build-policy"):
        for grant in statements(stack, path).values():
            assert grant["Resource"] != "*" or grant["Sid"] == "DescribeNetwork", (path, grant)


def test_clone_ref_lets_the_build_use_the_connection(stack: dict[str, Any]) -> None:
    grant = statements(stack, "checks/build-policy")["CloneThroughConnection"]
    assert grant["Action"] == ["codeconnections:UseConnection"]
    assert grant["Resource"] == CONNECTION
    source = stage(pipeline(stack, "checks"), "Source")
    assert source["configuration"]["OutputArtifactFormat"] == "CODEBUILD_CLONE_REF"


def test_a_missing_artifact_store_is_an_error() -> None:
    deploy = DeployStage(project=BuildProject(buildspec="d.yml"), region="eu-west-1")
    with pytest.raises(ValueError, match=r"no artifact store for \['eu-west-1'\]"):
        props("x", deploy=deploy)
    assert json.dumps(props("y").branch_includes) == '["main"]'
