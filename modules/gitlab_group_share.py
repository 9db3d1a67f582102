"""A group share: the members of one group get a role in another (a system that may read another's code)."""

from __future__ import annotations

from dataclasses import dataclass

from cdktf import Token
from cdktf_cdktf_provider_gitlab.group_share_group import GroupShareGroup
from constructs import Construct


@dataclass(frozen=True)
class GitLabGroupShareProps:
    group_id: str
    """The group whose projects become visible."""
    shared_with_group_id: str
    """The group whose members get ``role`` there."""
    role: str
    """guest, reporter or developer; members keep the lower of this and their own role
    ("Share a group with another group", GitLab docs)."""


class GitLabGroupShare(Construct):
    def __init__(self, scope: Construct, id_: str, props: GitLabGroupShareProps) -> None:
        super().__init__(scope, id_)
        self.share = GroupShareGroup(
            self,
            "share",
            group_id=props.group_id,
            share_group_id=Token.as_number(props.shared_with_group_id),
            group_access=props.role,
        )
