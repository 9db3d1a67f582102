"""The GitLab workspace of the example: groups, members with their roles, shares, protection, settings."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from config.gitlab_access import GitLabAccess
from tests.conftest import EXAMPLE, Synthesis
from tests.support.synth import by_path, only, resources, synth_stack

WORKSPACE = "tooling-gitlab"


@pytest.fixture(scope="module")
def stack(synthesis: Synthesis) -> dict[str, Any]:
    return synthesis.stacks[WORKSPACE]


def group_paths(stack: dict[str, Any]) -> dict[str, str]:
    """Terraform name of each group -> its full path, following parent references."""
    groups = resources(stack, "gitlab_group")
    names: dict[str, str] = {}

    def full(name: str) -> str:
        body = groups[name]
        parent = body.get("parent_id")
        if parent is None:
            return str(body["path"])
        return f"{full(parent.split('.')[1])}/{body['path']}"

    for name in groups:
        names[name] = full(name)
    return names


def memberships(stack: dict[str, Any]) -> set[tuple[str, str, str]]:
    """(group full path, user name, role) of every membership; the service user's user name
    comes from its gitlab_user, the people's from their gitlab_user data source."""
    paths = group_paths(stack)
    users = {f"data.gitlab_user.{n}.user_id": b["username"] for n, b in stack["data"]["gitlab_user"].items()}
    users |= {f"gitlab_user.{n}.id": b["username"] for n, b in resources(stack, "gitlab_user").items()}
    found = set()
    for body in resources(stack, "gitlab_group_membership").values():
        group = paths[body["group_id"].removeprefix("${gitlab_group.").removesuffix(".id}")]
        found.add((group, users[body["user_id"].removeprefix("${").removesuffix("}")], body["access_level"]))
    return found


def test_only_the_gitlab_provider_and_after_tooling(stack: dict[str, Any], synthesis: Synthesis) -> None:
    assert stack["provider"] == {
        "gitlab": [{"base_url": "https://gitlab.example.com/api/v4/", "early_auth_check": True}]
    }
    assert "token" not in stack["provider"]["gitlab"][0]  # GITLAB_TOKEN from the environment
    assert set(stack["terraform"]["required_providers"]) == {"gitlab"}
    assert stack["terraform"]["required_providers"]["gitlab"]["source"] == "gitlabhq/gitlab"
    assert all(
        "gitlab" not in s["terraform"]["required_providers"] for n, s in synthesis.stacks.items() if n != WORKSPACE
    )
    manifest = (synthesis.outdir / "manifest.json").read_text(encoding="utf-8")
    assert '"tooling"' in manifest
    import json

    dependencies = json.loads(manifest)["stacks"][WORKSPACE]["dependencies"]
    assert "tooling" in dependencies


def test_every_system_and_subgroup_is_a_private_group(stack: dict[str, Any]) -> None:
    assert sorted(group_paths(stack).values()) == ["delivery", "ledger", "ledger/reports", "payments"]
    assert all(g["visibility_level"] == "private" for g in resources(stack, "gitlab_group").values())
    assert all(g["lifecycle"] == {"prevent_destroy": True} for g in resources(stack, "gitlab_group").values())


def test_members_with_their_access_levels(stack: dict[str, Any]) -> None:
    assert memberships(stack) == {
        ("delivery", "alice", "maintainer"),
        ("delivery", "bob", "developer"),
        ("delivery", "codeconnections", "maintainer"),
        ("payments", "alice", "maintainer"),
        ("payments", "bob", "developer"),
        ("payments", "carol", "developer"),
        ("ledger", "dave", "maintainer"),
        ("ledger", "erin", "developer"),
        ("ledger/reports", "frank", "developer"),
        ("payments", "codeconnections", "maintainer"),
        ("ledger", "codeconnections", "maintainer"),
    }


def test_payments_may_read_ledger(stack: dict[str, Any]) -> None:
    paths = group_paths(stack)
    share = only(stack, "gitlab_group_share_group")
    opened = paths[share["group_id"].removeprefix("${gitlab_group.").removesuffix(".id}")]
    member = paths[share["share_group_id"].removeprefix("${gitlab_group.").removesuffix(".id}")]
    assert (opened, member, share["group_access"]) == ("ledger", "payments", "reporter")


def test_projects_and_their_protected_branches_and_tags(stack: dict[str, Any]) -> None:
    projects = {p["path"]: n for n, p in resources(stack, "gitlab_project").items()}
    assert sorted(projects) == ["api", "ledger-core", "monthly-close", "payments-api", "payments-infra", "webapp"]
    protections = {
        (next(p for p, n in projects.items() if b["project"] == f"${{gitlab_project.{n}.id}}"), b["branch"]): (
            b["push_access_level"],
            b["merge_access_level"],
            b["allow_force_push"],
        )
        for b in resources(stack, "gitlab_branch_protection").values()
    }
    assert protections == {
        ("api", "main"): ("maintainer", "developer", False),
        ("webapp", "main"): ("maintainer", "developer", False),
        ("payments-api", "main"): ("maintainer", "developer", False),
        ("payments-api", "release/*"): ("no one", "maintainer", False),
        ("payments-infra", "main"): ("maintainer", "developer", False),
        ("payments-infra", "release/*"): ("no one", "maintainer", False),
        ("ledger-core", "main"): ("no one", "maintainer", False),
        ("monthly-close", "main"): ("maintainer", "maintainer", False),
    }
    tags = sorted((b["tag"], b["create_access_level"]) for b in resources(stack, "gitlab_tag_protection").values())
    assert tags == [("v*", "maintainer"), ("v*", "maintainer")]


def test_instance_settings_and_the_webhook_allowlist(stack: dict[str, Any]) -> None:
    settings = only(stack, "gitlab_application_settings")
    assert settings["signup_enabled"] is False
    assert settings["outbound_local_requests_whitelist"] == ["ap-northeast-1.codestar-connections.webhooks.aws"]
    assert settings["allow_local_requests_from_web_hooks_and_services"] is False
    assert settings["require_two_factor_authentication"] is True
    assert settings["minimum_password_length"] == 14
    assert settings["session_expire_delay"] == 480
    assert settings["default_branch_protection_defaults"]["allow_force_push"] is False


def test_the_service_user_has_no_password(stack: dict[str, Any]) -> None:
    user = by_path(stack, "gitlab_user", "service-user/user")
    assert user["username"] == "codeconnections" and "password" not in user
    assert user["force_random_password"] is True


def test_a_removed_membership_is_planned_as_a_removal() -> None:
    """The gitlabhq/gitlab provider binary is not available here, so ``terraform plan`` cannot
    run on this workspace. Terraform plans a resource that is in state but no longer in the
    configuration as a destroy, and one whose address is unchanged as no change or an update
    ("Resource instance change lifecycle", Terraform docs). So the plan of a removed member is
    exactly the difference of the two synthesized address sets: removing bob from payments
    must drop his membership's address and nothing else, and add none."""
    from cdktf import Testing

    from stacks.base import AccountStack
    from stacks.gitlab_access import GitLabAccessStack
    from tests.conftest import example_environments

    environments = example_environments()
    data = yaml.safe_load((EXAMPLE / "gitlab.yaml").read_text(encoding="utf-8"))

    def addresses(access: GitLabAccess) -> dict[str, dict[str, Any]]:
        app = Testing.app()
        tooling = AccountStack(app, "tooling", environments.tooling)
        gitlab = GitLabAccessStack(app, tooling, access)
        synthesized = synth_stack(gitlab)
        return {
            f"{kind}.{name}": body for kind, items in synthesized["resource"].items() for name, body in items.items()
        }

    before = addresses(GitLabAccess.model_validate(data))
    data["systems"]["payments"]["members"]["developer"] = ["carol"]
    after = addresses(GitLabAccess.model_validate(data))
    removed = set(before) - set(after)
    assert len(removed) == 1
    (address,) = removed
    assert address.startswith("gitlab_group_membership.group-payments_member-bob_")
    assert set(after) <= set(before)
    assert all(after[a] == before[a] for a in after), "nothing else changes"
