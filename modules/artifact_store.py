"""A CodePipeline artifact store in one region: a KMS key and a private, versioned, TLS-only bucket."""

from __future__ import annotations

from dataclasses import dataclass

from cdktf import TerraformProvider
from constructs import Construct

from modules.kms_key import KmsKey, KmsKeyProps
from modules.naming import Namer
from modules.policy import arn, logs_key_statement
from modules.private_bucket import PrivateBucket, PrivateBucketProps


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
                logs_key_statement("CloudWatchLogsForBuildLogGroups", props.region, group_arns, "ArnLike")
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
        self.bucket_arn = f"arn:{props.partition}:s3:::{self.bucket_name}"
        # Artifacts are rebuilt from GitLab; old versions only cost money.
        self.store = PrivateBucket(
            self,
            "store",
            PrivateBucketProps(
                name=self.bucket_name,
                kms_key_arn=self.key.arn,
                noncurrent_version_days=props.noncurrent_version_days,
                provider=provider,
            ),
        )

    @property
    def key_arn(self) -> str:
        return self.key.arn
