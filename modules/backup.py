"""AWS Backup for GitLab: a KMS-encrypted vault, a plan and a selection of the EFS file
system and the database, and optionally a vault in a second region that every recovery
point is copied to."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

from cdktf import TerraformProvider, TerraformResourceLifecycle
from cdktf_cdktf_provider_aws.backup_plan import (
    BackupPlan,
    BackupPlanRule,
    BackupPlanRuleCopyAction,
    BackupPlanRuleCopyActionLifecycle,
    BackupPlanRuleLifecycle,
)
from cdktf_cdktf_provider_aws.backup_selection import BackupSelection
from cdktf_cdktf_provider_aws.backup_vault import BackupVault
from cdktf_cdktf_provider_aws.backup_vault_notifications import BackupVaultNotifications
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy_attachment import IamRolePolicyAttachment
from constructs import Construct

from modules.kms_key import KmsKey, KmsKeyProps
from modules.naming import Namer
from modules.policy import service_trust

# The AWS-managed policies are AWS Backup's documented service role permissions
# ("Default service role for AWS Backup", AWS Backup Developer Guide); they act only
# on resources a plan selects.
MANAGED_POLICIES = ("AWSBackupServiceRolePolicyForBackup", "AWSBackupServiceRolePolicyForRestores")
# What operators need to hear about ("Notification events", AWS Backup Developer Guide).
VAULT_EVENTS = ("BACKUP_JOB_FAILED", "COPY_JOB_FAILED", "RESTORE_JOB_COMPLETED", "RECOVERY_POINT_MODIFIED")


@dataclass(frozen=True)
class BackupRuleProps:
    """One rule: when, how long kept, and how long its copy is kept."""

    schedule: str = "cron(0 17 * * ? *)"
    retention_days: int = 35
    start_window_minutes: int = 60
    completion_window_minutes: int = 480
    copy_retention_days: int | None = None


@dataclass(frozen=True)
class BackupProps:
    """Inputs of ``Backup``. ``resources``: name -> ARN of what the plan covers.
    ``copy_provider``: the aliased provider of ``copy_region`` (both or neither)."""

    namer: Namer
    account_id: str
    resources: Mapping[str, str]
    partition: str = "aws"
    rules: Mapping[str, BackupRuleProps] = field(default_factory=lambda: {"daily": BackupRuleProps()})
    copy_region: str | None = None
    copy_provider: TerraformProvider | None = None
    notification_topic_arn: str | None = None
    notification_events: Sequence[str] = VAULT_EVENTS

    def __post_init__(self) -> None:
        if (self.copy_region is None) != (self.copy_provider is None):
            raise ValueError("copy_region and copy_provider go together")
        if not self.resources or not self.rules:
            raise ValueError("a backup plan needs resources and rules")
        object.__setattr__(self, "resources", MappingProxyType(dict(self.resources)))
        object.__setattr__(self, "rules", MappingProxyType(dict(self.rules)))
        object.__setattr__(self, "notification_events", tuple(self.notification_events))


class Backup(Construct):
    """Vaults and their keys are protected from ``terraform destroy``: recovery points
    live in them."""

    def __init__(self, scope: Construct, id_: str, props: BackupProps) -> None:
        super().__init__(scope, id_)
        namer = props.namer
        self.vault = self._vault("vault", props, None)
        self.copy_vault = self._vault("copy-vault", props, props.copy_provider) if props.copy_provider else None
        self.role = IamRole(
            self,
            "role",
            name=namer.name("iam_role", "backup"),
            assume_role_policy=service_trust("backup.amazonaws.com", props.account_id),
        )
        for policy in MANAGED_POLICIES:
            IamRolePolicyAttachment(
                self,
                f"policy-{policy}",
                role=self.role.name,
                policy_arn=f"arn:{props.partition}:iam::aws:policy/service-role/{policy}",
            )
        self.plan = BackupPlan(
            self,
            "plan",
            name=namer.name("backup", "gitlab"),
            rule=[self._rule(name, rule) for name, rule in props.rules.items()],
        )
        self.selection = BackupSelection(
            self,
            "selection",
            name=namer.name("backup", "gitlab-data"),
            plan_id=self.plan.id,
            iam_role_arn=self.role.arn,
            resources=list(props.resources.values()),
        )
        if props.notification_topic_arn is not None:
            BackupVaultNotifications(
                self,
                "notifications",
                backup_vault_name=self.vault.name,
                sns_topic_arn=props.notification_topic_arn,
                backup_vault_events=list(props.notification_events),
            )

    def _vault(self, id_: str, props: BackupProps, provider: TerraformProvider | None) -> BackupVault:
        namer = props.namer
        where = props.copy_region if provider else None
        key = KmsKey(
            self,
            f"{id_}-key",
            KmsKeyProps(
                namer=namer,
                purpose="backup" if where is None else f"backup-{where}",
                description=f"AWS Backup vault of {namer.prefix}-{namer.workspace}" + (f" in {where}" if where else ""),
                account_id=props.account_id,
                partition=props.partition,
                provider=provider,
            ),
        )
        return BackupVault(
            self,
            id_,
            name=namer.name("backup", "gitlab") if where is None else namer.name("backup", "gitlab", where),
            kms_key_arn=key.arn,
            provider=provider,
            lifecycle=TerraformResourceLifecycle(prevent_destroy=True),
        )

    def _rule(self, name: str, rule: BackupRuleProps) -> BackupPlanRule:
        copy = (
            [
                BackupPlanRuleCopyAction(
                    destination_vault_arn=self.copy_vault.arn,
                    lifecycle=BackupPlanRuleCopyActionLifecycle(
                        delete_after=rule.copy_retention_days or rule.retention_days
                    ),
                )
            ]
            if self.copy_vault is not None
            else None
        )
        return BackupPlanRule(
            rule_name=name,
            target_vault_name=self.vault.name,
            schedule=rule.schedule,
            start_window=rule.start_window_minutes,
            completion_window=rule.completion_window_minutes,
            lifecycle=BackupPlanRuleLifecycle(delete_after=rule.retention_days),
            copy_action=copy,
        )
