"""GitLabProject: an empty private project; its default branch is always protected without force push."""

from __future__ import annotations

from typing import Any

from cdktf import TerraformStack, Testing

from modules.gitlab_project import BranchRule, GitLabProject, GitLabProjectProps
from tests.support.synth import by_path, only, resources, synth_stack


def project(**overrides: Any) -> dict[str, Any]:
    scope = TerraformStack(Testing.app(), "test")
    props: dict[str, Any] = {"path": "payments-api", "namespace_id": "5", "default_branch": "main"}
    GitLabProject(scope, "api", GitLabProjectProps(**{**props, **overrides}))
    return synth_stack(scope)


def test_a_private_empty_project_kept_from_destruction() -> None:
    body = only(project(), "gitlab_project")
    assert (body["path"], body["namespace_id"], body["default_branch"]) == ("payments-api", "5", "main")
    assert body["visibility_level"] == "private"
    assert body["initialize_with_readme"] is False
    assert body["lifecycle"] == {"prevent_destroy": True}


def test_the_default_branch_is_protected_even_when_not_listed() -> None:
    protection = only(project(), "gitlab_branch_protection")
    assert protection["branch"] == "main"
    assert (protection["push_access_level"], protection["merge_access_level"]) == ("maintainer", "maintainer")
    assert protection["allow_force_push"] is False


def test_no_force_push_on_the_default_branch_whatever_the_rule() -> None:
    stack = project(
        protected_branches={
            "main": BranchRule("no one", "developer", allow_force_push=True),
            "release/*": BranchRule("maintainer", "maintainer", allow_force_push=True),
        },
        protected_tags={"v*": "maintainer"},
    )
    main = by_path(stack, "gitlab_branch_protection", "api/branch-main")
    assert (main["push_access_level"], main["merge_access_level"], main["allow_force_push"]) == (
        "no one",
        "developer",
        False,
    )
    release = by_path(stack, "gitlab_branch_protection", "api/branch-release--_any_")
    assert release["branch"] == "release/*" and release["allow_force_push"] is True
    tag = only(stack, "gitlab_tag_protection")
    assert (tag["tag"], tag["create_access_level"]) == ("v*", "maintainer")
    assert len(resources(stack, "gitlab_branch_protection")) == 2
