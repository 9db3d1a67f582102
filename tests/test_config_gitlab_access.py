"""environments/gitlab.yaml: every rule and its message, all problems in one run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from config.gitlab_access import GitLabAccess, check_against_plans, json_schema
from config.loader import load_environments
from tests.test_config import EXAMPLE, TARGET, TOOLING, only_problem, problems, write

ACCESS = """\
service_user:
  email: cc@example.com
  memberships: {payments: maintainer}
systems:
  payments:
    members:
      maintainer: [alice]
      developer: [bob]
    access_to: {ledger: reporter}
    projects:
      api: {}
    protected_branches:
      main: {push: maintainer, merge: developer}
  ledger:
    subgroups:
      reports:
        members:
          developer: [carol]
"""


def env(tmp_path: Path, access: str, tooling: str = TOOLING) -> Path:
    return write(tmp_path / "e", tooling=tooling, a=TARGET, gitlab=access)


def test_the_example_has_two_systems_a_share_and_protected_branches() -> None:
    access = load_environments(EXAMPLE).gitlab_access
    assert access is not None
    assert len(access.systems) >= 2
    assert any(group.access_to for group in access.groups().values())
    assert any(group.protected_branches for group in access.groups().values())


def test_gitlab_yaml_is_not_an_account_file(tmp_path: Path) -> None:
    environments = load_environments(env(tmp_path, ACCESS), display_root=tmp_path)
    assert list(environments.accounts) == ["tooling", "a"]
    assert environments.gitlab_access is not None
    assert environments.gitlab_access_file == "e/gitlab.yaml"
    assert list(environments.gitlab_access.groups()) == ["payments", "ledger", "ledger/reports"]


def test_without_the_file_no_gitlab_configuration(tmp_path: Path) -> None:
    assert load_environments(write(tmp_path / "e", tooling=TOOLING, a=TARGET)).gitlab_access is None


def test_a_user_in_two_roles_in_one_group_is_refused(tmp_path: Path) -> None:
    twice = ACCESS.replace("developer: [bob]", "developer: [bob, Alice]")
    assert only_problem(env(tmp_path, twice)) == (
        "e/gitlab.yaml: systems.payments.members.developer: 'Alice' is also a maintainer of payments\n"
        "    hint: give each user one role per group; the higher role already includes the lower"
    )


def test_a_subgroup_role_below_the_inherited_one_is_refused(tmp_path: Path) -> None:
    lower = ACCESS.replace("  ledger:\n", "  ledger:\n    members: {maintainer: [carol]}\n")
    assert only_problem(env(tmp_path, lower)) == (
        "e/gitlab.yaml: systems.ledger.subgroups.reports.members.developer: 'carol' is a maintainer of ledger, "
        "which ledger/reports inherits; GitLab refuses a lower role\n"
        "    hint: remove the user here (the inherited role applies) or give a higher role"
    )


def test_a_role_key_twice_is_refused_not_merged(tmp_path: Path) -> None:
    twice = ACCESS.replace("      developer: [bob]\n", "      developer: [bob]\n      maintainer: [dave]\n")
    found = only_problem(env(tmp_path, twice))
    assert "e/gitlab.yaml: systems.payments.members.maintainer: 'maintainer' is set twice, on lines 7 and 9" in found


def test_every_problem_at_once_with_field_and_hint(tmp_path: Path) -> None:
    bad = (
        ACCESS.replace("access_to: {ledger: reporter}", "access_to: {billing: reporter}")
        .replace("memberships: {payments: maintainer}", "memberships: {payments: maintainer, nope: developer}")
        .replace("main: {push: maintainer, merge: developer}", "main: {push: maintainer, allow_force_push: true}")
        .replace("developer: [carol]", "developer: [carol, codeconnections]")
    )
    found = problems(env(tmp_path, bad))
    assert found == sorted(found) and len(found) == 4, found
    assert "e/gitlab.yaml: service_user.memberships.nope: 'nope' is not a group of this file" in found[0]
    joined = "\n".join(found)
    assert "systems.payments.access_to.billing: 'billing' is not a group of this file" in joined
    assert (
        "systems.payments.protected_branches.main.allow_force_push: force push allowed on main, "
        "the default branch of payments/api\n    hint: set allow_force_push: false" in joined
    )
    assert (
        "systems.ledger.subgroups.reports.members.developer: 'codeconnections' is the CodeConnections service "
        "user\n    hint: set its roles under service_user.memberships" in joined
    )


@pytest.mark.parametrize(
    ("old", "new", "field", "message"),
    [
        ("email: cc@example.com", "email: nobody", "service_user.email", "String should match pattern"),
        ("      developer: [bob]", "      developper: [bob]", "systems.payments.members.developper",
         "Input should be 'guest'"),
        ("    projects:\n      api: {}", "    projects:\n      api.git: {}", "systems.payments.projects.api.git",
         "'api.git' is not a valid GitLab path or user name"),
        ("service_user:", "instance: {signup_enabled: true}\nservice_user:", "instance.signup_enabled",
         "Input should be False"),
        ("merge: developer}", "merge: admin}", "systems.payments.protected_branches.main.merge", "Input should be"),
    ],
)  # fmt: skip
def test_shape_problems_name_the_field(tmp_path: Path, old: str, new: str, field: str, message: str) -> None:
    assert old in ACCESS
    found = only_problem(env(tmp_path, ACCESS.replace(old, new)))
    assert found.startswith(f"e/gitlab.yaml: {field}: {message}"), found
    assert "hint: " in found


def test_access_needs_the_gitlab_host_name(tmp_path: Path) -> None:
    """The tooling account's gitlab: section already requires the host name: one problem, not two."""
    host = next(line for line in TOOLING.splitlines() if line.startswith("gitlab_hostname:"))
    found = only_problem(env(tmp_path, ACCESS, tooling=TOOLING.replace(host + "\n", "")))
    assert found.startswith("e/tooling.yaml: gitlab_hostname: ")


def test_migration_paths_must_be_projects_here() -> None:
    access = GitLabAccess.model_validate(
        {"service_user": {"email": "cc@example.com"}, "systems": {"payments": {"projects": {"api": {}}}}}
    )
    plans = {"migration/staging.yaml": ["payments/api", "Payments/web", "billing/core"]}
    found = [str(p) for p in check_against_plans(access, "environments/gitlab.yaml", plans)]
    assert found == [
        "environments/gitlab.yaml: systems.payments.projects: migration/staging.yaml migrates a repository to "
        "Payments/web, which is not a project here\n"
        "    hint: add web: {} under projects of payments, or change the plan's path",
        "environments/gitlab.yaml: systems: migration/staging.yaml migrates a repository to billing/core, whose "
        "group billing is not here\n"
        "    hint: add the group (a system or subgroup) and the project, or change the plan's path",
    ]


def test_schema_is_committed_and_current() -> None:
    committed = (EXAMPLE / "gitlab.schema.json").read_text(encoding="utf-8")
    assert committed == json_schema(), "run make schema"
    assert json.loads(committed)["title"] == "GitLab as code (environments/gitlab.yaml)"


def test_main_cross_checks_the_committed_plans(tmp_path: Path) -> None:
    import shutil

    from config.errors import ConfigError
    from main import load

    shutil.copytree(EXAMPLE, tmp_path / "environments")
    (tmp_path / "migration").mkdir()
    (tmp_path / "migration" / "staging.yaml").write_text(
        'workspace: staging\naccount_id: "222222222222"\nregion: ap-northeast-1\n'
        "gitlab: {url: https://gitlab.example.com}\n"
        "repositories:\n  api: {gitlab: payments/payments-api}\n  web: {gitlab: payments/web}\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as caught:
        load(tmp_path / "environments", tmp_path / "backend.tf.json")
    assert [p.message for p in caught.value.problems] == [
        f"{tmp_path}/migration/staging.yaml migrates a repository to payments/web, which is not a project here"
    ]
