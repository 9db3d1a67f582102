"""The bootstrap workspace: the S3 backend, its names, and grants derived from workspace dependencies."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cdktf import Testing

import main
from config.backend import S3BackendSettings, load_backend
from config.errors import ConfigError
from config.loader import Environments
from config.state import check_state, state_names
from stacks.base import AccountStack
from stacks.bootstrap import BootstrapStack
from stacks.tooling import ToolingStack
from tests.conftest import EXAMPLE as EXAMPLE_ENVIRONMENTS
from tests.conftest import ROOT, Synthesis
from tests.support.synth import address, by_path, only, policy, synth_stack
from tests.support.terraform import WorkspaceRun

EXAMPLE = ROOT / "backend.tf.json.example"


@pytest.fixture(scope="module")
def stack(synthesis: Synthesis) -> dict[str, Any]:
    return synthesis.stacks["bootstrap"]


def bucket_policy(stack: dict[str, Any]) -> dict[str, dict[str, Any]]:
    body = by_path(stack, "aws_s3_bucket_policy", "state/bucket/policy")
    return {s["Sid"]: s for s in policy(body)["Statement"]}


def example_backend() -> S3BackendSettings:
    settings = load_backend(EXAMPLE)
    assert settings is not None
    return settings


def test_stateful_addresses_are_pinned(stack: dict[str, Any]) -> None:
    # Renaming these construct IDs would make Terraform destroy the state bucket.
    assert address(stack, "aws_s3_bucket", "state/bucket/bucket") == "aws_s3_bucket.state_bucket_99469A59"
    assert address(stack, "aws_s3_bucket", "state/log-bucket/bucket") == "aws_s3_bucket.state_log-bucket_960D3EBA"
    assert address(stack, "aws_dynamodb_table", "state/lock-table") == "aws_dynamodb_table.state_lock-table_6543B35D"
    assert address(stack, "aws_kms_key", "state/kms/key") == "aws_kms_key.state_kms_key_DEF7637F"


def test_local_state_in_the_tooling_account(stack: dict[str, Any], synthesis: Synthesis) -> None:
    tooling = synthesis.environments.tooling
    assert stack["terraform"]["backend"] == {"local": {"path": "../../../terraform.bootstrap.tfstate"}}
    (provider,) = stack["provider"]["aws"]
    assert provider["allowed_account_ids"] == [tooling.account_id]
    assert provider["region"] == tooling.region
    assert provider["assume_role"][0]["role_arn"] == tooling.deploy_role_arn


def test_without_backend_file_the_names_are_those_of_the_example(
    stack: dict[str, Any], environments: Environments
) -> None:
    # Applying the bootstrap first and copying the example afterwards needs no edit.
    assert state_names(environments.tooling, None) == state_names(environments.tooling, example_backend())
    backend = example_backend()
    assert only(stack, "aws_s3_bucket_logging")["bucket"].startswith("${aws_s3_bucket.state_bucket_")
    assert by_path(stack, "aws_s3_bucket", "state/bucket/bucket")["bucket"] == backend.bucket
    assert only(stack, "aws_dynamodb_table")["name"] == backend.dynamodb_table
    alias = only(stack, "aws_kms_alias")["name"]
    assert backend.kms_key_id == f"arn:aws:kms:ap-northeast-1:111111111111:{alias}"
    assert by_path(stack, "aws_s3_bucket", "state/log-bucket/bucket")["bucket"] == (
        "gitlab-tfstate-access-logs-111111111111-ap-northeast-1"
    )


def test_every_workspace_depends_on_the_bootstrap(synthesis: Synthesis) -> None:
    manifest = json.loads((synthesis.outdir / "manifest.json").read_text(encoding="utf-8"))
    for name, entry in manifest["stacks"].items():
        assert ("bootstrap" in entry["dependencies"]) is (name != "bootstrap"), name


def test_grants_follow_the_synthesized_dependencies(stack: dict[str, Any], synthesis: Synthesis) -> None:
    """Per deploy role: write exactly its workspaces' keys, read exactly what manifest.json says they depend on."""
    manifest = json.loads((synthesis.outdir / "manifest.json").read_text(encoding="utf-8"))
    found = bucket_policy(stack)
    arn = "arn:aws:s3:::gitlab-tfstate-111111111111-ap-northeast-1/gitlab-on-aws"
    by_role: dict[str, set[str]] = {}
    for name, body in synthesis.stacks.items():
        if name != "bootstrap":
            # the role each workspace runs with (its backend uses the same one)
            # (the GitLab workspace has no aws provider: its backend uses the tooling account's role)
            aws = body["provider"].get("aws") or synthesis.stacks["tooling"]["provider"]["aws"]
            by_role.setdefault(aws[0]["assume_role"][0]["role_arn"], set()).add(name)
    assert len(by_role) == len(synthesis.environments.accounts)
    for role, own in by_role.items():
        (sid,) = (
            s["Sid"].removesuffix("DenyOtherReads")
            for s in found.values()
            if s["Sid"].endswith("DenyOtherReads") and s["Condition"]["ArnEquals"]["aws:PrincipalArn"] == role
        )
        keys = {f"{arn}/{name}.tfstate" for name in own}
        writes = found[f"{sid}WriteOwnState"]["Resource"]
        assert set([writes] if isinstance(writes, str) else writes) == keys
        assert set(found[f"{sid}DenyOtherWrites"]["NotResource"]) == keys | {f"{key}.tflock" for key in keys}
        deps = {d for name in own for d in manifest["stacks"][name]["dependencies"]} - {"bootstrap", *own}
        readable = keys | {f"{key}.tflock" for key in keys} | {f"{arn}/{d}.tfstate" for d in deps}
        assert set(found[f"{sid}DenyOtherReads"]["NotResource"]) == readable, role
        # the cross-account Allow for exactly those reads (the Deny alone grants nothing)
        reads = found[f"{sid}ReadDependencies"]["Resource"]
        assert set([reads] if isinstance(reads, str) else reads) == {f"{arn}/{d}.tfstate" for d in deps}, role


def test_example_grants_hub_routing_reads_every_target_and_targets_read_tooling(stack: dict[str, Any]) -> None:
    """The example's dependencies (tooling -> targets -> tooling-hub-routing), spelled out."""
    found = bucket_policy(stack)
    arn = "arn:aws:s3:::gitlab-tfstate-111111111111-ap-northeast-1/gitlab-on-aws"
    # tooling-hub-routing runs with the tooling account's deploy role: one grant for both
    assert found["ToolingToolingGitlabToolingHubRoutingWriteOwnState"]["Resource"] == [
        f"{arn}/tooling.tfstate",
        f"{arn}/tooling-gitlab.tfstate",
        f"{arn}/tooling-hub-routing.tfstate",
    ]
    assert found["ToolingToolingGitlabToolingHubRoutingReadDependencies"]["Resource"] == [
        f"{arn}/production.tfstate",
        f"{arn}/staging.tfstate",
    ]
    for target in ("Staging", "Production"):
        assert found[f"{target}ReadDependencies"]["Resource"] == f"{arn}/tooling.tfstate"
        assert found[f"{target}WriteOwnState"]["Resource"] == f"{arn}/{target.lower()}.tfstate"
        assert f"{arn}/tooling-hub-routing.tfstate" not in found[f"{target}DenyOtherReads"]["NotResource"]


def test_reads_come_from_dependencies_even_those_added_later(environments: Environments) -> None:
    app = Testing.app()
    tooling = ToolingStack(app, environments.tooling)
    staging = AccountStack(app, "staging", environments.targets["staging"])
    production = AccountStack(app, "production", environments.targets["production"])
    staging.add_dependency(tooling)
    hub = AccountStack(app, "hub-routing", environments.tooling)
    bootstrap = BootstrapStack(app, environments)
    # as cdktf does for a cross-stack reference, at synthesis
    hub.add_dependency(staging)
    hub.add_dependency(production)
    found = bucket_policy(synth_stack(bootstrap))
    arn = "arn:aws:s3:::gitlab-tfstate-111111111111-ap-northeast-1/gitlab-on-aws"
    assert found["StagingReadDependencies"]["Resource"] == f"{arn}/tooling.tfstate"
    assert "ProductionReadDependencies" not in found
    # hub-routing runs in the tooling account with the tooling role: one grant for both
    assert found["HubRoutingToolingWriteOwnState"]["Resource"] == [
        f"{arn}/hub-routing.tfstate",
        f"{arn}/tooling.tfstate",
    ]
    assert found["HubRoutingToolingReadDependencies"]["Resource"] == [
        f"{arn}/production.tfstate",
        f"{arn}/staging.tfstate",
    ]
    assert bootstrap in hub.dependencies and bootstrap in staging.dependencies


def test_backend_file_names_and_a_single_state_role(environments: Environments) -> None:
    role = "arn:aws:iam::111111111111:role/terraform-state"
    settings = S3BackendSettings.model_validate(
        {
            **example_backend().model_dump(exclude_none=True),
            "bucket": "acme-state",
            "key": "acme",
            "dynamodb_table": None,
            "assume_role": {"role_arn": role},
        }
    )
    app = Testing.app()
    AccountStack(app, "staging", environments.targets["staging"], settings)
    stack = synth_stack(BootstrapStack(app, environments, settings))
    assert stack["terraform"]["backend"] == {"local": {"path": "../../../terraform.bootstrap.tfstate"}}
    assert by_path(stack, "aws_s3_bucket", "state/bucket/bucket")["bucket"] == "acme-state"
    assert "aws_dynamodb_table" not in stack["resource"]
    found = bucket_policy(stack)
    assert found["StateRoleWriteOwnState"]["Condition"] == {"ArnEquals": {"aws:PrincipalArn": role}}
    assert found["StateRoleWriteOwnState"]["Resource"] == "arn:aws:s3:::acme-state/acme/staging.tfstate"


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"region": "us-east-1"}, "the state bucket's region us-east-1 is not the tooling account's region"),
        ({"kms_key_id": None}, "kms_key_id is not set, but the state bucket accepts only SSE-KMS uploads"),
        ({"kms_key_id": "arn:aws:kms:ap-northeast-1:111111111111:alias/x"}, "is not the state key the bootstrap"),
    ],
)
def test_backend_that_the_bootstrap_cannot_build_is_rejected(
    environments: Environments, change: dict[str, Any], expected: str
) -> None:
    data = {**example_backend().model_dump(exclude_none=True), **change}
    settings = S3BackendSettings.model_validate({k: v for k, v in data.items() if v is not None})
    (problem,) = check_state(environments, settings, "backend.tf.json")
    assert expected in str(problem) and "hint: " in str(problem)
    assert check_state(environments, example_backend(), "backend.tf.json") == []


def test_bootstrap_is_a_reserved_workspace_name(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    envs = tmp_path / "environments"
    envs.mkdir()
    for source in EXAMPLE_ENVIRONMENTS.glob("*.yaml"):
        text = source.read_text(encoding="utf-8")
        (envs / ("bootstrap.yaml" if source.stem == "staging" else source.name)).write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        main.load(envs, tmp_path / "absent.tf.json")
    (problem,) = caught.value.problems
    assert problem.field == "workspace"
    assert "'bootstrap' is the workspace that creates the state bucket" in problem.message


def test_terraform_plans_every_resource(terraform_runs: dict[str, WorkspaceRun], stack: dict[str, Any]) -> None:
    run = terraform_runs["bootstrap"]
    assert run.ok and run.plan_json is not None, run.report()
    plan = json.loads(run.plan_json.read_text(encoding="utf-8"))
    changes = {c["address"]: c["change"]["actions"] for c in plan["resource_changes"] if c["mode"] == "managed"}
    assert set(changes) == {f"{kind}.{name}" for kind, items in stack["resource"].items() for name in items}
    assert all(actions == ["create"] for actions in changes.values())
