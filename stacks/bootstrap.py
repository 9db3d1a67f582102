"""The bootstrap workspace: the S3 backend every other workspace keeps its state in.

It runs in the tooling account and always keeps its own state locally
(``terraform.bootstrap.tfstate`` next to ``cdktf.json``): it creates the bucket
the S3 backend needs, so it cannot be stored there. docs/state.md is the runbook.
"""

from __future__ import annotations

from collections.abc import Mapping

from cdktf import TerraformOutput, TerraformStack
from constructs import Construct

from config.backend import S3BackendSettings
from config.loader import Environments
from config.state import NAMER_WORKSPACE, StateNames, state_names
from config.workspaces import BOOTSTRAP_WORKSPACE
from modules.naming import Namer
from modules.state_backend import StateBackend, StateBackendProps, StateGrant
from stacks.base import AccountStack


def state_reads(workspaces: Mapping[str, TerraformStack]) -> dict[str, tuple[str, ...]]:
    """Workspace -> the workspaces whose state it may read: the stacks it depends on.

    The one mapping the state bucket policy is built from. Dependencies are those
    declared with ``add_dependency`` and those cdktf adds for cross-stack
    references (a reference reads the other workspace's outputs from its state).
    """
    return {
        name: tuple(sorted(dep.node.id for dep in stack.dependencies if dep.node.id != BOOTSTRAP_WORKSPACE))
        for name, stack in workspaces.items()
        if name != BOOTSTRAP_WORKSPACE
    }


def state_grants(
    names: StateNames, roles: Mapping[str, str | None], reads: Mapping[str, tuple[str, ...]]
) -> dict[str, StateGrant]:
    """The bucket policy's grants: per role, the state keys it writes and those it only reads.

    ``roles`` maps each workspace to the role its backend uses (its account's
    deploy role). Workspaces of one account share that role, so they share one
    grant; a workspace without a role gets no grant (its credentials are unknown).
    One ``assume_role`` in backend.tf.json serves every workspace: it gets them all.
    """
    if names.state_role_arn is not None:
        every = tuple(names.state_key(name) for name in sorted(roles))
        return {"state-role": StateGrant(names.state_role_arn, writes=every)}
    by_role: dict[str, list[str]] = {}
    for name, role in sorted(roles.items()):
        if role is not None:
            by_role.setdefault(role, []).append(name)
    grants = {}
    for role, own in by_role.items():
        read = sorted({dep for name in own for dep in reads.get(name, ())} - set(own))
        grants["-".join(own)] = StateGrant(
            role,
            writes=tuple(names.state_key(name) for name in own),
            reads=tuple(names.state_key(name) for name in read),
        )
    return grants


class BootstrapStack(AccountStack):
    """Build it after every other workspace: each of them is made to depend on it,
    so ``cdktf deploy '*'`` creates the backend first."""

    def __init__(self, scope: Construct, environments: Environments, backend: S3BackendSettings | None = None) -> None:
        tooling = environments.tooling
        super().__init__(scope, BOOTSTRAP_WORKSPACE, tooling, None)
        self.names = names = state_names(tooling, backend)
        self.app_scope = scope
        for stack in self._workspaces().values():
            stack.add_dependency(self)
        roles = {account.deploy_role_arn for account in environments.accounts.values()} | {names.state_role_arn}
        self.state = StateBackend(
            self,
            "state",
            StateBackendProps(
                namer=Namer(tooling.name_prefix, NAMER_WORKSPACE),
                account_id=tooling.account_id,
                region=names.region,
                partition=names.partition,
                bucket_name=names.bucket,
                log_bucket_name=names.log_bucket,
                lock_table_name=names.lock_table,
                kms_principals=tuple(sorted(role for role in roles if role)),
                # Called at synthesis, when cross-stack references have added theirs.
                grants=self.grants,
            ),
        )
        TerraformOutput(self, "state_bucket", value=names.bucket, description="S3 backend bucket.")
        TerraformOutput(self, "state_kms_key_arn", value=self.state.key.arn, description="KMS key of the state.")
        if names.lock_table:
            TerraformOutput(self, "lock_table", value=names.lock_table, description="DynamoDB lock table.")

    def _workspaces(self) -> dict[str, AccountStack]:
        return {
            child.workspace: child
            for child in self.app_scope.node.children
            if isinstance(child, AccountStack) and child is not self
        }

    def grants(self) -> dict[str, StateGrant]:
        workspaces = self._workspaces()
        roles = {name: stack.account.deploy_role_arn for name, stack in workspaces.items()}
        return state_grants(self.names, roles, state_reads(workspaces))
