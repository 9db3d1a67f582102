"""``pipelines``: CodePipelines become delivery.pipelines entries; the environment file keeps
its comments and order (ruamel.yaml round trip); what cannot be mapped is reported with why."""

from __future__ import annotations

import io
import shutil
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from config.errors import ConfigError
from config.loader import load_environments
from config.migration import parse_plan
from migrate.pipelines import map_pipeline, pipelines, write_entries
from migrate.report import Report
from tests.conftest import EXAMPLE, example_environments

PLAN = parse_plan(
    """\
workspace: staging
account_id: "222222222222"
region: ap-northeast-1
gitlab: {url: https://gitlab.example.com}
repositories:
  webapp: {gitlab: delivery/webapp}
  api: {gitlab: delivery/api}
  old: {gitlab: delivery/old, migrate: false}
""",
    "migration/staging.yaml",
    example_environments(),
)


def action(name: str, category: str, provider: str, **configuration: str) -> dict[str, Any]:
    return {"name": name, "actionTypeId": {"category": category, "provider": provider}, "configuration": configuration}


def source(repository: str = "webapp", branch: str = "main") -> dict[str, Any]:
    return action("Source", "Source", "CodeCommit", RepositoryName=repository, BranchName=branch)


def codepipeline(name: str, *actions: dict[str, Any], sources: tuple[dict[str, Any], ...] = ()) -> dict[str, Any]:
    return {
        "name": name,
        "stages": [{"name": "Source", "actions": list(sources or (source(),))}]
        + [{"name": a["name"], "actions": [a]} for a in actions],
    }


def project(name: str, **overrides: Any) -> dict[str, Any]:
    body = {
        "name": name,
        "source": {"type": "CODEPIPELINE", "buildspec": "ci/build.yml"},
        "environment": {"type": "LINUX_CONTAINER", "computeType": "BUILD_GENERAL1_MEDIUM", "image": "img:1"},
        "timeoutInMinutes": 30,
    }
    return body | overrides


BUILD = action("Build", "Build", "CodeBuild", ProjectName="build")
DEPLOY = action("Deploy", "Build", "CodeBuild", ProjectName="deploy")
PROJECTS = {"build": project("build"), "deploy": project("deploy", serviceRole="arn:aws:iam::1:role/deployer")}


def test_a_full_pipeline_maps_to_one_entry() -> None:
    approval = action("Approve", "Approval", "Manual", CustomData="Ship it?")
    trigger = {
        "gitConfiguration": {"push": [{"branches": {"includes": ["main"]}, "filePaths": {"excludes": ["*.md"]}}]}
    }
    found = codepipeline("release", BUILD, approval, {**DEPLOY, "region": "ap-northeast-3"}) | {"triggers": [trigger]}
    entry, unmapped = map_pipeline(found, PLAN, PROJECTS, "ap-northeast-1")
    assert entry == {
        "repository": "delivery/webapp",
        "branch": "main",
        "trigger": {"branches": {"includes": ["main"]}, "file_paths": {"excludes": ["*.md"]}},
        "build": {"buildspec": "ci/build.yml", "compute_size": "medium", "image": "img:1", "timeout_minutes": 30},
        "deploy": {
            "buildspec": "ci/build.yml",
            "compute_size": "medium",
            "image": "img:1",
            "timeout_minutes": 30,
            "region": "ap-northeast-3",
        },
        "approval": {"summary": "Ship it?"},
    }
    assert unmapped == ["deploy project deploy: give the deploy role's permissions as deploy.policy_arns"]


@pytest.mark.parametrize(
    ("found", "projects", "reason"),
    [
        (codepipeline("two", BUILD, sources=(source(), source("api"))), PROJECTS, "2 source actions"),
        (codepipeline("old", BUILD, sources=(source("old"),)), PROJECTS, "its repository old is not migrated"),
        (codepipeline("none", action("Deploy", "Deploy", "ECS")), PROJECTS, "no CodeBuild build action"),
    ],
)
def test_what_cannot_be_mapped_at_all_says_why(found: dict[str, Any], projects: Any, reason: str) -> None:
    entry, unmapped = map_pipeline(found, PLAN, projects, "ap-northeast-1")
    assert entry is None
    assert any(reason in item for item in unmapped), unmapped


def test_parts_that_cannot_be_mapped_are_listed_with_why() -> None:
    inline = project(
        "build",
        source={"type": "CODEPIPELINE", "buildspec": "version: 0.2\nphases: {}\n"},
        environment={
            "type": "WINDOWS_SERVER_2019_CONTAINER",
            "computeType": "BUILD_LAMBDA_1GB",
            "environmentVariables": [{"name": "STAGE", "value": "x"}],
        },
    )
    ecs = action("ToEcs", "Deploy", "ECS")
    approval = action("Approve", "Approval", "Manual")
    entry, unmapped = map_pipeline(codepipeline("odd", BUILD, ecs, approval), PLAN, {"build": inline}, "x")
    assert entry is not None and entry["build"]["buildspec"] == "buildspec.yml"
    assert unmapped == [
        "action ToEcs (Deploy/ECS): only CodeBuild builds and deploys",
        "project build: inline buildspec; commit it to the repository as buildspec.yml",
        "project build: compute type BUILD_LAMBDA_1GB (Linux container sizes only)",
        "project build: environment type WINDOWS_SERVER_2019_CONTAINER",
        "project build: environment variables (STAGE) go into the buildspec",
        "a manual approval without a deploy stage",
    ]


@pytest.fixture
def environments_dir(tmp_path: Path) -> Path:
    copy = tmp_path / "environments"
    shutil.copytree(EXAMPLE, copy)
    return copy


def test_the_file_keeps_its_comments_order_and_quoting(environments_dir: Path) -> None:
    path = environments_dir / "staging.yaml"
    before = path.read_text(encoding="utf-8")
    entry = {"repository": "delivery/api", "branch": "main", "build": {"buildspec": "buildspec.yml"}}
    assert write_entries(path, {"api-ci": entry}) == ["api-ci"]
    after = path.read_text(encoding="utf-8")
    assert after.startswith(before.rstrip("\n"))  # everything that was there, byte for byte, then the entry
    assert after.endswith("    api-ci:\n      repository: delivery/api\n      branch: main\n      build:\n"
                          "        buildspec: buildspec.yml\n")  # fmt: skip
    assert load_environments(environments_dir).targets["staging"].delivery.pipelines["api-ci"].branch == "main"  # type: ignore[union-attr]
    assert write_entries(path, {"api-ci": entry}) == []  # the same again: nothing written
    assert path.read_text(encoding="utf-8") == after


def test_an_entry_that_would_make_the_file_invalid_is_not_written(environments_dir: Path) -> None:
    path = environments_dir / "staging.yaml"
    before = path.read_text(encoding="utf-8")
    with pytest.raises(ConfigError, match=r"staging\.yaml: delivery\.pipelines\.bad"):
        write_entries(
            path, {"bad": {"repository": "delivery/api", "branch": "main", "build": {"compute_size": "huge"}}}
        )
    assert path.read_text(encoding="utf-8") == before


class Client:
    def __init__(self, responses: dict[str, Any]) -> None:
        self.responses = responses

    def __getattr__(self, name: str) -> Any:
        return self.responses[name]


class Account:
    """The two read calls of ``pipelines`` (CodePipeline, CodeBuild); the e2e test runs them against moto."""

    def __init__(self, found: list[dict[str, Any]], projects: dict[str, dict[str, Any]]) -> None:
        self.clients = {
            "codepipeline": Client(
                {
                    "list_pipelines": lambda **_: {"pipelines": [{"name": p["name"]} for p in found]},
                    "get_pipeline": lambda name: {"pipeline": next(p for p in found if p["name"] == name)},
                }
            ),
            "codebuild": Client({"batch_get_projects": lambda names: {"projects": [projects[n] for n in names]}}),
        }

    def client(self, service: str) -> Any:
        return self.clients[service]


def test_the_command_reports_each_pipeline_and_prints_what_it_could_not_map(environments_dir: Path) -> None:
    found = [
        codepipeline("Release-Web", BUILD, DEPLOY),
        codepipeline("from-old", BUILD, sources=(source("old"),)),
        {"name": "github", "stages": [{"name": "S", "actions": [action("S", "Source", "GitHub")]}]},
    ]
    report = Report("pipelines", "staging")
    path = environments_dir / "staging.yaml"
    pipelines(PLAN, aws=Account(found, PROJECTS), environment_file=path, home="ap-northeast-1", dry_run=False,
              report=report)  # type: ignore[arg-type]  # fmt: skip
    rows = {e.repository: (e.status, e.message) for e in report.entries}
    assert rows == {
        "Release-Web": ("changed", "-> delivery.pipelines.release-web (delivery/webapp@main)"),
        "from-old": ("skipped", "not mapped: its repository old is not migrated by the plan"),
    }  # the GitHub-sourced pipeline is none of the migration's business
    console = Console(file=io.StringIO(), width=200, color_system=None)
    report.render(console)
    printed = console.file.getvalue()  # type: ignore[attr-defined]
    assert "note: Release-Web: not mapped: deploy project deploy: give the deploy role's permissions" in printed
    assert "note: 1 entries written to staging.yaml" in printed
    assert "release-web:" in path.read_text(encoding="utf-8")
