"""atlantis.yaml: generated from the synthesized workspaces and their dependencies, never stale."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from stacks.atlantis import ATLANTIS_FILE, PROJECT_DIRS_HOOK, WHEN_MODIFIED, deploy_order, render
from tests.conftest import ROOT, Synthesis


def manifest_of(synthesis: Synthesis) -> dict[str, Any]:
    return dict(json.loads((synthesis.outdir / "manifest.json").read_text(encoding="utf-8")))


# That the committed file matches environments/ is a user-facing check: tests/user/.


def test_one_project_per_workspace_except_the_bootstrap(synthesis: Synthesis) -> None:
    config = yaml.safe_load(render(manifest_of(synthesis)))
    projects = {p["name"]: p for p in config["projects"]}
    assert sorted(projects) == sorted(set(synthesis.stacks) - {"bootstrap"})
    for name, project in projects.items():
        assert project["dir"] == f"cdktf.out/stacks/{name}"
        assert (synthesis.stack_dir(name) / "cdk.tf.json").is_file()
        assert project["workspace"] == "default"
        assert project["workflow"] == "cdktf"
        assert project["plan_requirements"] == ["approved", "mergeable"]
        assert project["apply_requirements"] == ["approved", "mergeable"]
        assert project["autoplan"]["enabled"] is True
        modified = project["autoplan"]["when_modified"]
        for path in ("main.py", "modules/**/*.py", "environments/**/*.yaml", "config/**/*.py", "stacks/**/*.py"):
            assert f"../../../{path}" in modified
    # ../../../ from cdktf.out/stacks/<name> is the repository root
    assert all((ROOT / path.removeprefix("../../../").split("*")[0]).exists() for path in WHEN_MODIFIED)


def test_the_documented_hook_creates_every_project_dir_in_a_fresh_clone(tmp_path: Path) -> None:
    # cdktf.out/ is git-ignored and Atlantis skips projects whose dir is missing.
    assert "cdktf.out/" in (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()
    shutil.copy(ROOT / ATLANTIS_FILE, tmp_path / ATLANTIS_FILE)
    subprocess.run(["bash", "-c", PROJECT_DIRS_HOOK], cwd=tmp_path, check=True, timeout=30)
    config = yaml.safe_load((ROOT / ATLANTIS_FILE).read_text(encoding="utf-8"))
    dirs = {p["dir"] for p in config["projects"]}
    assert len(dirs) == len(config["projects"]) > 1
    assert {str(path.relative_to(tmp_path)) for path in tmp_path.glob("cdktf.out/stacks/*")} == dirs
    assert all((tmp_path / d).is_dir() for d in dirs)
    docs = (ROOT / "docs" / "atlantis.md").read_text(encoding="utf-8")
    assert "pre_workflow_hooks:" in docs and PROJECT_DIRS_HOOK in docs
    assert "--fail-on-pre-workflow-hook-error" in docs  # else a failed hook goes unnoticed


def test_workflow_synthesizes_before_it_plans() -> None:
    config = yaml.safe_load((ROOT / ATLANTIS_FILE).read_text(encoding="utf-8"))
    steps = config["workflows"]["cdktf"]["plan"]["steps"]
    assert steps[1:] == ["init", "plan"]
    assert steps[0]["run"].endswith("make synth")
    assert "test -f backend.tf.json" in steps[0]["run"]
    assert config["workflows"]["cdktf"]["apply"]["steps"] == ["apply"]
    assert config["version"] == 3 and config["parallel_plan"] is False


def test_order_follows_the_dependencies_of_the_synthesized_app(synthesis: Synthesis) -> None:
    manifest = manifest_of(synthesis)
    config = yaml.safe_load(render(manifest))
    group = {p["name"]: p["execution_order_group"] for p in config["projects"]}
    for name, position in group.items():
        for dependency in manifest["stacks"][name]["dependencies"]:
            if dependency != "bootstrap":
                assert group[dependency] < position, (dependency, name)
    assert [p["execution_order_group"] for p in config["projects"]] == sorted(group.values())


def test_a_hub_routing_workspace_after_the_targets_needs_no_change() -> None:
    def stack(name: str, *dependencies: str) -> dict[str, Any]:
        return {"workingDirectory": f"stacks/{name}", "dependencies": ["bootstrap", *dependencies]}

    manifest = {
        "stacks": {
            "bootstrap": {"workingDirectory": "stacks/bootstrap", "dependencies": []},
            "tooling": stack("tooling"),
            "staging": stack("staging", "tooling"),
            "production": stack("production", "tooling"),
            "hub-routing": stack("hub-routing", "staging", "production"),
        }
    }
    projects = yaml.safe_load(render(manifest))["projects"]
    assert [(p["name"], p["execution_order_group"]) for p in projects] == [
        ("tooling", 0),
        ("production", 1),
        ("staging", 1),
        ("hub-routing", 2),
    ]
    assert projects[-1]["dir"] == "cdktf.out/stacks/hub-routing"


def test_cycles_and_unknown_dependencies_are_errors() -> None:
    with pytest.raises(ValueError, match="cycle: a -> b -> a"):
        deploy_order({"a": ["b"], "b": ["a"]})
    with pytest.raises(ValueError, match=r"a depends on unknown workspaces \['z'\]"):
        deploy_order({"a": ["z"]})
    assert deploy_order({"a": [], "b": ["a"], "c": ["a", "b"]}) == {"a": 0, "b": 1, "c": 2}
