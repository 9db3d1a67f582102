"""StateBackend construct: private, versioned, KMS-encrypted, logged state bucket; lock table; grants."""

from __future__ import annotations

from typing import Any

from cdktf import TerraformStack, Testing

from modules.naming import Namer
from modules.state_backend import StateBackend, StateBackendProps, StateGrant
from tests.support.synth import address, by_path, policy, ref, resources, synth_stack

BUCKET = "acme-tfstate-123456789012-eu-west-1"
ARN = f"arn:aws:s3:::{BUCKET}"
STAGING = "arn:aws:iam::222222222222:role/deploy"
TOOLING = "arn:aws:iam::123456789012:role/deploy"


def build(grants: dict[str, StateGrant], lock_table: str | None = "acme-locks") -> dict[str, Any]:
    app = Testing.app()
    scope = TerraformStack(app, "test")
    StateBackend(
        scope,
        "state",
        StateBackendProps(
            namer=Namer("acme", "tfstate"),
            account_id="123456789012",
            region="eu-west-1",
            bucket_name=BUCKET,
            log_bucket_name="acme-tfstate-logs",
            lock_table_name=lock_table,
            kms_principals=(STAGING, TOOLING),
            grants=lambda: grants,
        ),
    )
    return synth_stack(scope)


GRANTS = {
    "staging": StateGrant(STAGING, writes=("p/staging.tfstate",), reads=("p/tooling.tfstate",)),
    "tooling": StateGrant(TOOLING, writes=("p/tooling.tfstate",)),
}


def statements(
    stack: dict[str, Any], path: str = "state/bucket/policy", kind: str = "aws_s3_bucket_policy"
) -> dict[str, dict[str, Any]]:
    return {s["Sid"]: s for s in policy(by_path(stack, kind, path))["Statement"]}


def test_buckets_are_private_versioned_encrypted_and_protected() -> None:
    stack = build(GRANTS)
    for path, algorithm in (("bucket", "aws:kms"), ("log-bucket", "AES256")):
        assert by_path(stack, "aws_s3_bucket", f"state/{path}/bucket")["lifecycle"] == {"prevent_destroy": True}
        block = by_path(stack, "aws_s3_bucket_public_access_block", f"state/{path}/public-access-block")
        assert all(block[k] is True for k in ("block_public_acls", "block_public_policy", "ignore_public_acls"))
        assert block["restrict_public_buckets"] is True
        versioning = by_path(stack, "aws_s3_bucket_versioning", f"state/{path}/versioning")
        assert versioning["versioning_configuration"] == {"status": "Enabled"}
        ownership = by_path(stack, "aws_s3_bucket_ownership_controls", f"state/{path}/ownership")
        assert ownership["rule"] == {"object_ownership": "BucketOwnerEnforced"}
        (rule,) = by_path(stack, "aws_s3_bucket_server_side_encryption_configuration", f"state/{path}/encryption")[
            "rule"
        ]
        assert rule["apply_server_side_encryption_by_default"]["sse_algorithm"] == algorithm
    (rule,) = by_path(stack, "aws_s3_bucket_server_side_encryption_configuration", "state/bucket/encryption")["rule"]
    assert rule["apply_server_side_encryption_by_default"]["kms_master_key_id"].startswith("${aws_kms_key.")
    assert rule["bucket_key_enabled"] is True
    logging = by_path(stack, "aws_s3_bucket_logging", "state/bucket/logging")
    assert logging["target_bucket"] == ref(stack, "aws_s3_bucket", "state/log-bucket/bucket", "bucket")
    # Logging is switched on only once the log bucket lets the logging service write.
    assert logging["depends_on"] == [address(stack, "aws_s3_bucket_policy", "state/log-bucket/policy")]
    assert logging["target_prefix"] == f"{BUCKET}/"
    (versions,) = by_path(stack, "aws_s3_bucket_lifecycle_configuration", "state/bucket/lifecycle")["rule"]
    assert versions["noncurrent_version_expiration"] == [{"noncurrent_days": 365}]
    assert "expiration" not in versions  # the current state never expires


def test_log_bucket_accepts_only_the_state_buckets_access_logs() -> None:
    found = statements(build(GRANTS), "state/log-bucket/policy")
    logs = found["S3ServerAccessLogs"]
    assert logs["Principal"] == {"Service": "logging.s3.amazonaws.com"}
    assert logs["Condition"]["ArnLike"] == {"aws:SourceArn": ARN}
    assert logs["Resource"] == f"arn:aws:s3:::acme-tfstate-logs/{BUCKET}/*"
    assert found["DenyInsecureTransport"]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_tls_and_kms_are_enforced() -> None:
    found = statements(build(GRANTS))
    tls = found["DenyInsecureTransport"]
    assert tls["Effect"] == "Deny" and tls["Resource"] == [ARN, f"{ARN}/*"]
    non_kms = found["DenyNonKmsEncryption"]
    assert non_kms["Condition"] == {"StringNotEqualsIfExists": {"s3:x-amz-server-side-encryption": "aws:kms"}}
    plain = found["DenyUnencryptedState"]
    assert plain["Resource"] == f"{ARN}/*.tfstate"
    assert plain["Condition"] == {"Null": {"s3:x-amz-server-side-encryption": "true"}}


def test_each_role_writes_only_its_own_key_and_reads_only_its_dependencies() -> None:
    found = statements(build(GRANTS))
    staging_only = {"ArnEquals": {"aws:PrincipalArn": STAGING}}
    write = found["StagingWriteOwnState"]
    assert write["Principal"] == {"AWS": "arn:aws:iam::222222222222:root"} and write["Condition"] == staging_only
    assert write["Resource"] == f"{ARN}/p/staging.tfstate"
    assert found["StagingOwnLockFile"]["Resource"] == f"{ARN}/p/staging.tfstate.tflock"
    assert "s3:DeleteObject" in found["StagingOwnLockFile"]["Action"]
    assert found["StagingReadDependencies"] == {
        "Sid": "StagingReadDependencies",
        "Effect": "Allow",
        "Action": ["s3:GetObject"],
        "Resource": f"{ARN}/p/tooling.tfstate",
        "Principal": {"AWS": "arn:aws:iam::222222222222:root"},
        "Condition": staging_only,
    }
    deny_writes = found["StagingDenyOtherWrites"]
    assert deny_writes["Effect"] == "Deny" and deny_writes["Condition"] == staging_only
    assert deny_writes["NotResource"] == [f"{ARN}/p/staging.tfstate", f"{ARN}/p/staging.tfstate.tflock"]
    assert found["StagingDenyOtherReads"]["NotResource"] == [
        f"{ARN}/p/staging.tfstate",
        f"{ARN}/p/staging.tfstate.tflock",
        f"{ARN}/p/tooling.tfstate",
    ]
    # tooling depends on nothing: it reads no other key
    assert "ToolingReadDependencies" not in found
    assert found["ToolingDenyOtherReads"]["NotResource"] == [
        f"{ARN}/p/tooling.tfstate",
        f"{ARN}/p/tooling.tfstate.tflock",
    ]


def test_lock_table_has_pitr_kms_and_per_role_lock_items() -> None:
    stack = build(GRANTS)
    (table,) = resources(stack, "aws_dynamodb_table").values()
    assert table["hash_key"] == "LockID" and table["attribute"] == [{"name": "LockID", "type": "S"}]
    assert table["point_in_time_recovery"] == {"enabled": True}
    assert table["server_side_encryption"]["enabled"] is True
    assert table["server_side_encryption"]["kms_key_arn"].startswith("${aws_kms_key.")
    assert table["deletion_protection_enabled"] is True
    assert table["lifecycle"] == {"prevent_destroy": True}
    found = statements(stack, "state/lock-table-policy", "aws_dynamodb_resource_policy")
    assert found["DenyTableDeletion"]["Effect"] == "Deny"
    own = found["StagingOwnLocks"]
    assert own["Condition"]["ForAllValues:StringEquals"] == {
        "dynamodb:LeadingKeys": [f"{BUCKET}/p/staging.tfstate", f"{BUCKET}/p/staging.tfstate-md5"]
    }
    assert own["Resource"] == "arn:aws:dynamodb:eu-west-1:123456789012:table/acme-locks"
    # reading tooling's state checks its digest item: read-only, nothing else of tooling's
    digests = found["StagingReadDependencyDigests"]
    assert digests["Action"] == ["dynamodb:GetItem"]
    assert digests["Condition"] == {
        "ArnEquals": {"aws:PrincipalArn": STAGING},
        "ForAllValues:StringEquals": {"dynamodb:LeadingKeys": [f"{BUCKET}/p/tooling.tfstate-md5"]},
    }
    assert "ToolingReadDependencyDigests" not in found


def test_no_lock_table_without_a_name_and_kms_use_by_grant_roles() -> None:
    stack = build(GRANTS, lock_table=None)
    assert not resources(stack, "aws_dynamodb_table")
    assert not resources(stack, "aws_dynamodb_resource_policy")
    (key,) = resources(stack, "aws_kms_key").values()
    use = next(s for s in policy(key)["Statement"] if s["Sid"] == "StateAccessThroughS3AndDynamoDB")
    assert use["Principal"] == {"AWS": ["arn:aws:iam::123456789012:root", "arn:aws:iam::222222222222:root"]}
    assert use["Condition"]["ArnEquals"] == {"aws:PrincipalArn": [TOOLING, STAGING]}
    assert use["Condition"]["StringEquals"]["kms:ViaService"] == [
        "s3.eu-west-1.amazonaws.com",
        "dynamodb.eu-west-1.amazonaws.com",
    ]
