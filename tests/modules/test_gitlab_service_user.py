"""GitLabServiceUser: no password in configuration or state, memberships per group."""

from __future__ import annotations

from cdktf import TerraformStack, Testing

from modules.gitlab_service_user import GitLabServiceUser, GitLabServiceUserProps
from tests.support.synth import by_path, only, resources, synth_stack


def test_user_without_password_and_its_memberships() -> None:
    scope = TerraformStack(Testing.app(), "test")
    GitLabServiceUser(
        scope,
        "svc",
        GitLabServiceUserProps(
            username="codeconnections",
            name="AWS CodeConnections",
            email="cc@example.com",
            memberships={"payments": ("maintainer", "3"), "ledger/reports": ("developer", "4")},
        ),
    )
    stack = synth_stack(scope)
    user = only(stack, "gitlab_user")
    assert "password" not in user
    assert user["force_random_password"] is True and user["reset_password"] is False
    assert user["is_admin"] is False and user["can_create_group"] is False and user["projects_limit"] == 0
    assert (user["username"], user["email"]) == ("codeconnections", "cc@example.com")
    assert len(resources(stack, "gitlab_group_membership")) == 2
    reports = by_path(stack, "gitlab_group_membership", "svc/member-ledger--reports")
    assert (reports["group_id"], reports["access_level"]) == ("4", "developer")
    assert reports["user_id"].startswith("${gitlab_user.")
