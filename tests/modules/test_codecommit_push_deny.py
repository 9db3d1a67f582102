"""CodeCommitPushDeny: a named managed policy denying every write to the cut-over repositories."""

from __future__ import annotations

from typing import Any

import pytest
from cdktf import TerraformStack, Testing

from config.migration import PUSH_ACTIONS, policy_name
from modules.codecommit_push_deny import CodeCommitPushDeny, CodeCommitPushDenyProps
from modules.naming import Namer
from tests.support.synth import only, policy, ref, resources, synth_stack

PROPS = CodeCommitPushDenyProps(
    namer=Namer("acme", "staging"),
    account_id="222222222222",
    region="ap-northeast-1",
    partition="aws",
    repositories=["webapp", "api", "webapp"],
    roles=["developers", "ci"],
    groups=["maintainers"],
)


@pytest.fixture(scope="module")
def stack() -> dict[str, Any]:
    scope = TerraformStack(Testing.app(), "test")
    CodeCommitPushDeny(scope, "codecommit-push-deny", PROPS)
    return synth_stack(scope)


def test_the_policy_has_the_name_and_path_migrate_cut_over_looks_for(stack: dict[str, Any]) -> None:
    body = only(stack, "aws_iam_policy")
    assert body["name"] == "acme-staging-codecommit-push-deny" == policy_name("acme", "staging")
    assert body["path"] == "/codecommit-cut-over/"


def test_every_write_is_denied_on_exactly_the_cut_over_repositories(stack: dict[str, Any]) -> None:
    document = policy(only(stack, "aws_iam_policy"))
    (deny,) = document["Statement"]
    assert deny["Effect"] == "Deny"
    assert deny["Action"] == sorted(PUSH_ACTIONS)
    assert {"codecommit:GitPush", "codecommit:PutFile", "codecommit:MergePullRequestByThreeWay"} <= set(deny["Action"])
    assert "codecommit:GitPull" not in deny["Action"]  # reading stays: CodeCommit is the rollback
    assert deny["Resource"] == [
        "arn:aws:codecommit:ap-northeast-1:222222222222:api",
        "arn:aws:codecommit:ap-northeast-1:222222222222:webapp",
    ]


def test_attached_to_the_named_principals_only(stack: dict[str, Any]) -> None:
    arn = ref(stack, "aws_iam_policy", "codecommit-push-deny/policy", "arn")
    roles = resources(stack, "aws_iam_role_policy_attachment")
    assert sorted(r["role"] for r in roles.values()) == ["ci", "developers"]
    assert {r["policy_arn"] for r in roles.values()} == {arn}
    assert [g["group"] for g in resources(stack, "aws_iam_group_policy_attachment").values()] == ["maintainers"]
    assert resources(stack, "aws_iam_user_policy_attachment") == {}


def test_no_repository_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="at least one repository"):
        CodeCommitPushDenyProps(
            namer=Namer("acme", "staging"),
            account_id="222222222222",
            region="eu-west-1",
            partition="aws",
            repositories=[],
        )
