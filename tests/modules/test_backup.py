"""Backup construct: KMS vaults kept from destroy, plan rules, one selection, optional cross-region copy."""

from __future__ import annotations

from typing import Any

import pytest
from cdktf import TerraformStack, Testing
from cdktf_cdktf_provider_aws.provider import AwsProvider

from modules.backup import MANAGED_POLICIES, VAULT_EVENTS, Backup, BackupProps, BackupRuleProps
from modules.naming import Namer
from tests.support.synth import only, policy, resources, synth_stack

RESOURCES = {
    "efs": "arn:aws:elasticfilesystem:eu-west-1:123456789012:file-system/fs-1",
    "database": "arn:aws:rds:eu-west-1:123456789012:cluster:acme-tooling-gitlab",
}


def synth(copy: bool = False, **changes: Any) -> dict[str, Any]:
    app = Testing.app()
    scope = TerraformStack(app, "test")
    AwsProvider(scope, "aws", region="eu-west-1")
    values: dict[str, Any] = {"namer": Namer("acme", "tooling"), "account_id": "123456789012", "resources": RESOURCES}
    if copy:
        values |= {
            "copy_region": "eu-central-1",
            "copy_provider": AwsProvider(scope, "aws-eu-central-1", region="eu-central-1", alias="eu_central_1"),
        }
    Backup(scope, "backup", BackupProps(**(values | changes)))
    return synth_stack(scope)


def test_vault_has_its_own_key_and_is_kept_from_destroy() -> None:
    stack = synth()
    vault = only(stack, "aws_backup_vault")
    assert vault["name"] == "acme-tooling-gitlab"
    key = next(iter(resources(stack, "aws_kms_key")))
    assert vault["kms_key_arn"] == f"${{aws_kms_key.{key}.arn}}"
    assert vault["lifecycle"]["prevent_destroy"] is True
    assert only(stack, "aws_kms_key")["lifecycle"]["prevent_destroy"] is True
    assert "force_destroy" not in vault


def test_default_plan_is_daily_for_35_days_without_copy() -> None:
    stack = synth()
    (rule,) = only(stack, "aws_backup_plan")["rule"]
    assert rule["rule_name"] == "daily"
    assert rule["schedule"] == "cron(0 17 * * ? *)"
    assert rule["lifecycle"] == {"delete_after": 35}
    assert (rule["start_window"], rule["completion_window"]) == (60, 480)
    assert rule["target_vault_name"].startswith("${aws_backup_vault.")
    assert "copy_action" not in rule


def test_selection_covers_efs_and_the_database_with_the_backup_role() -> None:
    stack = synth()
    selection = only(stack, "aws_backup_selection")
    assert selection["resources"] == list(RESOURCES.values())
    role_name = next(iter(resources(stack, "aws_iam_role")))
    assert selection["iam_role_arn"] == f"${{aws_iam_role.{role_name}.arn}}"
    trust = policy(only(stack, "aws_iam_role"), "assume_role_policy")["Statement"][0]
    assert trust["Principal"] == {"Service": "backup.amazonaws.com"}
    assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": "123456789012"}}
    attached = sorted(a["policy_arn"] for a in resources(stack, "aws_iam_role_policy_attachment").values())
    assert attached == sorted(f"arn:aws:iam::aws:policy/service-role/{p}" for p in MANAGED_POLICIES)


def test_rules_from_props_and_a_copy_in_the_second_region() -> None:
    stack = synth(
        copy=True,
        rules={
            "daily": BackupRuleProps(retention_days=14),
            "monthly": BackupRuleProps(schedule="cron(0 18 1 * ? *)", retention_days=365, copy_retention_days=90),
        },
    )
    vaults = resources(stack, "aws_backup_vault")
    assert sorted(v["name"] for v in vaults.values()) == ["acme-tooling-gitlab", "acme-tooling-gitlab-eu-central-1"]
    copy_name, copy_vault = next((n, v) for n, v in vaults.items() if v["name"].endswith("eu-central-1"))
    assert copy_vault["provider"] == "aws.eu_central_1"
    assert copy_vault["lifecycle"]["prevent_destroy"] is True
    keys = resources(stack, "aws_kms_key").values()
    assert sorted(k.get("provider", "default") for k in keys) == ["aws.eu_central_1", "default"]
    rules = {r["rule_name"]: r for r in only(stack, "aws_backup_plan")["rule"]}
    assert rules["daily"]["lifecycle"] == {"delete_after": 14}
    for name, kept in (("daily", 14), ("monthly", 90)):
        (copy,) = rules[name]["copy_action"]
        assert copy["destination_vault_arn"] == f"${{aws_backup_vault.{copy_name}.arn}}"
        assert copy["lifecycle"] == {"delete_after": kept}


def test_vault_events_go_to_the_topic() -> None:
    stack = synth(notification_topic_arn="arn:aws:sns:eu-west-1:123456789012:alarms")
    notifications = only(stack, "aws_backup_vault_notifications")
    assert notifications["sns_topic_arn"] == "arn:aws:sns:eu-west-1:123456789012:alarms"
    assert notifications["backup_vault_events"] == list(VAULT_EVENTS)
    assert "BACKUP_JOB_FAILED" in VAULT_EVENTS
    assert resources(synth(), "aws_backup_vault_notifications") == {}


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"copy_region": "eu-central-1"}, "go together"),
        ({"resources": {}}, "needs resources and rules"),
        ({"rules": {}}, "needs resources and rules"),
    ],
)
def test_props_refuse_inconsistent_inputs(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        synth(**changes)
