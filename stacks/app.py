"""Compose the workspaces of a validated configuration into one CDKTF app."""

from __future__ import annotations

from cdktf import App

from config.backend import S3BackendSettings
from config.loader import Environments
from stacks.base import AccountStack
from stacks.target import TargetStack
from stacks.tooling import ToolingStack


def build_app(
    environments: Environments, outdir: str, backend: S3BackendSettings | None = None
) -> tuple[App, dict[str, AccountStack]]:
    """The app and its stacks keyed by workspace name, in deploy order."""
    app = App(outdir=outdir)
    stacks: dict[str, AccountStack] = {}
    tooling = ToolingStack(app, environments.tooling, backend)
    stacks[tooling.workspace] = tooling
    for account in environments.targets.values():
        stacks[account.name] = TargetStack(
            app,
            account,
            backend,
            gitlab_hostname=environments.tooling.gitlab_hostname,
            tooling_vpc_cidr=environments.tooling.network.vpc_cidr,
        )
    return app, stacks
