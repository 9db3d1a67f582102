"""Terraform workspace (CDKTF stack) names: every one comes from here.

A workspace name is the stack's ID, its directory in ``cdktf.out/stacks/``, its
Atlantis project and part of its state key, so it must never change for an
existing deployment.
"""

from __future__ import annotations

from pathlib import Path

# The state backend; local state, applied before anything else (stacks/bootstrap.py).
BOOTSTRAP_WORKSPACE = "bootstrap"
# The namer workspace of the state resources (gitlab-tfstate-<account>-<region>);
# not a Terraform workspace: they belong to the bootstrap workspace.
STATE_NAMER_WORKSPACE = "tfstate"
# The tooling account's second workspace: Transit Gateway route-table associations
# and propagations of the targets' attachments (stacks/hub_routing.py).
HUB_ROUTING_SUFFIX = "hub-routing"
# The tooling account's GitLab workspace, when environments/gitlab.yaml exists: groups,
# members, protection and instance settings through GitLab's API (stacks/gitlab_access.py).
GITLAB_SUFFIX = "gitlab"


def account_workspace(account_file: Path, override: str | None = None) -> str:
    """An account's workspace: ``workspace:`` in its file, else (absent or null) the file name
    without .yaml. An empty ``workspace: ""`` stays empty, to be refused by its pattern rather
    than quietly replaced by the file name."""
    return account_file.stem if override is None else override


def hub_routing_workspace(tooling_workspace: str) -> str:
    return f"{tooling_workspace}-{HUB_ROUTING_SUFFIX}"


def gitlab_workspace(tooling_workspace: str) -> str:
    return f"{tooling_workspace}-{GITLAB_SUFFIX}"
