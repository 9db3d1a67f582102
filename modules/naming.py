"""Physical names: one helper, with each AWS resource type's length and charset.

Every name is ``<prefix>-<workspace>-<parts…>``. When that is too long for the
resource type, it is cut and a short hash of the whole name is appended, so two
long names never collide and the same input always gives the same name. The
rules and the composition live in ``config.naming_rules``, where the loader
checks the names it will produce before anything is synthesized.
"""

from __future__ import annotations

from dataclasses import dataclass

from config.naming_rules import LIMITS, Limit, compose

__all__ = ["LIMITS", "Limit", "Namer"]


@dataclass(frozen=True)
class Namer:
    """Names resources of one workspace: ``Namer("gitlab", "tooling").name("lb", "alb")``."""

    prefix: str
    workspace: str

    def name(self, kind: str, *parts: str, separator: str = "-") -> str:
        return compose(kind, self.prefix, self.workspace, *parts, separator=separator)

    def path(self, kind: str, *parts: str) -> str:
        """A slash-separated name, e.g. a log group ``/gitlab/tooling/flow-logs``."""
        return "/" + self.name(kind, *parts, separator="/")

    def child(self, workspace: str) -> Namer:
        """A namer for another workspace of the same project (e.g. hub routing)."""
        return Namer(self.prefix, workspace)
