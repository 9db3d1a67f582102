"""Each AWS resource type's naming rules, and how this project composes physical names.

Kept in ``config`` so that the loader can refuse, with the field to change, a
``name_prefix``, workspace or pipeline name that gives a name AWS refuses, and
``modules.naming`` builds every name with the same ``compose``: what is checked
is exactly what is created.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType


@dataclass(frozen=True)
class Limit:
    """How long a name may be, which characters it may use, and what AWS reserves."""

    length: int
    allowed: str  # regex character class body of characters kept
    lowercase: bool = False
    reserved_prefixes: tuple[str, ...] = ()
    reserved_suffixes: tuple[str, ...] = ()
    no_double_hyphen: bool = False
    letter_first: bool = False
    alnum_ends: bool = False  # no hyphen (or other punctuation) first or last
    doc: str = field(default="", compare=False)  # where the rule is written down


# S3 "General purpose bucket naming rules", Amazon S3 User Guide.
_S3 = Limit(
    63,
    r"a-z0-9-",
    lowercase=True,
    reserved_prefixes=("xn--", "sthree-", "amzn-s3-demo-"),
    reserved_suffixes=("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"),
    alnum_ends=True,
    doc="General purpose bucket naming rules, Amazon S3 User Guide",
)
# Limits from each service's API reference ("Constraints" of the name parameter).
LIMITS: Mapping[str, Limit] = MappingProxyType(
    {
        "default": Limit(64, r"a-zA-Z0-9-"),
        "iam_role": Limit(64, r"a-zA-Z0-9+=,.@_-", doc="IAM CreateRole, RoleName"),
        "iam_policy": Limit(128, r"a-zA-Z0-9+=,.@_-", doc="IAM CreatePolicy, PolicyName"),
        "iam_user": Limit(64, r"a-zA-Z0-9+=,.@_-", doc="IAM CreateUser, UserName"),
        "s3_bucket": _S3,
        "log_group": Limit(512, r"a-zA-Z0-9_./#-", doc="CloudWatch Logs CreateLogGroup, logGroupName"),
        "kms_alias": Limit(
            250, r"a-zA-Z0-9/_-", reserved_prefixes=("aws/",), doc="KMS CreateAlias: alias/aws/ is for AWS managed keys"
        ),
        "security_group": Limit(
            255, r"a-zA-Z0-9._-", reserved_prefixes=("sg-",), doc="EC2 CreateSecurityGroup, GroupName"
        ),
        "ecs": Limit(255, r"a-zA-Z0-9_-", doc="ECS CreateCluster and CreateService, name"),
        "lb": Limit(
            32,
            r"a-zA-Z0-9-",
            reserved_prefixes=("internal-",),
            alnum_ends=True,
            doc="Elastic Load Balancing CreateLoadBalancer, Name",
        ),
        "target_group": Limit(32, r"a-zA-Z0-9-", alnum_ends=True, doc="CreateTargetGroup, Name"),
        "rds": Limit(
            63,
            r"a-z0-9-",
            lowercase=True,
            no_double_hyphen=True,
            letter_first=True,
            alnum_ends=True,
            doc="RDS CreateDBCluster, DBClusterIdentifier",
        ),
        # ECR repository names are slash-separated components that never hold two separators in a row.
        "ecr": Limit(
            256, r"a-z0-9._/-", lowercase=True, no_double_hyphen=True, alnum_ends=True, doc="ECR repositoryName"
        ),
        "ecr_cache_prefix": Limit(
            30, r"a-z0-9._-", lowercase=True, no_double_hyphen=True, alnum_ends=True, doc="ECR ecrRepositoryPrefix"
        ),
        "efs": Limit(128, r"a-zA-Z0-9_.:/=+@-"),
        "secret": Limit(512, r"a-zA-Z0-9/_+=.@-", doc="Secrets Manager CreateSecret, Name"),
        "sns": Limit(256, r"a-zA-Z0-9_-", doc="SNS CreateTopic, Name"),
        "codebuild": Limit(150, r"a-zA-Z0-9_-", alnum_ends=True, doc="CodeBuild CreateProject, name"),
        "codepipeline": Limit(100, r"a-zA-Z0-9.@_-", doc="CodePipeline PipelineDeclaration, name"),
        "codeconnections": Limit(32, r"a-zA-Z0-9._-", doc="CodeConnections CreateHost, Name"),
        "backup": Limit(50, r"a-zA-Z0-9_-", doc="AWS Backup CreateBackupVault, BackupVaultName"),
        "cloudwatch": Limit(255, r"a-zA-Z0-9_.-"),
        "tag": Limit(256, r"a-zA-Z0-9 _.:/=+@-", doc="Tag restrictions, Tagging AWS resources"),
    }
)

_HASH = 6


def compose(kind: str, prefix: str, workspace: str, *parts: str, separator: str = "-") -> str:
    """``<prefix>-<workspace>-<parts…>`` in ``kind``'s charset; when too long, cut and
    suffixed with a short hash of the whole name, so two long names never collide."""
    limit = LIMITS[kind]
    full = separator.join((prefix, workspace, *parts))
    if limit.lowercase:
        full = full.lower()
    full = re.sub(f"[^{limit.allowed}]", "-", full)
    if len(full) <= limit.length:
        return full
    digest = hashlib.sha256(full.encode()).hexdigest()[:_HASH]
    return f"{full[: limit.length - _HASH - 1].rstrip('-_./')}-{digest}"


def violations(kind: str, name: str) -> list[tuple[str, str]]:
    """(what is wrong, the text that causes it) for every rule of ``kind`` that ``name`` breaks."""
    limit = LIMITS[kind]
    found: list[tuple[str, str]] = []
    if len(name) > limit.length:
        found.append((f"is {len(name)} characters, more than {limit.length}", name))
    bad = sorted(set(re.sub(f"[{limit.allowed}]", "", name)))
    if bad:
        found.append((f"contains {''.join(bad)!r}, not allowed here", "".join(bad)))
    found += [(f"starts with the reserved prefix '{p}'", p) for p in limit.reserved_prefixes if name.startswith(p)]
    found += [(f"ends with the reserved suffix '{s}'", s) for s in limit.reserved_suffixes if name.endswith(s)]
    if limit.no_double_hyphen and "--" in name:
        found.append(("contains two consecutive hyphens", "--"))
    if limit.letter_first and not name[:1].isalpha():
        found.append(("does not start with a letter", name[:1]))
    if limit.alnum_ends and name and not (name[0].isalnum() and name[-1].isalnum()):
        found.append(("starts or ends with a character other than a letter or digit", name[-1]))
    return found
