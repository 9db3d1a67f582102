"""GitLabGroupShare: the members of one group get a role in another."""

from __future__ import annotations

from cdktf import TerraformStack, Testing

from modules.gitlab_group_share import GitLabGroupShare, GitLabGroupShareProps
from tests.support.synth import only, synth_stack


def test_share_direction_and_role() -> None:
    scope = TerraformStack(Testing.app(), "test")
    GitLabGroupShare(scope, "s", GitLabGroupShareProps(group_id="10", shared_with_group_id="20", role="reporter"))
    body = only(synth_stack(scope), "gitlab_group_share_group")
    # group_id is the group opened up; share_group_id the group whose members get access.
    assert body == {"group_id": "10", "share_group_id": "20", "group_access": "reporter"}
