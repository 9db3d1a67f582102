"""The GitLab stand-in (tests/support/fake_gitlab.py) behaves as GitLab's REST API docs and git say.

Driven through migrate/gitlab_api.py (python-gitlab) and real git over HTTP, so the
other migration tests rest on a server that speaks what the migration speaks.
"""

from __future__ import annotations

import json
import subprocess
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from migrate.git import Git
from migrate.gitlab_api import GitLab, GitLabError
from tests.support.fake_gitlab import PROTECTED_MESSAGE, FakeGitLab, fake_gitlab

TOKEN = "glpat-test-api"


def sh(*args: str, cwd: Path) -> str:
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@e", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@e"}
    return subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, check=True, env={"PATH": "/usr/bin:/bin", **env}
    ).stdout


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FakeGitLab]:
    with fake_gitlab(tmp_path_factory.mktemp("gitlab")) as gitlab:
        gitlab.add_token(TOKEN, {"api"})
        gitlab.add_token("glpat-read", {"read_api", "read_repository"})
        yield gitlab


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("work")
    sh("init", "--quiet", "-b", "main", cwd=work)
    for n in range(3):
        (work / "f").write_text(str(n))
        sh("add", "f", cwd=work)
        sh("commit", "--quiet", "-m", f"c{n}", cwd=work)
    sh("branch", "develop", cwd=work)
    sh("tag", "-a", "v1", "-m", "one", cwd=work)
    return work


def get(url: str, token: str) -> tuple[int, dict[str, object]]:
    request = urllib.request.Request(url, headers={"PRIVATE-TOKEN": token})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_projects_groups_and_default_branch(server: FakeGitLab, source: Path) -> None:
    gitlab = GitLab.connect(server.url, TOKEN)
    assert gitlab.missing_scopes() == set()
    project, created = gitlab.ensure_project("finance/delivery/webapp", "The web app")
    assert created and project.path_with_namespace == "finance/delivery/webapp"
    assert project.visibility == "private" and project.default_branch is None
    assert [g["full_path"] for g in server.groups.values()] == ["finance", "finance/delivery"]
    again, created = gitlab.ensure_project("finance/delivery/webapp", "The web app")
    assert not created and again.id == project.id
    with pytest.raises(GitLabError, match="setting the default branch main"):  # no branch yet: GitLab refuses
        gitlab.set_default_branch(project, "main")

    git = Git.for_gitlab(server.url, TOKEN, {})
    url = f"{server.url}/finance/delivery/webapp.git"
    assert git.push(source / ".git", url, ["refs/heads/main:refs/heads/main", "refs/tags/v1:refs/tags/v1"]) == {}
    refs = git.ls_remote(url)
    assert refs["refs/heads/main"] == sh("rev-parse", "main", cwd=source).strip()
    assert refs["refs/tags/v1"] == sh("rev-parse", "v1", cwd=source).strip()  # the tag object, not the commit
    assert gitlab.set_default_branch(project, "main")
    assert server.project_by_path("finance/delivery/webapp")["default_branch"] == "main"  # type: ignore[index]


def test_merge_requests_notes_and_wiki(server: FakeGitLab) -> None:
    gitlab = GitLab.connect(server.url, TOKEN)
    project, _ = gitlab.ensure_project("finance/mrs", "")
    for n in range(25):  # more than one page (20 per page): python-gitlab follows the Link header
        gitlab.create_merge_request(
            project, {"source_branch": f"b{n}", "target_branch": "main", "title": f"t{n}", "description": "d"}
        )
    assert len(list(project.mergerequests.list(state="all", iterator=True))) == 25
    (first,) = gitlab.merge_requests(project, "b0")
    with pytest.raises(GitLabError, match="Another open merge request already exists for this source branch: !1"):
        gitlab.create_merge_request(project, {"source_branch": "b0", "target_branch": "main", "title": "again"})
    gitlab.add_note(first, "one")
    gitlab.add_note(first, "two")
    assert [n.body for n in gitlab.notes(first)] == ["one", "two"]
    assert gitlab.put_wiki_page(project, "archive", "archive", "# A") == "created"
    assert gitlab.put_wiki_page(project, "archive", "archive", "# A") == "unchanged"
    assert gitlab.put_wiki_page(project, "archive", "archive", "# B") == "updated"
    assert server.wikis[project.id]["archive"]["content"] == "# B"


def test_tokens_are_checked_as_gitlab_does(server: FakeGitLab, source: Path) -> None:
    assert GitLab.connect(server.url, "glpat-read").missing_scopes() == {"api"}
    status, body = get(f"{server.url}/api/v4/projects/finance%2Fdelivery%2Fwebapp", "glpat-read")
    assert status == 200 and body["path_with_namespace"] == "finance/delivery/webapp"
    reader = GitLab.connect(server.url, "glpat-read")
    with pytest.raises(GitLabError, match="403: insufficient_scope"):
        reader.ensure_project("finance/other", "")
    request = urllib.request.Request(
        f"{server.url}/api/v4/groups", data=b'{"name": "x", "path": "x"}', method="POST",
        headers={"PRIVATE-TOKEN": "glpat-read", "Content-Type": "application/json"},
    )  # fmt: skip
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 403
    assert json.loads(refused.value.read()) == {
        "error": "insufficient_scope",
        "error_description": "The request requires higher privileges than provided by the access token.",
        "scope": "api",
    }
    assert get(f"{server.url}/api/v4/projects/1", "wrong")[0] == 401
    with pytest.raises(GitLabError, match="refused"):
        GitLab.connect(server.url, "wrong").missing_scopes()
    # git: reading with read_repository works, pushing needs write_repository (or api)
    url = f"{server.url}/finance/delivery/webapp.git"
    assert "refs/heads/main" in Git.for_gitlab(server.url, "glpat-read", {}).ls_remote(url)
    refused_push = Git.for_gitlab(server.url, "glpat-read", {}).push(
        source / ".git", url, ["develop:refs/heads/develop"]
    )
    assert "403" in refused_push["refs/heads/develop"]


def test_protected_branch_and_push_size_are_refused_like_gitlab(server: FakeGitLab, source: Path) -> None:
    gitlab = GitLab.connect(server.url, TOKEN)
    gitlab.ensure_project("finance/locked", "")
    gitlab.ensure_project("finance/small", "")
    git = Git.for_gitlab(server.url, TOKEN, {})
    server.protect("finance/locked", "main")
    refused = git.push(source / ".git", f"{server.url}/finance/locked.git", ["main:refs/heads/main"])
    assert "pre-receive hook declined" in refused["refs/heads/main"]
    assert PROTECTED_MESSAGE in refused["refs/heads/main"]
    assert git.push(source / ".git", f"{server.url}/finance/locked.git", ["develop:refs/heads/develop"]) == {}
    server.limit_push_size("finance/small", 100)
    refused = git.push(source / ".git", f"{server.url}/finance/small.git", ["main:refs/heads/main"])
    assert "pack exceeds maximum allowed size" in refused["refs/heads/main"]
    assert git.ls_remote(f"{server.url}/finance/small.git") == {}
