"""IAM policy documents as deterministic JSON strings.

Documents are built in Python rather than with the ``aws_iam_policy`` data
source (which calls AWS); ``json.dumps`` keeps CDKTF tokens inside the string,
and Terraform resolves them. Sorting keys keeps synthesis byte-for-byte stable.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

Statement = Mapping[str, Any]


def statement(
    sid: str,
    actions: Sequence[str],
    resources: Sequence[str] | None = None,
    *,
    principals: Mapping[str, Any] | None = None,
    conditions: Mapping[str, Mapping[str, Any]] | None = None,
    effect: str = "Allow",
) -> dict[str, Any]:
    """One statement; ``resources=None`` is only for resource policies (implicit self)."""
    body: dict[str, Any] = {"Sid": sid, "Effect": effect, "Action": sorted(actions)}
    if resources is not None:
        body["Resource"] = list(resources) if len(resources) != 1 else resources[0]
    if principals is not None:
        body["Principal"] = dict(principals)
    if conditions:
        body["Condition"] = {op: dict(values) for op, values in conditions.items()}
    return body


# What CloudWatch Logs needs of a customer managed key ("Encrypt log data in CloudWatch
# Logs using AWS Key Management Service", CloudWatch Logs User Guide).
LOGS_KEY_ACTIONS = ("kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*")


def logs_key_statement(
    sid: str, region: str, log_group_arns: str | Sequence[str], operator: str = "ArnEquals"
) -> dict[str, Any]:
    """The key policy statement that lets CloudWatch Logs of ``region`` use the key, for
    the named log groups only (the encryption context carries the log group's ARN)."""
    return statement(
        sid,
        LOGS_KEY_ACTIONS,
        ["*"],
        principals={"Service": f"logs.{region}.amazonaws.com"},
        conditions={operator: {"kms:EncryptionContext:aws:logs:arn": log_group_arns}},
    )


def document(statements: Iterable[Statement]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)}, sort_keys=True)


def service_trust(service: str, account_id: str) -> str:
    """A role trust policy for an AWS service, limited to this account (confused deputy)."""
    return document(
        [
            statement(
                "TrustService",
                ["sts:AssumeRole"],
                principals={"Service": service},
                conditions={"StringEquals": {"aws:SourceAccount": account_id}},
            )
        ]
    )


def arn(partition: str, service: str, region: str, account_id: str, resource: str) -> str:
    return f"arn:{partition}:{service}:{region}:{account_id}:{resource}"
