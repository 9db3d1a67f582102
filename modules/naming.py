"""Physical names: one helper, with each AWS resource type's length and charset.

Every name is ``<prefix>-<workspace>-<parts…>``. When that is too long for the
resource type, it is cut and a short hash of the whole name is appended, so two
long names never collide and the same input always gives the same name.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType


@dataclass(frozen=True)
class Limit:
    """How long a name may be and which characters it may use."""

    length: int
    allowed: str  # regex character class body of characters kept
    lowercase: bool = False


# Limits from each service's API reference ("Constraints" of the name parameter).
LIMITS: Mapping[str, Limit] = MappingProxyType(
    {
        "default": Limit(64, r"a-zA-Z0-9-"),
        "iam_role": Limit(64, r"a-zA-Z0-9+=,.@_-"),
        "iam_policy": Limit(128, r"a-zA-Z0-9+=,.@_-"),
        "iam_user": Limit(64, r"a-zA-Z0-9+=,.@_-"),
        "s3_bucket": Limit(63, r"a-z0-9-", lowercase=True),
        "log_group": Limit(512, r"a-zA-Z0-9_./#-"),
        "kms_alias": Limit(250, r"a-zA-Z0-9/_-"),
        "security_group": Limit(255, r"a-zA-Z0-9._-"),
        "ecs": Limit(255, r"a-zA-Z0-9_-"),
        "lb": Limit(32, r"a-zA-Z0-9-"),
        "target_group": Limit(32, r"a-zA-Z0-9-"),
        "rds": Limit(63, r"a-z0-9-", lowercase=True),
        "ecr": Limit(256, r"a-z0-9._/-", lowercase=True),
        "ecr_cache_prefix": Limit(30, r"a-z0-9._-", lowercase=True),
        "efs": Limit(128, r"a-zA-Z0-9_.:/=+@-"),
        "secret": Limit(512, r"a-zA-Z0-9/_+=.@-"),
        "sns": Limit(256, r"a-zA-Z0-9_-"),
        "codebuild": Limit(150, r"a-zA-Z0-9_-"),
        "codepipeline": Limit(100, r"a-zA-Z0-9.@_-"),
        "codeconnections": Limit(32, r"a-zA-Z0-9._-"),
        "backup": Limit(50, r"a-zA-Z0-9_-"),
        "cloudwatch": Limit(255, r"a-zA-Z0-9_.-"),
        "tag": Limit(256, r"a-zA-Z0-9 _.:/=+@-"),
    }
)

_HASH = 6


@dataclass(frozen=True)
class Namer:
    """Names resources of one workspace: ``Namer("gitlab", "tooling").name("lb", "alb")``."""

    prefix: str
    workspace: str

    def name(self, kind: str, *parts: str, separator: str = "-") -> str:
        limit = LIMITS[kind]
        full = separator.join((self.prefix, self.workspace, *parts))
        if limit.lowercase:
            full = full.lower()
        full = re.sub(f"[^{limit.allowed}]", "-", full)
        if len(full) <= limit.length:
            return full
        digest = hashlib.sha256(full.encode()).hexdigest()[:_HASH]
        return f"{full[: limit.length - _HASH - 1].rstrip('-_./')}-{digest}"

    def path(self, kind: str, *parts: str) -> str:
        """A slash-separated name, e.g. a log group ``/gitlab/tooling/flow-logs``."""
        return "/" + self.name(kind, *parts, separator="/")

    def child(self, workspace: str) -> Namer:
        """A namer for another workspace of the same project (e.g. hub routing)."""
        return Namer(self.prefix, workspace)
