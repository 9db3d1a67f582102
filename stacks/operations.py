"""Operating GitLab in the tooling workspace: SES mail, alarms and dashboard, AWS Backup,
wired from the account's ``operations:`` section (defaults when omitted)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from cdktf import TerraformOutput

from config.operations import Operations, mail_domain
from modules.backup import Backup, BackupProps, BackupRuleProps
from modules.bucket_replication import rule_id
from modules.client_vpn import ClientVpn
from modules.gitlab_storage import THROUGHPUT_MODE
from modules.mail import Mail, MailProps
from modules.monitoring import AlarmThresholds, Monitoring, MonitoringProps
from stacks.base import AccountStack
from stacks.gitlab import GitLab


@dataclass(frozen=True)
class Operated:
    """What was built; each part is None when configuration turns it off."""

    mail: Mail | None
    monitoring: Monitoring | None
    backup: Backup | None


def add_operations(stack: AccountStack, gitlab: GitLab, client_vpn: ClientVpn | None = None) -> Operated:
    account, namer, partition = stack.account, stack.namer, stack.partition
    operations = account.operations or Operations()
    database = gitlab.database
    engine: Literal["aurora-postgresql", "postgres"]
    if database.cluster is not None:
        database_id, database_arn = database.cluster.cluster_identifier, database.cluster.arn
        engine = "aurora-postgresql"
    else:
        assert database.instance is not None
        database_id, database_arn = database.instance.identifier, database.instance.arn
        engine = "postgres"
    file_system = gitlab.storage.file_system
    service = gitlab.service
    TerraformOutput(stack, "ecs_service_name", value=service.service.name, description="ECS service of GitLab.")
    TerraformOutput(stack, "efs_file_system_id", value=file_system.id, description="GitLab's EFS file system.")
    if gitlab.storage.replication is not None:
        TerraformOutput(
            stack,
            "efs_replica_file_system_id",
            value=gitlab.storage.replication.destination.file_system_id,
            description="Read-only EFS replica in gitlab.efs.replication_region.",
        )
    TerraformOutput(
        stack, "database_identifier", value=database_id, description="Aurora cluster or RDS instance identifier."
    )
    mail = _mail(stack, gitlab, operations)

    monitoring = None
    if operations.monitoring is not None:
        config = operations.monitoring
        monitoring = Monitoring(
            stack,
            "monitoring",
            MonitoringProps(
                namer=namer,
                account_id=account.account_id,
                region=account.region,
                partition=partition,
                load_balancer_arn_suffix=gitlab.load_balancer.alb.arn_suffix,
                target_group_arn_suffix=gitlab.load_balancer.target_group.arn_suffix,
                cluster_name=service.cluster.name,
                service_name=service.service.name,
                database_engine=engine,
                database_identifier=database_id,
                file_system_id=file_system.id,
                efs_throughput_mode=THROUGHPUT_MODE,
                client_vpn_endpoint_id=client_vpn.endpoint.id if client_vpn else None,
                efs_replica_file_system_id=(
                    gitlab.storage.replication.destination.file_system_id if gitlab.storage.replication else None
                ),
                subscriptions={name: (s.protocol, s.endpoint) for name, s in config.subscriptions.items()},
                thresholds=AlarmThresholds(**config.thresholds.model_dump()),
                image_repository_name=(
                    gitlab.image.repository_name
                    if account.gitlab is not None and account.gitlab.image.scanning == "enhanced"
                    else None
                ),
                finding_min_severity=config.finding_min_severity,
                replicated_buckets=_replicated_buckets(gitlab),
                log_groups={
                    **{c: group.name for c, group in service.component_log_groups.items()},
                    **({"backup": service.log_group.name} if gitlab.app_backup is not None else {}),
                },
            ),
        )
        TerraformOutput(stack, "alarm_topic_arn", value=monitoring.topic.arn, description="SNS topic of the alarms.")
        TerraformOutput(
            stack, "dashboard_name", value=monitoring.dashboard.dashboard_name, description="CloudWatch dashboard."
        )

    backup = None
    if operations.backup is not None:
        config_backup = operations.backup
        region = config_backup.copy_region
        backup = Backup(
            stack,
            "backup",
            BackupProps(
                namer=namer,
                account_id=account.account_id,
                partition=partition,
                resources={"efs": file_system.arn, "database": database_arn},
                rules={name: BackupRuleProps(**rule.model_dump()) for name, rule in config_backup.rules.items()},
                copy_region=region,
                copy_provider=stack.region_provider(region) if region else None,
                notification_topic_arn=monitoring.topic.arn if monitoring else None,
            ),
        )
        TerraformOutput(stack, "backup_vault_name", value=backup.vault.name, description="AWS Backup vault.")
        TerraformOutput(
            stack, "backup_role_arn", value=backup.role.arn, description="Role for AWS Backup jobs and restores."
        )
        if backup.copy_vault is not None:
            TerraformOutput(
                stack,
                "backup_copy_vault_arn",
                value=backup.copy_vault.arn,
                description=f"AWS Backup vault in {region} holding the copies.",
            )
    return Operated(mail, monitoring, backup)


def _replicated_buckets(gitlab: GitLab) -> dict[str, tuple[str, str, str]]:
    replication = gitlab.replication
    if replication is None:
        return {}
    rule = rule_id(replication.region)
    return {name: (replication.sources[name].name, r.name, rule) for name, r in replication.replicas.items()}


def _mail(stack: AccountStack, gitlab: GitLab, operations: Operations) -> Mail | None:
    account = stack.account
    domain = mail_domain(account)
    smtp = account.gitlab.smtp if account.gitlab else None
    secret = gitlab.service.smtp_secret
    if domain is None or smtp is None or secret is None:
        return None
    config = operations.mail
    mail = Mail(
        stack,
        "mail",
        MailProps(
            namer=stack.namer,
            account_id=account.account_id,
            region=account.region,
            partition=stack.partition,
            domain=domain,
            from_addresses=(smtp.from_address,),
            zone_id=config.route53_zone_id,
            mail_from_subdomain=config.mail_from_subdomain,
            create_identity=not config.existing_identity,
        ),
    )
    # Names and records only; the credentials never pass through Terraform.
    TerraformOutput(stack, "ses_identity", value=domain, description="SES domain identity GitLab sends from.")
    TerraformOutput(stack, "ses_dns_records", value=mail.dns_records, description="DKIM and MAIL FROM records.")
    TerraformOutput(stack, "ses_smtp_user_name", value=mail.user.name, description="IAM user of the SMTP credentials.")
    TerraformOutput(
        stack, "smtp_credentials_name", value=secret.name, description="Secrets Manager secret GitLab reads SMTP from."
    )
    return mail
