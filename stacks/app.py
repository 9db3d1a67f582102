"""Compose the workspaces of a validated configuration into one CDKTF app."""

from __future__ import annotations

from cdktf import App

from config.backend import S3BackendSettings
from config.loader import Environments
from stacks.base import AccountStack
from stacks.bootstrap import BootstrapStack
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
        stacks[account.name] = TargetStack(app, account, backend)
    # Built last (every workspace is made to depend on it), deployed first.
    bootstrap = BootstrapStack(app, environments, backend)
    return app, {bootstrap.workspace: bootstrap, **stacks}
