"""Bad input: each problem names the repository, the others go on, the report has it,
and nothing already migrated is touched again.

A plan file that is not valid (a repository twice, a GitLab path GitLab refuses) stops
before anything runs: which of two entries is meant is for a person to decide. What
only the run can find (a repository gone from CodeCommit, a token without the scope, a
push GitLab refuses) is an error row for that repository. GitLab is
tests/support/fake_gitlab.py (shaped as GitLab's API docs give it), CodeCommit moto.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import boto3
import pytest

from migrate.gitlab_api import GitLab
from scripts.moto_server import moto_server
from tests.conftest import EXAMPLE
from tests.migrate.test_end_to_end import ACCOUNT, REGION, TOKEN, Remotes, World, by_name
from tests.migrate.test_mirror import commit, fast_import, git
from tests.support.codecommit import FakeCodeCommit, StubbedAws
from tests.support.fake_gitlab import PROTECTED_MESSAGE, fake_gitlab

pytestmark = pytest.mark.integration
READ_ONLY = "glpat-read-only"
PLAN = """\
workspace: staging
account_id: "222222222222"
region: ap-northeast-1
gitlab: {{url: {url}}}
repositories:
  done: {{gitlab: delivery/done}}
  locked: {{gitlab: delivery/locked}}
  huge: {{gitlab: delivery/huge}}
  gone: {{gitlab: delivery/gone}}
"""


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    root = tmp_path_factory.mktemp("bad-input")
    project = root / "project"
    shutil.copytree(EXAMPLE, project / "environments")
    (project / "migration").mkdir()
    with moto_server(root / "moto.log", ACCOUNT) as url, fake_gitlab(root / "gitlab") as gitlab:
        gitlab.add_token(TOKEN, {"api"})
        gitlab.add_token(READ_ONLY, {"read_api", "read_repository"})
        session = boto3.Session(region_name=REGION, aws_access_key_id="testing", aws_secret_access_key="testing")
        fake = FakeCodeCommit(ACCOUNT, REGION)
        aws = StubbedAws(session, REGION, {"codecommit": url}, fake=fake)
        for name in ("done", "locked", "huge", "gone"):
            fake.add_repository(aws.client("codecommit"), name, default_branch="main")
            git("init", "--quiet", "--bare", str(root / "codecommit" / f"{name}.git"))
        commit(root / "codecommit" / "done.git", "main", "one")
        commit(root / "codecommit" / "locked.git", "main", "one")
        fast_import(root / "codecommit" / "huge.git", "main", 400)
        fake.remove_repository(aws.client("codecommit"), "gone")
        # GitLab's side of the two refusals: the projects exist, one protects main, one limits pushes.
        api = GitLab.connect(gitlab.url, TOKEN)
        api.ensure_project("delivery/locked", "")
        api.ensure_project("delivery/huge", "")
        gitlab.protect("delivery/locked", "main")
        gitlab.limit_push_size("delivery/huge", 4096)
        yield World(project, Remotes(root, gitlab.url), aws, fake, gitlab)


def write_plan(world: World, text: str) -> None:
    (world.root / "migration" / "staging.yaml").write_text(text.format(url=world.gitlab.url), encoding="utf-8")


def test_a_repository_twice_stops_before_anything_runs(world: World) -> None:
    requests = len(world.gitlab.requests)
    write_plan(world, PLAN + "  done: {{gitlab: delivery/done-again}}\n")
    code, _, output = world.run("mirror")
    assert code == 2
    assert "migration/staging.yaml: repositories.done: 'done' is set twice, on lines 6 and 10" in output
    assert "hint: keep one of them: merge the two or rename one" in output
    assert len(world.gitlab.requests) == requests  # GitLab was not called


def test_an_invalid_gitlab_path_names_the_repository(world: World) -> None:
    write_plan(world, PLAN.replace("delivery/huge}", "delivery/-huge.git}"))
    code, _, output = world.run("mirror")
    assert code == 2
    assert "repositories.huge.gitlab: 'delivery/-huge.git' is not a GitLab project path" in output


def test_a_token_without_the_scope_is_an_error_for_every_repository(world: World) -> None:
    write_plan(world, PLAN)
    writes = len(world.gitlab.api_writes())
    code, report, _ = world.run("mirror", env_token=READ_ONLY)
    assert code == 1
    for name in ("done", "locked", "huge", "gone"):
        entry = by_name(report)[name]
        assert entry["status"] == "error"
        assert entry["message"].startswith(f"{name}: the GitLab token lacks the scope api")
    assert len(world.gitlab.api_writes()) == writes and world.gitlab.git_pushes() == []


def test_refused_pushes_and_a_gone_repository_do_not_stop_the_others(world: World) -> None:
    write_plan(world, PLAN)
    code, report, _ = world.run("mirror")
    assert code == 1 and report["errors"] == 3
    entries = by_name(report)
    assert entries["done"]["status"] == "changed" and entries["done"]["details"]["verified"]
    assert entries["locked"]["message"].startswith("GitLab refused the push of locked -> delivery/locked: ")
    assert PROTECTED_MESSAGE in entries["locked"]["message"]
    assert entries["huge"]["message"].startswith("GitLab refused the push of huge -> delivery/huge: ")
    assert "pack exceeds maximum allowed size" in entries["huge"]["message"]
    assert "run again with a smaller --batch-commits" in entries["huge"]["message"]
    assert entries["gone"]["message"].startswith("CodeCommit repository gone: ")
    assert world.gitlab.project_by_path("delivery/gone") is None  # nothing created for it


def test_a_rerun_touches_nothing_already_migrated(world: World) -> None:
    write_plan(world, PLAN)
    requests = len(world.gitlab.requests)
    code, report, _ = world.run("mirror")
    assert code == 1
    assert by_name(report)["done"]["status"] == "unchanged"
    since = world.gitlab.requests[requests:]
    # ls-remote reads (git protocol v2 POSTs git-upload-pack); no API write, no push for done
    writes = [path for method, path in since if method != "GET" and not path.endswith("/git-upload-pack")]
    assert not [path for path in writes if "done" in path], writes
    assert [e["repository"] for e in report["entries"] if e["status"] == "error"] == ["locked", "huge", "gone"]


def test_pull_requests_of_a_repository_not_mirrored_name_it(world: World) -> None:
    write_plan(world, PLAN)
    world.fake.add_pull_request("done", "A change", "main", target="main")
    code, report, _ = world.run("pull-requests")
    assert code == 1
    entries = by_name(report)
    assert entries["gone"]["message"] == "gone: GitLab project delivery/gone does not exist; run mirror first"
    assert entries["done"]["status"] == "changed"
