"""Session-wide fixtures: the example is synthesized once, planned once, scanned once.

Loading the AWS bindings costs seconds and hundreds of MB per process, so every
workspace test reads the one shared synthesis; nothing here starts a Python
process per test.
"""

from __future__ import annotations

import json
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("CHECKPOINT_DISABLE", "1")
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

from config.loader import Environments, load_environments
from tests.support.checkov import Finding, load_exceptions, scan
from tests.support.terraform import Terraform, WorkspaceRun, remote_state_fixtures

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "environments"
CHECKOV_EXCEPTIONS = ROOT / "tests" / "checkov_exceptions.yaml"


@dataclass(frozen=True)
class Synthesis:
    environments: Environments
    outdir: Path
    stacks: dict[str, dict[str, Any]]  # workspace -> parsed cdk.tf.json

    def stack_dir(self, workspace: str) -> Path:
        return self.outdir / "stacks" / workspace


@dataclass(frozen=True)
class CheckovResult:
    findings: list[Finding]
    passed: int
    log: str


def example_environments() -> Environments:
    return load_environments(EXAMPLE, display_root=ROOT)


def example_workspaces() -> list[str]:
    """Every workspace of the example in deploy order: the accounts, hub routing, then GitLab."""
    from config.workspaces import gitlab_workspace

    environments = example_environments()
    gitlab = [gitlab_workspace(environments.tooling.name)] if environments.gitlab_access is not None else []
    return [*environments.accounts, environments.hub_routing_workspace, *gitlab]


@pytest.fixture(scope="session")
def environments() -> Environments:
    return example_environments()


@pytest.fixture(scope="session")
def synthesis(environments: Environments, tmp_path_factory: pytest.TempPathFactory) -> Synthesis:
    from stacks.app import build_app

    outdir = tmp_path_factory.mktemp("cdktf.out")
    app, stacks = build_app(environments, str(outdir))
    app.synth()
    parsed = {
        name: json.loads((outdir / "stacks" / name / "cdk.tf.json").read_text(encoding="utf-8")) for name in stacks
    }
    return Synthesis(environments, outdir, parsed)


# What the real-tool fixtures did, for the closing summary of the run.
_REPORT: dict[str, Any] = {}


@pytest.fixture(scope="session")
def terraform_runs(synthesis: Synthesis, tmp_path_factory: pytest.TempPathFactory) -> dict[str, WorkspaceRun]:
    """init, validate, plan and show for every workspace; two at a time (two cores)."""
    workdir = tmp_path_factory.mktemp("terraform")
    terraform = Terraform(workdir / ".config")
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {
            name: pool.submit(
                terraform.check_workspace,
                name,
                synthesis.stack_dir(name),
                workdir,
                # Where a workspace reads another's outputs, fixture state stands in for it.
                remote_state_fixtures(synthesis.stacks[name], synthesis.stacks),
            )
            for name in synthesis.stacks
        }
        runs = {name: future.result() for name, future in futures.items()}
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
    _REPORT["checkov"] = (sorted(plans), passed, len(findings))
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
        workspaces, passed, failed = _REPORT["checkov"]
        terminalreporter.section("checkov (terraform_plan)")
        write(f"{len(workspaces)} plans ({', '.join(workspaces)}): {passed} checks passed, {failed} failed")
