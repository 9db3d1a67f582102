"""Two-phase rollout (issue 10): no pipeline exists in a plan before its connection is
AVAILABLE. Phase one (``delivery.pipelines_enabled: false``) plans no CodePipeline;
phase two (true, as in the bundled example) plans every configured one."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from config.loader import load_environments
from tests.conftest import EXAMPLE, Synthesis
from tests.support.synth import resources
from tests.support.terraform import Terraform, remote_state_fixtures

Stacks = dict[str, dict[str, Any]]


@pytest.fixture(scope="module")
def phase_one(tmp_path_factory: pytest.TempPathFactory) -> Stacks:
    """The example with staging in phase one (the handshake not done yet)."""
    from stacks.app import build_app

    root = tmp_path_factory.mktemp("phase-one")
    environments_dir = root / "environments"
    shutil.copytree(EXAMPLE, environments_dir)
    staging = environments_dir / "staging.yaml"
    text = staging.read_text(encoding="utf-8")
    assert "pipelines_enabled: true" in text
    staging.write_text(text.replace("pipelines_enabled: true", "pipelines_enabled: false"), encoding="utf-8")
    out = root / "cdktf.out"
    app, stacks = build_app(load_environments(environments_dir), str(out))
    app.synth()
    return {name: json.loads((out / "stacks" / name / "cdk.tf.json").read_text(encoding="utf-8")) for name in stacks}


def test_phase_one_synthesizes_no_pipeline(phase_one: Stacks) -> None:
    staging = phase_one["staging"]
    assert resources(staging, "aws_codepipeline") == {}
    assert resources(staging, "aws_codebuild_project") == {}
    assert staging["output"]["pipeline_names"]["value"] == {}
    # The connection side is there: it is what the handshake of phase one completes.
    assert "codeconnections-staging/connection" in json.dumps(phase_one["tooling"])
    assert staging["output"]["codeconnections_connection_arn"]


def test_phase_two_synthesizes_every_pipeline(synthesis: Synthesis, environments: Any) -> None:
    for name, account in environments.targets.items():
        assert account.delivery is not None and account.delivery.pipelines_enabled
        pipelines = resources(synthesis.stacks[name], "aws_codepipeline")
        assert len(pipelines) == len(account.delivery.pipelines), name


def test_phase_one_plans_no_pipeline_offline(phase_one: Stacks, tmp_path: Path) -> None:
    source = tmp_path / "source"
    source.mkdir()
    (source / "cdk.tf.json").write_text(json.dumps(phase_one["staging"]), encoding="utf-8")
    run = Terraform(tmp_path / ".config").check_workspace(
        "staging", source, tmp_path, remote_state_fixtures(phase_one["staging"], phase_one)
    )
    assert run.ok, run.report()
    assert run.plan_json is not None
    planned = json.loads(run.plan_json.read_text(encoding="utf-8"))["resource_changes"]
    types = {change["type"] for change in planned if "create" in change["change"]["actions"]}
    assert "aws_codepipeline" not in types
    assert "aws_vpc" in types
