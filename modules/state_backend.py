"""The S3 backend's own resources: state bucket, access-log bucket, lock table, KMS key.

Every workspace keeps its state at one key of the bucket; the bucket policy lets
each workspace's role write only its own key (and lock file) and read only the
keys of the workspaces it depends on.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import jsii
from cdktf import IResolveContext, IStringProducer, Lazy, TerraformResourceLifecycle
from cdktf_cdktf_provider_aws.dynamodb_resource_policy import DynamodbResourcePolicy
from cdktf_cdktf_provider_aws.dynamodb_table import (
    DynamodbTable,
    DynamodbTableAttribute,
    DynamodbTablePointInTimeRecovery,
    DynamodbTableServerSideEncryption,
)
from constructs import Construct

from modules.kms_key import KmsKey, KmsKeyProps
from modules.naming import Namer
from modules.policy import Statement, document, statement
from modules.private_bucket import PrivateBucket, PrivateBucketProps, deny_insecure_transport


@dataclass(frozen=True)
class StateGrant:
    """One principal's access to state: the keys it writes (and locks), and what it may read.

    ``reads`` are further state keys (of the workspaces it depends on) that it
    may only read.
    """

    principal_arn: str
    writes: tuple[str, ...]
    reads: tuple[str, ...] = ()


@dataclass(frozen=True)
class StateBackendProps:
    """Inputs of ``StateBackend``.

    ``grants`` is called when the policies are rendered at synthesis, not when the
    construct is built: workspace dependencies from cross-stack references only
    exist by then. Keyed by a stable name (the workspace).

    ``kms_principals`` are the roles that may use the state key through S3 and
    DynamoDB (the principals of ``grants``; cross-account use needs the key policy).
    ``lock_table_name`` ``None`` creates no DynamoDB table (S3 lock files only).
    """

    namer: Namer
    account_id: str
    region: str
    bucket_name: str
    log_bucket_name: str
    grants: Callable[[], Mapping[str, StateGrant]]
    kms_principals: tuple[str, ...] = ()
    lock_table_name: str | None = None
    partition: str = "aws"
    kms_purpose: str = "state"
    # Old state versions are how a broken apply is rolled back; keep a year of them.
    noncurrent_version_days: int = 365
    log_retention_days: int = 365
    tags: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "tags", MappingProxyType(dict(self.tags)))


@jsii.implements(IStringProducer)
class _Rendered:
    """A string computed when the stack is synthesized (``Lazy.string_value``)."""

    def __init__(self, render: Callable[[], str]) -> None:
        self._render = render

    def produce(self, context: IResolveContext) -> str:
        return self._render()


def _sid(name: str) -> str:
    # Statement IDs allow only ASCII letters and digits (IAM JSON policy reference, "Sid").
    return "".join(part.capitalize() for part in re.split(r"[^A-Za-z0-9]+", name))


def _account(role_arn: str) -> str:
    return role_arn.split(":")[4]


def lock_file(key: str) -> str:
    """The S3-native lock object of a state key (Terraform 1.10+, ``use_lockfile``)."""
    return f"{key}.tflock"


class StateBackend(Construct):
    """State bucket and its log bucket, the DynamoDB lock table and the KMS key of both.

    Everything here is stateful and protected from ``terraform destroy``.
    """

    def __init__(self, scope: Construct, id_: str, props: StateBackendProps) -> None:
        super().__init__(scope, id_)
        self.props = props
        keep = TerraformResourceLifecycle(prevent_destroy=True)
        self.bucket_arn = f"arn:{props.partition}:s3:::{props.bucket_name}"
        self.log_bucket_arn = f"arn:{props.partition}:s3:::{props.log_bucket_name}"
        self.key = KmsKey(
            self,
            "kms",
            KmsKeyProps(
                namer=props.namer,
                purpose=props.kms_purpose,
                description=f"Terraform state in s3://{props.bucket_name} and its lock table",
                account_id=props.account_id,
                partition=props.partition,
                service_statements=self._kms_usage(),
            ),
        )

        # Server access logs: SSE-KMS is not supported on the target bucket
        # ("Enabling Amazon S3 server access logging", Amazon S3 User Guide), so it
        # uses SSE-S3; logging.s3.amazonaws.com writes through the bucket policy.
        log_writes = statement(
            "S3ServerAccessLogs",
            ["s3:PutObject"],
            [f"{self.log_bucket_arn}/{props.bucket_name}/*"],
            principals={"Service": "logging.s3.amazonaws.com"},
            conditions={
                "ArnLike": {"aws:SourceArn": self.bucket_arn},
                "StringEquals": {"aws:SourceAccount": props.account_id},
            },
        )
        self.log_bucket = PrivateBucket(
            self,
            "log-bucket",
            PrivateBucketProps(
                name=props.log_bucket_name,
                noncurrent_version_days=30,
                expiration_days=props.log_retention_days,
                policy_statements=(log_writes,),
                # Nothing consumes events of state or its logs (checkov exceptions say why).
                event_notifications=False,
            ),
        )
        # Old state versions are how a broken apply is rolled back.
        self.bucket = PrivateBucket(
            self,
            "bucket",
            PrivateBucketProps(
                name=props.bucket_name,
                kms_key_arn=self.key.arn,
                # A reference (not the name) so the plan shows which bucket logs where.
                access_log_bucket=self.log_bucket.name,
                access_log_prefix=f"{props.bucket_name}/",
                # S3 checks that the target bucket lets the logging service write
                # when logging is enabled, so the grant has to exist first.
                access_log_dependencies=(self.log_bucket.policy,),
                noncurrent_version_days=props.noncurrent_version_days,
                event_notifications=False,
                policy_document=Lazy.string_value(_Rendered(self.bucket_policy_document)),
            ),
        )
        self.bucket_policy = self.bucket.policy

        self.table: DynamodbTable | None = None
        if props.lock_table_name is not None:
            self.table = DynamodbTable(
                self,
                "lock-table",
                name=props.lock_table_name,
                billing_mode="PAY_PER_REQUEST",
                # The S3 backend's lock item key ("s3" backend, Terraform documentation).
                hash_key="LockID",
                attribute=[DynamodbTableAttribute(name="LockID", type="S")],
                point_in_time_recovery=DynamodbTablePointInTimeRecovery(enabled=True),
                server_side_encryption=DynamodbTableServerSideEncryption(enabled=True, kms_key_arn=self.key.arn),
                deletion_protection_enabled=True,
                lifecycle=keep,
            )
            self.table_arn = (
                f"arn:{props.partition}:dynamodb:{props.region}:{props.account_id}:table/{props.lock_table_name}"
            )
            DynamodbResourcePolicy(
                self,
                "lock-table-policy",
                resource_arn=self.table.arn,
                policy=Lazy.string_value(_Rendered(self.lock_table_policy_document)),
            )

    def _kms_usage(self) -> tuple[Statement, ...]:
        if not self.props.kms_principals:
            return ()
        principals = sorted(set(self.props.kms_principals))
        region = self.props.region
        return (
            statement(
                "StateAccessThroughS3AndDynamoDB",
                ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey"],
                ["*"],
                principals={"AWS": sorted({self._root(arn) for arn in principals})},
                conditions={
                    "ArnEquals": {"aws:PrincipalArn": principals},
                    "StringEquals": {
                        "kms:ViaService": [f"s3.{region}.amazonaws.com", f"dynamodb.{region}.amazonaws.com"]
                    },
                },
            ),
        )

    def _root(self, role_arn: str) -> str:
        return f"arn:{self.props.partition}:iam::{_account(role_arn)}:root"

    def bucket_policy_document(self) -> str:
        """TLS only, SSE-KMS only, and per grant: its own keys read-write, its dependencies read-only."""
        objects = f"{self.bucket_arn}/*"
        statements: list[dict[str, Any]] = [
            deny_insecure_transport(self.bucket_arn),
            # A header naming any other encryption is refused. Terraform sends aws:kms
            # with kms_key_id for state and lock files alike; an object sent without
            # a header (other clients) gets the bucket's default SSE-KMS.
            statement(
                "DenyNonKmsEncryption",
                ["s3:PutObject"],
                [objects],
                principals={"AWS": "*"},
                conditions={"StringNotEqualsIfExists": {"s3:x-amz-server-side-encryption": "aws:kms"}},
                effect="Deny",
            ),
            statement(
                "DenyUnencryptedState",
                ["s3:PutObject"],
                [f"{self.bucket_arn}/*.tfstate"],
                principals={"AWS": "*"},
                conditions={"Null": {"s3:x-amz-server-side-encryption": "true"}},
                effect="Deny",
            ),
        ]
        for name, grant in sorted(self.props.grants().items()):
            statements.extend(self._grant_statements(name, grant))
        return document(statements)

    def _grant_statements(self, name: str, grant: StateGrant) -> list[dict[str, Any]]:
        sid = _sid(name)
        who = {"AWS": self._root(grant.principal_arn)}
        only = {"ArnEquals": {"aws:PrincipalArn": grant.principal_arn}}
        own = [f"{self.bucket_arn}/{key}" for key in grant.writes]
        locks = [f"{self.bucket_arn}/{lock_file(key)}" for key in grant.writes]
        reads = [f"{self.bucket_arn}/{key}" for key in grant.reads if key not in grant.writes]
        found = [
            # Terraform lists the bucket to find workspaces and state ("s3" backend,
            # Terraform documentation, "S3 Bucket Permissions").
            statement(f"{sid}List", ["s3:ListBucket"], [self.bucket_arn], principals=who, conditions=only),
            statement(f"{sid}WriteOwnState", ["s3:GetObject", "s3:PutObject"], own, principals=who, conditions=only),
            statement(
                f"{sid}OwnLockFile",
                ["s3:DeleteObject", "s3:GetObject", "s3:PutObject"],
                locks,
                principals=who,
                conditions=only,
            ),
        ]
        if reads:
            found.append(statement(f"{sid}ReadDependencies", ["s3:GetObject"], reads, principals=who, conditions=only))
        # Denies make "only" hold even for a role whose own IAM policies allow more
        # (an explicit deny wins, "Policy evaluation logic", IAM User Guide).
        found.append(
            _not_resource(
                statement(
                    f"{sid}DenyOtherWrites",
                    ["s3:DeleteObject", "s3:PutObject"],
                    principals={"AWS": "*"},
                    conditions=only,
                    effect="Deny",
                ),
                own + locks,
            )
        )
        found.append(
            _not_resource(
                statement(
                    f"{sid}DenyOtherReads",
                    ["s3:GetObject"],
                    principals={"AWS": "*"},
                    conditions=only,
                    effect="Deny",
                ),
                own + locks + reads,
            )
        )
        return found

    def lock_table_policy_document(self) -> str:
        """Each grant may take and release only its own locks: items whose LockID is its state path."""
        statements = [
            # A resource policy needs one statement even without grants; the lock
            # table is also protected from deletion by any principal.
            statement(
                "DenyTableDeletion",
                ["dynamodb:DeleteTable"],
                [self.table_arn],
                principals={"AWS": "*"},
                effect="Deny",
            )
        ]
        for name, grant in sorted(self.props.grants().items()):
            # The S3 backend's lock items are "<bucket>/<key>" and, for the state
            # checksum, "<bucket>/<key>-md5".
            items = sorted(f"{self.props.bucket_name}/{key}{suffix}" for key in grant.writes for suffix in ("", "-md5"))
            statements.append(
                statement(
                    f"{_sid(name)}OwnLocks",
                    ["dynamodb:DeleteItem", "dynamodb:DescribeTable", "dynamodb:GetItem", "dynamodb:PutItem"],
                    [self.table_arn],
                    principals={"AWS": self._root(grant.principal_arn)},
                    conditions={
                        "ArnEquals": {"aws:PrincipalArn": grant.principal_arn},
                        "ForAllValues:StringEquals": {"dynamodb:LeadingKeys": items},
                    },
                )
            )
            # Reading another workspace's state (terraform_remote_state) with a
            # dynamodb_table compares the object with its "-md5" digest item; without
            # read access Terraform only logs "failed to fetch state MD5" and skips the check.
            digests = sorted(f"{self.props.bucket_name}/{key}-md5" for key in grant.reads if key not in grant.writes)
            if digests:
                statements.append(
                    statement(
                        f"{_sid(name)}ReadDependencyDigests",
                        ["dynamodb:GetItem"],
                        [self.table_arn],
                        principals={"AWS": self._root(grant.principal_arn)},
                        conditions={
                            "ArnEquals": {"aws:PrincipalArn": grant.principal_arn},
                            "ForAllValues:StringEquals": {"dynamodb:LeadingKeys": digests},
                        },
                    )
                )
        return document(statements)


def _not_resource(body: dict[str, Any], resources: list[str]) -> dict[str, Any]:
    return {**body, "NotResource": sorted(resources)}
