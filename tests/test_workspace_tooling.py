"""The tooling workspace, from the shared synthesis of the bundled example."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from config.gitlab import OBJECT_TYPES
from tests.conftest import Synthesis
from tests.modules.test_gitlab_rb import ruby_syntax_check
from tests.support.synth import address, by_path, only, policy, ref, resources


@pytest.fixture(scope="module")
def stack(synthesis: Synthesis) -> dict[str, Any]:
    return synthesis.stacks["tooling"]


def test_network_from_configuration(stack: dict[str, Any], synthesis: Synthesis) -> None:
    net = synthesis.environments.tooling.network
    assert only(stack, "aws_vpc")["cidr_block"] == net.vpc_cidr == "10.10.0.0/16"
    subnets = {s["availability_zone"]: s["cidr_block"] for s in resources(stack, "aws_subnet").values()}
    assert subnets == {"ap-northeast-1a": "10.10.0.0/20", "ap-northeast-1c": "10.10.16.0/20"}
    assert only(stack, "aws_flow_log")["traffic_type"] == "ALL"
    assert by_path(stack, "aws_cloudwatch_log_group", "network/flow-logs")["retention_in_days"] == 365


def test_stateful_addresses_are_pinned(stack: dict[str, Any]) -> None:
    # Renaming these construct IDs would make Terraform destroy and recreate them.
    assert address(stack, "aws_vpc", "network/vpc") == "aws_vpc.network_vpc_4E8F0223"
    assert address(stack, "aws_kms_key", "network/flow-logs-key/key") == "aws_kms_key.network_flow-logs-key_1EE8C985"


def test_outputs(stack: dict[str, Any]) -> None:
    assert stack["output"]["vpc_id"]["value"] == "${aws_vpc.network_vpc_4E8F0223.id}"


def test_transit_gateway_from_configuration_and_pinned(stack: dict[str, Any], synthesis: Synthesis) -> None:
    config = synthesis.environments.tooling.transit_gateway
    assert config is not None
    tgw = only(stack, "aws_ec2_transit_gateway")
    assert tgw["amazon_side_asn"] == config.amazon_side_asn == 64512
    assert tgw["auto_accept_shared_attachments"] == "disable"
    assert tgw["lifecycle"]["prevent_destroy"] is True
    assert address(stack, "aws_ec2_transit_gateway", "transit-hub/tgw") == (
        "aws_ec2_transit_gateway.transit-hub_tgw_C3B31FC8"
    )
    assert address(stack, "aws_kms_key", "client-vpn/logs-key/key") == "aws_kms_key.client-vpn_logs-key_CD6F3FFE"


def test_shared_in_the_organization_with_each_target_account(stack: dict[str, Any], synthesis: Synthesis) -> None:
    assert by_path(stack, "aws_ram_resource_share", "transit-hub/share")["allow_external_principals"] is False
    share = ref(stack, "aws_ram_resource_share", "transit-hub/share", "arn")
    principals = sorted(
        p["principal"]
        for p in resources(stack, "aws_ram_principal_association").values()
        if p["resource_share_arn"] == share
    )
    assert principals == sorted(t.account_id for t in synthesis.environments.targets.values())


# --- CodeConnections (issue 10): the host beside GitLab, one shared connection per target ---


def test_codeconnections_host_in_the_tooling_vpc_pinned_and_protected(stack: dict[str, Any]) -> None:
    assert address(stack, "aws_codeconnections_host", "codeconnections/host") == (
        "aws_codeconnections_host.codeconnections_host_5C9302AF"
    )
    host = only(stack, "aws_codeconnections_host")
    assert host["lifecycle"] == {"prevent_destroy": True}
    assert (host["provider_type"], host["provider_endpoint"]) == ("GitLabSelfManaged", "https://gitlab.example.com")
    (vpc,) = host["vpc_configuration"]
    assert vpc["vpc_id"] == ref(stack, "aws_vpc", "network/vpc", "id")
    assert vpc["subnet_ids"] == [
        ref(stack, "aws_subnet", f"network/private-{az}", "id") for az in ("ap-northeast-1a", "ap-northeast-1c")
    ]
    assert vpc["security_group_ids"] == [ref(stack, "aws_security_group", "codeconnections/sg", "id")]
    assert "tls_certificate" not in vpc  # the example's certificate is ACM's, from a public CA
    assert by_path(stack, "aws_security_group", "codeconnections/sg")["name"] == "gitlab-tooling-codeconnections-host"


def test_codeconnections_host_rules_join_gitlab_and_its_alb_only(stack: dict[str, Any]) -> None:
    host = ref(stack, "aws_security_group", "codeconnections/sg", "id")
    gitlab = ref(stack, "aws_security_group", "gitlab-service/sg", "id")
    alb = ref(stack, "aws_security_group", "gitlab-alb/sg", "id")
    rules = {
        (kind, body["security_group_id"], body.get("referenced_security_group_id"), body["from_port"])
        for kind in ("ingress", "egress")
        for body in resources(stack, f"aws_vpc_security_group_{kind}_rule").values()
        if host in (body["security_group_id"], body.get("referenced_security_group_id"))
    }
    assert rules == {
        ("ingress", host, gitlab, 443),
        ("egress", gitlab, host, 443),
        ("egress", host, alb, 443),
        ("ingress", alb, host, 443),
    }


def test_one_connection_per_delivery_target_shared_with_its_account_only(
    stack: dict[str, Any], synthesis: Synthesis
) -> None:
    host = ref(stack, "aws_codeconnections_host", "codeconnections/host", "arn")
    for name, target in synthesis.environments.targets.items():
        assert target.delivery is not None
        connection = by_path(stack, "aws_codeconnections_connection", f"codeconnections-{name}/connection")
        assert connection["host_arn"] == host and connection["name"] == f"gitlab-tooling-{name}"
        assert connection["lifecycle"] == {"prevent_destroy": True}
        share = ref(stack, "aws_ram_resource_share", f"codeconnections-{name}/share", "arn")
        assert by_path(stack, "aws_ram_resource_share", f"codeconnections-{name}/share")[
            "allow_external_principals"
        ] is False  # fmt: skip
        arn = ref(stack, "aws_codeconnections_connection", f"codeconnections-{name}/connection", "arn")
        shared = [
            r for r in resources(stack, "aws_ram_resource_association").values() if r["resource_share_arn"] == share
        ]
        assert [r["resource_arn"] for r in shared] == [arn]
        principals = [
            p["principal"]
            for p in resources(stack, "aws_ram_principal_association").values()
            if p["resource_share_arn"] == share
        ]
        assert principals == [target.account_id]
        outputs = stack["output"]
        assert outputs[f"codeconnections_connection_arn_{name}"]["value"] == arn
        assert outputs[f"codeconnections_share_arn_{name}"]["value"] == share
        assert outputs["codeconnections_connection_statuses"]["value"][name] == arn.replace(
            ".arn}", ".connection_status}"
        )
        assert '"/connections/"' in outputs["codeconnections_connection_console_urls"]["value"][name]
    assert '"/hosts/"' in stack["output"]["codeconnections_host_console_url"]["value"]


def test_no_host_without_a_delivery_target(synthesis: Synthesis) -> None:
    from cdktf import Testing

    from stacks.tooling import ToolingStack

    environments = synthesis.environments
    targets = {name: t.model_copy(update={"delivery": None}) for name, t in environments.targets.items()}
    tooling = json.loads(Testing.synth(ToolingStack(Testing.app(), environments.tooling, targets=targets)))
    for kind in ("codeconnections_host", "codeconnections_connection"):
        assert resources(tooling, f"aws_{kind}") == {}
    assert not [o for o in tooling["output"] if o.startswith("codeconnections_")]
    names = {body["name"] for body in resources(tooling, "aws_security_group").values()}
    assert "gitlab-tooling-codeconnections-host" not in names


def test_tooling_vpc_routes_each_target_cidr_to_the_gateway(stack: dict[str, Any], synthesis: Synthesis) -> None:
    gateway = ref(stack, "aws_ec2_transit_gateway", "transit-hub/tgw", "id")
    routes = resources(stack, "aws_route").values()
    expected = {t.network.vpc_cidr for t in synthesis.environments.targets.values()}
    for table in resources(stack, "aws_route_table"):
        mine = {
            r["destination_cidr_block"] for r in routes if r["route_table_id"] == f"${{aws_route_table.{table}.id}}"
        }
        assert mine == expected == {"10.20.0.0/16", "10.30.0.0/16"}
    assert all(r["transit_gateway_id"] == gateway for r in routes)


def test_tooling_attachment_placed_in_the_hub_table(stack: dict[str, Any]) -> None:
    attachment = ref(stack, "aws_ec2_transit_gateway_vpc_attachment", "transit-attachment/attachment", "id")
    association = only(stack, "aws_ec2_transit_gateway_route_table_association")
    assert association["transit_gateway_attachment_id"] == attachment
    assert association["transit_gateway_route_table_id"] == ref(
        stack, "aws_ec2_transit_gateway_route_table", "transit-hub/rt-hub", "id"
    )
    propagation = only(stack, "aws_ec2_transit_gateway_route_table_propagation")
    assert propagation["transit_gateway_route_table_id"] == ref(
        stack, "aws_ec2_transit_gateway_route_table", "transit-hub/rt-spokes", "id"
    )


def test_gitlab_host_name_resolves_privately_in_the_tooling_vpc(stack: dict[str, Any]) -> None:
    zone = by_path(stack, "aws_route53_zone", "gitlab-dns/zone")
    assert zone["name"] == "gitlab.example.com"
    assert zone["vpc"] == [{"vpc_id": "${aws_vpc.network_vpc_4E8F0223.id}", "vpc_region": "ap-northeast-1"}]
    record = by_path(stack, "aws_route53_record", "gitlab-dns/alias")
    assert record["zone_id"] == ref(stack, "aws_route53_zone", "gitlab-dns/zone", "zone_id")
    assert (record["name"], record["type"]) == ("gitlab.example.com", "A")
    assert record["alias"] == {
        "evaluate_target_health": True,
        "name": ref(stack, "aws_lb", "gitlab-alb/alb", "dns_name"),
        "zone_id": ref(stack, "aws_lb", "gitlab-alb/alb", "zone_id"),
    }


def test_client_vpn_from_configuration(stack: dict[str, Any], synthesis: Synthesis) -> None:
    config = synthesis.environments.tooling.client_vpn
    assert config is not None
    endpoint = only(stack, "aws_ec2_client_vpn_endpoint")
    assert endpoint["client_cidr_block"] == config.client_cidr == "10.250.0.0/22"
    assert endpoint["server_certificate_arn"] == config.server_certificate_arn
    assert endpoint["authentication_options"][0]["type"] == "certificate-authentication"
    assert endpoint["split_tunnel"] is True
    assert endpoint["dns_servers"] == ["10.10.0.2"]
    subnets = {a["subnet_id"] for a in resources(stack, "aws_ec2_client_vpn_network_association").values()}
    assert subnets == {
        ref(stack, "aws_subnet", f"network/private-{az}", "id")
        for az in synthesis.environments.tooling.network.availability_zones
    }
    rules = resources(stack, "aws_ec2_client_vpn_authorization_rule").values()
    assert [r["target_network_cidr"] for r in rules] == ["10.10.0.0/16"]  # target_vpcs: false
    assert resources(stack, "aws_ec2_client_vpn_route") == {}


def test_vpn_users_reach_https_ssh_and_the_resolver_only(stack: dict[str, Any]) -> None:
    # The endpoint's security group filters VPN users' traffic by its egress rules.
    group = ref(stack, "aws_security_group", "client-vpn/sg", "id")
    rules = [
        r for r in resources(stack, "aws_vpc_security_group_egress_rule").values() if r["security_group_id"] == group
    ]
    found = sorted(
        (r["ip_protocol"], r["from_port"], r["to_port"], r.get("cidr_ipv4") or r["referenced_security_group_id"])
        for r in rules
    )
    assert found == sorted(
        [
            ("tcp", 443, 443, "10.10.0.0/16"),  # GitLab's ALB (target_vpcs: false)
            ("tcp", 22, 22, ref(stack, "aws_security_group", "gitlab-ssh-nlb/sg", "id")),  # git over SSH
            ("tcp", 53, 53, "10.10.0.2/32"),
            ("udp", 53, 53, "10.10.0.2/32"),
        ]
    )
    assert not any(
        r["security_group_id"] == group for r in resources(stack, "aws_vpc_security_group_ingress_rule").values()
    )


def test_network_outputs(stack: dict[str, Any]) -> None:
    # Other parts of the workspace add their own outputs.
    assert set(stack["output"]) >= {
        "vpc_id",
        "transit_gateway_id",
        "transit_gateway_share_arn",
        "transit_gateway_hub_route_table_id",
        "transit_gateway_spokes_route_table_id",
        "client_vpn_endpoint_id",
        "client_vpn_security_group_id",
    }
    assert stack["output"]["client_vpn_security_group_id"]["value"] == ref(
        stack, "aws_security_group", "client-vpn/sg", "id"
    )


def path(body: dict[str, Any]) -> str:
    return str(body["//"]["metadata"]["path"])


# --- GitLab (issue: GitLab in the tooling workspace) ---

GITLAB_STATEFUL = {
    # Renaming these construct IDs would make Terraform destroy GitLab's data.
    ("aws_ecr_repository", "gitlab-image/repository"): "aws_ecr_repository.gitlab-image_repository_F88BE01F",
    ("aws_efs_file_system", "gitlab-storage/file-system"): "aws_efs_file_system.gitlab-storage_file-system_81584D23",
    ("aws_rds_cluster", "gitlab-database/cluster"): "aws_rds_cluster.gitlab-database_cluster_616EBC73",
    ("aws_rds_cluster_instance", "gitlab-database/writer"): "aws_rds_cluster_instance.gitlab-database_writer_A67A6F79",
    ("aws_rds_cluster_instance", "gitlab-database/reader"): "aws_rds_cluster_instance.gitlab-database_reader_7E61F8F7",
    ("aws_kms_key", "gitlab-key/key"): "aws_kms_key.gitlab-key_377095D4",
    ("aws_kms_key", "gitlab-service/logs-key/key"): "aws_kms_key.gitlab-service_logs-key_328C2C68",
    ("aws_kms_key", "gitlab-service/storage-key/key"): "aws_kms_key.gitlab-service_storage-key_C9E529D3",
    ("aws_s3_bucket", "gitlab-storage/access-logs/bucket"): "aws_s3_bucket.gitlab-storage_access-logs_bucket_2F8806A7",
    ("aws_s3_bucket", "gitlab-storage/bucket-artifacts/bucket"):
        "aws_s3_bucket.gitlab-storage_bucket-artifacts_bucket_039068A8",
    ("aws_s3_bucket", "gitlab-storage/bucket-ci_secure_files/bucket"):
        "aws_s3_bucket.gitlab-storage_bucket-ci_secure_files_bucket_AE3C8E41",
    ("aws_s3_bucket", "gitlab-storage/bucket-dependency_proxy/bucket"):
        "aws_s3_bucket.gitlab-storage_bucket-dependency_proxy_bucket_03AE904F",
    ("aws_s3_bucket", "gitlab-storage/bucket-external_diffs/bucket"):
        "aws_s3_bucket.gitlab-storage_bucket-external_diffs_bucket_3ECDA0D4",
    ("aws_s3_bucket", "gitlab-storage/bucket-lfs/bucket"): "aws_s3_bucket.gitlab-storage_bucket-lfs_bucket_CEE40140",
    ("aws_s3_bucket", "gitlab-storage/bucket-packages/bucket"):
        "aws_s3_bucket.gitlab-storage_bucket-packages_bucket_9AFE52BA",
    ("aws_s3_bucket", "gitlab-storage/bucket-pages/bucket"):
        "aws_s3_bucket.gitlab-storage_bucket-pages_bucket_BFB91935",
    ("aws_s3_bucket", "gitlab-storage/bucket-terraform_state/bucket"):
        "aws_s3_bucket.gitlab-storage_bucket-terraform_state_bucket_0C658EB5",
    ("aws_s3_bucket", "gitlab-storage/bucket-uploads/bucket"):
        "aws_s3_bucket.gitlab-storage_bucket-uploads_bucket_E92ACA5C",
    # The object-storage replicas in the recovery region (gitlab.efs.replication_region).
    ("aws_kms_key", "gitlab-storage-replication/key/key"): "aws_kms_key.gitlab-storage-replication_key_495CD9F3",
    ("aws_s3_bucket", "gitlab-storage-replication/access-logs/bucket"):
        "aws_s3_bucket.gitlab-storage-replication_access-logs_bucket_67ED62D8",
    ("aws_s3_bucket", "gitlab-storage-replication/replica-artifacts/bucket"):
        "aws_s3_bucket.gitlab-storage-replication_replica-artifacts_bucket_B02F0952",
    ("aws_s3_bucket", "gitlab-storage-replication/replica-ci_secure_files/bucket"):
        "aws_s3_bucket.gitlab-storage-replication_replica-ci_secure_files_bucket_83C7C96C",
    ("aws_s3_bucket", "gitlab-storage-replication/replica-dependency_proxy/bucket"):
        "aws_s3_bucket.gitlab-storage-replication_replica-dependency_proxy_bucket_8ED7DEDF",
    ("aws_s3_bucket", "gitlab-storage-replication/replica-external_diffs/bucket"):
        "aws_s3_bucket.gitlab-storage-replication_replica-external_diffs_bucket_F16BA7A5",
    ("aws_s3_bucket", "gitlab-storage-replication/replica-lfs/bucket"):
        "aws_s3_bucket.gitlab-storage-replication_replica-lfs_bucket_C0A4ED27",
    ("aws_s3_bucket", "gitlab-storage-replication/replica-packages/bucket"):
        "aws_s3_bucket.gitlab-storage-replication_replica-packages_bucket_86F4E2AC",
    ("aws_s3_bucket", "gitlab-storage-replication/replica-pages/bucket"):
        "aws_s3_bucket.gitlab-storage-replication_replica-pages_bucket_4C8FBD4F",
    ("aws_s3_bucket", "gitlab-storage-replication/replica-terraform_state/bucket"):
        "aws_s3_bucket.gitlab-storage-replication_replica-terraform_state_bucket_2A20B8A9",
    ("aws_s3_bucket", "gitlab-storage-replication/replica-uploads/bucket"):
        "aws_s3_bucket.gitlab-storage-replication_replica-uploads_bucket_FAAEFAF9",
    # GitLab's own backup: the archives, their replica, /etc/gitlab's copies and their key.
    ("aws_s3_bucket", "gitlab-backup/archives/bucket"): "aws_s3_bucket.gitlab-backup_archives_bucket_67AF2231",
    ("aws_s3_bucket", "gitlab-backup/config/bucket"): "aws_s3_bucket.gitlab-backup_config_bucket_E250C87E",
    ("aws_kms_key", "gitlab-backup/config-key/key"): "aws_kms_key.gitlab-backup_config-key_6010144D",
    ("aws_s3_bucket", "gitlab-storage-replication/replica-backups/bucket"):
        "aws_s3_bucket.gitlab-storage-replication_replica-backups_bucket_77A5ECB1",
}  # fmt: skip


def test_gitlab_stateful_addresses_are_pinned_and_protected(stack: dict[str, Any]) -> None:
    for (kind, path), pinned in GITLAB_STATEFUL.items():
        assert address(stack, kind, path) == pinned
        assert by_path(stack, kind, path)["lifecycle"]["prevent_destroy"] is True, pinned
    # Every bucket of the workspace is in the list above.
    assert len(resources(stack, "aws_s3_bucket")) == sum(k == "aws_s3_bucket" for k, _ in GITLAB_STATEFUL)


def test_the_alb_waits_for_its_log_bucket_policy(stack: dict[str, Any]) -> None:
    # ELB refuses access logs to a bucket it may not write to yet; the NLB does not log.
    alb = by_path(stack, "aws_lb", "gitlab-alb/alb")
    assert alb["access_logs"]["bucket"] == ref(stack, "aws_s3_bucket", "gitlab-storage/access-logs/bucket", "bucket")
    assert alb["depends_on"] == [address(stack, "aws_s3_bucket_policy", "gitlab-storage/access-logs/policy")]
    bucket_policy = policy(by_path(stack, "aws_s3_bucket_policy", "gitlab-storage/access-logs/policy"))
    assert "AlbAccessLogs" in {s["Sid"] for s in bucket_policy["Statement"]}
    nlb = by_path(stack, "aws_lb", "gitlab-ssh-nlb/nlb")
    assert "access_logs" not in nlb and "depends_on" not in nlb


def test_alb_outputs_for_the_private_zone(stack: dict[str, Any]) -> None:
    alb = address(stack, "aws_lb", "gitlab-alb/alb")
    assert stack["output"]["gitlab_alb_dns_name"]["value"] == f"${{{alb}.dns_name}}"
    assert stack["output"]["gitlab_alb_zone_id"]["value"] == f"${{{alb}.zone_id}}"
    assert stack["output"]["gitlab_url"]["value"] == "https://gitlab.example.com"
    # Besides the private zone's alias, only the certificate's validation record,
    # in the configured public zone.
    # (and SES's records, asserted with the mail below).
    records = [
        r for r in resources(stack, "aws_route53_record").values() if "alias" not in r and "/mail/" not in path(r)
    ]
    assert [r["zone_id"] for r in records] == ["Z0123456789EXAMPLE"]


def _container(stack: dict[str, Any]) -> dict[str, Any]:
    task = by_path(stack, "aws_ecs_task_definition", "gitlab-service/task")
    return json.loads(task["container_definitions"])[0]  # type: ignore[no-any-return]


def test_gitlab_service_from_configuration(stack: dict[str, Any], synthesis: Synthesis) -> None:
    gitlab = synthesis.environments.tooling.gitlab
    assert gitlab is not None
    task = by_path(stack, "aws_ecs_task_definition", "gitlab-service/task")
    assert (task["cpu"], task["memory"]) == ("8192", "16384")
    assert task["ephemeral_storage"] == {"size_in_gib": 30}
    repository = address(stack, "aws_ecr_repository", "gitlab-image/repository")
    container = _container(stack)
    assert container["image"] == f"${{{repository}.repository_url}}:19.6.1-ce.0"
    assert container["stopTimeout"] == 120
    cluster = address(stack, "aws_rds_cluster", "gitlab-database/cluster")
    secrets = {s["name"]: s["valueFrom"] for s in container["secrets"]}
    assert secrets["GITLAB_DB_PASSWORD"] == f"${{{cluster}.master_user_secret[0].secret_arn}}:password::"
    assert {"GITLAB_SMTP_USER_NAME", "GITLAB_SMTP_PASSWORD"} <= set(secrets)
    service = by_path(stack, "aws_ecs_service", "gitlab-service/service")
    assert service["desired_count"] == 1
    assert (service["deployment_minimum_healthy_percent"], service["deployment_maximum_percent"]) == (0, 100)
    assert service["network_configuration"]["assign_public_ip"] is False
    assert service["depends_on"] == [
        address(stack, "aws_lb_listener", "gitlab-alb/https"),
        address(stack, "aws_lb_listener", "gitlab-ssh-nlb/ssh"),
    ]
    cluster_db = by_path(stack, "aws_rds_cluster", "gitlab-database/cluster")
    assert cluster_db["engine_version"] == gitlab.database.engine_version == "17.4"
    assert {i["availability_zone"] for i in resources(stack, "aws_rds_cluster_instance").values()} == {
        "ap-northeast-1a",
        "ap-northeast-1c",
    }


def test_gitlab_backs_itself_up_daily_to_its_own_buckets(stack: dict[str, Any], synthesis: Synthesis) -> None:
    gitlab = synthesis.environments.tooling.gitlab
    assert gitlab is not None and gitlab.backup is not None and not gitlab.maintenance
    container = _container(stack)
    assert container["entryPoint"] == ["/bin/bash", "-c"]
    (command,) = container["command"]
    assert "/usr/local/bin/gitlab-backup-s3 schedule &" in command and command.endswith("exec /assets/wrapper")
    env = {e["name"]: e["value"] for e in container["environment"]}
    archives = address(stack, "aws_s3_bucket", "gitlab-backup/archives/bucket")
    config_bucket = address(stack, "aws_s3_bucket", "gitlab-backup/config/bucket")
    assert env["GITLAB_BACKUP_BUCKET"] == f"${{{archives}.bucket}}"
    assert env["GITLAB_CONFIG_BACKUP_BUCKET"] == f"${{{config_bucket}.bucket}}"
    assert env["GITLAB_BACKUP_DAILY_AT"] == gitlab.backup.daily_at
    rb = env["GITLAB_OMNIBUS_CONFIG"]
    assert f"gitlab_rails['backup_upload_remote_directory'] = '${{{archives}.bucket}}'" in rb
    key = address(stack, "aws_kms_key", "gitlab-key/key")
    assert (
        "gitlab_rails['backup_upload_storage_options'] = { 'server_side_encryption' => 'aws:kms', "
        f"'server_side_encryption_kms_key_id' => '${{{key}.arn}}' }}"
    ) in rb
    task_policy = policy(by_path(stack, "aws_iam_role_policy", "gitlab-service/task-policy"))
    grants = {st["Sid"]: st for st in task_policy["Statement"]}
    assert grants["BackupArchives"]["Resource"] == f"${{{archives}.arn}}/*"
    assert grants["ConfigBackups"]["Resource"] == f"${{{config_bucket}.arn}}/etc/*"
    service = by_path(stack, "aws_ecs_service", "gitlab-service/service")
    assert service["health_check_grace_period_seconds"] == 900
    # The archives replicate to the recovery region with the objects, and expire there too.
    replication = by_path(
        stack, "aws_s3_bucket_replication_configuration", "gitlab-storage-replication/configuration-backups"
    )
    assert replication["bucket"] == f"${{{archives}.bucket}}"
    (rule,) = by_path(
        stack, "aws_s3_bucket_lifecycle_configuration", "gitlab-storage-replication/replica-backups/lifecycle"
    )["rule"]
    assert rule["expiration"][0]["days"] == gitlab.backup.keep_days
    assert stack["output"]["gitlab_backup_bucket"]["value"] == f"${{{archives}.bucket}}"


def test_rendered_gitlab_rb_of_the_example_parses_and_points_at_the_writer(
    stack: dict[str, Any], tmp_path: Path
) -> None:
    config = next(e["value"] for e in _container(stack)["environment"] if e["name"] == "GITLAB_OMNIBUS_CONFIG")
    ruby_syntax_check(config, tmp_path)
    cluster = address(stack, "aws_rds_cluster", "gitlab-database/cluster")
    assert f"gitlab_rails['db_host'] = '${{{cluster}.endpoint}}'" in config
    assert "reader_endpoint" not in config
    assert "external_url 'https://gitlab.example.com'" in config
    assert "gitlab_rails['monitoring_whitelist'] = ['127.0.0.0/8', '::1/128', '10.10.0.0/16']" in config
    assert "gitlab_rails['smtp_address'] = 'email-smtp.ap-northeast-1.amazonaws.com'" in config
    artifacts = address(stack, "aws_s3_bucket", "gitlab-storage/bucket-artifacts/bucket")
    assert f"gitlab_rails['object_store']['objects']['artifacts']['bucket'] = '${{{artifacts}.bucket}}'" in config
    assert "git_data_dirs(" not in config
    # Each setting the example needs (item 3 of the GitLab issue), as whole lines.
    lines = set(config.splitlines())
    credentials = "ENV.fetch('AWS_CONTAINER_CREDENTIALS_RELATIVE_URI')"
    key = ref(stack, "aws_kms_key", "gitlab-key/key", "arn")
    for line in (
        "external_url 'https://gitlab.example.com'",
        "nginx['listen_https'] = false",
        "postgresql['enable'] = false",
        "gitlab_rails['db_password'] = ENV.fetch('GITLAB_DB_PASSWORD')",
        "  storage: [{ name: 'default', path: '/var/opt/gitlab/git-data/repositories' }]",
        "gitlab_rails['object_store']['enabled'] = true",
        "gitlab_rails['object_store']['connection'] = "
        "{ 'provider' => 'AWS', 'region' => 'ap-northeast-1', 'use_iam_profile' => true }",
        "gitlab_rails['object_store']['storage_options'] = "
        f"{{ 'server_side_encryption' => 'aws:kms', 'server_side_encryption_kms_key_id' => '{key}' }}",
        f"gitlab_rails['env'] = {{ 'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI' => {credentials} }}",
        f"gitlab_workhorse['env'] = {{ 'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI' => {credentials} }}",
        "gitlab_rails['smtp_enable'] = true",
        "gitlab_rails['smtp_user_name'] = ENV.fetch('GITLAB_SMTP_USER_NAME')",
        "gitlab_rails['smtp_password'] = ENV.fetch('GITLAB_SMTP_PASSWORD')",
        "gitlab_rails['gitlab_email_from'] = 'gitlab@example.com'",
        "prometheus_monitoring['enable'] = false",
        "# Redis stays bundled on its Unix socket, as in the design.",
    ):
        assert line in lines, line
    # Every object type is in S3 in the example (the consolidated form needs each one).
    for object_type in ("artifacts", "external_diffs", "lfs", "uploads", "packages", "dependency_proxy",
                        "terraform_state", "pages", "ci_secure_files"):  # fmt: skip
        bucket = address(stack, "aws_s3_bucket", f"gitlab-storage/bucket-{object_type}/bucket")
        assert f"gitlab_rails['object_store']['objects']['{object_type}']['bucket'] = '${{{bucket}.bucket}}'" in lines
    assert "db_load_balancing" not in config and "redis['enable']" not in config
    # No literal secret: passwords only through ENV.
    assert "ENV.fetch('GITLAB_DB_PASSWORD')" in config
    assert "password'] = '" not in config


def test_ssh_through_its_own_nlb(stack: dict[str, Any]) -> None:
    nlb = address(stack, "aws_lb", "gitlab-ssh-nlb/nlb")
    assert stack["output"]["ssh_nlb_dns_name"]["value"] == f"${{{nlb}.dns_name}}"
    assert stack["output"]["ssh_nlb_zone_id"]["value"] == f"${{{nlb}.zone_id}}"
    assert stack["output"]["ssh_hostname"]["value"] == "ssh.gitlab.example.com"
    service = by_path(stack, "aws_ecs_service", "gitlab-service/service")
    assert [t["container_port"] for t in service["load_balancer"]] == [80, 22]
    config = next(e["value"] for e in _container(stack)["environment"] if e["name"] == "GITLAB_OMNIBUS_CONFIG")
    assert "gitlab_rails['gitlab_ssh_host'] = 'ssh.gitlab.example.com'" in config


def test_efs_replica_in_the_configured_region(stack: dict[str, Any]) -> None:
    replication = only(stack, "aws_efs_replication_configuration")
    assert replication["destination"]["region"] == "ap-northeast-3"
    efs = address(stack, "aws_efs_file_system", "gitlab-storage/file-system")
    assert replication["source_file_system_id"] == f"${{{efs}.id}}"


def test_gitlab_endpoints_in_the_tooling_vpc(stack: dict[str, Any]) -> None:
    services = {e["service_name"] for e in resources(stack, "aws_vpc_endpoint").values()}
    assert {f"com.amazonaws.ap-northeast-1.{s}" for s in ("ecr.api", "ecr.dkr", "s3", "ssmmessages", "email-smtp")} <= (
        services
    )


ALTERNATIVE = {
    "image": {
        "tag": "18.11.2-ce.0",
        "source": "pull_through_cache",
        "pull_through_credential_arn": (
            "arn:aws:secretsmanager:ap-northeast-1:111111111111:secret:ecr-pullthroughcache/docker-hub-AbCdEf"
        ),
        "scanning": "basic",
    },
    "task": {"cpu": 4096, "memory": 16384},
    "database": {"engine": "postgres", "engine_version": "16.8", "allocated_storage_gib": 200},
    "certificate": {"existing_arn": "arn:aws:acm:ap-northeast-1:111111111111:certificate/0000-example"},
    "object_storage": {"types": ["artifacts", "lfs"]},
    "redis": {
        "host": "master.gitlab-cache.abc123.apne1.cache.amazonaws.com",
        "auth_token_secret_arn": "arn:aws:secretsmanager:ap-northeast-1:111111111111:secret:gitlab/redis-AbCdEf",
        "auth_token_kms_key_arn": "arn:aws:kms:ap-northeast-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    },
    "backup": None,
    "maintenance": True,
}


def test_alternative_options_plan_offline(synthesis: Synthesis, tmp_path: Path) -> None:
    """Pull-through cache, RDS PostgreSQL, an existing certificate, no SMTP, an external
    Redis, no GitLab backup of its own, maintenance mode: valid Terraform too."""
    from cdktf import Testing

    from config.model import Account
    from stacks.tooling import ToolingStack
    from tests.support.terraform import Terraform

    tooling = synthesis.environments.tooling
    account = Account.model_validate({**tooling.model_dump(exclude={"gitlab"}), "gitlab": ALTERNATIVE})
    stack_json = Testing.synth(ToolingStack(Testing.app(), account))
    source = tmp_path / "source"
    source.mkdir()
    (source / "cdk.tf.json").write_text(stack_json, encoding="utf-8")
    run = Terraform(tmp_path / ".config").check_workspace("tooling-alternative", source, tmp_path)
    assert run.ok, run.report()
    alternative = json.loads(stack_json)
    assert resources(alternative, "aws_rds_cluster") == {}
    assert only(alternative, "aws_db_instance")["multi_az"] is True
    assert resources(alternative, "aws_ecr_repository") == {}
    assert only(alternative, "aws_ecr_pull_through_cache_rule")["upstream_registry_url"] == "registry-1.docker.io"
    assert resources(alternative, "aws_acm_certificate") == {}
    container = _container(alternative)
    secrets = {s["name"]: s["valueFrom"] for s in container["secrets"]}
    assert secrets["GITLAB_REDIS_PASSWORD"] == ALTERNATIVE["redis"]["auth_token_secret_arn"]  # type: ignore[index]
    config = next(e["value"] for e in container["environment"] if e["name"] == "GITLAB_OMNIBUS_CONFIG")
    assert "redis['enable'] = false" in config
    assert "gitlab_rails['redis_host'] = 'master.gitlab-cache.abc123.apne1.cache.amazonaws.com'" in config
    assert "gitlab_rails['redis_ssl'] = true" in config
    assert "gitlab_rails['redis_password'] = ENV.fetch('GITLAB_REDIS_PASSWORD')" in config
    egress = by_path(alternative, "aws_vpc_security_group_egress_rule", "gitlab-service/to-redis")
    assert (egress["from_port"], egress["to_port"], egress["cidr_ipv4"]) == (6379, 6379, "10.10.0.0/16")
    execution = by_path(alternative, "aws_iam_role_policy", "gitlab-service/execution-policy")
    grants = {st["Sid"]: st for st in policy(execution)["Statement"]}
    redis = ALTERNATIVE["redis"]
    assert redis["auth_token_secret_arn"] in grants["ReadTaskSecrets"]["Resource"]  # type: ignore[index]
    assert redis["auth_token_kms_key_arn"] in grants["DecryptTaskSecrets"]["Resource"]  # type: ignore[index]
    # The token is only referenced: nothing in this workspace holds its value.
    assert resources(alternative, "aws_secretsmanager_secret_version") == {}
    assert resources(alternative, "aws_elasticache_replication_group") == {}
    assert resources(alternative, "aws_secretsmanager_secret") == {}
    assert resources(alternative, "aws_efs_replication_configuration") == {}
    assert [lb["load_balancer_type"] for lb in resources(alternative, "aws_lb").values()] == ["application"]
    assert len(resources(alternative, "aws_s3_bucket")) == 3  # two object types and the access logs, no backups
    services = {e["service_name"] for e in resources(alternative, "aws_vpc_endpoint").values()}
    assert "com.amazonaws.ap-northeast-1.email-smtp" not in services
    container = json.loads(only(alternative, "aws_ecs_task_definition")["container_definitions"])[0]
    assert container["image"] == (
        "111111111111.dkr.ecr.ap-northeast-1.amazonaws.com/gitlab-tooling-docker-hub/gitlab/gitlab-ce:18.11.2-ce.0"
    )
    assert [e["name"] for e in container["environment"]] == ["GITLAB_MAINTENANCE", "GITLAB_OMNIBUS_CONFIG"]
    assert "command" not in container and "entryPoint" not in container  # the image's own CMD
    config = container["environment"][1]["value"]
    assert "backup_upload" not in config
    assert only(alternative, "aws_ecs_service")["health_check_grace_period_seconds"] == 86400
    assert "gitlab_backup_bucket" not in alternative["output"]
    assert "gitlab_rails['smtp_enable'] = false" in config
    assert "gitlab_rails['object_store']['objects']['uploads']['enabled'] = false" in config
    ruby_syntax_check(config, tmp_path)
    # Types left out of S3 stay in gitlab-rails/ in the container, so that is on EFS too.
    mounts = {m["sourceVolume"]: m["containerPath"] for m in container["mountPoints"]}
    assert mounts == {
        "gitlab-logs": "/var/log/gitlab",  # shared with the log router
        "config": "/etc/gitlab",
        "git-data": "/var/opt/gitlab/git-data",
        "shared": "/var/opt/gitlab/gitlab-rails/shared",
        "uploads": "/var/opt/gitlab/gitlab-rails/uploads",
    }
    # Operations follow: no mail without SMTP, RDS-instance alarms and backups.
    assert resources(alternative, "aws_sesv2_email_identity") == resources(alternative, "aws_iam_user") == {}
    assert "ses_smtp_user_name" not in alternative["output"]
    instance = next(iter(resources(alternative, "aws_db_instance")))
    assert only(alternative, "aws_backup_selection")["resources"][1] == f"${{aws_db_instance.{instance}.arn}}"
    storage = [
        a
        for a in resources(alternative, "aws_cloudwatch_metric_alarm").values()
        if a.get("metric_name") == "FreeStorageSpace"
    ]
    assert [a["dimensions"] for a in storage] == [
        {"DBInstanceIdentifier": f"${{aws_db_instance.{instance}.identifier}}"}
    ]


def test_load_balancers_admit_the_vpn_and_every_target_vpc(stack: dict[str, Any], synthesis: Synthesis) -> None:
    vpn_group = ref(stack, "aws_security_group", "client-vpn/sg", "id")
    host_group = ref(stack, "aws_security_group", "codeconnections/sg", "id")
    expected = {
        synthesis.environments.tooling.network.vpc_cidr,
        *(target.network.vpc_cidr for target in synthesis.environments.targets.values()),
    }
    for balancer, port in (("gitlab-alb", 443), ("gitlab-ssh-nlb", 22)):
        group = ref(stack, "aws_security_group", f"{balancer}/sg", "id")
        rules = [
            r
            for r in resources(stack, "aws_vpc_security_group_ingress_rule").values()
            if r["security_group_id"] == group and r["from_port"] == port
        ]
        assert {r["cidr_ipv4"] for r in rules if "cidr_ipv4" in r} == expected, balancer
        # The ALB also admits the CodeConnections host (its own rule, tested above).
        admitted = {r["referenced_security_group_id"] for r in rules if "referenced_security_group_id" in r}
        assert admitted == {vpn_group, *([host_group] if port == 443 else [])}, balancer


def test_ssh_host_name_resolves_to_the_ssh_load_balancer(stack: dict[str, Any]) -> None:
    zone = by_path(stack, "aws_route53_zone", "gitlab-ssh-dns/zone")
    assert zone["name"] == "ssh.gitlab.example.com"
    assert zone["vpc"] == [{"vpc_id": ref(stack, "aws_vpc", "network/vpc", "id"), "vpc_region": "ap-northeast-1"}]
    record = by_path(stack, "aws_route53_record", "gitlab-ssh-dns/alias")
    assert record["zone_id"] == ref(stack, "aws_route53_zone", "gitlab-ssh-dns/zone", "zone_id")
    assert (record["name"], record["type"]) == ("ssh.gitlab.example.com", "A")
    assert record["alias"] == {
        "evaluate_target_health": True,
        "name": ref(stack, "aws_lb", "gitlab-ssh-nlb/nlb", "dns_name"),
        "zone_id": ref(stack, "aws_lb", "gitlab-ssh-nlb/nlb", "zone_id"),
    }
    # Only the tooling VPC (and so VPN clients) clones over SSH; the targets' zones are for HTTPS.
    assert sorted(z["name"] for z in resources(stack, "aws_route53_zone").values()) == [
        "gitlab.example.com",
        "ssh.gitlab.example.com",
    ]


# --- Operations (issue: SES mail, alarms and dashboard, AWS Backup) ---

OPERATIONS_STATEFUL = {
    # Recovery points live in the vaults; their keys decrypt them.
    ("aws_backup_vault", "backup/vault"): "aws_backup_vault.backup_vault_A3268EAD",
    ("aws_backup_vault", "backup/copy-vault"): "aws_backup_vault.backup_copy-vault_9A07FDFE",
    ("aws_kms_key", "backup/vault-key/key"): "aws_kms_key.backup_vault-key_40A72ACE",
    ("aws_kms_key", "backup/copy-vault-key/key"): "aws_kms_key.backup_copy-vault-key_E36EFCBF",
    ("aws_kms_key", "monitoring/topic-key/key"): "aws_kms_key.monitoring_topic-key_B1DDEF70",
}
ALARMS = {
    "alb-5xx": "HTTPCode_ELB_5XX_Count",
    "target-5xx": "HTTPCode_Target_5XX_Count",
    "unhealthy-target": "UnHealthyHostCount",
    "latency": "TargetResponseTime",
    "ecs-cpu": "CPUUtilization",
    "ecs-memory": "MemoryUtilization",
    "no-running-task": "RunningTaskCount",
    "db-cpu": "CPUUtilization",
    "db-connections": "DatabaseConnections",
    "db-freeable-memory": "FreeableMemory",
    "db-free-local-storage": "FreeLocalStorage",
    "efs-throughput": None,  # metric math over MeteredIOBytes and PermittedThroughput
    "efs-replication-lag": "TimeSinceLastSync",
    "vpn-auth-failures": "AuthenticationFailures",
    # Metric filters on the log router's groups (modules/monitoring.LOG_METRICS).
    "rails-5xx-rate": None,  # metric math over rails-5xx and rails-requests
    "failed-sign-ins": "failed-sign-ins",
    "sidekiq-job-failures": "sidekiq-job-failures",
    # Every object type of the example replicates to the recovery region.
    **{f"s3-replication-{object_type}": "OperationsFailedReplication" for object_type in OBJECT_TYPES},
    "s3-replication-backups": "OperationsFailedReplication",  # GitLab's own archives
    "gitlab-backup-failed": "gitlab-backup-failures",
    "gitlab-backup-missing": "gitlab-backups",
}


def test_operations_stateful_addresses_are_pinned_and_protected(stack: dict[str, Any]) -> None:
    for (kind, construct_path), pinned in OPERATIONS_STATEFUL.items():
        assert address(stack, kind, construct_path) == pinned
        assert by_path(stack, kind, construct_path)["lifecycle"]["prevent_destroy"] is True, pinned


def test_each_alarm_watches_gitlabs_resources_and_notifies_the_topic(stack: dict[str, Any]) -> None:
    topic = ref(stack, "aws_sns_topic", "monitoring/topic", "arn")
    alarms = {
        path(body).rsplit("/alarm-", 1)[1]: body for body in resources(stack, "aws_cloudwatch_metric_alarm").values()
    }
    assert set(alarms) == set(ALARMS)
    for key, metric in ALARMS.items():
        body = alarms[key]
        assert body["alarm_name"] == f"gitlab-tooling-{key}"
        assert body.get("metric_name") == metric, key
        assert (body["alarm_actions"], body["ok_actions"]) == ([topic], [topic]), key
    alb = ref(stack, "aws_lb", "gitlab-alb/alb", "arn_suffix")
    assert alarms["alb-5xx"]["dimensions"] == {"LoadBalancer": alb}
    assert alarms["unhealthy-target"]["dimensions"]["TargetGroup"] == ref(
        stack, "aws_lb_target_group", "gitlab-alb/target-group", "arn_suffix"
    )
    service = {
        "ClusterName": ref(stack, "aws_ecs_cluster", "gitlab-service/cluster", "name"),
        "ServiceName": ref(stack, "aws_ecs_service", "gitlab-service/service", "name"),
    }
    for key in ("ecs-cpu", "ecs-memory", "no-running-task"):
        assert alarms[key]["dimensions"] == service, key
    cluster = ref(stack, "aws_rds_cluster", "gitlab-database/cluster", "cluster_identifier")
    for key in ("db-cpu", "db-connections", "db-freeable-memory", "db-free-local-storage"):
        assert alarms[key]["dimensions"] == {"DBClusterIdentifier": cluster, "Role": "WRITER"}, key
    efs = ref(stack, "aws_efs_file_system", "gitlab-storage/file-system", "id")
    metrics = [q["metric"] for q in alarms["efs-throughput"]["metric_query"] if "metric" in q]
    assert [(m["metric_name"], m["dimensions"]) for m in metrics] == [
        ("MeteredIOBytes", {"FileSystemId": efs}),
        ("PermittedThroughput", {"FileSystemId": efs}),
    ]
    replication = address(stack, "aws_efs_replication_configuration", "gitlab-storage/replication")
    assert alarms["efs-replication-lag"]["dimensions"] == {
        "FileSystemId": efs,
        "DestinationFileSystemId": f"${{{replication}.destination[0].file_system_id}}",
    }
    assert alarms["vpn-auth-failures"]["dimensions"] == {
        "Endpoint": ref(stack, "aws_ec2_client_vpn_endpoint", "client-vpn/endpoint", "id")
    }
    # Configured thresholds (the example sets these two; the others are defaults).
    assert alarms["latency"]["threshold"] == 5
    assert alarms["db-connections"]["threshold"] == 500


def test_log_router_feeds_the_metric_filters(stack: dict[str, Any]) -> None:
    definitions = json.loads(only(stack, "aws_ecs_task_definition")["container_definitions"])
    router = next(d for d in definitions if d["name"] == "log-router")
    assert router["essential"] is False
    assert router["image"] == stack["output"]["log_router_image"]["value"]
    repository = address(stack, "aws_ecr_repository", "gitlab-image/log-router-repository")
    assert repository == "aws_ecr_repository.gitlab-image_log-router-repository_58460B04"  # docs/runbooks.md
    assert router["image"] == f"${{{repository}.repository_url}}:2.32.2.20240425"
    filters = {
        key: by_path(stack, "aws_cloudwatch_log_metric_filter", f"monitoring/metric-filter-{key}")
        for key in ("rails-requests", "rails-5xx", "failed-sign-ins", "sidekiq-job-failures")
    }
    groups = {
        component: ref(stack, "aws_cloudwatch_log_group", f"gitlab-service/log-group-{component}", "name")
        for component in ("rails", "application", "sidekiq")
    }
    assert filters["rails-5xx"]["log_group_name"] == groups["rails"]
    assert filters["rails-requests"]["log_group_name"] == groups["rails"]
    assert filters["failed-sign-ins"]["log_group_name"] == groups["application"]
    assert filters["sidekiq-job-failures"]["log_group_name"] == groups["sidekiq"]
    for component, group in groups.items():
        assert group in router["environment"][0]["value"], component


def test_alarm_topic_subscribers_and_dashboard(stack: dict[str, Any]) -> None:
    topic = only(stack, "aws_sns_topic")
    assert topic["kms_master_key_id"] == ref(stack, "aws_kms_key", "monitoring/topic-key/key", "arn")
    subscription = by_path(stack, "aws_sns_topic_subscription", "monitoring/subscription-ops-mail")
    assert (subscription["protocol"], subscription["endpoint"]) == ("email", "ops@example.com")
    dashboard = json.loads(only(stack, "aws_cloudwatch_dashboard")["dashboard_body"])
    assert len(dashboard["widgets"][0]["properties"]["alarms"]) == len(ALARMS)
    assert stack["output"]["alarm_topic_arn"]["value"] == ref(stack, "aws_sns_topic", "monitoring/topic", "arn")


def test_ses_identity_records_and_smtp_user(stack: dict[str, Any]) -> None:
    identity = only(stack, "aws_sesv2_email_identity")
    assert identity["email_identity"] == "example.com"  # the domain of gitlab.smtp.from_address
    assert only(stack, "aws_sesv2_email_identity_mail_from_attributes")["mail_from_domain"] == "bounce.example.com"
    records = [r for r in resources(stack, "aws_route53_record").values() if "/mail/" in path(r)]
    assert sorted(r["type"] for r in records) == ["CNAME", "CNAME", "CNAME", "MX", "TXT"]
    assert {r["zone_id"] for r in records} == {"Z0123456789EXAMPLE"}
    assert len(stack["output"]["ses_dns_records"]["value"]) == 5
    user = only(stack, "aws_iam_user")
    assert stack["output"]["ses_smtp_user_name"]["value"] == ref(stack, "aws_iam_user", "mail/smtp-user", "name")
    assert user["name"] == "gitlab-tooling-ses-smtp"
    (statement,) = json.loads(only(stack, "aws_iam_group_policy")["policy"])["Statement"]
    assert statement["Resource"] == "arn:aws:ses:ap-northeast-1:111111111111:identity/example.com"
    assert statement["Condition"] == {"StringEquals": {"ses:FromAddress": ["gitlab@example.com"]}}
    # The secret the runbook fills is the one the task reads.
    secret = address(stack, "aws_secretsmanager_secret", "gitlab-service/smtp-secret")
    assert stack["output"]["smtp_credentials_name"]["value"] == f"${{{secret}.name}}"
    refs = {s["name"]: s["valueFrom"] for s in _container(stack)["secrets"]}
    assert refs["GITLAB_SMTP_USER_NAME"] == f"${{{secret}.arn}}:username::"
    assert refs["GITLAB_SMTP_PASSWORD"] == f"${{{secret}.arn}}:password::"
    # The runbook's script writes exactly the JSON keys the task reads from that secret.
    from tests.test_ses_smtp_credentials import SECRET, script

    read = {value.split(":")[-3] for value in refs.values() if value.startswith(f"${{{secret}.arn}}")}
    created = {"AccessKey": {"AccessKeyId": "AKIAEXAMPLE", "SecretAccessKey": SECRET}}
    assert set(script.credentials(created, "ap-northeast-1")) == read == {"username", "password"}


def test_backup_plan_covers_efs_and_the_database_and_copies_to_osaka(stack: dict[str, Any]) -> None:
    selection = only(stack, "aws_backup_selection")
    assert selection["resources"] == [
        ref(stack, "aws_efs_file_system", "gitlab-storage/file-system", "arn"),
        ref(stack, "aws_rds_cluster", "gitlab-database/cluster", "arn"),
    ]
    assert selection["plan_id"] == ref(stack, "aws_backup_plan", "backup/plan", "id")
    assert selection["iam_role_arn"] == ref(stack, "aws_iam_role", "backup/role", "arn")
    rules = {r["rule_name"]: r for r in only(stack, "aws_backup_plan")["rule"]}
    assert set(rules) == {"daily", "monthly"}
    assert rules["monthly"]["lifecycle"] == {"delete_after": 365}
    copy_vault = ref(stack, "aws_backup_vault", "backup/copy-vault", "arn")
    assert rules["monthly"]["copy_action"] == [{"destination_vault_arn": copy_vault, "lifecycle": {"delete_after": 90}}]
    assert rules["daily"]["copy_action"][0]["lifecycle"] == {"delete_after": 35}
    assert by_path(stack, "aws_backup_vault", "backup/copy-vault")["provider"] == "aws.ap_northeast_3"
    notifications = only(stack, "aws_backup_vault_notifications")
    assert notifications["sns_topic_arn"] == ref(stack, "aws_sns_topic", "monitoring/topic", "arn")
    # EFS is backed up once: its own automatic backups are off while the plan selects it.
    efs_policy = by_path(stack, "aws_efs_backup_policy", "gitlab-storage/backup-policy")
    assert efs_policy["backup_policy"] == {"status": "DISABLED"}


def test_operations_outputs_name_what_the_runbooks_use(stack: dict[str, Any]) -> None:
    outputs = stack["output"]
    assert outputs["ecs_service_name"]["value"] == ref(stack, "aws_ecs_service", "gitlab-service/service", "name")
    assert outputs["efs_file_system_id"]["value"] == ref(
        stack, "aws_efs_file_system", "gitlab-storage/file-system", "id"
    )
    assert outputs["database_identifier"]["value"] == ref(
        stack, "aws_rds_cluster", "gitlab-database/cluster", "cluster_identifier"
    )
    assert outputs["backup_vault_name"]["value"] == ref(stack, "aws_backup_vault", "backup/vault", "name")
    assert outputs["backup_role_arn"]["value"] == ref(stack, "aws_iam_role", "backup/role", "arn")
    assert outputs["backup_copy_vault_arn"]["value"] == ref(stack, "aws_backup_vault", "backup/copy-vault", "arn")
    assert outputs["dashboard_name"]["value"] == ref(
        stack, "aws_cloudwatch_dashboard", "monitoring/dashboard", "dashboard_name"
    )
    assert outputs["ses_identity"]["value"] == "example.com"


def test_operations_turned_off_and_mail_without_a_zone_plan_offline(synthesis: Synthesis, tmp_path: Path) -> None:
    """monitoring: null, backup: null, and SES records listed instead of written: valid Terraform too."""
    from cdktf import Testing

    from config.model import Account
    from stacks.tooling import ToolingStack
    from tests.support.terraform import Terraform

    tooling = synthesis.environments.tooling
    operations = {"mail": {"mail_from_subdomain": "mx"}, "monitoring": None, "backup": None}
    account = Account.model_validate({**tooling.model_dump(exclude={"operations"}), "operations": operations})
    stack_json = Testing.synth(ToolingStack(Testing.app(), account))
    source = tmp_path / "source"
    source.mkdir()
    (source / "cdk.tf.json").write_text(stack_json, encoding="utf-8")
    run = Terraform(tmp_path / ".config").check_workspace("tooling-operations-off", source, tmp_path)
    assert run.ok, run.report()
    variant = json.loads(stack_json)
    for kind in ("aws_sns_topic", "aws_cloudwatch_metric_alarm", "aws_cloudwatch_dashboard", "aws_backup_vault"):
        assert resources(variant, kind) == {}, kind
    assert only(variant, "aws_sesv2_email_identity")["email_identity"] == "example.com"
    # Only the certificate's validation record is written; SES's are listed.
    assert len([r for r in resources(variant, "aws_route53_record").values() if "alias" not in r]) == 1
    listed = variant["output"]["ses_dns_records"]["value"]
    assert [r["type"] for r in listed] == ["CNAME", "CNAME", "CNAME", "MX", "TXT"]
    assert listed[3]["name"] == "mx.example.com"
    assert not {"alarm_topic_arn", "backup_vault_name"} & set(variant["output"])
    # Without the plan, EFS's own automatic daily backups are on.
    assert only(variant, "aws_efs_backup_policy")["backup_policy"] == {"status": "ENABLED"}


def test_a_database_password_rotation_restarts_gitlab(stack: dict[str, Any]) -> None:
    """RDS rotates the managed master secret every 7 days; GitLab reads it at start."""
    cluster = address(stack, "aws_rds_cluster", "gitlab-database/cluster")
    rule = by_path(stack, "aws_cloudwatch_event_rule", "gitlab-rotation-restart/rule")
    pattern = json.loads(rule["event_pattern"])
    assert pattern["detail"]["additionalEventData"]["SecretId"] == [f"${{{cluster}.master_user_secret[0].secret_arn}}"]
    machine = by_path(stack, "aws_sfn_state_machine", "gitlab-rotation-restart/state-machine")
    (state,) = json.loads(machine["definition"])["States"].values()
    assert state["Parameters"]["Cluster"] == ref(stack, "aws_ecs_cluster", "gitlab-service/cluster", "arn")
    assert state["Parameters"]["Service"] == ref(stack, "aws_ecs_service", "gitlab-service/service", "name")
    grant = policy(by_path(stack, "aws_iam_role_policy", "gitlab-rotation-restart/machine-policy"))["Statement"][0]
    assert grant["Resource"] == ref(stack, "aws_ecs_service", "gitlab-service/service", "id")
    assert "gitlab_restart_state_machine_arn" in stack["output"]


def test_inspector_findings_of_the_gitlab_repository_page_the_alarm_topic(stack: dict[str, Any]) -> None:
    repository = by_path(stack, "aws_ecr_repository", "gitlab-image/repository")
    rule = by_path(stack, "aws_cloudwatch_event_rule", "monitoring/inspector-findings/alarm-rule")
    detail = json.loads(rule["event_pattern"])["detail"]
    assert detail["resources"]["details"]["awsEcrContainerImage"]["repositoryName"] == [repository["name"]]
    assert detail["severity"] == ["CRITICAL", "HIGH"]  # the default minimum: HIGH
    target = by_path(stack, "aws_cloudwatch_event_target", "monitoring/inspector-findings/alarm-target")
    assert target["arn"] == ref(stack, "aws_sns_topic", "monitoring/topic", "arn")
    dashboard = json.loads(only(stack, "aws_cloudwatch_dashboard")["dashboard_body"])
    assert any(w["type"] == "log" and "Inspector" in w["properties"]["title"] for w in dashboard["widgets"])


def test_object_storage_replicates_to_the_efs_replica_region(stack: dict[str, Any], synthesis: Synthesis) -> None:
    gitlab = synthesis.environments.tooling.gitlab
    assert gitlab is not None and gitlab.efs.replication_region == "ap-northeast-3"
    configurations = resources(stack, "aws_s3_bucket_replication_configuration")
    assert len(configurations) == len(gitlab.object_storage.types) + 1  # and GitLab's own archives
    for object_type in gitlab.object_storage.types:
        source = by_path(stack, "aws_s3_bucket", f"gitlab-storage/bucket-{object_type}/bucket")
        replica = by_path(stack, "aws_s3_bucket", f"gitlab-storage-replication/replica-{object_type}/bucket")
        assert replica["provider"] == "aws.ap_northeast_3"
        config = by_path(
            stack, "aws_s3_bucket_replication_configuration", f"gitlab-storage-replication/configuration-{object_type}"
        )
        assert config["bucket"] == ref(stack, "aws_s3_bucket", f"gitlab-storage/bucket-{object_type}/bucket", "bucket")
        assert source["bucket"] != replica["bucket"]
        (rule,) = config["rule"]
        assert rule["destination"]["bucket"] == ref(
            stack, "aws_s3_bucket", f"gitlab-storage-replication/replica-{object_type}/bucket", "arn"
        )
        assert rule["destination"]["metrics"]["status"] == "Enabled"
        alarm = by_path(stack, "aws_cloudwatch_metric_alarm", f"monitoring/alarm-s3-replication-{object_type}")
        assert alarm["metric_name"] == "OperationsFailedReplication"
        assert alarm["dimensions"]["RuleId"] == rule["id"] == "disaster-recovery-ap-northeast-3"
    grant = policy(by_path(stack, "aws_iam_role_policy", "gitlab-storage-replication/role-policy"))["Statement"]
    decrypt = next(s for s in grant if s["Sid"] == "DecryptSourceObjects")
    assert decrypt["Resource"] == ref(stack, "aws_kms_key", "gitlab-key/key", "arn")
    outputs = stack["output"]
    assert {
        "object_storage_replica_buckets",
        "object_storage_replica_kms_key_arn",
        "efs_replica_file_system_id",
    } <= set(outputs)


def test_the_image_copy_project_pushes_to_the_gitlab_repository_only(stack: dict[str, Any]) -> None:
    project = by_path(stack, "aws_codebuild_project", "gitlab-image-copy/project")
    assert "vpc_config" not in project
    variables = {v["name"]: v["value"] for v in project["environment"]["environment_variable"]}
    assert variables["REPOSITORY_NAME"] == by_path(stack, "aws_ecr_repository", "gitlab-image/repository")["name"]
    grant = policy(by_path(stack, "aws_iam_role_policy", "gitlab-image-copy/role-policy"))["Statement"]
    push = next(s for s in grant if s["Sid"] == "PushToTheGitLabRepository")
    assert push["Resource"] == ref(stack, "aws_ecr_repository", "gitlab-image/repository", "arn")
    assert project["encryption_key"] == ref(stack, "aws_kms_key", "gitlab-key/key", "arn")
    assert stack["output"]["image_copy_project_name"]["value"] == ref(
        stack, "aws_codebuild_project", "gitlab-image-copy/project", "name"
    )
