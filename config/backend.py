"""``backend.tf.json``: the S3 backend every workspace shares, each with its own key.

The file uses Terraform's JSON syntax (``{"terraform": {"backend": {"s3": {…}}}}``)
so it reads like the backend block a Terraform user already knows. ``key`` is a
prefix here: workspace ``W`` keeps its state at ``<key>/W.tfstate``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any

from pydantic import AfterValidator, Field, ValidationError, model_validator

from config.arn_checks import arn_partition_problem
from config.errors import ConfigError, Problem
from config.loader import problems_from_validation
from config.model import Region, RoleArn, Strict, problem
from config.naming_rules import LIMITS
from config.reading import parse_json, read_text
from config.types import Flag

BACKEND_FILE = "backend.tf.json"
COMMENT = "//"


def _bucket(value: str) -> str:
    # "General purpose bucket naming rules", Amazon S3 User Guide.
    if not re.fullmatch(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]", value) or ".." in value:
        raise problem(
            "bucket",
            "'{value}' is not a valid S3 bucket name",
            "3 to 63 lowercase letters, digits, dots and dashes, starting and ending with a letter or digit",
            value=value,
        )
    s3 = LIMITS["s3_bucket"]
    reserved = [p for p in s3.reserved_prefixes if value.startswith(p)]
    reserved += [x for x in s3.reserved_suffixes if value.endswith(x)]
    if reserved:
        raise problem(
            "bucket_reserved",
            "'{value}' uses '{reserved}', which S3 reserves for its own names",
            f"S3 refuses bucket names starting with {', '.join(s3.reserved_prefixes)} "
            f"or ending with {', '.join(s3.reserved_suffixes)}; choose another name",
            value=value,
            reserved=reserved[0],
        )
    return value


def _key_prefix(value: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9!_.*'()/-]{1,200}", value) or value.startswith("/") or value.endswith("/"):
        raise problem(
            "key_prefix",
            "'{value}' is not a usable state key prefix",
            "letters, digits and -_.!*'()/ without a leading or trailing slash, e.g. gitlab-on-aws",
            value=value,
        )
    return value


class AssumeRole(Strict):
    role_arn: RoleArn
    session_name: str | None = None
    external_id: str | None = None


class Endpoints(Strict):
    """Custom API endpoints, e.g. VPC interface endpoints or a local emulator."""

    s3: str | None = None
    dynamodb: str | None = None
    sts: str | None = None
    iam: str | None = None


class S3BackendSettings(Strict):
    """The settings this project supports of Terraform's ``s3`` backend."""

    bucket: Annotated[str, AfterValidator(_bucket)] = Field(description="State bucket (see the bootstrap workspace).")
    key: Annotated[str, AfterValidator(_key_prefix)] = Field(
        description="Key prefix; each workspace's state is <key>/<workspace>.tfstate."
    )
    region: Region = Field(description="Region of the state bucket.")
    encrypt: Flag = Field(True, description="Server-side encryption of state; must stay true.")
    kms_key_id: str | None = Field(None, description="KMS key ARN for state encryption (SSE-KMS).")
    use_lockfile: Flag = Field(True, description="S3-native state locking (Terraform 1.10+).")
    dynamodb_table: str | None = Field(
        None,
        description="DynamoDB lock table, for Terraform older than 1.10. Deprecated by Terraform 1.11 in "
        "favour of use_lockfile; both may be set during a migration.",
    )
    assume_role: AssumeRole | None = Field(
        None,
        description="Role for state access. Omitted: each workspace uses its account's deploy_role_arn.",
    )
    endpoints: Endpoints | None = None
    use_path_style: Flag | None = None
    skip_credentials_validation: Flag | None = None
    skip_requesting_account_id: Flag | None = None
    skip_metadata_api_check: Flag | None = None
    skip_region_validation: Flag | None = None

    @model_validator(mode="after")
    def _safe(self) -> S3BackendSettings:
        if not self.encrypt:
            raise problem(
                "encrypt",
                "encrypt is false",
                "state holds every resource attribute; keep encrypt: true",
            )
        if not self.use_lockfile and not self.dynamodb_table:
            raise problem(
                "locking",
                "no state locking: use_lockfile is false and no dynamodb_table is set",
                "set use_lockfile: true (Terraform 1.10+) or name a dynamodb_table",
            )
        if self.kms_key_id is not None and not self.kms_key_id.startswith("arn:"):
            raise problem(
                "kms_key_id",
                "kms_key_id must be a key or alias ARN",
                "the S3 backend needs the full ARN, e.g. arn:aws:kms:ap-northeast-1:111111111111:alias/tfstate",
            )
        return self

    def state_key(self, workspace: str) -> str:
        return f"{self.key}/{workspace}.tfstate"

    def terraform_settings(self, workspace: str, default_role_arn: str | None) -> dict[str, Any]:
        """The ``backend "s3"`` block for one workspace, in Terraform's JSON form."""
        settings = self.model_dump(exclude_none=True)
        settings["key"] = self.state_key(workspace)
        if not self.use_lockfile:
            # Terraform before 1.10 rejects the argument it does not know; false is its default.
            del settings["use_lockfile"]
        role = settings.pop("assume_role", None)
        if role is None and default_role_arn:
            role = {"role_arn": default_role_arn, "session_name": f"cdktf-state-{workspace}"}
        if role is not None:
            settings["assume_role"] = role
        return settings


def load_backend(path: Path, display: str = BACKEND_FILE) -> S3BackendSettings | None:
    """The settings in ``path``, ``None`` when it does not exist (local state)."""
    if not path.exists() and not path.is_symlink():
        return None
    text, problems = read_text(path, display)
    data = None
    if text is not None:
        data, problems = parse_json(text, display)
    if problems:
        raise ConfigError(problems)
    top: dict[str, Any] = data if isinstance(data, dict) else {}
    terraform: dict[str, Any] = top["terraform"] if isinstance(top.get("terraform"), dict) else {}
    # main.py reads this file, Terraform never does: anything beside the backend would be ignored silently.
    unknown = [name for name in top if name not in ("terraform", COMMENT)]
    unknown += [f"terraform.{name}" for name in terraform if name not in ("backend", COMMENT)]
    if unknown:
        raise ConfigError(
            [
                Problem(
                    display,
                    name,
                    "not a backend setting: only terraform.backend.s3 is read from this file",
                    "remove it; providers, versions and tags come from environments/ and stacks/base.py",
                )
                for name in unknown
            ]
        )
    backend = terraform.get("backend")
    if not isinstance(backend, dict) or set(backend) != {"s3"}:
        raise ConfigError(
            [
                Problem(
                    display,
                    "terraform.backend",
                    "expected exactly one backend, s3",
                    "start from backend.tf.json.example: {'terraform': {'backend': {'s3': {...}}}}",
                )
            ]
        )
    s3 = backend["s3"]
    if isinstance(s3, dict):
        # A "//" property is a comment in Terraform's JSON syntax ("JSON Configuration
        # Syntax", Comment Properties); backend.tf.json.example explains itself with one.
        s3 = {name: value for name, value in s3.items() if name != COMMENT}
    try:
        settings = S3BackendSettings.model_validate(s3)
    except ValidationError as error:
        prefixed = [
            Problem(p.file, f"terraform.backend.s3.{p.field}".rstrip("."), p.message, p.hint)
            for p in problems_from_validation(display, error, reference="backend.tf.json.example and the README")
        ]
        raise ConfigError(prefixed) from None
    problems = _arn_problems(settings, display)
    if problems:
        raise ConfigError(problems)
    return settings


def _arn_problems(settings: S3BackendSettings, display: str) -> list[Problem]:
    """The state key must be in the bucket's region and partition ("Specifying server-side
    encryption with AWS KMS", Amazon S3 User Guide: the key and the bucket share a region)."""
    field = "terraform.backend.s3."
    found = []
    arns = {"kms_key_id": settings.kms_key_id}
    if settings.assume_role is not None:
        arns["assume_role.role_arn"] = settings.assume_role.role_arn
    for name, arn in arns.items():
        if arn is None:
            continue
        wrong = arn_partition_problem(display, field + name, arn, settings.region)
        if wrong is not None:
            found.append(wrong)
    key_region = settings.kms_key_id.split(":")[3] if settings.kms_key_id else settings.region
    if not found and key_region != settings.region:
        found.append(
            Problem(
                display,
                field + "kms_key_id",
                f"the key is in {key_region}, but the state bucket is in {settings.region}",
                "S3 encrypts with a KMS key of the bucket's own region; use the key the bootstrap workspace "
                "creates there",
            )
        )
    return found
