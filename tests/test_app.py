"""What every workspace gets from stacks/base.py, and the app's workspace set."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from config.arn_checks import BUILT_IN_TAG_KEYS
from config.loader import Environments
from config.migration import load_plans
from stacks.base import AWS_PROVIDER_VERSION, TERRAFORM_REQUIRED_VERSION
from tests.conftest import FIXTURE_ROOT, ROOT, Synthesis

WORKSPACES = ["tooling", "production", "staging", "tooling-hub-routing"]
# environments/gitlab.yaml's workspace: the gitlab provider only (tests/test_workspace_gitlab.py).
GITLAB_WORKSPACE = "tooling-gitlab"


def test_one_workspace_per_account(synthesis: Synthesis) -> None:
    # plus the bootstrap workspace that creates the state backend (tests/test_workspace_bootstrap.py)
    assert list(synthesis.stacks) == ["bootstrap", *WORKSPACES, GITLAB_WORKSPACE]
    manifest = json.loads((synthesis.outdir / "manifest.json").read_text(encoding="utf-8"))
    assert sorted(manifest["stacks"]) == sorted(["bootstrap", *WORKSPACES, GITLAB_WORKSPACE])


def test_the_gitlab_workspace_pins_its_provider(synthesis: Synthesis) -> None:
    terraform = synthesis.stacks[GITLAB_WORKSPACE]["terraform"]
    # The version cdktf-cdktf-provider-gitlab 15.6.2 was generated for.
    assert terraform["required_providers"] == {"gitlab": {"source": "gitlabhq/gitlab", "version": "18.6.1"}}
    assert terraform["required_version"] == TERRAFORM_REQUIRED_VERSION


@pytest.mark.parametrize("workspace", WORKSPACES)
def test_versions_are_pinned(synthesis: Synthesis, workspace: str) -> None:
    terraform = synthesis.stacks[workspace]["terraform"]
    assert terraform["required_providers"] == {"aws": {"source": "aws", "version": AWS_PROVIDER_VERSION}}
    assert terraform["required_version"] == TERRAFORM_REQUIRED_VERSION
    assert AWS_PROVIDER_VERSION == "5.100.0"


@pytest.mark.parametrize("workspace", WORKSPACES)
def test_provider_region_role_account_guard_and_tags(synthesis: Synthesis, workspace: str) -> None:
    # hub routing is a second workspace of the tooling account
    account = synthesis.environments.accounts.get(workspace, synthesis.environments.tooling)
    providers = synthesis.stacks[workspace]["provider"]["aws"]
    (provider,) = [p for p in providers if "alias" not in p]
    assert provider["region"] == account.region
    # Providers for other regions (stacks/base.py region_provider) differ in region and alias only.
    for other in providers:
        assert {k: v for k, v in other.items() if k not in ("alias", "region")} == {
            k: v for k, v in provider.items() if k != "region"
        }
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
    # terraform_remote_state reads this project's own state, through the same backend.
    local_only = {"aws_iam_policy_document", "terraform_remote_state"}
    for workspace, stack in synthesis.stacks.items():
        # The GitLab workspace looks people up by user name in GitLab's API, never in AWS.
        allowed = local_only | ({"gitlab_user"} if workspace == GITLAB_WORKSPACE else set())
        assert set(stack.get("data", {})) <= allowed, workspace
        for state in stack.get("data", {}).get("terraform_remote_state", {}).values():
            assert state["backend"] == "local"
            assert state["config"]["path"].startswith("../../../terraform."), workspace


def test_deploy_order_bootstrap_tooling_targets_then_hub_routing(synthesis: Synthesis) -> None:
    # cdktf deploy '*' applies a stack only after the stacks it depends on.
    manifest = json.loads((synthesis.outdir / "manifest.json").read_text(encoding="utf-8"))
    dependencies = {name: set(stack.get("dependencies", [])) for name, stack in manifest["stacks"].items()}
    assert dependencies == {
        "bootstrap": set(),
        "tooling": {"bootstrap"},
        "production": {"bootstrap", "tooling"},
        "staging": {"bootstrap", "tooling"},
        "tooling-hub-routing": {"bootstrap", "tooling", "production", "staging"},
        GITLAB_WORKSPACE: {"bootstrap", "tooling"},
    }
    # No cycle, and the app lists them in an order that respects every dependency.
    order = list(synthesis.stacks)
    for name, needs in dependencies.items():
        assert all(order.index(need) < order.index(name) for need in needs), name


def test_synthesis_is_deterministic(synthesis: Synthesis, tmp_path: Path) -> None:
    from stacks.app import build_app

    # With the same inputs as the session synthesis, the committed migration plans included.
    plans = load_plans(FIXTURE_ROOT / "migration", synthesis.environments, display_root=ROOT).by_workspace
    app, stacks = build_app(synthesis.environments, str(tmp_path), plans=plans)
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


def test_region_provider_is_created_once_per_extra_region(environments: Environments) -> None:
    from cdktf import Testing

    from stacks.base import AccountStack

    stack = AccountStack(Testing.app(), "probe", environments.targets["staging"])
    assert stack.region_provider("ap-northeast-1") is stack.provider
    osaka = stack.region_provider("ap-northeast-3")
    assert stack.region_provider("ap-northeast-3") is osaka
    assert osaka.alias == "ap_northeast_3"
    assert osaka.region == "ap-northeast-3"


def test_every_resource_tag_key_is_counted_by_the_tag_limit_check(synthesis: Synthesis) -> None:
    """config/arn_checks.py counts an account's tags against AWS's 50 with BUILT_IN_TAG_KEYS:
    the default_tags and every tag key a construct sets must be among them."""
    accounts_own = {key for account in synthesis.environments.accounts.values() for key in account.tags}
    found: set[str] = set()
    for stack in synthesis.stacks.values():
        for provider in stack.get("provider", {}).get("aws", []):
            for block in provider.get("default_tags", []):
                found |= set(block.get("tags", {})) - accounts_own
        for blocks in stack.get("resource", {}).values():
            for body in blocks.values():
                if isinstance(body.get("tags"), dict):
                    found |= set(body["tags"])
    assert found and found <= BUILT_IN_TAG_KEYS, found - BUILT_IN_TAG_KEYS
