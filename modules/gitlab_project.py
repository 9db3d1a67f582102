"""A private GitLab project with its protected branches and tags."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from cdktf import TerraformResourceLifecycle, Token
from cdktf_cdktf_provider_gitlab.branch_protection import BranchProtection
from cdktf_cdktf_provider_gitlab.project import Project
from cdktf_cdktf_provider_gitlab.tag_protection import TagProtection
from constructs import Construct


@dataclass(frozen=True)
class BranchRule:
    push: str = "maintainer"
    merge: str = "maintainer"
    allow_force_push: bool = False


@dataclass(frozen=True)
class GitLabProjectProps:
    path: str
    namespace_id: str
    """The ID of the group the project is in."""
    description: str = ""
    default_branch: str = "main"
    protected_branches: Mapping[str, BranchRule] = field(default_factory=dict)
    """Branch name or wildcard -> rule; the default branch is protected even when absent here."""
    protected_tags: Mapping[str, str] = field(default_factory=dict)
    """Tag name or wildcard -> who may create it."""


def _key(name: str) -> str:
    # Construct IDs may not hold "/"; wildcards and slashes are common in branch names.
    return name.replace("/", "--").replace("*", "_any_")


class GitLabProject(Construct):
    def __init__(self, scope: Construct, id_: str, props: GitLabProjectProps) -> None:
        super().__init__(scope, id_)
        self.project = Project(
            self,
            "project",
            name=props.path,
            path=props.path,
            namespace_id=Token.as_number(props.namespace_id),
            description=props.description,
            default_branch=props.default_branch,
            visibility_level="private",
            # Empty: the CodeCommit migration pushes the history into it (docs/gitlab-access.md);
            # a README commit would make that push a non-fast-forward.
            initialize_with_readme=False,
            # A project is a repository: destroying it destroys its history.
            lifecycle=TerraformResourceLifecycle(prevent_destroy=True),
        )
        rules = dict(props.protected_branches)
        default = rules.get(props.default_branch, BranchRule())
        # Never a force push on the default branch, whatever the rule says (config refuses it too).
        rules[props.default_branch] = BranchRule(default.push, default.merge, allow_force_push=False)
        self.branches = {
            name: BranchProtection(
                self,
                f"branch-{_key(name)}",
                project=self.project.id,
                branch=name,
                push_access_level=rule.push,
                merge_access_level=rule.merge,
                unprotect_access_level="maintainer",
                allow_force_push=rule.allow_force_push,
            )
            for name, rule in sorted(rules.items())
        }
        self.tags = {
            name: TagProtection(self, f"tag-{_key(name)}", project=self.project.id, tag=name, create_access_level=level)
            for name, level in sorted(props.protected_tags.items())
        }
