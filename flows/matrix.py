"""Every flow the system needs, and every flow that must be impossible, each with its reason.

The rows are derived from the synthesized network by kind of node, so a new target
account, interface endpoint or pipeline adds its rows without an edit here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from config.codeconnections_regions import webhook_endpoint_hostname
from flows.network import FlowModelError, Network, Resolution, Verdict

if TYPE_CHECKING:
    from config.loader import Environments

# The port each interface endpoint service listens on (SES SMTP submission is 587;
# every other AWS API endpoint is HTTPS).
ENDPOINT_PORTS = {"email-smtp": 587}
EXTERNAL_REDIS = "tooling/redis:external"


@dataclass(frozen=True)
class Flow:
    """A connection that must be possible (``must``) or impossible."""

    src: str
    dst: str
    port: int | None  # None: every port
    protocol: str
    must: bool
    why: str

    @property
    def port_text(self) -> str:
        if self.protocol == "-1":
            return "any"
        return f"{self.protocol}/{self.port}" if self.port is not None else f"{self.protocol}/any"


@dataclass(frozen=True)
class Name:
    """A host name that must resolve, from a VPC, to a node (``expect``)."""

    name: str
    workspace: str
    expect: str
    why: str


@dataclass(frozen=True)
class Checked:
    flow: Flow
    verdict: Verdict

    @property
    def ok(self) -> bool:
        return self.verdict.holds if self.flow.must else not self.verdict.possible


@dataclass(frozen=True)
class CheckedName:
    name: Name
    resolution: Resolution

    @property
    def ok(self) -> bool:
        return self.resolution.answer == self.name.expect


def redis_port(environments: Environments) -> int | None:
    """The port of the external Redis when ``gitlab.redis`` is set (None: Redis is bundled)."""
    gitlab = environments.tooling.gitlab
    return gitlab.redis.port if gitlab is not None and gitlab.redis is not None else None


def _of(network: Network, kind: str, workspace: str | None = None) -> list[str]:
    return sorted(
        label
        for label, node in network.nodes.items()
        if node.kind == kind and (workspace is None or node.workspace == workspace)
    )


def _endpoint_port(label: str) -> int:
    return ENDPOINT_PORTS.get(label.split(":", 1)[1], 443)


def _need(src: str, dst: str, port: int, why: str) -> Flow:
    return Flow(src, dst, port, "tcp", True, why)


def _never(src: str, dst: str, why: str, protocol: str = "tcp") -> Flow:
    """Impossible on every port (of ``protocol``; "-1": of every protocol)."""
    return Flow(src, dst, None, protocol, False, why)


def flows(network: Network, tooling: str, redis_port: int | None = None) -> list[Flow]:
    """The matrix for a network whose GitLab runs in the ``tooling`` workspace."""
    return [
        *_people(network, tooling),
        *_gitlab(network, tooling, redis_port),
        *_pipelines(network, tooling),
        *_forbidden(network, tooling),
    ]


def _people(network: Network, tooling: str) -> list[Flow]:
    if "vpn-client" not in network.nodes:
        return []
    rows = [
        _need("vpn-client", alb, 443, "people use GitLab's web UI and API over the Client VPN")
        for alb in _of(network, "alb", tooling)
    ]
    rows += [
        _need("vpn-client", nlb, 22, "people push and pull over SSH through the Client VPN")
        for nlb in _of(network, "nlb", tooling)
    ]
    for server in network.vpn.get("dns_servers", []):
        resolver = next((label for label, node in network.nodes.items() if node.kind == "resolver"
                         and node.address == f"{server}/32"), None)  # fmt: skip
        if resolver is None:
            raise FlowModelError(f"the Client VPN's DNS server {server} is no VPC's resolver")
        for protocol in ("udp", "tcp"):
            rows.append(
                Flow("vpn-client", resolver, 53, protocol, True, "VPN users resolve names with the VPC's resolver")
            )
    return rows


def _gitlab(network: Network, tooling: str, redis_port: int | None) -> list[Flow]:
    rows: list[Flow] = []
    for task in _of(network, "ecs", tooling):
        rows += [
            _need(alb, task, 80, "the ALB terminates TLS and forwards to the task's HTTP port")
            for alb in _of(network, "alb", tooling)
        ]
        rows += [
            _need(nlb, task, 22, "the SSH NLB forwards git over SSH to the task")
            for nlb in _of(network, "nlb", tooling)
        ]
        rows += [_need(task, db, 5432, "GitLab's PostgreSQL database") for db in _of(network, "database", tooling)]
        rows += [
            _need(task, efs, 2049, "repositories and shared files on EFS (NFS)") for efs in _of(network, "efs", tooling)
        ]
        rows += [
            _need(task, endpoint, _endpoint_port(endpoint), "AWS APIs through the interface endpoint, not the internet")
            for endpoint in _of(network, "endpoint", tooling)
        ]
        if redis_port is not None:
            rows.append(
                _need(task, EXTERNAL_REDIS, redis_port, "the external ElastiCache (Redis) configured in gitlab.redis")
            )
        rows += [
            _need(task, webhook, 443, "GitLab delivers push webhooks to the CodeConnections webhook endpoint")
            for webhook in _of(network, "webhook")
        ]
    return rows


def _pipelines(network: Network, tooling: str) -> list[Flow]:
    albs = _of(network, "alb", tooling)
    rows = [
        _need(host, alb, 443, "CodeConnections calls GitLab's API and clones through the host's interfaces")
        for host in _of(network, "host")
        for alb in albs
    ]
    for build in _of(network, "codebuild"):
        rows += [
            _need(build, endpoint, _endpoint_port(endpoint), "a VPC build reaches AWS APIs through its VPC's endpoint")
            for endpoint in _of(network, "endpoint", network.nodes[build].workspace)
        ]
        rows += [_need(build, alb, 443, "a VPC build fetches from GitLab") for alb in albs]
    return rows


def _forbidden(network: Network, tooling: str) -> list[Flow]:
    targets = sorted({key[0] for key in network.vpcs} - {tooling})
    rows = [
        _never(f"{a}/vpc", f"{b}/vpc", "target accounts are isolated from each other", protocol="-1")
        for a in targets
        for b in targets
        if a != b
    ]
    for a in targets:
        rows += [
            _never(f"{a}/vpc", db, "only GitLab's task reaches its database")
            for db in _of(network, "database", tooling)
        ]
        rows += [
            _never(f"{a}/vpc", efs, "only GitLab's task mounts its file system") for efs in _of(network, "efs", tooling)
        ]
        if "vpn-client" in network.nodes:
            rows.append(_never("vpn-client", f"{a}/vpc", "VPN users reach the tooling VPC only", protocol="-1"))
    rows += [
        _never(task, "internet", "GitLab has no way to the internet (no NAT, no internet gateway)", protocol="-1")
        for task in _of(network, "ecs", tooling)
    ]
    # The task's egress names its peers' security groups, and no load balancer is
    # one: GitLab answers through its ALB, it does not call its own URL through it.
    rows += [
        _never(task, alb, "GitLab answers through its ALB and is given no way back to its own URL")
        for task in _of(network, "ecs", tooling)
        for alb in _of(network, "alb", tooling)
    ]
    rows += [
        _never("outside", vpc, "nothing outside the VPCs and the Client VPN enters them", protocol="-1")
        for vpc in sorted(f"{key[0]}/vpc" for key in network.vpcs)
    ]
    return rows


def names(network: Network, tooling: str) -> list[Name]:
    """Names that must resolve inside the VPCs (Route 53 private zones and endpoint private DNS)."""
    outputs = network.stacks[tooling].get("output", {})
    url = str(outputs.get("gitlab_url", {}).get("value", ""))
    ssh = str(outputs.get("ssh_hostname", {}).get("value", ""))
    albs, nlbs = _of(network, "alb", tooling), _of(network, "nlb", tooling)
    rows: list[Name] = []
    gitlab_host = url.removeprefix("https://").split("/", 1)[0]
    for workspace in sorted(key[0] for key in network.vpcs):
        if (
            gitlab_host
            and albs
            and (workspace == tooling or _of(network, "codebuild", workspace) or _of(network, "host", workspace))
        ):
            rows.append(Name(gitlab_host, workspace, albs[0], "GitLab's name leads to its internal ALB"))
    if ssh and nlbs:
        rows.append(Name(ssh, tooling, nlbs[0], "VPN users (the VPC resolver) find the SSH NLB"))
    for label in _of(network, "endpoint"):
        workspace = network.nodes[label].workspace
        vpc = network.vpc_of(workspace)
        dns = next((name for name, node in network.endpoint_names.get(vpc, {}).items() if node == label), None)
        if dns:
            rows.append(Name(dns, workspace, label, "the AWS API name resolves to the endpoint (private DNS)"))
    for webhook in _of(network, "webhook"):
        region = network.region(network.nodes[webhook].workspace)
        rows.append(
            Name(
                webhook_endpoint_hostname(region),
                tooling,
                webhook,
                "GitLab resolves the webhook host name to the endpoint",
            )
        )
    return rows


def check(network: Network, tooling: str, redis_port: int | None = None) -> tuple[list[Checked], list[CheckedName]]:
    if redis_port is not None and EXTERNAL_REDIS not in network.nodes:
        network.add_external(EXTERNAL_REDIS, "redis", tooling, frozenset({redis_port}))
    checked = [
        Checked(f, network.reachable(f.src, f.dst, f.port, f.protocol)) for f in flows(network, tooling, redis_port)
    ]
    resolved = [CheckedName(n, network.resolves(n.name, network.vpc_of(n.workspace))) for n in names(network, tooling)]
    return checked, resolved
