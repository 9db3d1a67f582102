"""The cut-over: a managed policy denying every write to CodeCommit repositories that moved to GitLab."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from cdktf_cdktf_provider_aws.iam_group_policy_attachment import IamGroupPolicyAttachment
from cdktf_cdktf_provider_aws.iam_policy import IamPolicy
from cdktf_cdktf_provider_aws.iam_role_policy_attachment import IamRolePolicyAttachment
from cdktf_cdktf_provider_aws.iam_user_policy_attachment import IamUserPolicyAttachment
from constructs import Construct

from config.migration import PUSH_ACTIONS, PUSH_DENY_POLICY_PART, PUSH_DENY_POLICY_PATH
from modules.naming import Namer
from modules.policy import arn, document, statement


@dataclass(frozen=True)
class CodeCommitPushDenyProps:
    """Inputs of ``CodeCommitPushDeny``.

    ``repositories``: CodeCommit repository names (of ``region``) GitLab is now the
    source of; at least one. ``roles``, ``groups`` and ``users``: IAM names in this
    account the policy is attached to (default none: IAM Identity Center permission
    sets reference it by name and path, ``/codecommit-cut-over/``).
    """

    namer: Namer
    account_id: str
    region: str
    partition: str
    repositories: Sequence[str]
    roles: Sequence[str] = ()
    groups: Sequence[str] = ()
    users: Sequence[str] = ()

    def __post_init__(self) -> None:
        for name in ("repositories", "roles", "groups", "users"):
            object.__setattr__(self, name, tuple(sorted(set(getattr(self, name)))))
        if not self.repositories:
            raise ValueError("the push deny needs at least one repository")


class CodeCommitPushDeny(Construct):
    def __init__(self, scope: Construct, construct_id: str, props: CodeCommitPushDenyProps) -> None:
        super().__init__(scope, construct_id)
        resources = [
            arn(props.partition, "codecommit", props.region, props.account_id, name) for name in props.repositories
        ]
        # CodeCommit has no resource-based policy, so the deny is an identity policy; an
        # explicit deny wins over any allow of the same principal ("Policy evaluation
        # logic", IAM User Guide). GitPush covers git over HTTPS, SSH and
        # git-remote-codecommit; the other actions are the console's and API's ways to
        # write ("CodeCommit permissions reference", CodeCommit User Guide). GitPull stays
        # allowed: the repository is the rollback until it is deleted.
        self.policy = IamPolicy(
            self,
            "policy",
            name=props.namer.name("iam_policy", PUSH_DENY_POLICY_PART),
            path=PUSH_DENY_POLICY_PATH,
            description="Cut-over to GitLab: no writes to these CodeCommit repositories (migration/*.yaml).",
            policy=document([statement("DenyWritesAfterCutOver", PUSH_ACTIONS, resources, effect="Deny")]),
        )
        # Keyed by the principal's name: adding one never moves another's address.
        for role in props.roles:
            IamRolePolicyAttachment(self, f"role-{role}", role=role, policy_arn=self.policy.arn)
        for group in props.groups:
            IamGroupPolicyAttachment(self, f"group-{group}", group=group, policy_arn=self.policy.arn)
        for user in props.users:
            IamUserPolicyAttachment(self, f"user-{user}", user=user, policy_arn=self.policy.arn)

    @property
    def policy_arn(self) -> str:
        return self.policy.arn
