"""What every workspace gets from stacks/base.py, and the app's workspace set."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from stacks.base import AWS_PROVIDER_VERSION, TERRAFORM_REQUIRED_VERSION
from tests.conftest import ROOT, Synthesis

WORKSPACES = ["tooling", "production", "staging"]


def test_one_workspace_per_account(synthesis: Synthesis) -> None:
    # plus the bootstrap workspace that creates the state backend (tests/test_workspace_bootstrap.py)
    assert list(synthesis.stacks) == ["bootstrap", *WORKSPACES]
    manifest = json.loads((synthesis.outdir / "manifest.json").read_text(encoding="utf-8"))
    assert sorted(manifest["stacks"]) == sorted(["bootstrap", *WORKSPACES])


@pytest.mark.parametrize("workspace", WORKSPACES)
def test_versions_are_pinned(synthesis: Synthesis, workspace: str) -> None:
    terraform = synthesis.stacks[workspace]["terraform"]
    assert terraform["required_providers"] == {"aws": {"source": "aws", "version": AWS_PROVIDER_VERSION}}
    assert terraform["required_version"] == TERRAFORM_REQUIRED_VERSION
    assert AWS_PROVIDER_VERSION == "5.100.0"


@pytest.mark.parametrize("workspace", WORKSPACES)
def test_provider_region_role_account_guard_and_tags(synthesis: Synthesis, workspace: str) -> None:
    account = synthesis.environments.accounts[workspace]
    (provider,) = synthesis.stacks[workspace]["provider"]["aws"]
    assert provider["region"] == account.region
    assert provider["allowed_account_ids"] == [account.account_id]
    assert provider["assume_role"] == [{"role_arn": account.deploy_role_arn, "session_name": f"cdktf-{workspace}"}]
    tags = provider["default_tags"][0]["tags"]
    assert tags["Workspace"] == workspace
    assert tags["ManagedBy"] == "cdktf"
    assert tags["Project"] == "gitlab"
    assert tags["CostCenter"] == account.tags["CostCenter"]


@pytest.mark.parametrize("workspace", WORKSPACES)
def test_local_state_lives_outside_cdktf_out(synthesis: Synthesis, workspace: str) -> None:
    backend = synthesis.stacks[workspace]["terraform"]["backend"]
    assert backend == {"local": {"path": f"../../../terraform.{workspace}.tfstate"}}
    assert (synthesis.stack_dir(workspace) / "../../.." / f"terraform.{workspace}.tfstate").resolve().parent == (
        synthesis.outdir.parent.resolve()
    )


def test_no_data_source_that_calls_aws(synthesis: Synthesis) -> None:
    # aws_iam_policy_document is computed by the provider locally; anything else asks AWS.
    local_only = {"aws_iam_policy_document"}
    for workspace, stack in synthesis.stacks.items():
        assert set(stack.get("data", {})) <= local_only, workspace


def test_synthesis_is_deterministic(synthesis: Synthesis, tmp_path: Path) -> None:
    from stacks.app import build_app

    app, stacks = build_app(synthesis.environments, str(tmp_path))
    app.synth()
    for name in stacks:
        again = (tmp_path / "stacks" / name / "cdk.tf.json").read_text(encoding="utf-8")
        assert json.loads(again) == synthesis.stacks[name], name


def test_cdktf_json_runs_main_py_from_the_project_venv() -> None:
    config = json.loads((ROOT / "cdktf.json").read_text(encoding="utf-8"))
    assert config["language"] == "python"
    assert config["app"] == ".venv/bin/python main.py"
    assert config["output"] == "cdktf.out"
    assert config["terraformProviders"] == []
