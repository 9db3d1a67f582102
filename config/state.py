"""Where Terraform state lives, derived once for the bootstrap workspace and its checks.

The bootstrap workspace (``stacks/bootstrap.py``) creates the S3 backend in the
tooling account. Its names come from ``backend.tf.json`` when that file exists
(so it builds exactly what every workspace's backend points at), otherwise from
the tooling account's configuration, which gives the values of
``backend.tf.json.example`` for the example environments. Either way the
bootstrap keeps its own state locally: it creates the bucket the others need.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from config.backend import S3BackendSettings
from config.errors import Problem
from config.loader import Environments
from config.model import Account
from config.naming_rules import compose
from config.regions import partition_of
from config.workspaces import BOOTSTRAP_WORKSPACE, STATE_NAMER_WORKSPACE

DEFAULT_KEY_PREFIX = "gitlab-on-aws"
# Namer workspace of the state resources: gitlab-tfstate-<account>-<region> etc.
NAMER_WORKSPACE = STATE_NAMER_WORKSPACE
KMS_PURPOSE = "state"


@dataclass(frozen=True)
class StateNames:
    """The backend's physical names and settings the bootstrap needs."""

    account_id: str
    region: str
    partition: str
    bucket: str
    log_bucket: str
    key_prefix: str
    lock_table: str | None
    kms_alias: str
    state_role_arn: str | None  # backend.tf.json's assume_role: one role for every workspace

    @property
    def kms_alias_arn(self) -> str:
        return f"arn:{self.partition}:kms:{self.region}:{self.account_id}:{self.kms_alias}"

    def state_key(self, workspace: str) -> str:
        return f"{self.key_prefix}/{workspace}.tfstate"


def state_names(tooling: Account, backend: S3BackendSettings | None) -> StateNames:
    def name(kind: str, *parts: str) -> str:
        return compose(kind, tooling.name_prefix, NAMER_WORKSPACE, *parts)

    region = backend.region if backend else tooling.region
    return StateNames(
        account_id=tooling.account_id,
        region=region,
        partition=partition_of(region),
        bucket=backend.bucket if backend else name("s3_bucket", tooling.account_id, region),
        # The log bucket is never named in backend.tf.json: only the bootstrap uses it.
        log_bucket=name("s3_bucket", "access-logs", tooling.account_id, region),
        key_prefix=backend.key if backend else DEFAULT_KEY_PREFIX,
        lock_table=backend.dynamodb_table if backend else name("default", "locks"),
        # The alias KmsKey gives the key (modules/kms_key.py).
        kms_alias="alias/" + name("kms_alias", KMS_PURPOSE),
        state_role_arn=backend.assume_role.role_arn if backend and backend.assume_role else None,
    )


def check_state(environments: Environments, backend: S3BackendSettings | None, backend_file: str) -> list[Problem]:
    """Rules between environments/ and backend.tf.json that the bootstrap relies on."""
    return list(_reserved(environments)) + list(_backend_matches_bootstrap(environments, backend, backend_file))


def _reserved(environments: Environments) -> Iterator[Problem]:
    for name, account in environments.accounts.items():
        if name == BOOTSTRAP_WORKSPACE:
            yield Problem(
                environments.files.get(name, "environments/"),
                "workspace",
                f"'{BOOTSTRAP_WORKSPACE}' is the workspace that creates the state bucket",
                f"give this {account.role} account another workspace name",
            )


def _backend_matches_bootstrap(
    environments: Environments, backend: S3BackendSettings | None, backend_file: str
) -> Iterator[Problem]:
    if backend is None:
        return
    tooling = environments.tooling
    field = "terraform.backend.s3."
    if backend.region != tooling.region:
        yield Problem(
            backend_file,
            field + "region",
            f"the state bucket's region {backend.region} is not the tooling account's region {tooling.region}",
            f"the bootstrap workspace creates the bucket in the tooling account; set region: {tooling.region}",
        )
        return
    expected = state_names(tooling, backend).kms_alias_arn
    if backend.kms_key_id is None:
        yield Problem(
            backend_file,
            field + "kms_key_id",
            "kms_key_id is not set, but the state bucket accepts only SSE-KMS uploads",
            f"set kms_key_id: {expected} (the key the bootstrap workspace creates)",
        )
    elif backend.kms_key_id != expected:
        yield Problem(
            backend_file,
            field + "kms_key_id",
            f"{backend.kms_key_id} is not the state key the bootstrap workspace creates",
            f"set kms_key_id: {expected}",
        )
