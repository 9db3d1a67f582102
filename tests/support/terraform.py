"""The offline Terraform runner, shared with `make plan` (scripts/offline_plan.py)."""

from __future__ import annotations

from scripts.offline_plan import (
    MIRROR_VARIABLE,
    OVERRIDE_FILE,
    PROVIDER,
    PROVIDER_VERSION,
    REMOTE_STATE_OVERRIDE_FILE,
    Step,
    Terraform,
    TerraformMissing,
    WorkspaceRun,
    cli_config,
    fake_value,
    find_mirror,
    has_provider,
    offline_override,
    producer_workspace,
    remote_state_fixtures,
    required_providers,
    unavailable_providers,
)

__all__ = [
    "MIRROR_VARIABLE",
    "OVERRIDE_FILE",
    "PROVIDER",
    "PROVIDER_VERSION",
    "REMOTE_STATE_OVERRIDE_FILE",
    "Step",
    "Terraform",
    "TerraformMissing",
    "WorkspaceRun",
    "cli_config",
    "fake_value",
    "find_mirror",
    "has_provider",
    "offline_override",
    "producer_workspace",
    "remote_state_fixtures",
    "required_providers",
    "unavailable_providers",
]
