"""Database construct: Aurora PostgreSQL (writer and reader) or RDS Multi-AZ PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from cdktf import TerraformOutput, TerraformStack, Testing

from modules.database import Database, DatabaseProps
from modules.naming import Namer
from tests.support.synth import by_path, only, resources, synth_stack

KEY = "arn:aws:kms:eu-west-1:123456789012:key/data"


def synth(**changes: Any) -> tuple[dict[str, Any], Database]:
    app = Testing.app()
    scope = TerraformStack(app, "test")
    values: dict[str, Any] = {
        "namer": Namer("acme", "tooling"),
        "account_id": "123456789012",
        "vpc_id": "vpc-1",
        "subnet_ids": ["subnet-a", "subnet-b"],
        "availability_zones": ["eu-west-1a", "eu-west-1b"],
        "kms_key_arn": KEY,
        "engine_version": "17.4",
    }
    database = Database(scope, "gitlab-database", DatabaseProps(**(values | changes)))
    TerraformOutput(scope, "endpoint", value=database.endpoint)
    TerraformOutput(scope, "secret", value=database.secret_arn)
    return synth_stack(scope), database


@pytest.fixture(scope="module")
def aurora() -> tuple[dict[str, Any], Database]:
    return synth()


def test_aurora_cluster_is_encrypted_protected_and_manages_its_password(aurora: tuple[dict[str, Any], Any]) -> None:
    stack, _ = aurora
    cluster = only(stack, "aws_rds_cluster")
    assert cluster["engine"] == "aurora-postgresql"
    assert cluster["engine_version"] == "17.4"
    assert cluster["manage_master_user_password"] is True
    assert "master_password" not in cluster
    assert cluster["master_user_secret_kms_key_id"] == KEY
    assert cluster["storage_encrypted"] is True
    assert cluster["kms_key_id"] == KEY
    assert cluster["deletion_protection"] is True
    assert cluster["backup_retention_period"] >= 7
    assert cluster["skip_final_snapshot"] is False
    assert cluster["final_snapshot_identifier"] == "acme-tooling-gitlab-final"
    assert cluster["lifecycle"]["prevent_destroy"] is True
    name = next(iter(resources(stack, "aws_rds_cluster")))
    assert stack["output"]["endpoint"]["value"] == f"${{aws_rds_cluster.{name}.endpoint}}"
    assert stack["output"]["secret"]["value"] == f"${{aws_rds_cluster.{name}.master_user_secret[0].secret_arn}}"


def test_ssl_is_forced_by_the_parameter_group(aurora: tuple[dict[str, Any], Any]) -> None:
    stack, _ = aurora
    group = only(stack, "aws_rds_cluster_parameter_group")
    assert group["family"] == "aurora-postgresql17"
    assert {"name": "rds.force_ssl", "value": "1"} in group["parameter"]
    assert only(stack, "aws_rds_cluster")["db_cluster_parameter_group_name"].startswith(
        "${aws_rds_cluster_parameter_group."
    )


def test_writer_and_reader_in_two_azs(aurora: tuple[dict[str, Any], Any]) -> None:
    stack, _ = aurora
    writer = by_path(stack, "aws_rds_cluster_instance", "writer")
    reader = by_path(stack, "aws_rds_cluster_instance", "reader")
    assert (writer["availability_zone"], reader["availability_zone"]) == ("eu-west-1a", "eu-west-1b")
    assert (writer["promotion_tier"], reader["promotion_tier"]) == (0, 1)
    for instance in (writer, reader):
        assert instance["publicly_accessible"] is False
        assert instance["performance_insights_kms_key_id"] == KEY
        assert instance["lifecycle"]["prevent_destroy"] is True


def test_security_group_has_no_rules_of_its_own(aurora: tuple[dict[str, Any], Any]) -> None:
    stack, _ = aurora
    group = only(stack, "aws_security_group")
    assert "ingress" not in group and "egress" not in group
    assert resources(stack, "aws_vpc_security_group_ingress_rule") == {}


def test_postgres_engine_is_a_multi_az_instance() -> None:
    stack, _ = synth(engine="postgres", engine_version="17.5", allocated_storage_gib=200)
    assert resources(stack, "aws_rds_cluster") == {}
    instance = only(stack, "aws_db_instance")
    assert instance["engine"] == "postgres"
    assert instance["multi_az"] is True
    assert instance["manage_master_user_password"] is True
    assert "password" not in instance
    assert instance["storage_encrypted"] is True
    assert instance["kms_key_id"] == KEY
    assert instance["deletion_protection"] is True
    assert instance["skip_final_snapshot"] is False
    assert instance["publicly_accessible"] is False
    assert instance["allocated_storage"] == 200
    assert instance["lifecycle"]["prevent_destroy"] is True
    group = only(stack, "aws_db_parameter_group")
    assert group["family"] == "postgres17"
    assert {"name": "rds.force_ssl", "value": "1"} in group["parameter"]
    name = next(iter(resources(stack, "aws_db_instance")))
    assert stack["output"]["endpoint"]["value"] == f"${{aws_db_instance.{name}.address}}"
    assert stack["output"]["secret"]["value"] == f"${{aws_db_instance.{name}.master_user_secret[0].secret_arn}}"
