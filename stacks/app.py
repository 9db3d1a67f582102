"""Compose the workspaces of a validated configuration into one CDKTF app."""

from __future__ import annotations

from collections.abc import Mapping

from cdktf import App

from config.backend import S3BackendSettings
from config.loader import Environments
from config.migration import Plan
from stacks.base import AccountStack
from stacks.bootstrap import BootstrapStack
from stacks.hub_routing import HubRoutingStack
from stacks.target import TargetStack
from stacks.tooling import ToolingStack


def build_app(
    environments: Environments,
    outdir: str,
    backend: S3BackendSettings | None = None,
    plans: Mapping[str, Plan] | None = None,
) -> tuple[App, dict[str, AccountStack]]:
    """The app and its stacks keyed by workspace name, in deploy order: tooling, the
    targets, the tooling account's hub routing, then its GitLab workspace when configured
    (stack dependencies say the same, so ``cdktf deploy '*'`` keeps this order).
    ``plans``: the migration plans by target workspace (migration/*.yaml), for the
    cut-over push deny."""
    app = App(outdir=outdir)
    stacks: dict[str, AccountStack] = {}
    tooling = ToolingStack(app, environments.tooling, backend, targets=environments.targets)
    stacks[tooling.workspace] = tooling
    targets = {
        name: TargetStack(app, account, backend, tooling=tooling, plan=(plans or {}).get(name))
        for name, account in environments.targets.items()
    }
    stacks.update(targets)
    hub_routing = HubRoutingStack(app, tooling, targets, backend)
    stacks[hub_routing.workspace] = hub_routing
    if environments.gitlab_access is not None:
        from stacks.gitlab_access import GitLabAccessStack  # only loads the gitlab bindings when used

        gitlab = GitLabAccessStack(app, tooling, environments.gitlab_access, backend)
        stacks[gitlab.workspace] = gitlab
    # Built last (every workspace is made to depend on it), deployed first.
    bootstrap = BootstrapStack(app, environments, backend)
    return app, {bootstrap.workspace: bootstrap, **stacks}
