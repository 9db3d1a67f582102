"""Session-wide fixtures: the example is synthesized once, planned once, scanned once.

Loading the AWS bindings costs seconds and hundreds of MB per process, so every
workspace test reads the one shared synthesis; nothing here starts a Python
process per test.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("CHECKPOINT_DISABLE", "1")
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

from config.loader import Environments, load_environments
from config.migration import PLAN_DIR, load_plans
from tests.support.checkov import Finding, judge, load_exceptions, scan
from tests.support.terraform import Terraform, WorkspaceRun
from tests.user.checks import Synthesis, run_terraform, synthesize

ROOT = Path(__file__).resolve().parent.parent
# The project's own tests run on a fixed copy of the bundled example, so that a team
# editing environments/ keeps them exact; tests/user/ checks whatever environments/ holds.
# tests/fixtures/README.md says how the copy is kept in step with the bundled example.
FIXTURE_ROOT = ROOT / "tests" / "fixtures" / "example"
EXAMPLE = FIXTURE_ROOT / "environments"
LIVE_ENVIRONMENTS = ROOT / "environments"
CHECKOV_EXCEPTIONS = ROOT / "tests" / "checkov_exceptions.yaml"


@dataclass(frozen=True)
class CheckovResult:
    findings: list[Finding]
    passed: int
    log: str


def example_environments() -> Environments:
    return load_environments(EXAMPLE, display_root=FIXTURE_ROOT)


def example_workspaces() -> list[str]:
    """Every workspace of the example fixture in deploy order: the accounts, hub routing, then GitLab."""
    from config.workspaces import gitlab_workspace

    environments = example_environments()
    gitlab = [gitlab_workspace(environments.tooling.name)] if environments.gitlab_access is not None else []
    return [*environments.accounts, environments.hub_routing_workspace, *gitlab]


@pytest.fixture(scope="session")
def environments() -> Environments:
    return example_environments()


@pytest.fixture(scope="session")
def synthesis(environments: Environments, tmp_path_factory: pytest.TempPathFactory) -> Synthesis:
    # As main.py does: the example's migration plans add the cut-over push deny.
    plans = load_plans(FIXTURE_ROOT / PLAN_DIR, environments, display_root=ROOT).by_workspace
    return synthesize(environments, tmp_path_factory.mktemp("cdktf.out"), plans)


# What the real-tool fixtures did, for the closing summary of the run.
_REPORT: dict[str, Any] = {}


@pytest.fixture(scope="session")
def terraform_runs(synthesis: Synthesis, tmp_path_factory: pytest.TempPathFactory) -> dict[str, WorkspaceRun]:
    """init, validate, plan and show for every workspace; two at a time (two cores)."""
    workdir = tmp_path_factory.mktemp("terraform")
    runs = run_terraform(synthesis, workdir)
    terraform = Terraform(workdir / ".config")
    _REPORT["terraform"] = (terraform.binary, terraform.mirror, runs)
    return runs


@pytest.fixture(scope="session")
def checkov_result(terraform_runs: dict[str, WorkspaceRun], tmp_path_factory: pytest.TempPathFactory) -> CheckovResult:
    plans = {name: run.plan_json for name, run in terraform_runs.items() if run.plan_json is not None}
    # A workspace Terraform could not plan for want of its provider has no plan to scan;
    # the Terraform table says so (docs/gitlab-access.md: the GitLab workspace without
    # gitlabhq/gitlab in the mirror). Every other workspace must have one.
    missing = sorted(name for name, run in terraform_runs.items() if name not in plans and run.not_planned is None)
    assert not missing, f"no plan to scan for {missing}; see the terraform tests"
    findings, passed, log = scan(plans, tmp_path_factory.mktemp("checkov"))
    unexplained, _ = judge(findings, load_exceptions(CHECKOV_EXCEPTIONS))
    _REPORT["checkov"] = (sorted(plans), passed, len(findings), len(unexplained))
    return CheckovResult(findings, passed, log)


@pytest.fixture(scope="session")
def checkov_exceptions() -> list[Any]:
    return load_exceptions(CHECKOV_EXCEPTIONS)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Show that Terraform and checkov really ran, per workspace."""
    write = terminalreporter.write_line
    if "terraform" in _REPORT:
        binary, mirror, runs = _REPORT["terraform"]
        terminalreporter.section("terraform (offline)")
        write(f"{binary}; provider from {mirror or 'the registry'}")
        for name, run in runs.items():
            write(f"{name:<24} {run.status}")
    if "checkov" in _REPORT:
        workspaces, passed, failed, unexplained = _REPORT["checkov"]
        terminalreporter.section("checkov (terraform_plan)")
        write(f"{len(workspaces)} plans ({', '.join(workspaces)}): {passed} checks passed, {failed} failed")
        write(
            f"{failed - unexplained} of the {failed} failed checks are accepted exceptions, each with its reason in "
            f"tests/checkov_exceptions.yaml; {unexplained} unexplained (test_checkov.py fails on any)"
        )
