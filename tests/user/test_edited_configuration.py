"""Proof that the user-facing checks hold for a team's own configuration, not only the
example: a copy of the example gains an account without ``delivery:``, loses a target
and has another renamed to a custom workspace name, and passes the same checks that
tests/user/test_your_configuration.py runs on environments/.

The account values differ from every fixture and from the docs' examples (docs/network.md
adds ``qa`` with 444444444444 and 10.40.0.0/16), so the two can never collide.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from config.loader import load_environments
from stacks.atlantis import render
from tests.conftest import EXAMPLE
from tests.support.terraform import WorkspaceRun
from tests.user.checks import (
    Synthesis,
    duplicate_rule_problems,
    expected_workspaces,
    run_terraform,
    secret_problems,
    segmentation_problems,
    synthesize,
    terraform_problems,
)

SANDBOX = """\
# yaml-language-server: $schema=./schema.json
role: target
account_id: "555555555555"
region: ap-northeast-1
deploy_role_arn: arn:aws:iam::555555555555:role/terraform-deploy
network:
  vpc_cidr: 10.50.0.0/16
  availability_zones: [ap-northeast-1a, ap-northeast-1c]
"""
CUSTOM_WORKSPACE = "develop-tokyo"


@pytest.fixture(scope="module")
def edited(tmp_path_factory: pytest.TempPathFactory) -> Synthesis:
    root = tmp_path_factory.mktemp("edited")
    directory = root / "environments"
    shutil.copytree(EXAMPLE, directory)
    (directory / "sandbox.yaml").write_text(SANDBOX, encoding="utf-8")  # added, no delivery
    (directory / "production.yaml").unlink()  # removed
    staging = (directory / "staging.yaml").read_text(encoding="utf-8")  # renamed
    (directory / "staging.yaml").unlink()
    (directory / "dev.yaml").write_text(staging + f"workspace: {CUSTOM_WORKSPACE}\n", encoding="utf-8")
    return synthesize(load_environments(directory, display_root=root), root / "cdktf.out")


@pytest.fixture(scope="module")
def runs(edited: Synthesis, tmp_path_factory: pytest.TempPathFactory) -> dict[str, WorkspaceRun]:
    return run_terraform(edited, tmp_path_factory.mktemp("edited-terraform"))


def test_the_edit_is_what_the_app_builds(edited: Synthesis) -> None:
    workspaces = expected_workspaces(edited.environments)
    assert workspaces == ["bootstrap", "tooling", CUSTOM_WORKSPACE, "sandbox", "tooling-hub-routing", "tooling-gitlab"]
    assert list(edited.stacks) == workspaces
    assert "delivery" not in yaml.safe_load(SANDBOX)
    projects = [p["name"] for p in yaml.safe_load(render(edited.manifest()))["projects"]]
    assert sorted(projects) == sorted(set(workspaces) - {"bootstrap"})


def test_every_workspace_validates_and_plans_offline(edited: Synthesis, runs: dict[str, WorkspaceRun]) -> None:
    assert sorted(runs) == sorted(edited.stacks)
    # The GitLab workspace's provider is in no mirror here: reported as not planned, never as passed.
    not_planned = {name: run.not_planned for name, run in runs.items() if run.not_planned is not None}
    assert not_planned in ({}, {"tooling-gitlab": "not planned: gitlabhq/gitlab not available"}), not_planned
    problems = [
        p for name, run in runs.items() if run.not_planned is None for p in terraform_problems(run, edited.stacks[name])
    ]
    assert not problems, "\n".join(problems)


def test_no_secret_and_segmentation_holds(edited: Synthesis) -> None:
    problems = [p for name, stack in edited.stacks.items() for p in secret_problems(name, stack)]
    problems += segmentation_problems(edited)
    problems += [p for name, stack in edited.stacks.items() for p in duplicate_rule_problems(name, stack)]
    assert not problems, "\n".join(problems)


def test_the_checks_can_fail(edited: Synthesis, tmp_path: Path) -> None:
    # A target route towards another target breaks segmentation; a secret output is reported.
    stacks = {name: dict(stack) for name, stack in edited.stacks.items()}
    sandbox = dict(stacks["sandbox"])
    routes = dict(sandbox["resource"]["aws_route"])
    (name, route), *_ = [(n, r) for n, r in routes.items() if "transit_gateway_id" in r]
    routes[name + "_extra"] = {**route, "destination_cidr_block": "10.20.0.0/16"}
    sandbox["resource"] = {**sandbox["resource"], "aws_route": routes}
    sandbox["output"] = {**sandbox.get("output", {}), "leak": {"value": "${aws_iam_access_key.k.secret}"}}
    stacks["sandbox"] = sandbox
    broken = Synthesis(edited.environments, tmp_path, stacks)
    assert any("sandbox: VPC routes" in p for p in segmentation_problems(broken))
    assert any("output leak carries a secret" in p for p in secret_problems("sandbox", sandbox))
    # The same rule twice under another name (a different description does not count).
    tooling_name = edited.environments.tooling.name
    tooling = dict(stacks[tooling_name])
    kind = "aws_vpc_security_group_ingress_rule"
    rules = dict(tooling["resource"][kind])
    first, body = sorted(rules.items())[0]
    rules[first + "_again"] = {**body, "description": "the same rule, described differently"}
    tooling["resource"] = {**tooling["resource"], kind: rules}
    assert duplicate_rule_problems(tooling_name, tooling) == [
        f"{tooling_name}: {kind}.{first}_again is the same rule as {kind}.{first}"
    ]
