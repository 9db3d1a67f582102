"""Object-storage replication: replicas and their key in the recovery region, one rule per
bucket with KMS and metrics, and a role that may do only that."""

from __future__ import annotations

from typing import Any

import pytest
from cdktf import TerraformStack, Testing
from cdktf_cdktf_provider_aws.provider import AwsProvider

from modules.bucket_replication import BucketReplication, BucketReplicationProps, SourceBucket, rule_id
from modules.naming import Namer
from tests.support.synth import address, by_path, policy, ref, resources, synth_stack

SOURCE_KEY = "arn:aws:kms:eu-west-1:123456789012:key/source"
REPLICA_PROVIDER = "aws.eu_central_1"


def synth(**changes: Any) -> dict[str, Any]:
    app = Testing.app()
    scope = TerraformStack(app, "test")
    AwsProvider(scope, "aws", region="eu-west-1")
    values: dict[str, Any] = {
        "namer": Namer("acme", "tooling"),
        "account_id": "123456789012",
        "source_region": "eu-west-1",
        "replica_region": "eu-central-1",
        "provider": AwsProvider(scope, "aws-eu-central-1", region="eu-central-1", alias="eu_central_1"),
        "source_kms_key_arn": SOURCE_KEY,
        "buckets": {
            "artifacts": SourceBucket("acme-tooling-123456789012-artifacts", "arn:aws:s3:::acme-tooling-artifacts"),
            "uploads": SourceBucket("acme-tooling-123456789012-uploads", "arn:aws:s3:::acme-tooling-uploads"),
        },
    }
    BucketReplication(scope, "replication", BucketReplicationProps(**(values | changes)))
    return synth_stack(scope)


@pytest.fixture(scope="module")
def stack() -> dict[str, Any]:
    return synth()


def test_replicas_and_their_key_are_in_the_recovery_region(stack: dict[str, Any]) -> None:
    key = by_path(stack, "aws_kms_key", "replication/key/key")
    assert key["provider"] == REPLICA_PROVIDER
    assert key["enable_key_rotation"] is True
    for name in ("artifacts", "uploads"):
        bucket = by_path(stack, "aws_s3_bucket", f"replication/replica-{name}/bucket")
        assert bucket["bucket"] == f"acme-tooling-123456789012-{name}-eu-central-1"
        assert bucket["provider"] == REPLICA_PROVIDER
        assert bucket["lifecycle"]["prevent_destroy"] is True
        versioning = by_path(stack, "aws_s3_bucket_versioning", f"replication/replica-{name}/versioning")
        assert versioning["versioning_configuration"]["status"] == "Enabled"
        encryption = by_path(
            stack, "aws_s3_bucket_server_side_encryption_configuration", f"replication/replica-{name}/encryption"
        )
        default = encryption["rule"][0]["apply_server_side_encryption_by_default"]
        assert default["kms_master_key_id"] == ref(stack, "aws_kms_key", "replication/key/key", "arn")
        logging = by_path(stack, "aws_s3_bucket_logging", f"replication/replica-{name}/logging")
        assert logging["target_bucket"] == ref(stack, "aws_s3_bucket", "replication/access-logs/bucket", "bucket")
        assert logging["depends_on"] == [address(stack, "aws_s3_bucket_policy", "replication/access-logs/policy")]
    logs = by_path(stack, "aws_s3_bucket", "replication/access-logs/bucket")
    assert (logs["bucket"], logs["provider"]) == (
        "acme-tooling-123456789012-access-logs-eu-central-1",
        REPLICA_PROVIDER,
    )


def test_one_rule_per_bucket_with_kms_delete_markers_and_metrics(stack: dict[str, Any]) -> None:
    configurations = resources(stack, "aws_s3_bucket_replication_configuration")
    assert len(configurations) == 2
    config = by_path(stack, "aws_s3_bucket_replication_configuration", "replication/configuration-uploads")
    assert config["bucket"] == "acme-tooling-123456789012-uploads"
    assert "provider" not in config  # the source bucket's region
    assert config["role"] == ref(stack, "aws_iam_role", "replication/role", "arn")
    # The replica is versioned before replication is configured.
    assert config["depends_on"] == [
        address(stack, "aws_s3_bucket_versioning", "replication/replica-uploads/versioning")
    ]
    (rule,) = config["rule"]
    assert rule["id"] == rule_id("eu-central-1") == "disaster-recovery-eu-central-1"
    assert (rule["status"], rule["priority"]) == ("Enabled", 1)
    assert rule["filter"] == {"prefix": ""}
    assert rule["delete_marker_replication"] == {"status": "Enabled"}
    assert rule["source_selection_criteria"] == {"sse_kms_encrypted_objects": {"status": "Enabled"}}
    destination = rule["destination"]
    assert destination["bucket"] == ref(stack, "aws_s3_bucket", "replication/replica-uploads/bucket", "arn")
    assert destination["encryption_configuration"] == {
        "replica_kms_key_id": ref(stack, "aws_kms_key", "replication/key/key", "arn")
    }
    assert destination["metrics"] == {"status": "Enabled", "event_threshold": {"minutes": 15}}


def test_the_role_replicates_these_buckets_only(stack: dict[str, Any]) -> None:
    role = by_path(stack, "aws_iam_role", "replication/role")
    assert policy(role, "assume_role_policy")["Statement"][0]["Principal"] == {"Service": "s3.amazonaws.com"}
    statements = {
        s["Sid"]: s for s in policy(by_path(stack, "aws_iam_role_policy", "replication/role-policy"))["Statement"]
    }
    sources = ["arn:aws:s3:::acme-tooling-artifacts", "arn:aws:s3:::acme-tooling-uploads"]
    replicas = [ref(stack, "aws_s3_bucket", f"replication/replica-{n}/bucket", "arn") for n in ("artifacts", "uploads")]
    assert statements["ReadReplicationConfiguration"]["Resource"] == sources
    assert statements["ReadSourceVersions"]["Resource"] == [f"{s}/*" for s in sources]
    assert statements["WriteReplicas"]["Resource"] == [f"{r}/*" for r in replicas]
    assert statements["WriteReplicas"]["Action"] == ["s3:ReplicateDelete", "s3:ReplicateObject", "s3:ReplicateTags"]
    decrypt = statements["DecryptSourceObjects"]
    assert (decrypt["Action"], decrypt["Resource"]) == (["kms:Decrypt"], SOURCE_KEY)
    assert decrypt["Condition"]["StringEquals"] == {"kms:ViaService": "s3.eu-west-1.amazonaws.com"}
    assert decrypt["Condition"]["StringLike"]["kms:EncryptionContext:aws:s3:arn"] == [
        sources[0],
        f"{sources[0]}/*",
        sources[1],
        f"{sources[1]}/*",
    ]
    encrypt = statements["EncryptReplicas"]
    assert encrypt["Resource"] == ref(stack, "aws_kms_key", "replication/key/key", "arn")
    assert encrypt["Condition"]["StringEquals"] == {"kms:ViaService": "s3.eu-central-1.amazonaws.com"}
    assert not any(s.get("Resource") == "*" for s in statements.values())


def test_the_same_region_is_refused() -> None:
    with pytest.raises(ValueError, match="must differ"):
        BucketReplicationProps(
            namer=Namer("acme", "tooling"),
            account_id="123456789012",
            source_region="eu-west-1",
            replica_region="eu-west-1",
            provider=None,  # type: ignore[arg-type]
            source_kms_key_arn=SOURCE_KEY,
            buckets={},
        )
