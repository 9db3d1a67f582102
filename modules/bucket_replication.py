"""GitLab's object-storage buckets replicated to the disaster-recovery region: a KMS key
and one versioned, private replica bucket per source bucket there (with their own
access-log bucket), one replication rule per source bucket with replication metrics,
and the role S3 replicates with."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

from cdktf import ITerraformDependable, TerraformProvider
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from cdktf_cdktf_provider_aws.s3_bucket_replication_configuration import (
    S3BucketReplicationConfigurationA,
    S3BucketReplicationConfigurationRule,
    S3BucketReplicationConfigurationRuleDeleteMarkerReplication,
    S3BucketReplicationConfigurationRuleDestination,
    S3BucketReplicationConfigurationRuleDestinationEncryptionConfiguration,
    S3BucketReplicationConfigurationRuleDestinationMetrics,
    S3BucketReplicationConfigurationRuleDestinationMetricsEventThreshold,
    S3BucketReplicationConfigurationRuleFilter,
    S3BucketReplicationConfigurationRuleSourceSelectionCriteria,
    S3BucketReplicationConfigurationRuleSourceSelectionCriteriaSseKmsEncryptedObjects,
)
from constructs import Construct

from modules.kms_key import KmsKey, KmsKeyProps
from modules.naming import Namer
from modules.policy import document, service_trust, statement
from modules.private_bucket import PrivateBucket, PrivateBucketProps

# S3 emits s3:Replication:OperationMissedThreshold for an object not replicated within
# this many minutes; 15 is the only value S3 accepts ("Replication metrics", S3 User Guide).
MISSED_THRESHOLD_MINUTES = 15


@dataclass(frozen=True)
class SourceBucket:
    """A bucket to replicate: its name and ARN, and what must exist before its
    replication configuration (S3 refuses one on an unversioned bucket).
    ``expiration_days``: the source's own expiry, repeated on the replica, since S3
    does not replicate what a lifecycle rule deletes ("What does Amazon S3 replicate?",
    S3 User Guide)."""

    name: str
    arn: str
    versioning: ITerraformDependable | None = None
    expiration_days: int | None = None


@dataclass(frozen=True)
class BucketReplicationProps:
    """Inputs of ``BucketReplication``.

    ``buckets``: stable key (the object type) -> source bucket, all encrypted with
    ``source_kms_key_arn`` in ``source_region``. ``provider``: the aliased provider of
    ``replica_region``, where the replicas, their key and their access logs are made.
    """

    namer: Namer
    account_id: str
    source_region: str
    replica_region: str
    provider: TerraformProvider
    source_kms_key_arn: str
    buckets: Mapping[str, SourceBucket]
    partition: str = "aws"
    noncurrent_version_days: int = 30
    access_log_days: int = 365

    def __post_init__(self) -> None:
        object.__setattr__(self, "buckets", MappingProxyType(dict(self.buckets)))
        if self.source_region == self.replica_region:
            raise ValueError("the replica region must differ from the source region")


def rule_id(region: str) -> str:
    return f"disaster-recovery-{region}"


class BucketReplication(Construct):
    """``replicas`` by the same keys as the sources; ``key`` encrypts them; ``role`` is S3's."""

    def __init__(self, scope: Construct, id_: str, props: BucketReplicationProps) -> None:
        super().__init__(scope, id_)
        namer, region, provider = props.namer, props.replica_region, props.provider
        self.region = region
        self.key = KmsKey(
            self,
            "key",
            KmsKeyProps(
                namer=namer,
                purpose=f"gitlab-data-{region}",
                description=f"GitLab object storage replicas of {namer.prefix}-{namer.workspace} in {region}",
                account_id=props.account_id,
                partition=props.partition,
                provider=provider,
            ),
        )
        self.log_bucket = self._log_bucket(props)
        self.sources = dict(props.buckets)
        self.replicas: dict[str, PrivateBucket] = {
            name: PrivateBucket(
                self,
                f"replica-{name}",
                PrivateBucketProps(
                    name=namer.name("s3_bucket", props.account_id, name, region),
                    kms_key_arn=self.key.arn,
                    access_log_bucket=self.log_bucket.name,
                    access_log_prefix=f"s3/{name}/",
                    # S3 refuses PutBucketLogging until the target grants the logging service
                    # (InvalidTargetBucketForLogging; found by `make rehearse`).
                    access_log_dependencies=(self.log_bucket.policy,),
                    noncurrent_version_days=props.noncurrent_version_days,
                    expiration_days=source.expiration_days,
                    provider=provider,
                ),
            )
            for name, source in props.buckets.items()
        }
        self.role = IamRole(
            self,
            "role",
            name=namer.name("iam_role", "s3-replication", region),
            assume_role_policy=service_trust("s3.amazonaws.com", props.account_id),
        )
        IamRolePolicy(
            self, "role-policy", name="replicate-object-storage", role=self.role.id, policy=self._policy(props)
        )
        self.configurations = {
            name: S3BucketReplicationConfigurationA(
                self,
                f"configuration-{name}",
                bucket=source.name,
                role=self.role.arn,
                rule=[self._rule(props, self.replicas[name])],
                # Both sides must be versioned first ("Requirements for replication", S3 User Guide).
                depends_on=[d for d in (source.versioning, self.replicas[name].versioning) if d is not None],
            )
            for name, source in props.buckets.items()
        }

    def _rule(self, props: BucketReplicationProps, replica: PrivateBucket) -> S3BucketReplicationConfigurationRule:
        return S3BucketReplicationConfigurationRule(
            id=rule_id(props.replica_region),
            status="Enabled",
            priority=1,
            filter=S3BucketReplicationConfigurationRuleFilter(prefix=""),
            # A deleted object is deleted in the replica too (as a delete marker: the
            # replica keeps its versions for noncurrent_version_days).
            delete_marker_replication=S3BucketReplicationConfigurationRuleDeleteMarkerReplication(status="Enabled"),
            # S3 replicates SSE-KMS objects only when the rule says so and names the
            # destination key ("Replicating encrypted objects", S3 User Guide).
            source_selection_criteria=S3BucketReplicationConfigurationRuleSourceSelectionCriteria(
                sse_kms_encrypted_objects=S3BucketReplicationConfigurationRuleSourceSelectionCriteriaSseKmsEncryptedObjects(
                    status="Enabled"
                )
            ),
            destination=S3BucketReplicationConfigurationRuleDestination(
                bucket=replica.arn,
                storage_class="STANDARD",
                encryption_configuration=S3BucketReplicationConfigurationRuleDestinationEncryptionConfiguration(
                    replica_kms_key_id=self.key.arn
                ),
                # ReplicationLatency, BytesPendingReplication, OperationsPendingReplication
                # and OperationsFailedReplication in CloudWatch, per rule.
                metrics=S3BucketReplicationConfigurationRuleDestinationMetrics(
                    status="Enabled",
                    event_threshold=S3BucketReplicationConfigurationRuleDestinationMetricsEventThreshold(
                        minutes=MISSED_THRESHOLD_MINUTES
                    ),
                ),
            ),
        )

    def _policy(self, props: BucketReplicationProps) -> str:
        """What S3 needs to replicate KMS-encrypted objects ("Setting up permissions" and
        "Replicating encrypted objects", S3 User Guide), on these buckets and keys only.
        With S3 Bucket Keys the encryption context is the bucket's ARN, else the object's."""
        sources = [b.arn for b in props.buckets.values()]
        replicas = [r.arn for r in self.replicas.values()]

        def context(arns: Sequence[str]) -> list[str]:
            return [pattern for a in arns for pattern in (a, f"{a}/*")]

        return document(
            [
                statement("ReadReplicationConfiguration", ["s3:GetReplicationConfiguration", "s3:ListBucket"], sources),
                statement(
                    "ReadSourceVersions",
                    ["s3:GetObjectVersionForReplication", "s3:GetObjectVersionAcl", "s3:GetObjectVersionTagging"],
                    [f"{a}/*" for a in sources],
                ),
                statement(
                    "WriteReplicas",
                    ["s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"],
                    [f"{a}/*" for a in replicas],
                ),
                statement(
                    "DecryptSourceObjects",
                    ["kms:Decrypt"],
                    [props.source_kms_key_arn],
                    conditions={
                        "StringEquals": {"kms:ViaService": f"s3.{props.source_region}.amazonaws.com"},
                        "StringLike": {"kms:EncryptionContext:aws:s3:arn": context(sources)},
                    },
                ),
                statement(
                    "EncryptReplicas",
                    ["kms:Encrypt", "kms:GenerateDataKey"],
                    [self.key.arn],
                    conditions={
                        "StringEquals": {"kms:ViaService": f"s3.{props.replica_region}.amazonaws.com"},
                        "StringLike": {"kms:EncryptionContext:aws:s3:arn": context(replicas)},
                    },
                ),
            ]
        )

    def _log_bucket(self, props: BucketReplicationProps) -> PrivateBucket:
        name = props.namer.name("s3_bucket", props.account_id, "access-logs", props.replica_region)
        return PrivateBucket(
            self,
            "access-logs",
            PrivateBucketProps(
                name=name,
                kms_key_arn=None,  # S3 server access logs support SSE-S3 only
                expiration_days=props.access_log_days,
                noncurrent_version_days=7,
                policy_statements=(
                    statement(
                        "S3ServerAccessLogs",
                        ["s3:PutObject"],
                        [f"arn:{props.partition}:s3:::{name}/s3/*"],
                        principals={"Service": "logging.s3.amazonaws.com"},
                        conditions={"StringEquals": {"aws:SourceAccount": props.account_id}},
                    ),
                ),
                provider=props.provider,
            ),
        )
