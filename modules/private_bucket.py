"""An S3 bucket that is private, encrypted, versioned, TLS-only and kept on destroy."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from cdktf import ITerraformDependable, TerraformProvider, TerraformResourceLifecycle
from cdktf_cdktf_provider_aws.s3_bucket import S3Bucket
from cdktf_cdktf_provider_aws.s3_bucket_lifecycle_configuration import (
    S3BucketLifecycleConfiguration,
    S3BucketLifecycleConfigurationRule,
    S3BucketLifecycleConfigurationRuleAbortIncompleteMultipartUpload,
    S3BucketLifecycleConfigurationRuleExpiration,
    S3BucketLifecycleConfigurationRuleFilter,
    S3BucketLifecycleConfigurationRuleNoncurrentVersionExpiration,
)
from cdktf_cdktf_provider_aws.s3_bucket_logging import S3BucketLoggingA
from cdktf_cdktf_provider_aws.s3_bucket_notification import S3BucketNotification
from cdktf_cdktf_provider_aws.s3_bucket_ownership_controls import (
    S3BucketOwnershipControls,
    S3BucketOwnershipControlsRule,
)
from cdktf_cdktf_provider_aws.s3_bucket_policy import S3BucketPolicy
from cdktf_cdktf_provider_aws.s3_bucket_public_access_block import S3BucketPublicAccessBlock
from cdktf_cdktf_provider_aws.s3_bucket_server_side_encryption_configuration import (
    S3BucketServerSideEncryptionConfigurationA,
    S3BucketServerSideEncryptionConfigurationRuleA,
    S3BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultA,
)
from cdktf_cdktf_provider_aws.s3_bucket_versioning import (
    S3BucketVersioningA,
    S3BucketVersioningVersioningConfiguration,
)
from constructs import Construct

from modules.policy import Statement, document, statement


@dataclass(frozen=True)
class PrivateBucketProps:
    """Inputs of ``PrivateBucket``.

    ``kms_key_arn`` None means SSE-S3: the only encryption that ALB access logs
    and S3 server access logs accept in their target bucket.
    ``policy_document`` replaces the default policy (TLS only plus
    ``policy_statements``), e.g. with one rendered at synthesis; it must deny
    insecure transport itself (``deny_insecure_transport``).
    ``access_log_dependencies``: what must exist before logging is switched on
    (S3 checks the target bucket's grant to the logging service).
    ``provider``: the region's provider when the bucket is not in the stack's region.
    """

    name: str
    kms_key_arn: str | None = None
    access_log_bucket: str | None = None  # bucket name receiving S3 server access logs
    access_log_prefix: str = ""
    noncurrent_version_days: int = 30
    expiration_days: int | None = None  # objects expire (log buckets); None keeps them
    policy_statements: tuple[Statement, ...] = ()  # extra grants, e.g. log delivery
    policy_document: str | None = None
    event_notifications: bool = True
    access_log_dependencies: Sequence[ITerraformDependable] = ()
    provider: TerraformProvider | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "access_log_dependencies", tuple(self.access_log_dependencies))


def deny_insecure_transport(bucket_arn: str) -> dict[str, Any]:
    """Refuse every request that is not over TLS (Security Hub S3.5)."""
    return statement(
        "DenyInsecureTransport",
        ["s3:*"],
        [bucket_arn, f"{bucket_arn}/*"],
        principals={"AWS": "*"},
        conditions={"Bool": {"aws:SecureTransport": "false"}},
        effect="Deny",
    )


class PrivateBucket(Construct):
    def __init__(self, scope: Construct, id_: str, props: PrivateBucketProps) -> None:
        super().__init__(scope, id_)
        provider = props.provider
        self.bucket = S3Bucket(
            self,
            "bucket",
            bucket=props.name,
            force_destroy=False,
            lifecycle=TerraformResourceLifecycle(prevent_destroy=True),
            provider=provider,
        )
        bucket_id = self.bucket.id
        S3BucketPublicAccessBlock(
            self,
            "public-access-block",
            bucket=bucket_id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            provider=provider,
        )
        # ACLs off: the bucket owner owns every object, log deliveries included.
        S3BucketOwnershipControls(
            self,
            "ownership",
            bucket=bucket_id,
            rule=S3BucketOwnershipControlsRule(object_ownership="BucketOwnerEnforced"),
            provider=provider,
        )
        self.versioning = S3BucketVersioningA(
            self,
            "versioning",
            bucket=bucket_id,
            versioning_configuration=S3BucketVersioningVersioningConfiguration(status="Enabled"),
            provider=provider,
        )
        by_default = (
            S3BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultA(
                sse_algorithm="aws:kms", kms_master_key_id=props.kms_key_arn
            )
            if props.kms_key_arn
            else S3BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultA(
                sse_algorithm="AES256"
            )
        )
        S3BucketServerSideEncryptionConfigurationA(
            self,
            "encryption",
            bucket=bucket_id,
            rule=[
                S3BucketServerSideEncryptionConfigurationRuleA(
                    apply_server_side_encryption_by_default=by_default,
                    # S3 Bucket Keys cut KMS requests (and cost) per object.
                    bucket_key_enabled=props.kms_key_arn is not None,
                )
            ],
            provider=provider,
        )
        S3BucketLifecycleConfiguration(
            self,
            "lifecycle",
            bucket=bucket_id,
            rule=[
                S3BucketLifecycleConfigurationRule(
                    id="housekeeping",
                    status="Enabled",
                    filter=[S3BucketLifecycleConfigurationRuleFilter(prefix="")],
                    abort_incomplete_multipart_upload=[
                        S3BucketLifecycleConfigurationRuleAbortIncompleteMultipartUpload(days_after_initiation=7)
                    ],
                    noncurrent_version_expiration=[
                        S3BucketLifecycleConfigurationRuleNoncurrentVersionExpiration(
                            noncurrent_days=props.noncurrent_version_days
                        )
                    ],
                    expiration=(
                        [S3BucketLifecycleConfigurationRuleExpiration(days=props.expiration_days)]
                        if props.expiration_days
                        else None
                    ),
                )
            ],
            provider=provider,
        )
        # Object events go to EventBridge (free without rules), so audits and
        # alerts can subscribe later without touching the bucket.
        if props.event_notifications:
            S3BucketNotification(self, "notification", bucket=bucket_id, eventbridge=True, provider=provider)
        if props.access_log_bucket:
            S3BucketLoggingA(
                self,
                "logging",
                bucket=bucket_id,
                target_bucket=props.access_log_bucket,
                target_prefix=props.access_log_prefix or f"s3/{props.name}/",
                depends_on=list(props.access_log_dependencies) or None,
                provider=provider,
            )
        self.policy = S3BucketPolicy(
            self,
            "policy",
            bucket=bucket_id,
            policy=props.policy_document
            or document([deny_insecure_transport(self.bucket.arn), *props.policy_statements]),
            provider=provider,
        )

    @property
    def arn(self) -> str:
        return self.bucket.arn

    @property
    def name(self) -> str:
        return self.bucket.bucket
