"""Regions where AWS CodeConnections does not offer GitLab self-managed.

The one place this list lives. Source: AWS CodePipeline User Guide, "Connections
for GitLab self-managed" (docs.aws.amazon.com/codepipeline/latest/userguide/
connections-gitlab-managed.html), the note "This feature is not available in the
Asia Pacific (Hong Kong), Asia Pacific (Hyderabad), Asia Pacific (Jakarta), Asia
Pacific (Melbourne), Asia Pacific (Osaka), Africa (Cape Town), Middle East
(Bahrain), Middle East (UAE), Europe (Spain), Europe (Zurich), Israel (Tel Aviv),
or AWS GovCloud (US-West) Regions". The design talk calls out Osaka
(ap-northeast-3). When AWS changes the note, change this mapping and its test.

A pipeline itself must run where the connection (and its host) exists; its deploy
actions may run in any region (cross-region actions), which is the way out.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

SOURCE = "https://docs.aws.amazon.com/codepipeline/latest/userguide/connections-gitlab-managed.html"

UNAVAILABLE: Mapping[str, str] = MappingProxyType(
    {
        "ap-east-1": "Asia Pacific (Hong Kong)",
        "ap-south-2": "Asia Pacific (Hyderabad)",
        "ap-southeast-3": "Asia Pacific (Jakarta)",
        "ap-southeast-4": "Asia Pacific (Melbourne)",
        "ap-northeast-3": "Asia Pacific (Osaka)",
        "af-south-1": "Africa (Cape Town)",
        "me-south-1": "Middle East (Bahrain)",
        "me-central-1": "Middle East (UAE)",
        "eu-south-2": "Europe (Spain)",
        "eu-central-2": "Europe (Zurich)",
        "il-central-1": "Israel (Tel Aviv)",
        "us-gov-west-1": "AWS GovCloud (US-West)",
    }
)


def gitlab_self_managed_available(region: str) -> bool:
    """Whether a CodeConnections host for GitLab self-managed can be created in ``region``."""
    return region not in UNAVAILABLE
