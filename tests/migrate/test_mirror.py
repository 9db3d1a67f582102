"""mirror: real git against local bare repositories standing in for CodeCommit and GitLab,
and moto's CodeCommit API (server on 127.0.0.1) for the repositories' existence.

Branches, an annotated tag, a large history (git fast-import) pushed in batches, a ref
that changes between runs, a push GitLab refuses (a pre-receive hook), a repository
that no longer exists.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from config.migration import parse_plan
from migrate.aws import Aws
from migrate.git import Git
from migrate.mirror import Batches, mirror
from migrate.report import Report
from scripts.moto_server import moto_server
from tests.conftest import example_environments

pytestmark = pytest.mark.integration
REGION = "ap-northeast-1"
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}


@dataclass(frozen=True)
class LocalRemotes:
    root: Path

    def codecommit(self, region: str, repository: str) -> str:
        return str(self.root / "codecommit" / f"{repository}.git")

    def gitlab(self, path: str) -> str:
        return str(self.root / "gitlab" / f"{path}.git")


def git(*args: str, cwd: Path | None = None, stdin: str | None = None) -> str:
    env = {
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@e",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@e",
        "PATH": "/usr/bin:/bin",
        "HOME": str(cwd or "/tmp"),
    }
    return subprocess.run(
        ["git", *args], cwd=cwd, input=stdin, capture_output=True, text=True, check=True, env=env
    ).stdout


def fast_import(bare: Path, branch: str, commits: int) -> None:
    stream = []
    for n in range(1, commits + 1):
        stream += [
            f"commit refs/heads/{branch}",
            f"mark :{n}",
            f"committer t <t@e> {1700000000 + n} +0000",
            "data 2",
            "c",
            "M 644 inline file",
            f"data {len(str(n))}",
            str(n),
            "",
        ]
    git("fast-import", "--quiet", cwd=bare, stdin="\n".join(stream) + "\n")


def commit(bare: Path, branch: str, message: str) -> str:
    work = bare.parent / f"work-{bare.name}-{branch}"
    if not work.exists():
        git("clone", "--quiet", str(bare), str(work))
    git(
        "checkout",
        "--quiet",
        "-B",
        branch,
        *([f"origin/{branch}"] if f"origin/{branch}" in git("branch", "-r", cwd=work) else []),
        cwd=work,
    )
    (work / "f").write_text(message)
    git("add", "f", cwd=work)
    git("commit", "--quiet", "-m", message, cwd=work)
    git("push", "--quiet", "origin", f"HEAD:refs/heads/{branch}", cwd=work)
    return git("rev-parse", "HEAD", cwd=work).strip()


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Aws]]:
    root = tmp_path_factory.mktemp("remotes")
    with moto_server(root / "moto.log", "222222222222") as url:
        import boto3

        aws = Aws(
            boto3.Session(region_name=REGION, aws_access_key_id="testing", aws_secret_access_key="testing"),
            REGION,
            {"codecommit": url},
        )
        for name in ("webapp", "big", "locked"):
            aws.client("codecommit").create_repository(repositoryName=name)
            bare = root / "codecommit" / f"{name}.git"
            git("init", "--quiet", "--bare", str(bare))
        commit(root / "codecommit" / "webapp.git", "main", "one")
        commit(root / "codecommit" / "webapp.git", "develop", "two")
        git("tag", "-a", "v1", "-m", "release", "main", cwd=root / "codecommit" / "webapp.git")
        fast_import(root / "codecommit" / "big.git", "main", 2500)
        commit(root / "codecommit" / "locked.git", "main", "x")
        # GitLab's side: projects exist (created by the API in production); one refuses pushes.
        for name in ("webapp", "big", "locked"):
            git("init", "--quiet", "--bare", str(root / "gitlab" / "delivery" / f"{name}.git"))
        hook = root / "gitlab" / "delivery" / "locked.git" / "hooks" / "pre-receive"
        hook.write_text(
            "#!/bin/sh\necho 'GitLab: You are not allowed to push code to protected branches' >&2\nexit 1\n"
        )
        hook.chmod(0o755)
        yield root, aws


PLAN = """\
workspace: staging
account_id: "222222222222"
region: ap-northeast-1
gitlab: {url: https://gitlab.example.com}
repositories:
  webapp: {gitlab: delivery/webapp}
  big: {gitlab: delivery/big}
  locked: {gitlab: delivery/locked}
  gone: {gitlab: delivery/gone}
"""


def run(root: Path, aws: Aws) -> Report:
    batches = Batches(commits=1000)
    plan = parse_plan(PLAN, "migration/staging.yaml", example_environments())
    report = Report("mirror", "staging")
    mirror(
        plan,
        aws=aws,
        git=Git(),
        remotes=LocalRemotes(root),
        gitlab=None,
        work_dir=root / "cache",
        batches=batches,
        dry_run=False,
        report=report,
    )
    return report


def test_mirror_verifies_and_is_incremental(world: tuple[Path, Aws]) -> None:
    root, aws = world
    first = {e.repository: e for e in run(root, aws).entries}
    assert first["webapp"].status == "changed" and first["webapp"].details["verified"]
    assert first["webapp"].details["pushed"] == ["refs/heads/develop", "refs/heads/main", "refs/tags/v1"]
    # 2500 commits, 1000 per push: two intermediate pushes, then the refs.
    assert first["big"].details["pushes"][:2] == [p for p in first["big"].details["pushes"] if "@" in p]
    assert len([p for p in first["big"].details["pushes"] if "@" in p]) == 2
    assert first["locked"].status == "error"
    assert "GitLab refused the push of locked -> delivery/locked" in first["locked"].message
    assert "protected branches" in first["locked"].message
    assert first["gone"].status == "error"
    assert first["gone"].message.startswith("CodeCommit repository gone: ")

    second = {e.repository: e for e in run(root, aws).entries}
    assert second["webapp"].status == "unchanged" and second["big"].status == "unchanged"

    new = commit(root / "codecommit" / "webapp.git", "develop", "three")
    third = {e.repository: e for e in run(root, aws).entries}
    assert third["webapp"].details["pushed"] == ["refs/heads/develop"]
    gitlab_refs = Git().ls_remote(str(root / "gitlab" / "delivery" / "webapp.git"))
    assert gitlab_refs["refs/heads/develop"] == new
    assert third["big"].status == "unchanged"
