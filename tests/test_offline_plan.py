"""`make plan`: the offline plan of each workspace, written where a user finds it."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from scripts.offline_plan import PLANS_DIR, SUMMARY_FILE, main, plan_workspaces
from tests.conftest import ROOT, Synthesis


def test_make_plan_runs_the_script_after_synth() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "\nplan: synth\n\t$(PY) -m scripts.offline_plan\n" in makefile


def test_plans_without_aws_credentials(synthesis: Synthesis, tmp_path: Path) -> None:
    outdir = tmp_path / "cdktf.out"
    shutil.copytree(synthesis.outdir, outdir, ignore=shutil.ignore_patterns(".terraform"))
    hub = synthesis.environments.hub_routing_workspace
    # A profile that does not exist: the plan must not try to use it.
    environ = {"PATH": os.environ["PATH"], "AWS_PROFILE": "no-such-profile", "HOME": str(tmp_path)}
    runs = plan_workspaces(outdir, ["bootstrap", hub], environ)
    assert sorted(runs) == sorted(["bootstrap", hub])
    for name, run in runs.items():
        assert run.ok, run.report()
        directory = outdir / PLANS_DIR / name
        assert run.directory == directory
        assert {"plan.bin", "plan.json", SUMMARY_FILE} <= {p.name for p in directory.iterdir()}
        plan = json.loads((directory / "plan.json").read_text(encoding="utf-8"))
        created = [c for c in plan["resource_changes"] if c["mode"] == "managed"]
        summary = (directory / SUMMARY_FILE).read_text(encoding="utf-8")
        assert summary.startswith(f"workspace: {name}\n")
        assert f"resources: {len(created)} create" in summary
        assert f"Plan: {len(created)} to add, 0 to change, 0 to destroy." in summary


def test_clear_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--outdir", str(tmp_path)]) == 2
    assert "manifest.json is missing: run `make synth` first" in capsys.readouterr().err
    (tmp_path / "manifest.json").write_text('{"stacks": {}}', encoding="utf-8")
    assert main(["--outdir", str(tmp_path), "nope"]) == 2
    assert "no synthesized workspace ['nope']" in capsys.readouterr().err
