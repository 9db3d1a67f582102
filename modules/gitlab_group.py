"""A private GitLab group (a system or a subgroup) and its members, each with one role."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from cdktf import TerraformResourceLifecycle, Token
from cdktf_cdktf_provider_gitlab.group import Group
from cdktf_cdktf_provider_gitlab.group_membership import GroupMembership
from constructs import Construct


@dataclass(frozen=True)
class GitLabGroupProps:
    path: str
    """The group's own path (the last part of its full path)."""
    name: str
    description: str = ""
    parent_id: str | None = None
    """The parent group's ID for a subgroup; None: a top-level group (a system)."""
    members: Mapping[str, tuple[str, str | float]] = field(default_factory=dict)
    """GitLab user name -> (role, user ID); the user name keys the membership, so the plan names it."""


class GitLabGroup(Construct):
    """Access is what the configuration lists: nobody can ask to join (request_access off), and
    membership is a resource per user, so adding or removing one is a line in the plan."""

    def __init__(self, scope: Construct, id_: str, props: GitLabGroupProps) -> None:
        super().__init__(scope, id_)
        self.group = Group(
            self,
            "group",
            name=props.name,
            path=props.path,
            description=props.description,
            parent_id=Token.as_number(props.parent_id) if props.parent_id is not None else None,
            visibility_level="private",
            request_access_enabled=False,
            # Only maintainers create projects and only owners subgroups ("Group settings",
            # GitLab docs): new code locations stay reviewable in this repository.
            project_creation_level="maintainer",
            subgroup_creation_level="owner",
            # A group holds the systems' repositories: deleting it deletes their code.
            lifecycle=TerraformResourceLifecycle(prevent_destroy=True),
        )
        self.memberships = {
            user: GroupMembership(
                self,
                f"member-{user}",
                group_id=Token.as_number(self.group.id),
                user_id=Token.as_number(user_id),
                access_level=role,
            )
            for user, (role, user_id) in sorted(props.members.items())
        }
