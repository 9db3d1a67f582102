"""Fixtures of the user-facing checks: the live ``environments/``, synthesized once.

When ``environments/`` still holds exactly the bundled example (the fixture copy),
the project's session synthesis, plans and scan are reused instead of made twice.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from config.errors import ConfigError
from config.loader import Environments, load_environments
from config.migration import PLAN_DIR, load_plans
from tests.conftest import EXAMPLE, LIVE_ENVIRONMENTS, ROOT, CheckovResult
from tests.support.checkov import scan
from tests.support.terraform import WorkspaceRun
from tests.user.checks import Synthesis, expected_workspaces, run_terraform, synthesize


def configuration_digest(directory: Path) -> str:
    """SHA-256 over the names and contents of what the synthesis reads: the account files
    in ``directory`` and the migration plans beside it."""
    digest = hashlib.sha256()
    files = [*directory.glob("*.yaml"), *directory.glob("*.yml"), *(directory.parent / PLAN_DIR).glob("*.yaml")]
    for path in sorted(files):
        content = path.read_bytes()
        digest.update(f"{path.parent.name}/{path.name}\0{len(content)}\0".encode())
        digest.update(content)
    return digest.hexdigest()


def live_is_the_example() -> bool:
    return configuration_digest(LIVE_ENVIRONMENTS) == configuration_digest(EXAMPLE)


def live_environments_or_error() -> Environments | ConfigError:
    try:
        return load_environments(LIVE_ENVIRONMENTS, display_root=ROOT)
    except ConfigError as error:
        return error


def live_workspaces() -> list[str]:
    """The workspaces environments/ asks for (none when it does not load: test_configuration_loads says why)."""
    loaded = live_environments_or_error()
    return [] if isinstance(loaded, ConfigError) else expected_workspaces(loaded)


@pytest.fixture(scope="session")
def live_environments() -> Environments:
    loaded = live_environments_or_error()
    if isinstance(loaded, ConfigError):
        pytest.fail(str(loaded), pytrace=False)
    return loaded


@pytest.fixture(scope="session")
def live_synthesis(
    live_environments: Environments, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Synthesis:
    if live_is_the_example():
        return request.getfixturevalue("synthesis")  # type: ignore[no-any-return]
    try:
        plans = load_plans(ROOT / PLAN_DIR, live_environments, display_root=ROOT).by_workspace
    except ConfigError as error:
        pytest.fail(str(error), pytrace=False)
    return synthesize(live_environments, tmp_path_factory.mktemp("live-cdktf.out"), plans)


@pytest.fixture(scope="session")
def live_terraform_runs(
    live_synthesis: Synthesis, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, WorkspaceRun]:
    if live_is_the_example():
        return request.getfixturevalue("terraform_runs")  # type: ignore[no-any-return]
    return run_terraform(live_synthesis, tmp_path_factory.mktemp("live-terraform"))


@pytest.fixture(scope="session")
def live_checkov_result(
    live_terraform_runs: dict[str, WorkspaceRun],
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
) -> CheckovResult:
    if live_is_the_example():
        return request.getfixturevalue("checkov_result")  # type: ignore[no-any-return]
    plans = {name: run.plan_json for name, run in live_terraform_runs.items() if run.plan_json is not None}
    missing = sorted(n for n, run in live_terraform_runs.items() if n not in plans and run.not_planned is None)
    assert not missing, f"no plan to scan for {missing}; see test_terraform_plans_offline"
    findings, passed, log = scan(plans, tmp_path_factory.mktemp("live-checkov"))
    return CheckovResult(findings, passed, log)
