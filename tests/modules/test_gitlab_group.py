"""GitLabGroup: a private group nobody can ask to join, one membership per user with its role."""

from __future__ import annotations

from typing import Any

from cdktf import TerraformStack, Testing

from modules.gitlab_group import GitLabGroup, GitLabGroupProps
from tests.support.synth import by_path, only, resources, synth_stack


def group(**overrides: Any) -> dict[str, Any]:
    scope = TerraformStack(Testing.app(), "test")
    props = {
        "path": "payments",
        "name": "Payments",
        "members": {"alice": ("maintainer", "7"), "bob": ("developer", "8")},
    }
    GitLabGroup(scope, "payments", GitLabGroupProps(**{**props, **overrides}))
    return synth_stack(scope)


def test_a_private_top_level_group_kept_from_destruction() -> None:
    body = only(group(), "gitlab_group")
    assert body["name"] == "Payments" and body["path"] == "payments"
    assert body["visibility_level"] == "private"
    assert body["request_access_enabled"] is False
    assert body["project_creation_level"] == "maintainer" and body["subgroup_creation_level"] == "owner"
    assert body["lifecycle"] == {"prevent_destroy": True}
    assert "parent_id" not in body


def test_a_subgroup_names_its_parent() -> None:
    assert (
        only(group(parent_id="42"), "gitlab_group")["parent_id"] == "42"
    )  # a reference to the parent's id in the workspace


def test_one_membership_per_user_keyed_by_user_name() -> None:
    stack = group()
    assert len(resources(stack, "gitlab_group_membership")) == 2
    alice = by_path(stack, "gitlab_group_membership", "payments/member-alice")
    bob = by_path(stack, "gitlab_group_membership", "payments/member-bob")
    assert (alice["access_level"], alice["user_id"]) == ("maintainer", "7")
    assert (bob["access_level"], bob["user_id"]) == ("developer", "8")
    assert alice["group_id"].startswith("${gitlab_group.") and alice["group_id"].endswith(".id}")


def test_no_members_no_memberships() -> None:
    assert resources(group(members={}), "gitlab_group_membership") == {}
