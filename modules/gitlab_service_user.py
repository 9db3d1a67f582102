"""The non-human GitLab user the AWS CodeConnections connection acts as, and its memberships."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from cdktf import Token
from cdktf_cdktf_provider_gitlab.group_membership import GroupMembership
from cdktf_cdktf_provider_gitlab.user import User
from constructs import Construct


@dataclass(frozen=True)
class GitLabServiceUserProps:
    username: str
    name: str
    email: str
    memberships: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    """Group full path -> (role, group ID)."""


def _key(path: str) -> str:
    return path.replace("/", "--")


class GitLabServiceUser(Construct):
    """No password is ever set or stored: GitLab generates a random one that nobody learns
    (force_random_password), and nobody is mailed a reset link. The connection authenticates
    with a personal access token of this user, created by an administrator after the first
    apply (docs/gitlab-access.md), never by Terraform, so the token stays out of state."""

    def __init__(self, scope: Construct, id_: str, props: GitLabServiceUserProps) -> None:
        super().__init__(scope, id_)
        self.user = User(
            self,
            "user",
            username=props.username,
            name=props.name,
            email=props.email,
            force_random_password=True,
            reset_password=False,
            skip_confirmation=True,
            is_admin=False,
            can_create_group=False,
            projects_limit=0,
            note="Managed by the <tooling>-gitlab workspace: AWS CodeConnections acts as this user.",
        )
        self.memberships = {
            path: GroupMembership(
                self,
                f"member-{_key(path)}",
                group_id=Token.as_number(group_id),
                user_id=Token.as_number(self.user.id),
                access_level=role,
            )
            for path, (role, group_id) in sorted(props.memberships.items())
        }
