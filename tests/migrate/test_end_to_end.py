"""End to end: inventory, mirror, pull requests and pipelines of a fake account, through the CLI.

Three CodeCommit repositories (branches, annotated tags, a long history) and two
CodePipelines: moto (server on 127.0.0.1) for CodeCommit's repositories, CodePipeline
and CodeBuild, tests/support/codecommit.py for the CodeCommit calls moto lacks; real
git against local bare repositories for CodeCommit and, over HTTP, for GitLab
(tests/support/fake_gitlab.py, the REST endpoints shaped as GitLab's API docs give
them). A second run changes nothing; a new commit on CodeCommit is all the next run
pushes; the target workspace synthesized from the edited files builds its pipelines
from the GitLab paths.
"""

from __future__ import annotations

import io
import json
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from rich.console import Console

from config.loader import load_environments
from config.migration import dump_plan, load_plans, parse_plan
from migrate.cli import run
from migrate.git import Git
from scripts.moto_server import moto_server
from tests.conftest import EXAMPLE, ROOT
from tests.migrate.test_mirror import commit, fast_import, git
from tests.support.codecommit import FakeCodeCommit, StubbedAws
from tests.support.fake_gitlab import FakeGitLab, fake_gitlab

pytestmark = pytest.mark.integration
ACCOUNT, REGION = "222222222222", "ap-northeast-1"
TOKEN = "glpat-migration"
TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "codepipeline.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ],
}


@dataclass(frozen=True)
class Remotes:
    """CodeCommit: local bare repositories; GitLab: the fake server over HTTP."""

    root: Path
    gitlab_url: str

    def codecommit(self, region: str, repository: str) -> str:
        return str(self.root / "codecommit" / f"{repository}.git")

    def gitlab(self, path: str) -> str:
        return f"{self.gitlab_url}/{path}.git"


@dataclass
class World:
    root: Path  # the project copy: environments/, migration/
    remotes: Remotes
    aws: StubbedAws
    fake: FakeCodeCommit
    gitlab: FakeGitLab
    push_deny: tuple[str, str, str] = ("", "", "")  # name, path and document of the synthesized policy

    def run(self, *argv: str, extra: tuple[str, ...] = (), env_token: str = TOKEN) -> tuple[int, dict[str, Any], str]:
        command = argv[0]
        report = self.root / f"{command}.json"
        report.unlink(missing_ok=True)  # bad input writes none
        console = Console(file=io.StringIO(), width=110, color_system=None)
        code = run(
            [*argv, "--root", str(self.root), "--workspace", "staging", "--no-assume-role", "--report", str(report),
             "--work-dir", str(self.root / ".migrate-cache"), *extra],
            env={"GITLAB_TOKEN": env_token},
            remotes=self.remotes,
            console=console,
            aws=self.aws,
        )  # fmt: skip
        return code, json.loads(report.read_text()) if report.exists() else {}, console.file.getvalue()  # type: ignore[attr-defined]


def by_name(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {entry["repository"]: entry for entry in report["entries"]}


def pipeline(name: str, repository: str, branch: str, role: str, actions: list[dict[str, Any]]) -> dict[str, Any]:
    source = {
        "name": "Source",
        "actionTypeId": {"category": "Source", "owner": "AWS", "provider": "CodeCommit", "version": "1"},
        "configuration": {"RepositoryName": repository, "BranchName": branch, "PollForSourceChanges": "false"},
        "outputArtifacts": [{"name": "src"}],
    }
    stages = [{"name": "Source", "actions": [source]}]
    for action in actions:
        stages.append({"name": action["name"], "actions": [action]})
    return {
        "name": name,
        "roleArn": role,
        "artifactStore": {"type": "S3", "location": "artifacts"},
        "stages": stages,
    }


def build_action(name: str, project: str) -> dict[str, Any]:
    return {
        "name": name,
        "actionTypeId": {"category": "Build", "owner": "AWS", "provider": "CodeBuild", "version": "1"},
        "configuration": {"ProjectName": project},
        "inputArtifacts": [{"name": "src"}],
    }


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    root = tmp_path_factory.mktemp("e2e")
    project = root / "project"
    shutil.copytree(EXAMPLE, project / "environments")
    (project / "migration").mkdir()
    with moto_server(root / "moto.log", ACCOUNT) as url, fake_gitlab(root / "gitlab") as gitlab:
        gitlab.add_token(TOKEN, {"api"})
        session = boto3.Session(region_name=REGION, aws_access_key_id="testing", aws_secret_access_key="testing")
        fake = FakeCodeCommit(ACCOUNT, REGION)
        endpoints = dict.fromkeys(("codecommit", "codepipeline", "codebuild", "iam"), url)
        aws = StubbedAws(session, REGION, endpoints, fake=fake)
        codecommit = aws.client("codecommit")
        for name, description in (("webapp", "Customer web app"), ("api", "Payments API"), ("infra", "")):
            fake.add_repository(codecommit, name, description, default_branch="main")
            git("init", "--quiet", "--bare", str(root / "codecommit" / f"{name}.git"))
        webapp, api, infra = (root / "codecommit" / f"{n}.git" for n in ("webapp", "api", "infra"))
        commit(webapp, "main", "one")
        commit(webapp, "develop", "two")
        git("tag", "-a", "v1.0.0", "-m", "release", "main", cwd=webapp)
        fast_import(api, "main", 1200)  # a long history: pushed in --batch-commits steps
        git("symbolic-ref", "HEAD", "refs/heads/main", cwd=api)
        commit(api, "feature-refunds", "refunds")
        git("tag", "v2.3.0", "main", cwd=api)
        commit(infra, "main", "vpc")
        fake.repositories["webapp"]["templates"].append("two-approvers")
        fake.repositories["api"]["triggers"].append(
            {"name": "notify", "destinationArn": f"arn:aws:sns:{REGION}:{ACCOUNT}:pushes", "events": ["all"]}
        )
        pr = fake.add_pull_request("webapp", "Dark mode", "develop", description="Adds a dark theme.")
        fake.comment(pr, "Looks good, one nit.", file_path="f")
        fake.comment(pr, "Fixed.", author="alice")
        done = fake.add_pull_request("webapp", "Old fix", "develop", status="CLOSED", merged=True)
        fake.comment(done, "Merged after review.")
        fake.add_pull_request("api", "Refunds", "feature-refunds", author="carol")

        iam = aws.client("iam")
        role = iam.create_role(RoleName="pipelines", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
        codebuild = aws.client("codebuild")
        environment = {
            "type": "LINUX_CONTAINER",
            "image": "aws/codebuild/standard:7.0",
            "computeType": "BUILD_GENERAL1_SMALL",
        }
        for name, spec in (("webapp-build", "buildspec.yml"), ("webapp-deploy", "deploy.yml"), ("api-build", "")):
            codebuild.create_project(
                name=name,
                source={"type": "CODEPIPELINE", "location": "codepipeline", **({"buildspec": spec} if spec else {})},
                artifacts={"type": "CODEPIPELINE", "location": "codepipeline"},  # moto wants one
                environment=environment,
                serviceRole=role,
            )
        codebuild.create_project(
            name="api-nightly",
            source={"type": "CODECOMMIT", "location": f"https://git-codecommit.{REGION}.amazonaws.com/v1/repos/api"},
            artifacts={"type": "NO_ARTIFACTS"},
            environment=environment,
            serviceRole=role,
        )
        codepipeline = aws.client("codepipeline")
        approval = {
            "name": "Approve",
            "actionTypeId": {"category": "Approval", "owner": "AWS", "provider": "Manual", "version": "1"},
            "configuration": {"CustomData": "Release the web app?"},
        }
        codepipeline.create_pipeline(
            pipeline=pipeline(
                "webapp-release",
                "webapp",
                "main",
                role,
                [build_action("Build", "webapp-build"), approval, build_action("Deploy", "webapp-deploy")],
            )
        )
        codepipeline.create_pipeline(
            pipeline=pipeline("api-ci", "api", "main", role, [build_action("Build", "api-build")])
        )
        yield World(project, Remotes(root, gitlab.url), aws, fake, gitlab)


def refs(world: World, name: str, path: str) -> tuple[dict[str, str], dict[str, str]]:
    return Git().ls_remote(world.remotes.codecommit(REGION, name)), Git.for_gitlab(
        world.gitlab.url, TOKEN, {}
    ).ls_remote(world.remotes.gitlab(path))


def test_inventory_writes_a_valid_plan_with_what_it_found(world: World) -> None:
    code, report, _ = world.run("inventory", extra=("--group", "delivery", "--gitlab-url", world.gitlab.url))
    assert code == 0, report
    text = (world.root / "migration" / "staging.yaml").read_text()
    plan = parse_plan(text, "migration/staging.yaml", load_environments(world.root / "environments"))
    assert list(plan.repositories) == ["api", "infra", "webapp"]
    webapp, api = plan.repositories["webapp"], plan.repositories["api"]
    assert (webapp.gitlab, webapp.description, webapp.default_branch) == ("delivery/webapp", "Customer web app", "main")
    assert (webapp.found.branches, webapp.found.tags, webapp.found.open_pull_requests) == (2, 1, 1)
    assert webapp.found.approval_rule_templates == ("two-approvers",)
    assert webapp.found.pipelines == ("webapp-release",)
    assert api.found.triggers == (f"notify -> arn:aws:sns:{REGION}:{ACCOUNT}:pushes",)
    assert api.found.build_projects == ("api-nightly",) and api.found.pipelines == ("api-ci",)
    assert api.found.size_kib > 0


def test_mirror_pushes_everything_and_verifies_ref_by_ref(world: World) -> None:
    code, report, output = world.run("mirror", extra=("--batch-commits", "500"))
    assert code == 0, output
    entries = by_name(report)
    assert {n: e["status"] for n, e in entries.items()} == dict.fromkeys(("api", "infra", "webapp"), "changed")
    # 1200 commits, 500 per step: two steps of main before the refs are pushed
    assert len([p for p in entries["api"]["details"]["pushes"] if p.startswith("refs/heads/main@")]) == 2
    for name in ("webapp", "api", "infra"):
        source, target = refs(world, name, f"delivery/{name}")
        assert source == target and entries[name]["details"]["verified"]
        project = world.gitlab.project_by_path(f"delivery/{name}")
        assert project is not None
        assert (project["visibility"], project["default_branch"]) == ("private", "main")


def test_pull_requests_become_merge_requests_with_notes_and_an_archive(world: World) -> None:
    code, report, output = world.run("pull-requests")
    assert code == 0, output
    webapp = world.gitlab.project_by_path("delivery/webapp")
    assert webapp is not None
    (merge_request,) = world.gitlab.merge_requests[webapp["id"]]
    assert (merge_request["title"], merge_request["source_branch"], merge_request["target_branch"]) == (
        "Dark mode",
        "develop",
        "main",
    )
    assert "Adds a dark theme." in merge_request["description"]
    assert "opened by **alice**" in merge_request["description"]
    assert (
        f"https://{REGION}.console.aws.amazon.com/codesuite/codecommit/repositories/webapp/pull-requests/1"
        in (merge_request["description"])
    )
    notes = [n["body"] for n in world.gitlab.notes[(webapp["id"], 1)]]
    assert [re.sub(r"\n.*", "", n, flags=re.DOTALL) for n in notes] == [
        "**bob** wrote on 2025-03-01T10:01:00+00:00 on `f` line 1:",
        "**alice** wrote on 2025-03-01T10:02:00+00:00:",
    ]
    archive = world.gitlab.wikis[webapp["id"]]["codecommit-pull-requests"]["content"]
    assert "## #2 Old fix (merged)" in archive and "Merged after review." in archive
    assert by_name(report)["api"]["details"]["merge_requests_created"] == 1
    assert by_name(report)["infra"]["status"] == "unchanged"


def test_pipelines_become_delivery_entries_keeping_the_file(world: World) -> None:
    before = (world.root / "environments" / "staging.yaml").read_text()
    code, report, output = world.run("pipelines")
    assert code == 0, output
    after = (world.root / "environments" / "staging.yaml").read_text()
    comments = [line for line in before.splitlines() if "#" in line]
    assert all(line in after for line in comments), "a comment of the environment file was lost"
    assert after.startswith(before.split("  pipelines:")[0])  # everything above the pipelines is as it was
    staging = load_environments(world.root / "environments").targets["staging"]
    assert staging.delivery is not None
    release, ci = staging.delivery.pipelines["webapp-release"], staging.delivery.pipelines["api-ci"]
    assert (release.repository, release.branch) == ("delivery/webapp", "main")
    assert release.approval is not None and release.approval.summary == "Release the web app?"
    assert release.deploy is not None and release.deploy.buildspec == "deploy.yml"
    assert (ci.repository, ci.build.buildspec) == ("delivery/api", "buildspec.yml")
    assert "webapp" in staging.delivery.pipelines  # the existing entry stays
    notes = " ".join(report["notes"])
    assert "give the deploy role's permissions as deploy.policy_arns" in notes


def test_a_second_run_changes_nothing(world: World) -> None:
    writes, pushes = len(world.gitlab.api_writes()), len(world.gitlab.git_pushes())
    environment = (world.root / "environments" / "staging.yaml").read_text()
    for command in ("mirror", "pull-requests", "pipelines"):
        code, report, output = world.run(command)
        assert code == 0, output
        assert {e["status"] for e in report["entries"]} == {"unchanged"}, output
    assert len(world.gitlab.api_writes()) == writes
    assert len(world.gitlab.git_pushes()) == pushes
    assert (world.root / "environments" / "staging.yaml").read_text() == environment


def test_a_new_commit_on_codecommit_is_all_the_next_run_pushes(world: World) -> None:
    pushes = len(world.gitlab.git_pushes())
    new = commit(world.remotes.root / "codecommit" / "webapp.git", "develop", "three")
    code, report, output = world.run("mirror")
    assert code == 0, output
    entries = by_name(report)
    assert entries["webapp"]["details"]["pushed"] == ["refs/heads/develop"]
    assert entries["api"]["status"] == entries["infra"]["status"] == "unchanged"
    assert len(world.gitlab.git_pushes()) == pushes + 1
    source, target = refs(world, "webapp", "delivery/webapp")
    assert target["refs/heads/develop"] == new and source == target
    # The README's day-to-day example is this run's report, as printed.
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    example = re.search(r"```text\n(migrate mirror — staging.*?)```", readme, re.DOTALL)
    assert example is not None, "README.md lost the mirror example"
    printed = [line.rstrip() for line in output.strip().splitlines()]
    assert printed == [line.rstrip() for line in example.group(1).strip().splitlines()], "\n".join(printed)


def test_the_synthesized_target_workspace_builds_from_the_gitlab_paths(
    world: World, tmp_path_factory: pytest.TempPathFactory
) -> None:
    from stacks.app import build_app

    # infra (no pipeline, no build project uses it) is cut over: GitLab is its source now.
    plan_file = world.root / "migration" / "staging.yaml"
    environments = load_environments(world.root / "environments")
    plan = parse_plan(plan_file.read_text(), "migration/staging.yaml", environments)
    infra = plan.repositories["infra"].model_copy(update={"cut_over": True})
    plan_file.write_text(dump_plan(plan.model_copy(update={"repositories": {**plan.repositories, "infra": infra}})))
    plans = load_plans(world.root / "migration", environments).by_workspace
    outdir = tmp_path_factory.mktemp("e2e-synth")
    app, _ = build_app(environments, str(outdir), plans=plans)
    app.synth()
    stack = json.loads((outdir / "stacks" / "staging" / "cdk.tf.json").read_text())
    sources = {
        body["name"]: next(a for s in body["stage"] for a in s["action"] if a["category"] == "Source")["configuration"]
        for body in stack["resource"]["aws_codepipeline"].values()
    }
    found = {(c["FullRepositoryId"], c["BranchName"]) for c in sources.values()}
    assert {("delivery/webapp", "main"), ("delivery/api", "main"), ("delivery/webapp", "develop")} <= found
    (deny,) = [p for p in stack["resource"]["aws_iam_policy"].values() if p["name"].endswith("codecommit-push-deny")]
    assert json.loads(deny["policy"])["Statement"][0]["Resource"] == f"arn:aws:codecommit:{REGION}:{ACCOUNT}:infra"
    world.push_deny = (deny["name"], deny["path"], deny["policy"])


def test_cut_over_is_safe_once_the_synthesized_deny_is_applied(world: World) -> None:
    code, report, output = world.run("cut-over")
    assert code == 0, output
    (entry,) = report["entries"]
    assert entry["repository"] == "infra" and not entry["details"]["safe_to_delete"]
    assert "the push deny" in entry["message"] and "is not applied" in entry["message"]
    # What terraform apply of the staging workspace creates: the synthesized name and path.
    name, path, document = world.push_deny
    world.aws.client("iam").create_policy(PolicyName=name, Path=path, PolicyDocument=document)
    code, report, output = world.run("cut-over")
    assert code == 0, output
    (entry,) = report["entries"]
    assert entry["details"]["safe_to_delete"] and entry["details"]["deny_applied"]
    assert entry["message"] == "safe to delete: pushes denied, 1 refs equal on GitLab, unused"
