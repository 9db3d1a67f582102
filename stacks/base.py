"""What every workspace gets, applied in one place: provider, tags, versions, backend.

This module and ``stacks/app.py`` hold the CDKTF-specific plumbing; constructs in
``modules/`` only build resources, so moving to a CDKTF fork stays mechanical.
"""

from __future__ import annotations

from dataclasses import dataclass

from cdktf import (
    DataTerraformRemoteStateLocal,
    DataTerraformRemoteStateS3,
    LocalBackend,
    S3Backend,
    TerraformOutput,
    TerraformProvider,
    TerraformRemoteState,
    TerraformStack,
)
from cdktf_cdktf_provider_aws.provider import AwsProvider, AwsProviderAssumeRole, AwsProviderDefaultTags
from constructs import Construct

from config.backend import S3BackendSettings
from config.model import Account
from config.regions import partition_of
from modules.naming import Namer

# The version the cdktf-cdktf-provider-aws 20.1.0 bindings were generated for;
# the bindings already write it into required_providers, this is for tests/docs.
AWS_PROVIDER_VERSION = "5.100.0"
# S3 native state locking (use_lockfile) needs 1.10; 1.6 is the oldest Terraform
# the README promises, and 1.x is what the synthesized JSON is tested with.
TERRAFORM_REQUIRED_VERSION = ">= 1.6.0, < 2.0.0"


def local_state_path(workspace: str) -> str:
    """Local state next to cdktf.json, relative to cdktf.out/stacks/<workspace>."""
    return f"../../../terraform.{workspace}.tfstate"


@dataclass(frozen=True)
class Output:
    """One named, documented string output of a workspace: the contract between the
    workspace that exports it and the workspaces that read it."""

    name: str
    description: str

    def export(self, stack: TerraformStack, value: str) -> TerraformOutput:
        return TerraformOutput(stack, self.name, value=value, description=self.description)


@dataclass(frozen=True)
class RemoteOutputs:
    """Another workspace's outputs, read from its state."""

    workspace: str
    state: TerraformRemoteState

    def get(self, output: Output) -> str:
        return self.state.get_string(output.name)


class AccountStack(TerraformStack):
    """One Terraform workspace in one AWS account."""

    def __init__(
        self,
        scope: Construct,
        workspace: str,
        account: Account,
        backend: S3BackendSettings | None = None,
        *,
        aws: bool = True,
    ) -> None:
        super().__init__(scope, workspace)
        self.account = account
        self.workspace = workspace
        self.partition = partition_of(account.region)
        self.namer = Namer(account.name_prefix, workspace)
        self._region_providers: dict[str, AwsProvider] = {}
        if aws:  # the GitLab workspace manages no AWS resource and needs no AWS provider
            self.provider = self._aws_provider("aws", account.region)
            self._region_providers[account.region] = self.provider
        self.add_override("terraform.required_version", TERRAFORM_REQUIRED_VERSION)
        self.backend = backend
        self._backend(backend)

    def _aws_provider(self, id_: str, region: str, alias: str | None = None) -> AwsProvider:
        account = self.account
        return AwsProvider(
            self,
            id_,
            region=region,
            alias=alias,
            # Refuse to run against any other account, whatever credentials are active.
            allowed_account_ids=[account.account_id],
            assume_role=(
                [AwsProviderAssumeRole(role_arn=account.deploy_role_arn, session_name=f"cdktf-{self.workspace}")]
                if account.deploy_role_arn
                else None
            ),
            default_tags=[AwsProviderDefaultTags(tags=self.default_tags())],
        )

    def region_provider(self, region: str) -> AwsProvider:
        """The aws provider for ``region`` in this account: the default one for the
        account's region, else an aliased one (alias = region with underscores),
        created once, with the same account guard, role and tags."""
        if region not in self._region_providers:
            alias = region.replace("-", "_")
            self._region_providers[region] = self._aws_provider(f"aws-{region}", region, alias)
        return self._region_providers[region]

    def gitlab_provider(self, hostname: str) -> TerraformProvider:
        """The gitlabhq/gitlab provider for https://<hostname>; its required_providers entry
        comes with it, so only the workspace that calls this gets one. No token argument: the
        provider reads GITLAB_TOKEN from the environment ("token", gitlab provider docs), so the
        token is never in a file of this repository or in Terraform state."""
        # Imported here: the gitlab bindings cost another jsii load, paid only where used.
        from cdktf_cdktf_provider_gitlab.provider import GitlabProvider

        # CE needs the API URL, ending with a slash ("base_url", gitlab provider docs).
        return GitlabProvider(self, "gitlab", base_url=f"https://{hostname}/api/v4/", early_auth_check=True)

    def _backend(self, backend: S3BackendSettings | None) -> None:
        if backend is None:
            # State next to cdktf.json, not inside cdktf.out/ (which synth rewrites);
            # the path is relative to cdktf.out/stacks/<workspace>, so the synthesized
            # JSON is the same on every machine.
            LocalBackend(self, path=local_state_path(self.workspace))
            return
        settings = backend.terraform_settings(self.workspace, self.account.deploy_role_arn)
        S3Backend(self, bucket=settings.pop("bucket"), key=settings.pop("key"), region=settings.pop("region"))
        # cdktf 0.21's S3Backend predates use_lockfile (Terraform 1.10) and takes
        # assume_role and endpoints in its own shapes: every other setting is
        # written as an override, exactly as Terraform's JSON syntax has it.
        for name, value in settings.items():
            self.add_override(f"terraform.backend.s3.{name}", value)

    def remote_outputs(self, producer: AccountStack) -> RemoteOutputs:
        """``producer``'s outputs through a ``terraform_remote_state`` on the same backend
        as every workspace, and a stack dependency so that CDKTF applies ``producer``
        first (``cdktf deploy '*'``)."""
        self.add_dependency(producer)
        construct_id = f"state-{producer.workspace}"
        if self.backend is None:
            state: TerraformRemoteState = DataTerraformRemoteStateLocal(
                self, construct_id, path=local_state_path(producer.workspace)
            )
            return RemoteOutputs(producer.workspace, state)
        # Read with this workspace's own role: it already reaches the state bucket.
        settings = self.backend.terraform_settings(producer.workspace, self.account.deploy_role_arn)
        state = DataTerraformRemoteStateS3(
            self, construct_id, bucket=settings.pop("bucket"), key=settings.pop("key"), region=settings.pop("region")
        )
        for name, value in settings.items():  # as in _backend: Terraform's own JSON shapes
            state.add_override(f"config.{name}", value)
        return RemoteOutputs(producer.workspace, state)

    def default_tags(self) -> dict[str, str]:
        return {
            "Project": self.account.name_prefix,
            "Workspace": self.workspace,
            "ManagedBy": "cdktf",
            **self.account.tags,
        }
