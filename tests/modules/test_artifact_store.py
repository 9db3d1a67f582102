"""ArtifactStore construct: KMS key and a private, versioned, TLS-only bucket, in any region."""

from __future__ import annotations

from typing import Any

import pytest
from cdktf import TerraformStack, Testing
from cdktf_cdktf_provider_aws.provider import AwsProvider

from modules.artifact_store import ArtifactStore, ArtifactStoreProps
from modules.naming import Namer
from tests.support.synth import only, policy, ref, resources, synth_stack

BUCKET = "acme-prod-artifacts-333333333333-ap-northeast-3"


@pytest.fixture(scope="module")
def stack() -> dict[str, Any]:
    app = Testing.app()
    scope = TerraformStack(app, "test")
    AwsProvider(scope, "aws", region="ap-northeast-1")
    osaka = AwsProvider(scope, "osaka", region="ap-northeast-3", alias="osaka")
    ArtifactStore(
        scope,
        "artifacts",
        ArtifactStoreProps(
            namer=Namer("acme", "prod"),
            account_id="333333333333",
            region="ap-northeast-3",
            log_group_prefix="/acme/prod/codebuild/",
            provider=osaka,
        ),
    )
    return synth_stack(scope)


def test_bucket_and_key_are_protected_and_named(stack: dict[str, Any]) -> None:
    bucket = only(stack, "aws_s3_bucket")
    assert bucket["bucket"] == BUCKET
    assert bucket["lifecycle"] == {"prevent_destroy": True}
    key = only(stack, "aws_kms_key")
    assert key["lifecycle"] == {"prevent_destroy": True}
    assert key["enable_key_rotation"] is True
    assert only(stack, "aws_kms_alias")["name"] == "alias/acme-prod-artifacts-ap-northeast-3"


def test_versioned_encrypted_with_its_key_and_private(stack: dict[str, Any]) -> None:
    bucket_id = ref(stack, "aws_s3_bucket", "artifacts/store/bucket", "id")
    versioning = only(stack, "aws_s3_bucket_versioning")
    assert versioning["bucket"] == bucket_id
    assert versioning["versioning_configuration"] == {"status": "Enabled"}
    (rule,) = only(stack, "aws_s3_bucket_server_side_encryption_configuration")["rule"]
    assert rule["apply_server_side_encryption_by_default"] == {
        "sse_algorithm": "aws:kms",
        "kms_master_key_id": ref(stack, "aws_kms_key", "artifacts/key", "arn"),
    }
    assert rule["bucket_key_enabled"] is True
    block = only(stack, "aws_s3_bucket_public_access_block")
    for setting in ("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"):
        assert block[setting] is True, setting
    assert only(stack, "aws_s3_bucket_ownership_controls")["rule"] == {"object_ownership": "BucketOwnerEnforced"}


def test_bucket_policy_denies_everything_without_tls(stack: dict[str, Any]) -> None:
    (deny,) = policy(only(stack, "aws_s3_bucket_policy"))["Statement"]
    assert deny["Effect"] == "Deny"
    assert deny["Action"] == ["s3:*"]
    assert deny["Principal"] == {"AWS": "*"}
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    arn = ref(stack, "aws_s3_bucket", "artifacts/store/bucket", "arn")
    assert deny["Resource"] == [arn, f"{arn}/*"]


def test_old_versions_expire(stack: dict[str, Any]) -> None:
    (rule,) = only(stack, "aws_s3_bucket_lifecycle_configuration")["rule"]
    assert rule["status"] == "Enabled"
    assert rule["noncurrent_version_expiration"] == [{"noncurrent_days": 30}]
    assert rule["abort_incomplete_multipart_upload"] == [{"days_after_initiation": 7}]
    assert rule["filter"] == [{"prefix": ""}]


def test_key_lets_cloudwatch_logs_encrypt_build_log_groups_only(stack: dict[str, Any]) -> None:
    statements = {s["Sid"]: s for s in policy(only(stack, "aws_kms_key"))["Statement"]}
    logs = statements["CloudWatchLogsForBuildLogGroups"]
    assert logs["Principal"] == {"Service": "logs.ap-northeast-3.amazonaws.com"}
    groups = "arn:aws:logs:ap-northeast-3:333333333333:log-group:/acme/prod/codebuild/*"
    assert logs["Condition"] == {"ArnLike": {"kms:EncryptionContext:aws:logs:arn": groups}}


def test_every_resource_uses_the_regions_provider(stack: dict[str, Any]) -> None:
    for kind, items in stack["resource"].items():
        for name, body in items.items():
            assert body["provider"] == "aws.osaka", f"{kind}.{name}"
    assert len(resources(stack, "aws_s3_bucket")) == 1
