"""PrivateBucket construct: private, encrypted, versioned, TLS-only, kept on destroy."""

from __future__ import annotations

from typing import Any

from cdktf import TerraformStack, Testing

from modules.policy import statement
from modules.private_bucket import PrivateBucket, PrivateBucketProps
from tests.support.synth import only, policy, resources, synth_stack


def synth(props: PrivateBucketProps) -> dict[str, Any]:
    app = Testing.app()
    scope = TerraformStack(app, "test")
    PrivateBucket(scope, "bucket", props)
    return synth_stack(scope)


def test_kms_bucket_with_access_logs() -> None:
    stack = synth(
        PrivateBucketProps(name="acme-data", kms_key_arn="arn:aws:kms:eu-west-1:1:key/k", access_log_bucket="acme-logs")
    )
    bucket = only(stack, "aws_s3_bucket")
    assert bucket["bucket"] == "acme-data"
    assert bucket["force_destroy"] is False
    assert bucket["lifecycle"] == {"prevent_destroy": True}
    rule = only(stack, "aws_s3_bucket_server_side_encryption_configuration")["rule"][0]
    assert rule["apply_server_side_encryption_by_default"] == {
        "sse_algorithm": "aws:kms",
        "kms_master_key_id": "arn:aws:kms:eu-west-1:1:key/k",
    }
    assert rule["bucket_key_enabled"] is True
    assert only(stack, "aws_s3_bucket_logging")["target_prefix"] == "s3/acme-data/"
    assert only(stack, "aws_s3_bucket_notification")["eventbridge"] is True
    assert "expiration" not in only(stack, "aws_s3_bucket_lifecycle_configuration")["rule"][0]


def test_sse_s3_bucket_with_expiry_and_extra_grants() -> None:
    grant = statement("Delivery", ["s3:PutObject"], ["arn:aws:s3:::acme-logs/x/*"], principals={"Service": "x"})
    stack = synth(PrivateBucketProps(name="acme-logs", expiration_days=90, policy_statements=(grant,)))
    rule = only(stack, "aws_s3_bucket_server_side_encryption_configuration")["rule"][0]
    assert rule["apply_server_side_encryption_by_default"] == {"sse_algorithm": "AES256"}
    assert resources(stack, "aws_s3_bucket_logging") == {}
    assert only(stack, "aws_s3_bucket_lifecycle_configuration")["rule"][0]["expiration"] == [{"days": 90}]
    statements = policy(only(stack, "aws_s3_bucket_policy"))["Statement"]
    assert [s["Sid"] for s in statements] == ["DenyInsecureTransport", "Delivery"]
    assert statements[0]["Effect"] == "Deny"
    block = only(stack, "aws_s3_bucket_public_access_block")
    assert all(block[k] is True for k in ("block_public_acls", "block_public_policy", "ignore_public_acls",
                                           "restrict_public_buckets"))  # fmt: skip
