"""Real Terraform over every synthesized workspace: init, validate, offline plan."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import Synthesis, example_workspaces
from tests.support.terraform import (
    MIRROR_VARIABLE,
    OVERRIDE_FILE,
    TerraformMissing,
    WorkspaceRun,
    cli_config,
    find_mirror,
    offline_override,
    required_providers,
    unavailable_providers,
)

WORKSPACES = example_workspaces()


def test_every_synthesized_workspace_is_checked(terraform_runs: dict[str, WorkspaceRun], synthesis: Synthesis) -> None:
    assert sorted(terraform_runs) == sorted(synthesis.stacks)


@pytest.mark.parametrize("workspace", WORKSPACES)
@pytest.mark.parametrize("command", ["init", "validate", "plan"])
def test_terraform_succeeds(terraform_runs: dict[str, WorkspaceRun], workspace: str, command: str) -> None:
    run = terraform_runs[workspace]
    if run.not_planned is not None:
        pytest.skip(f"{workspace}: {run.not_planned}")  # reported as skipped, never as passed
    steps = [step for step in run.steps if step.command.split()[0] == command]
    assert steps, f"terraform {command} did not run in {workspace}:\n{run.report()}"
    assert steps[0].returncode == 0, f"terraform {command} failed in {workspace}:\n{steps[0].output}"
    if command == "validate":
        assert "Success! The configuration is valid." in steps[0].output


@pytest.mark.parametrize("workspace", WORKSPACES)
def test_plan_creates_every_resource_and_nothing_else(
    terraform_runs: dict[str, WorkspaceRun], synthesis: Synthesis, workspace: str
) -> None:
    run = terraform_runs[workspace]
    if run.not_planned is not None:
        pytest.skip(f"{workspace}: {run.not_planned}")
    assert run.plan_json is not None, run.report()
    plan = json.loads(run.plan_json.read_text(encoding="utf-8"))
    changes = {c["address"]: c["change"]["actions"] for c in plan["resource_changes"] if c["mode"] == "managed"}
    declared = {f"{kind}.{name}" for kind, items in synthesis.stacks[workspace]["resource"].items() for name in items}
    assert set(changes) == declared
    assert all(actions == ["create"] for actions in changes.values())


def test_mirror_from_variable_or_well_known_place(tmp_path: Path) -> None:
    mirror = tmp_path / "mirror"
    (mirror / "registry.terraform.io/hashicorp/aws/5.100.0/linux_amd64").mkdir(parents=True)
    assert find_mirror({MIRROR_VARIABLE: str(mirror)}) == mirror
    with pytest.raises(TerraformMissing, match=r"holds no registry\.terraform\.io/hashicorp/aws 5\.100\.0"):
        find_mirror({MIRROR_VARIABLE: str(tmp_path / "empty")})
    config = cli_config(mirror)
    assert f'path    = "{mirror}"' in config
    assert 'exclude = ["registry.terraform.io/hashicorp/aws"]' in config
    assert cli_config(None) == "provider_installation {\n  direct {}\n}\n"


def test_offline_override_covers_every_provider_block(tmp_path: Path) -> None:
    stack = {"provider": {"aws": [{"region": "eu-west-1"}, {"alias": "replica", "region": "eu-central-1"}]}}
    override = offline_override(stack, tmp_path / "s.tfstate")
    providers = override["provider"]["aws"]  # type: ignore[index]
    assert [p.get("alias") for p in providers] == [None, "replica"]
    assert all(p["skip_credentials_validation"] and p["skip_requesting_account_id"] for p in providers)
    assert override["terraform"] == {"backend": {"local": {"path": str(tmp_path / "s.tfstate")}}}
    assert OVERRIDE_FILE.endswith("_override.tf.json")


def test_a_workspace_whose_provider_is_missing_is_reported_not_planned(
    terraform_runs: dict[str, WorkspaceRun], synthesis: Synthesis
) -> None:
    """The GitLab workspace needs gitlabhq/gitlab; where the mirror lacks it, the table says
    so in plain words and shows no step that could read as a pass. Every other workspace
    (aws only) still ran init, validate and plan."""
    for name, run in terraform_runs.items():
        needed = required_providers(synthesis.stacks[name])
        if "registry.terraform.io/gitlabhq/gitlab" in needed and unavailable_providers(
            synthesis.stacks[name], find_mirror()
        ):
            assert run.not_planned == "not planned: gitlabhq/gitlab not available"
            assert run.status == run.not_planned
            assert not run.steps and run.plan_json is None and not run.ok
        else:
            assert run.not_planned is None, f"{name}: {run.not_planned}"
            assert [s.command.split()[0] for s in run.steps][:3] == ["init", "validate", "plan"]


def test_unavailable_providers_follow_the_mirror(tmp_path: Path) -> None:
    stack = {
        "terraform": {
            "required_providers": {
                "aws": {"source": "aws", "version": "5.100.0"},
                "gitlab": {"source": "gitlabhq/gitlab", "version": "18.6.1"},
            }
        }
    }
    assert required_providers(stack) == ["registry.terraform.io/gitlabhq/gitlab", "registry.terraform.io/hashicorp/aws"]
    mirror = tmp_path / "mirror"
    (mirror / "registry.terraform.io/hashicorp/aws/5.100.0").mkdir(parents=True)
    assert unavailable_providers(stack, mirror) == ["registry.terraform.io/gitlabhq/gitlab"]
    assert unavailable_providers(stack, None) == []  # the registry serves both
    assert '"registry.terraform.io/gitlabhq/gitlab"' not in cli_config(mirror)
    (mirror / "registry.terraform.io/gitlabhq/gitlab/18.6.1").mkdir(parents=True)
    assert unavailable_providers(stack, mirror) == []
    assert 'include = ["registry.terraform.io/hashicorp/aws", "registry.terraform.io/gitlabhq/gitlab"]' in cli_config(
        mirror
    )
