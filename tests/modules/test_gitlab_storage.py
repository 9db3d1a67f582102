"""GitLabStorage (EFS, object buckets, access-log bucket) and the PrivateBucket it uses."""

from __future__ import annotations

from typing import Any

import pytest
from cdktf import TerraformStack, Testing

from modules.gitlab_storage import GitLabStorage, GitLabStorageProps
from modules.naming import Namer
from tests.support.synth import address, by_path, only, policy, resources, synth_stack

KEY = "arn:aws:kms:ap-northeast-1:123456789012:key/data"


@pytest.fixture(scope="module")
def stack() -> dict[str, Any]:
    app = Testing.app()
    scope = TerraformStack(app, "test")
    GitLabStorage(
        scope,
        "gitlab-storage",
        GitLabStorageProps(
            namer=Namer("acme", "tooling"),
            account_id="123456789012",
            region="ap-northeast-1",
            vpc_id="vpc-1",
            subnet_ids={"ap-northeast-1a": "subnet-a", "ap-northeast-1c": "subnet-c"},
            kms_key_arn=KEY,
            object_types=["artifacts", "external_diffs"],
            replication_region="ap-northeast-3",
        ),
    )
    return synth_stack(scope)


def test_efs_encrypted_elastic_backed_up_and_protected(stack: dict[str, Any]) -> None:
    fs = only(stack, "aws_efs_file_system")
    assert fs["encrypted"] is True
    assert fs["kms_key_id"] == KEY
    assert fs["throughput_mode"] == "elastic"
    assert fs["lifecycle"]["prevent_destroy"] is True
    assert only(stack, "aws_efs_backup_policy")["backup_policy"] == {"status": "ENABLED"}


def test_automatic_backups_off_when_aws_backup_covers_the_file_system() -> None:
    app = Testing.app()
    scope = TerraformStack(app, "test")
    GitLabStorage(
        scope,
        "gitlab-storage",
        GitLabStorageProps(
            namer=Namer("acme", "tooling"),
            account_id="123456789012",
            region="ap-northeast-1",
            vpc_id="vpc-1",
            subnet_ids={"ap-northeast-1a": "subnet-a"},
            kms_key_arn=KEY,
            object_types=["artifacts"],
            automatic_backups=False,
        ),
    )
    backup_policy = only(synth_stack(scope), "aws_efs_backup_policy")
    assert backup_policy["backup_policy"] == {"status": "DISABLED"}


def test_mount_target_in_every_private_subnet(stack: dict[str, Any]) -> None:
    targets = resources(stack, "aws_efs_mount_target")
    assert sorted(t["subnet_id"] for t in targets.values()) == ["subnet-a", "subnet-c"]
    for target in targets.values():
        assert len(target["security_groups"]) == 1


def test_access_points_for_config_and_git_data(stack: dict[str, Any]) -> None:
    points = {p["root_directory"]["path"]: p for p in resources(stack, "aws_efs_access_point").values()}
    assert set(points) == {"/gitlab/config", "/gitlab/git-data"}
    for point in points.values():
        assert point["root_directory"]["creation_info"] == {"owner_uid": 0, "owner_gid": 0, "permissions": "0755"}


@pytest.mark.parametrize(
    ("local", "expected"),
    [
        (["pages"], {"shared": "/var/opt/gitlab/gitlab-rails/shared"}),
        (["uploads"], {"uploads": "/var/opt/gitlab/gitlab-rails/uploads"}),
        (
            ["uploads", "lfs"],
            {"shared": "/var/opt/gitlab/gitlab-rails/shared", "uploads": "/var/opt/gitlab/gitlab-rails/uploads"},
        ),
    ],
)
def test_object_types_kept_locally_are_on_efs_too(local: list[str], expected: dict[str, str]) -> None:
    """A type left out of S3 lives under gitlab-rails/ in the container: without EFS it dies with the task."""
    app = Testing.app()
    scope = TerraformStack(app, "test")
    storage = GitLabStorage(
        scope,
        "gitlab-storage",
        GitLabStorageProps(
            namer=Namer("acme", "tooling"),
            account_id="123456789012",
            region="ap-northeast-1",
            vpc_id="vpc-1",
            subnet_ids={"ap-northeast-1a": "subnet-a"},
            kms_key_arn=KEY,
            object_types=["artifacts"],
            local_object_types=local,
        ),
    )
    stack = synth_stack(scope)
    assert storage.container_paths == {
        "config": "/etc/gitlab",
        "git-data": "/var/opt/gitlab/git-data",
        **expected,
    }
    roots = {p["root_directory"]["path"] for p in resources(stack, "aws_efs_access_point").values()}
    assert roots == {"/gitlab/config", "/gitlab/git-data", *(f"/gitlab/{name}" for name in expected)}


def test_an_object_type_is_in_s3_or_local() -> None:
    with pytest.raises(ValueError, match="not both"):
        GitLabStorageProps(
            namer=Namer("acme", "tooling"),
            account_id="123456789012",
            region="ap-northeast-1",
            vpc_id="vpc-1",
            subnet_ids={},
            kms_key_arn=KEY,
            object_types=["artifacts"],
            local_object_types=["artifacts"],
        )


def test_file_system_policy_requires_tls_and_iam(stack: dict[str, Any]) -> None:
    statements = {s["Sid"]: s for s in policy(only(stack, "aws_efs_file_system_policy"))["Statement"]}
    deny = statements["DenyInsecureTransport"]
    assert deny["Effect"] == "Deny"
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    mount = statements["MountThroughMountTargetsWithIam"]
    assert mount["Principal"] == {"AWS": "arn:aws:iam::123456789012:root"}
    assert mount["Condition"] == {"Bool": {"elasticfilesystem:AccessedViaMountTarget": "true"}}


def test_one_private_kms_bucket_per_object_type(stack: dict[str, Any]) -> None:
    names = sorted(b["bucket"] for b in resources(stack, "aws_s3_bucket").values())
    assert names == [
        "acme-tooling-123456789012-access-logs",
        "acme-tooling-123456789012-artifacts",
        "acme-tooling-123456789012-external-diffs",
    ]
    for object_type in ("artifacts", "external_diffs"):
        bucket = by_path(stack, "aws_s3_bucket", f"bucket-{object_type}/bucket")
        assert bucket["lifecycle"]["prevent_destroy"] is True
        assert bucket["force_destroy"] is False
        rule = by_path(stack, "aws_s3_bucket_server_side_encryption_configuration", f"bucket-{object_type}/encryption")
        assert rule["rule"][0]["apply_server_side_encryption_by_default"] == {
            "sse_algorithm": "aws:kms",
            "kms_master_key_id": KEY,
        }
        logging = by_path(stack, "aws_s3_bucket_logging", f"bucket-{object_type}/logging")
        assert logging["target_bucket"].startswith("${aws_s3_bucket.")
        assert logging["target_prefix"] == f"s3/{object_type}/"
        # S3 refuses PutBucketLogging before the target's policy grants the logging service.
        assert logging["depends_on"] == [address(stack, "aws_s3_bucket_policy", "access-logs/policy")]


def test_every_bucket_is_private_versioned_and_tls_only(stack: dict[str, Any]) -> None:
    assert len(resources(stack, "aws_s3_bucket")) == 3
    for block in resources(stack, "aws_s3_bucket_public_access_block").values():
        assert all(block[k] is True for k in ("block_public_acls", "block_public_policy", "ignore_public_acls",
                                               "restrict_public_buckets"))  # fmt: skip
    assert len(resources(stack, "aws_s3_bucket_public_access_block")) == 3
    for versioning in resources(stack, "aws_s3_bucket_versioning").values():
        assert versioning["versioning_configuration"] == {"status": "Enabled"}
    for ownership in resources(stack, "aws_s3_bucket_ownership_controls").values():
        assert ownership["rule"] == {"object_ownership": "BucketOwnerEnforced"}
    for bucket_policy in resources(stack, "aws_s3_bucket_policy").values():
        deny = policy(bucket_policy)["Statement"][0]
        assert deny["Sid"] == "DenyInsecureTransport"
        assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    for lifecycle in resources(stack, "aws_s3_bucket_lifecycle_configuration").values():
        rule = lifecycle["rule"][0]
        assert rule["abort_incomplete_multipart_upload"] == [{"days_after_initiation": 7}]
        assert rule["noncurrent_version_expiration"][0]["noncurrent_days"] > 0


def test_access_log_bucket_accepts_alb_and_s3_logs(stack: dict[str, Any]) -> None:
    encryption = by_path(stack, "aws_s3_bucket_server_side_encryption_configuration", "access-logs/encryption")
    assert encryption["rule"][0]["apply_server_side_encryption_by_default"] == {"sse_algorithm": "AES256"}
    statements = {
        s["Sid"]: s for s in policy(by_path(stack, "aws_s3_bucket_policy", "access-logs/policy"))["Statement"]
    }
    alb = statements["AlbAccessLogs"]
    assert alb["Resource"] == "arn:aws:s3:::acme-tooling-123456789012-access-logs/alb/AWSLogs/123456789012/*"
    assert alb["Principal"] == {
        "Service": "logdelivery.elasticloadbalancing.amazonaws.com",
        "AWS": "arn:aws:iam::582318560864:root",
    }
    s3 = statements["S3ServerAccessLogs"]
    assert s3["Principal"] == {"Service": "logging.s3.amazonaws.com"}
    assert s3["Condition"] == {"StringEquals": {"aws:SourceAccount": "123456789012"}}
    lifecycle = by_path(stack, "aws_s3_bucket_lifecycle_configuration", "access-logs/lifecycle")
    assert lifecycle["rule"][0]["expiration"] == [{"days": 365}]


def test_efs_replicates_to_the_configured_region(stack: dict[str, Any]) -> None:
    replication = only(stack, "aws_efs_replication_configuration")
    assert replication["destination"] == {"region": "ap-northeast-3"}
    assert replication["source_file_system_id"].startswith("${aws_efs_file_system.")
