"""Where AWS CodeConnections offers GitLab self-managed: an allow-list.

The one place this list lives. A region is accepted only once it is known here,
so a new AWS region is refused until someone checks it, never silently accepted.

Source: AWS CodePipeline User Guide, "Connections for GitLab self-managed"
(docs.aws.amazon.com/codepipeline/latest/userguide/connections-gitlab-managed.html),
whose note excludes "Asia Pacific (Hong Kong), Asia Pacific (Hyderabad), Asia
Pacific (Jakarta), Asia Pacific (Melbourne), Asia Pacific (Osaka), Africa (Cape
Town), Middle East (Bahrain), Middle East (UAE), Europe (Spain), Europe (Zurich),
Israel (Tel Aviv), or AWS GovCloud (US-West)"; the regions offered are the
CodeConnections regions of the AWS General Reference ("AWS CodeConnections
endpoints and quotas") minus that note. Regions opened after both pages
(ap-east-2, ap-southeast-5, ap-southeast-7, ca-west-1, mx-central-1, us-gov-east-1)
are in neither list until AWS documents them. When AWS changes a page, change
these mappings and their tests.

A pipeline itself must run where the connection (and its host) exists; its deploy
actions may run in any region (cross-region actions), which is the way out.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

SOURCE = "https://docs.aws.amazon.com/codepipeline/latest/userguide/connections-gitlab-managed.html"

AVAILABLE: Mapping[str, str] = MappingProxyType(
    {
        "us-east-1": "US East (N. Virginia)",
        "us-east-2": "US East (Ohio)",
        "us-west-1": "US West (N. California)",
        "us-west-2": "US West (Oregon)",
        "ap-south-1": "Asia Pacific (Mumbai)",
        "ap-northeast-1": "Asia Pacific (Tokyo)",
        "ap-northeast-2": "Asia Pacific (Seoul)",
        "ap-southeast-1": "Asia Pacific (Singapore)",
        "ap-southeast-2": "Asia Pacific (Sydney)",
        "ca-central-1": "Canada (Central)",
        "eu-central-1": "Europe (Frankfurt)",
        "eu-west-1": "Europe (Ireland)",
        "eu-west-2": "Europe (London)",
        "eu-west-3": "Europe (Paris)",
        "eu-south-1": "Europe (Milan)",
        "eu-north-1": "Europe (Stockholm)",
        "sa-east-1": "South America (São Paulo)",
    }
)

# Named by AWS's note as not offering GitLab self-managed (a clearer message than "unknown").
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
    return region in AVAILABLE


def unavailable_reason(region: str) -> str:
    """Why ``region`` is refused, for a problem message."""
    if region in UNAVAILABLE:
        return f"AWS CodeConnections does not offer GitLab self-managed in {region} ({UNAVAILABLE[region]})"
    return (
        f"{region} is not on the list of regions where AWS CodeConnections offers GitLab self-managed "
        f"(config/codeconnections_regions.py, from {SOURCE})"
    )


def webhook_endpoint_hostname(region: str) -> str:
    """The host name GitLab sends the connection's webhooks to, in ``region``.

    With a VPC configuration, CodeConnections creates the interface endpoint
    ``com.amazonaws.<region>.codestar-connections.webhooks`` in the host's VPC
    ("AWS CodeConnections and interface VPC endpoints (AWS PrivateLink)", Developer
    Tools console User Guide, "VPC endpoints for AWS CodeConnections webhooks");
    the webhook URL the service registers with the provider is
    ``https://<region>.codestar-connections.webhooks.aws/connect/trigger/...``, the
    name that endpoint's private DNS answers inside the VPC. GitLab's outbound
    allowlist (``outbound_local_requests_whitelist``) admits exactly this name.
    """
    if region not in AVAILABLE:
        raise ValueError(unavailable_reason(region))
    return f"{region}.codestar-connections.webhooks.aws"
