"""The GitLab instance's application settings this project depends on."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from cdktf_cdktf_provider_gitlab.application_settings import (
    ApplicationSettings,
    ApplicationSettingsDefaultBranchProtectionDefaults,
)
from constructs import Construct

# GitLab's numeric access levels (Members API: 30 developer, 40 maintainer).
ACCESS_LEVEL = {"developer": 30, "maintainer": 40}


@dataclass(frozen=True)
class GitLabInstanceSettingsProps:
    outbound_allowlist: Sequence[str]
    """Host names GitLab may send webhooks to inside the network (the CodeConnections
    webhook endpoint first)."""
    require_two_factor_authentication: bool = True
    two_factor_grace_period_hours: int = 48
    minimum_password_length: int = 12
    password_uppercase_required: bool = True
    password_lowercase_required: bool = True
    password_number_required: bool = True
    password_symbol_required: bool = True
    session_expire_minutes: int = 480
    default_branch_push: str = "maintainer"
    default_branch_merge: str = "maintainer"
    developer_can_initial_push: bool = False


class GitLabInstanceSettings(Construct):
    def __init__(self, scope: Construct, id_: str, props: GitLabInstanceSettingsProps) -> None:
        super().__init__(scope, id_)
        self.settings = ApplicationSettings(
            self,
            "settings",
            # Accounts are created by administrators (or this workspace), never by sign-up.
            signup_enabled=False,
            # The webhook endpoint resolves to a private address in the VPC; GitLab blocks such
            # requests unless the host is on the allowlist ("Filtering outbound requests",
            # GitLab docs). Local requests in general stay blocked.
            allow_local_requests_from_web_hooks_and_services=False,
            allow_local_requests_from_system_hooks=False,
            outbound_local_requests_whitelist=list(props.outbound_allowlist),
            require_two_factor_authentication=props.require_two_factor_authentication,
            two_factor_grace_period=props.two_factor_grace_period_hours,
            require_admin_two_factor_authentication=props.require_two_factor_authentication,
            minimum_password_length=props.minimum_password_length,
            password_uppercase_required=props.password_uppercase_required,
            password_lowercase_required=props.password_lowercase_required,
            password_number_required=props.password_number_required,
            password_symbol_required=props.password_symbol_required,
            session_expire_delay=props.session_expire_minutes,
            default_branch_protection_defaults=ApplicationSettingsDefaultBranchProtectionDefaults(
                allowed_to_push=[ACCESS_LEVEL[props.default_branch_push]],
                allowed_to_merge=[ACCESS_LEVEL[props.default_branch_merge]],
                allow_force_push=False,
                developer_can_initial_push=props.developer_can_initial_push,
            ),
            # Group owners may not weaken the instance's default branch protection.
            group_owners_can_manage_default_branch_protection=False,
        )
