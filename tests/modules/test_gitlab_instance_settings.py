"""GitLabInstanceSettings: sign-up off, the allowlist and no local requests otherwise, 2FA, passwords, sessions."""

from __future__ import annotations

from cdktf import TerraformStack, Testing

from modules.gitlab_instance_settings import GitLabInstanceSettings, GitLabInstanceSettingsProps
from tests.support.synth import only, synth_stack


def test_settings() -> None:
    scope = TerraformStack(Testing.app(), "test")
    GitLabInstanceSettings(
        scope,
        "instance",
        GitLabInstanceSettingsProps(
            outbound_allowlist=("eu-west-1.codestar-connections.webhooks.aws",),
            minimum_password_length=16,
            session_expire_minutes=60,
            default_branch_merge="developer",
        ),
    )
    body = only(synth_stack(scope), "gitlab_application_settings")
    assert body["signup_enabled"] is False
    assert body["outbound_local_requests_whitelist"] == ["eu-west-1.codestar-connections.webhooks.aws"]
    assert body["allow_local_requests_from_web_hooks_and_services"] is False
    assert body["allow_local_requests_from_system_hooks"] is False
    assert body["require_two_factor_authentication"] is True and body["two_factor_grace_period"] == 48
    assert body["minimum_password_length"] == 16 and body["password_symbol_required"] is True
    assert body["session_expire_delay"] == 60
    assert body["default_branch_protection_defaults"] == {
        "allowed_to_push": [40],
        "allowed_to_merge": [30],
        "allow_force_push": False,
        "developer_can_initial_push": False,
    }
    assert body["group_owners_can_manage_default_branch_protection"] is False
