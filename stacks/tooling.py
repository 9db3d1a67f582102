"""The tooling account's workspace: GitLab and what it stands on."""

from __future__ import annotations

from cdktf import TerraformOutput
from constructs import Construct

from config.backend import S3BackendSettings
from config.model import Account
from modules.network import Network
from stacks.base import AccountStack
from stacks.gitlab import add_gitlab
from stacks.shared import network_props


class ToolingStack(AccountStack):
    def __init__(self, scope: Construct, account: Account, backend: S3BackendSettings | None = None) -> None:
        super().__init__(scope, account.name, account, backend)
        self.network = Network(self, "network", network_props(self))
        TerraformOutput(self, "vpc_id", value=self.network.vpc.id, description="Tooling VPC ID.")
        assert account.gitlab is not None, "configuration requires the gitlab section on the tooling account"
        self.gitlab = add_gitlab(self, self.network, account.gitlab)
