"""A CodePipeline artifact store in one region: a KMS key and a private, versioned, TLS-only bucket."""

from __future__ import annotations

from dataclasses import dataclass

from cdktf import TerraformProvider, TerraformResourceLifecycle
from cdktf_cdktf_provider_aws.s3_bucket import S3Bucket
from cdktf_cdktf_provider_aws.s3_bucket_lifecycle_configuration import (
    S3BucketLifecycleConfiguration,
    S3BucketLifecycleConfigurationRule,
    S3BucketLifecycleConfigurationRuleAbortIncompleteMultipartUpload,
    S3BucketLifecycleConfigurationRuleFilter,
    S3BucketLifecycleConfigurationRuleNoncurrentVersionExpiration,
)
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

from modules.kms_key import KmsKey, KmsKeyProps
from modules.naming import Namer
from modules.policy import arn, document, statement


@dataclass(frozen=True)
class ArtifactStoreProps:
    """Inputs of ``ArtifactStore``.

    ``log_group_prefix``: CloudWatch Logs may encrypt log groups whose name starts
    with it (the CodeBuild logs of the pipelines) with this store's key.
    ``provider`` is the region's provider when the store is not in the stack's region.
    """

    namer: Namer
    account_id: str
    region: str
    partition: str = "aws"
    log_group_prefix: str | None = None
    noncurrent_version_days: int = 30
    provider: TerraformProvider | None = None


class ArtifactStore(Construct):
    """Bucket and key are protected from ``terraform destroy`` (stateful)."""

    def __init__(self, scope: Construct, id_: str, props: ArtifactStoreProps) -> None:
        super().__init__(scope, id_)
        namer, provider = props.namer, props.provider
        self.region = props.region
        service_statements = []
        if props.log_group_prefix is not None:
            group_arns = arn(
                props.partition, "logs", props.region, props.account_id, f"log-group:{props.log_group_prefix}*"
            )
            # CloudWatch Logs encrypts only log groups named by the condition
            # ("Encrypt log data in CloudWatch Logs using AWS KMS").
            service_statements.append(
                statement(
                    "CloudWatchLogsForBuildLogGroups",
                    ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
                    ["*"],
                    principals={"Service": f"logs.{props.region}.amazonaws.com"},
                    conditions={"ArnLike": {"kms:EncryptionContext:aws:logs:arn": group_arns}},
                )
            )
        self.key = KmsKey(
            self,
            "key",
            KmsKeyProps(
                namer=namer,
                purpose=f"artifacts-{props.region}",
                description=f"Pipeline artifacts of {namer.prefix}-{namer.workspace} in {props.region}",
                account_id=props.account_id,
                partition=props.partition,
                service_statements=tuple(service_statements),
                provider=provider,
            ),
        )
        # Bucket names are global: the account ID and region keep them unique.
        self.bucket_name = namer.name("s3_bucket", "artifacts", props.account_id, props.region)
        self.bucket = S3Bucket(
            self,
            "bucket",
            bucket=self.bucket_name,
            lifecycle=TerraformResourceLifecycle(prevent_destroy=True),
            provider=provider,
        )
        self.bucket_arn = f"arn:{props.partition}:s3:::{self.bucket_name}"
        S3BucketVersioningA(
            self,
            "versioning",
            bucket=self.bucket.id,
            versioning_configuration=S3BucketVersioningVersioningConfiguration(status="Enabled"),
            provider=provider,
        )
        S3BucketServerSideEncryptionConfigurationA(
            self,
            "encryption",
            bucket=self.bucket.id,
            rule=[
                S3BucketServerSideEncryptionConfigurationRuleA(
                    apply_server_side_encryption_by_default=(
                        S3BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultA(
                            sse_algorithm="aws:kms", kms_master_key_id=self.key.arn
                        )
                    ),
                    # Fewer KMS requests for the many small artifact objects.
                    bucket_key_enabled=True,
                )
            ],
            provider=provider,
        )
        S3BucketPublicAccessBlock(
            self,
            "public-access-block",
            bucket=self.bucket.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            provider=provider,
        )
        # ACLs off: access is decided by IAM and the bucket policy only.
        S3BucketOwnershipControls(
            self,
            "ownership",
            bucket=self.bucket.id,
            rule=S3BucketOwnershipControlsRule(object_ownership="BucketOwnerEnforced"),
            provider=provider,
        )
        S3BucketPolicy(
            self,
            "policy",
            bucket=self.bucket.id,
            policy=document(
                [
                    statement(
                        "DenyInsecureTransport",
                        ["s3:*"],
                        [self.bucket_arn, f"{self.bucket_arn}/*"],
                        principals={"AWS": "*"},
                        conditions={"Bool": {"aws:SecureTransport": "false"}},
                        effect="Deny",
                    )
                ]
            ),
            provider=provider,
        )
        # Artifacts are rebuilt from GitLab; old versions only cost money.
        S3BucketLifecycleConfiguration(
            self,
            "lifecycle",
            bucket=self.bucket.id,
            rule=[
                S3BucketLifecycleConfigurationRule(
                    id="expire-noncurrent-versions",
                    status="Enabled",
                    filter=[S3BucketLifecycleConfigurationRuleFilter(prefix="")],
                    noncurrent_version_expiration=[
                        S3BucketLifecycleConfigurationRuleNoncurrentVersionExpiration(
                            noncurrent_days=props.noncurrent_version_days
                        )
                    ],
                    abort_incomplete_multipart_upload=[
                        S3BucketLifecycleConfigurationRuleAbortIncompleteMultipartUpload(days_after_initiation=7)
                    ],
                )
            ],
            provider=provider,
        )

    @property
    def key_arn(self) -> str:
        return self.key.arn
