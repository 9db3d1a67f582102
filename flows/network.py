"""The network of the synthesized workspaces, and reachability and name resolution in it.

A *node* is something that sends or receives traffic: an ECS service, a load
balancer, a database, EFS mount targets, an interface endpoint, a CodeBuild
project in a VPC, the CodeConnections host's interfaces and the webhook endpoint
AWS creates beside them, the Client VPN's clients, and two places outside every
VPC (``internet`` and ``outside``). ``reachable`` checks, for every pair of a
source subnet and a destination subnet, the four things AWS checks for a TCP
connection: the route there and the route back (VPC route tables, then the Transit
Gateway route table the attachment is associated with, whose routes are the
propagations), the source's security group egress and the destination's
ingress. A flow *holds* when every pair passes with rules that cover the whole
subnet; a flow is *possible* when some pair passes with rules that only overlap
it, which is what an impossible flow must never be.

Limits, on purpose, and checked (a workspace that crosses one is refused with a
message): network ACLs are not modelled (the project creates none, so the VPCs'
default ACLs allow everything); security group references across VPCs never
match (the Transit Gateway's security group referencing is not enabled).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from config.codeconnections_regions import webhook_endpoint_hostname

Stacks = Mapping[str, Mapping[str, Any]]
Key = tuple[str, str, str]  # (workspace, resource type, name)

_REF = re.compile(r"^\$\{([a-z0-9_]+)\.([\w-]+)\.(\w+)(?:\[0\])?\}$")
_REMOTE = re.compile(r"^\$\{data\.terraform_remote_state\.([\w-]+)\.outputs\.(\w+)\}$")
# Addresses that stand for places outside every VPC (RFC 5737 documentation ranges).
INTERNET_ADDRESS = "198.51.100.10/32"
OUTSIDE_ADDRESS = "203.0.113.10/32"
HOST_TYPES = ("aws_codeconnections_host", "aws_codestarconnections_host")


class FlowModelError(ValueError):
    """The synthesized JSON holds something the model cannot follow."""


def _net(cidr: str) -> ipaddress.IPv4Network:
    return ipaddress.ip_network(cidr, strict=False)  # type: ignore[return-value]


def _short(key: Key) -> str:
    """A resource's construct ID without its hash: ``transit-hub_rt-spokes_F6..`` -> ``rt-spokes``."""
    return key[2].rsplit("_", 1)[0].split("_")[-1]


Place = tuple[Key | None, str, Key | None]  # (VPC, CIDR, subnet) a connection starts from


@dataclass(frozen=True)
class Want:
    """What a connection needs admitted; ``strict``: rules must cover whole subnets."""

    protocol: str
    port: int | None
    strict: bool

    def __str__(self) -> str:
        if self.protocol == "-1":
            return "any traffic"
        return f"{self.protocol}/{self.port}" if self.port is not None else f"any {self.protocol} port"


@dataclass(frozen=True)
class Peer:
    """The other end of a connection, as a security group rule sees it."""

    vpc: Key | None
    cidr: str
    groups: tuple[Key, ...]


def covers(outer: str, inner: str, strict: bool) -> bool:
    """``outer`` contains ``inner`` (strict) or overlaps it."""
    a, b = _net(outer), _net(inner)
    return b.subnet_of(a) if strict else a.overlaps(b)


@dataclass(frozen=True)
class Rule:
    protocol: str  # "tcp", "udp", "-1"
    from_port: int
    to_port: int
    cidr: str | None = None
    group: Key | None = None
    prefix_list: bool = False
    description: str = ""

    def admits(self, protocol: str, port: int | None) -> bool:
        """``port`` None: any port of ``protocol`` ("-1": any protocol)."""
        if self.protocol in ("-1", "all") or protocol == "-1":
            return True
        return self.protocol == protocol and (port is None or self.from_port <= port <= self.to_port)


@dataclass
class SecurityGroup:
    key: Key
    name: str
    vpc: Key | None
    ingress: list[Rule] = field(default_factory=list)
    egress: list[Rule] = field(default_factory=list)


@dataclass(frozen=True)
class Subnet:
    key: Key
    vpc: Key
    cidr: str
    az: str


@dataclass(frozen=True)
class Node:
    """Something that sends or receives traffic."""

    label: str
    kind: str
    workspace: str
    subnets: tuple[Key, ...] = ()
    groups: tuple[Key, ...] = ()
    ports: frozenset[int] | None = None  # listening ports; None: any
    address: str | None = None  # outside every VPC, or a CIDR standing for an unmanaged node
    vpc: Key | None = None  # for a node known only by its VPC (address = the VPC CIDR)


@dataclass(frozen=True)
class Verdict:
    """Whether a flow holds (every subnet pair), is possible (some pair), and why."""

    holds: bool
    possible: bool
    because: str

    def __bool__(self) -> bool:
        return self.holds


@dataclass(frozen=True)
class Resolution:
    name: str
    answer: str  # a node label, "public DNS", or "NXDOMAIN"
    because: str


class Network:
    """The model of every workspace's network resources."""

    def __init__(self, stacks: Stacks) -> None:
        self.stacks = stacks
        self.vpcs: dict[Key, str] = {}
        self.subnets: dict[Key, Subnet] = {}
        self.groups: dict[Key, SecurityGroup] = {}
        self.route_of_subnet: dict[Key, Key] = {}
        self.routes: dict[Key, list[tuple[str, str, Key | None]]] = {}  # table -> (cidr, kind, target)
        self.gateways: dict[Key, dict[str, Any]] = {}
        self.attachments: dict[Key, Key] = {}  # attachment -> vpc
        self.attachment_gateway: dict[Key, Key] = {}
        self.accepted: set[Key] = set()
        self.association: dict[Key, Key] = {}  # attachment -> gateway route table
        self.propagations: dict[Key, set[Key]] = {}  # gateway route table -> attachments
        self.static_tgw_routes: dict[Key, list[tuple[str, Key | None]]] = {}
        self.internet_gateways: set[Key] = set()  # VPCs with an internet gateway
        self.entries: list[str] = []  # other ways into the network (VPN, Direct Connect, peering)
        self.nodes: dict[str, Node] = {}
        self.zones: dict[Key, tuple[str, set[Key]]] = {}  # zone -> (name, associated VPCs)
        self.records: dict[Key, dict[str, str]] = {}  # zone -> record name -> target label
        self.endpoint_names: dict[Key, dict[str, str]] = {}  # VPC -> DNS name -> endpoint label
        self.vpn: dict[str, Any] = {}
        for workspace in stacks:
            self._read(workspace)
        for vpc in self.vpcs:
            # Any instance in the VPC, whatever its security groups: for flows that must be impossible.
            self._add(Node(f"{vpc[0]}/vpc", "vpc", vpc[0], tuple(k for k, v in self.subnets.items() if v.vpc == vpc)))
            # The Route 53 Resolver answers at the VPC's base address plus two ("Amazon DNS server",
            # Amazon VPC User Guide); security groups do not apply to it.
            resolver = f"{_net(self.vpcs[vpc]).network_address + 2}/32"
            self._add(Node(f"{vpc[0]}/resolver", "resolver", vpc[0], ports=frozenset({53}), address=resolver, vpc=vpc))
        self._add(Node("internet", "internet", "", address=INTERNET_ADDRESS))
        self._add(Node("outside", "outside", "", address=OUTSIDE_ADDRESS))
        for workspace in stacks:
            self._read_nodes(workspace)
        for workspace in stacks:
            self._read_dns(workspace)

    # --- references -------------------------------------------------------------------------------

    def resolve(self, workspace: str, value: Any) -> Key:
        """The resource a reference names, followed through remote state and accepters."""
        if not isinstance(value, str):
            raise FlowModelError(f"{workspace}: expected a reference, found {value!r}")
        remote = _REMOTE.match(value)
        if remote:
            config = self.stacks[workspace]["data"]["terraform_remote_state"][remote.group(1)]["config"]
            location = str(config.get("path") or config.get("key") or "")
            producer = location.rsplit("/", 1)[-1].removesuffix(".tfstate").removeprefix("terraform.")
            if producer not in self.stacks:
                raise FlowModelError(f"{workspace}: remote state {location!r} names no synthesized workspace")
            return self.resolve(producer, self.stacks[producer]["output"][remote.group(2)]["value"])
        ref = _REF.match(value)
        if not ref:
            raise FlowModelError(f"{workspace}: cannot follow {value!r}")
        rtype, name, attribute = ref.groups()
        body = self._body(workspace, rtype, name)
        # An accepter's attachment ID is the attachment it accepts.
        inner = body.get(attribute) if attribute not in ("id", "arn", "name", "dns_name") else None
        if isinstance(inner, str) and inner.startswith("${"):
            return self.resolve(workspace, inner)
        return (workspace, rtype, name)

    def _body(self, workspace: str, rtype: str, name: str) -> Mapping[str, Any]:
        try:
            return self.stacks[workspace]["resource"][rtype][name]  # type: ignore[no-any-return]
        except KeyError:
            raise FlowModelError(f"{workspace}: {rtype}.{name} is referenced but not defined") from None

    def _each(self, workspace: str, rtype: str) -> Iterable[tuple[str, Mapping[str, Any]]]:
        return self.stacks[workspace].get("resource", {}).get(rtype, {}).items()  # type: ignore[no-any-return]

    def _refs(self, workspace: str, values: Any) -> tuple[Key, ...]:
        return tuple(self.resolve(workspace, value) for value in values or ())

    # --- reading ----------------------------------------------------------------------------------

    def _read(self, ws: str) -> None:
        self._read_vpcs(ws)
        self._read_groups(ws)
        self._read_routes(ws)
        self._read_transit(ws)
        self._read_entries(ws)

    def _read_vpcs(self, ws: str) -> None:
        for name, body in self._each(ws, "aws_vpc"):
            self.vpcs[(ws, "aws_vpc", name)] = body["cidr_block"]
        for name, body in self._each(ws, "aws_subnet"):
            key = (ws, "aws_subnet", name)
            self.subnets[key] = Subnet(
                key, self.resolve(ws, body["vpc_id"]), body["cidr_block"], body["availability_zone"]
            )

    def _read_groups(self, ws: str) -> None:
        for rtype in ("aws_security_group", "aws_default_security_group"):
            for name, body in self._each(ws, rtype):
                key = (ws, rtype, name)
                vpc = self.resolve(ws, body["vpc_id"]) if "vpc_id" in body else None
                group = SecurityGroup(key, str(body.get("name", f"default security group ({ws})")), vpc)
                for direction in ("ingress", "egress"):
                    for inline in body.get(direction) or ():
                        getattr(group, direction).extend(self._inline_rules(ws, inline))
                self.groups[key] = group
        for direction in ("ingress", "egress"):
            for _name, body in self._each(ws, f"aws_vpc_security_group_{direction}_rule"):
                group = self.groups[self.resolve(ws, body["security_group_id"])]
                getattr(group, direction).append(self._rule(ws, body))

    def _read_routes(self, ws: str) -> None:
        for name, body in self._each(ws, "aws_route_table"):
            table = (ws, "aws_route_table", name)
            self.routes.setdefault(table, [])
            for inline in body.get("route") or ():
                self.routes[table].append(self._route(ws, inline))
        for _name, body in self._each(ws, "aws_route"):
            self.routes.setdefault(self.resolve(ws, body["route_table_id"]), []).append(self._route(ws, body))
        for _name, body in self._each(ws, "aws_route_table_association"):
            if "subnet_id" in body:
                self.route_of_subnet[self.resolve(ws, body["subnet_id"])] = self.resolve(ws, body["route_table_id"])

    def _read_transit(self, ws: str) -> None:
        for name, body in self._each(ws, "aws_ec2_transit_gateway"):
            self.gateways[(ws, "aws_ec2_transit_gateway", name)] = dict(body)
        for name, body in self._each(ws, "aws_ec2_transit_gateway_vpc_attachment"):
            key = (ws, "aws_ec2_transit_gateway_vpc_attachment", name)
            self.attachments[key] = self.resolve(ws, body["vpc_id"])
            gateway = self.resolve(ws, body["transit_gateway_id"])
            self.attachment_gateway[key] = gateway
            if gateway[0] == ws:  # the gateway's own account needs no acceptance
                self.accepted.add(key)
        for _name, body in self._each(ws, "aws_ec2_transit_gateway_vpc_attachment_accepter"):
            self.accepted.add(self.resolve(ws, body["transit_gateway_attachment_id"]))
        for _name, body in self._each(ws, "aws_ec2_transit_gateway_route_table_association"):
            attachment = self.resolve(ws, body["transit_gateway_attachment_id"])
            self.association[attachment] = self.resolve(ws, body["transit_gateway_route_table_id"])
        for _name, body in self._each(ws, "aws_ec2_transit_gateway_route_table_propagation"):
            table = self.resolve(ws, body["transit_gateway_route_table_id"])
            self.propagations.setdefault(table, set()).add(self.resolve(ws, body["transit_gateway_attachment_id"]))
        for _name, body in self._each(ws, "aws_ec2_transit_gateway_route"):
            table = self.resolve(ws, body["transit_gateway_route_table_id"])
            target = body.get("transit_gateway_attachment_id")
            blackhole = bool(body.get("blackhole"))
            self.static_tgw_routes.setdefault(table, []).append(
                (body["destination_cidr_block"], None if blackhole or not target else self.resolve(ws, target))
            )

    def _read_entries(self, ws: str) -> None:
        # The model's limits, checked rather than assumed (see the module docstring).
        for rtype in ("aws_network_acl", "aws_network_acl_rule", "aws_default_network_acl"):
            if any(True for _ in self._each(ws, rtype)):
                raise FlowModelError(f"{ws}: {rtype} is not modelled; teach flows/network.py network ACLs first")
        for name, body in self._each(ws, "aws_ec2_transit_gateway"):
            if body.get("security_group_referencing_support") == "enable":
                raise FlowModelError(
                    f"{ws}: aws_ec2_transit_gateway.{name} enables security group referencing, which is not modelled"
                )
        for _name, body in self._each(ws, "aws_internet_gateway"):
            if "vpc_id" in body:
                self.internet_gateways.add(self.resolve(ws, body["vpc_id"]))
        for _name, body in self._each(ws, "aws_internet_gateway_attachment"):
            self.internet_gateways.add(self.resolve(ws, body["vpc_id"]))
        for rtype in (
            "aws_vpn_connection",
            "aws_vpn_gateway",
            "aws_dx_gateway_association",
            "aws_ec2_transit_gateway_peering_attachment",
            "aws_ec2_transit_gateway_connect",
            "aws_vpc_peering_connection",
            "aws_vpc_peering_connection_accepter",
        ):
            self.entries.extend(f"{ws}: {rtype}.{name}" for name, _ in self._each(ws, rtype))

    def _rule(self, ws: str, body: Mapping[str, Any]) -> Rule:
        protocol = str(body.get("ip_protocol", "-1"))
        return Rule(
            protocol,
            int(body.get("from_port", 0) if protocol not in ("-1", "all") else 0),
            int(body.get("to_port", 65535) if protocol not in ("-1", "all") else 65535),
            cidr=body.get("cidr_ipv4"),
            group=self.resolve(ws, body["referenced_security_group_id"])
            if "referenced_security_group_id" in body
            else None,
            prefix_list="prefix_list_id" in body,
            description=str(body.get("description", "")),
        )

    def _inline_rules(self, ws: str, inline: Mapping[str, Any]) -> list[Rule]:
        base = {
            "protocol": str(inline.get("protocol", "-1")),
            "from_port": int(inline.get("from_port", 0)),
            "to_port": int(inline.get("to_port", 65535)),
            "description": str(inline.get("description", "")),
        }
        if base["protocol"] in ("-1", "all"):
            base.update(from_port=0, to_port=65535)
        rules = [Rule(**base, cidr=cidr) for cidr in inline.get("cidr_blocks") or ()]  # type: ignore[arg-type]
        rules += [Rule(**base, group=self.resolve(ws, group)) for group in inline.get("security_groups") or ()]  # type: ignore[arg-type]
        if inline.get("self"):
            raise FlowModelError(f"{ws}: inline self rules are not modelled")
        rules += [Rule(**base, prefix_list=True) for _ in inline.get("prefix_list_ids") or ()]  # type: ignore[arg-type]
        return rules

    def _route(self, ws: str, body: Mapping[str, Any]) -> tuple[str, str, Key | None]:
        cidr = body.get("destination_cidr_block") or body.get("cidr_block")
        if not cidr:
            raise FlowModelError(f"{ws}: a route without an IPv4 destination: {body}")
        for attribute, kind in (
            ("transit_gateway_id", "tgw"),
            ("gateway_id", "igw"),
            ("nat_gateway_id", "nat"),
            ("vpc_peering_connection_id", "peering"),
            ("vpc_endpoint_id", "endpoint"),
            ("network_interface_id", "eni"),
        ):
            if body.get(attribute):
                return cidr, kind, self.resolve(ws, body[attribute])
        raise FlowModelError(f"{ws}: a route to {cidr} with a target the model does not know: {body}")

    def _add(self, node: Node) -> None:
        if node.label in self.nodes:
            raise FlowModelError(f"two nodes are labelled {node.label!r}")
        self.nodes[node.label] = node

    def _read_nodes(self, ws: str) -> None:
        self._read_services(ws)
        self._read_stores(ws)
        self._read_endpoints(ws)
        self._read_hosts(ws)
        self._read_vpn(ws)

    def _read_services(self, ws: str) -> None:
        for _name, body in self._each(ws, "aws_ecs_service"):
            network = body.get("network_configuration") or {}
            self._add(
                Node(
                    f"{ws}/ecs:{body['name'] if 'name' in body and '${' not in str(body['name']) else _name}",
                    "ecs",
                    ws,
                    self._refs(ws, network.get("subnets")),
                    self._refs(ws, network.get("security_groups")),
                )
            )
        listeners: dict[Key, set[int]] = {}
        for _name, body in self._each(ws, "aws_lb_listener"):
            listeners.setdefault(self.resolve(ws, body["load_balancer_arn"]), set()).add(int(body["port"]))
        for name, body in self._each(ws, "aws_lb"):
            kind = "alb" if body.get("load_balancer_type", "application") == "application" else "nlb"
            self._add(
                Node(
                    f"{ws}/{kind}:{body.get('name', name)}",
                    kind,
                    ws,
                    self._refs(ws, body.get("subnets")),
                    self._refs(ws, body.get("security_groups")),
                    frozenset(listeners.get((ws, "aws_lb", name), set())),
                )
            )

    def _read_stores(self, ws: str) -> None:
        subnet_groups = {
            (ws, "aws_db_subnet_group", name): self._refs(ws, body.get("subnet_ids"))
            for name, body in self._each(ws, "aws_db_subnet_group")
        }
        for rtype in ("aws_rds_cluster", "aws_db_instance"):
            for name, body in self._each(ws, rtype):
                if rtype == "aws_db_instance" and body.get("cluster_identifier"):
                    continue
                group = self.resolve(ws, body["db_subnet_group_name"])
                self._add(
                    Node(
                        f"{ws}/database:{body.get('cluster_identifier') or body.get('identifier') or name}",
                        "database",
                        ws,
                        subnet_groups[group],
                        self._refs(ws, body.get("vpc_security_group_ids")),
                    )
                )
        mounts: dict[Key, tuple[list[Key], list[Key]]] = {}
        for _name, body in self._each(ws, "aws_efs_mount_target"):
            subnets, groups = mounts.setdefault(self.resolve(ws, body["file_system_id"]), ([], []))
            subnets.append(self.resolve(ws, body["subnet_id"]))
            groups.extend(g for g in self._refs(ws, body.get("security_groups")) if g not in groups)
        for file_system, (subnets, groups) in mounts.items():
            self._add(Node(f"{ws}/efs:{file_system[2].split('_')[0]}", "efs", ws, tuple(subnets), tuple(groups)))
        cache_groups = {
            (ws, "aws_elasticache_subnet_group", name): self._refs(ws, body.get("subnet_ids"))
            for name, body in self._each(ws, "aws_elasticache_subnet_group")
        }
        for name, body in self._each(ws, "aws_elasticache_replication_group"):
            self._add(
                Node(
                    f"{ws}/redis:{body.get('replication_group_id', name)}",
                    "redis",
                    ws,
                    cache_groups[self.resolve(ws, body["subnet_group_name"])],
                    self._refs(ws, body.get("security_group_ids")),
                )
            )

    def _read_endpoints(self, ws: str) -> None:
        for _name, body in self._each(ws, "aws_vpc_endpoint"):
            if body.get("vpc_endpoint_type", "Gateway") != "Interface":
                continue
            service = str(body["service_name"])
            label = f"{ws}/endpoint:{service.split('.', 3)[-1]}"
            self._add(
                Node(
                    label,
                    "endpoint",
                    ws,
                    self._refs(ws, body.get("subnet_ids")),
                    self._refs(ws, body.get("security_group_ids")),
                )
            )
            if body.get("private_dns_enabled"):
                region, _, rest = service.removeprefix("com.amazonaws.").partition(".")
                dns = ".".join([*reversed(rest.split(".")), region, "amazonaws.com"])
                self.endpoint_names.setdefault(self.resolve(ws, body["vpc_id"]), {})[dns] = label
        for name, body in self._each(ws, "aws_codebuild_project"):
            vpc_config = body.get("vpc_config")
            if vpc_config:
                self._add(
                    Node(
                        f"{ws}/codebuild:{body.get('name', name)}",
                        "codebuild",
                        ws,
                        self._refs(ws, vpc_config.get("subnets")),
                        self._refs(ws, vpc_config.get("security_group_ids")),
                    )
                )

    def _read_hosts(self, ws: str) -> None:
        for rtype in HOST_TYPES:
            for name, body in self._each(ws, rtype):
                vpc_config = body.get("vpc_configuration")
                # aws_codeconnections_host (plugin framework) writes the block as a list of one.
                if isinstance(vpc_config, list):
                    vpc_config = vpc_config[0] if vpc_config else None
                if not vpc_config:
                    continue
                subnets = self._refs(ws, vpc_config.get("subnet_ids"))
                groups = self._refs(ws, vpc_config.get("security_group_ids"))
                host = body.get("name", name)
                self._add(Node(f"{ws}/host:{host}", "host", ws, subnets, groups))
                # CodeConnections creates the webhook endpoint in the host's subnets with the host's
                # security groups ("AWS CodeConnections and interface VPC endpoints"); it listens on 443.
                webhook = f"{ws}/webhook-endpoint:{host}"
                self._add(Node(webhook, "webhook", ws, subnets, groups, frozenset({443})))
                region = self.region(ws)
                self.endpoint_names.setdefault(self.resolve(ws, vpc_config["vpc_id"]), {})[
                    webhook_endpoint_hostname(region)
                ] = webhook

    def _read_vpn(self, ws: str) -> None:
        for name, body in self._each(ws, "aws_ec2_client_vpn_endpoint"):
            key = (ws, "aws_ec2_client_vpn_endpoint", name)
            self.vpn = {
                "key": key,
                "client_cidr": body["client_cidr_block"],
                "dns_servers": list(body.get("dns_servers") or ()),
                "groups": self._refs(ws, body.get("security_group_ids")),
                "subnets": [],
                "authorized": [],
                "routes": [],
            }
            for _n, assoc in self._each(ws, "aws_ec2_client_vpn_network_association"):
                if self.resolve(ws, assoc["client_vpn_endpoint_id"]) == key:
                    self.vpn["subnets"].append(self.resolve(ws, assoc["subnet_id"]))
            for _n, rule in self._each(ws, "aws_ec2_client_vpn_authorization_rule"):
                if self.resolve(ws, rule["client_vpn_endpoint_id"]) == key:
                    self.vpn["authorized"].append(rule["target_network_cidr"])
            for _n, route in self._each(ws, "aws_ec2_client_vpn_route"):
                if self.resolve(ws, route["client_vpn_endpoint_id"]) == key:
                    self.vpn["routes"].append(route["destination_cidr_block"])
            # Client VPN translates a client's address to the endpoint's interface in the associated
            # subnet, so the VPC sees the traffic come from there with the endpoint's security groups.
            self._add(Node("vpn-client", "vpn", ws, tuple(self.vpn["subnets"]), self.vpn["groups"]))

    def region(self, ws: str) -> str:
        providers = self.stacks[ws].get("provider", {}).get("aws", [])
        default = [p for p in providers if "alias" not in p]
        if not default:
            raise FlowModelError(f"{ws}: no default aws provider, so no region")
        return str(default[0]["region"])

    def _read_dns(self, ws: str) -> None:
        for name, body in self._each(ws, "aws_route53_zone"):
            if not body.get("vpc"):
                continue  # a public zone
            key = (ws, "aws_route53_zone", name)
            self.zones[key] = (str(body["name"]).rstrip("."), {self.resolve(ws, v["vpc_id"]) for v in body["vpc"]})
        for _name, body in self._each(ws, "aws_route53_zone_association"):
            zone = self.resolve(ws, body["zone_id"])
            self.zones[zone][1].add(self.resolve(ws, body["vpc_id"]))
        by_alias: dict[Key, str] = {}
        for workspace in self.stacks:
            for name, _body in self._each(workspace, "aws_lb"):
                for label, node in self.nodes.items():
                    if (
                        node.kind in ("alb", "nlb")
                        and node.workspace == workspace
                        and label.endswith(":" + str(_body.get("name", name)))
                    ):
                        by_alias[(workspace, "aws_lb", name)] = label
        for _name, body in self._each(ws, "aws_route53_record"):
            zone_id = body.get("zone_id", "")
            if not str(zone_id).startswith("${"):
                continue  # a public zone outside this project
            zone = self.resolve(ws, zone_id)
            if zone not in self.zones:
                continue
            alias = body.get("alias")
            target = (
                by_alias.get(self.resolve(ws, alias["name"]), alias["name"])
                if alias
                else ",".join(body.get("records", []))
            )
            self.records.setdefault(zone, {})[str(body["name"]).rstrip(".")] = target

    # --- questions --------------------------------------------------------------------------------

    def add_external(self, label: str, kind: str, workspace: str, ports: frozenset[int]) -> Node:
        """A node this project does not manage, known only to be in ``workspace``'s VPC
        (an external ElastiCache): its address is the whole VPC CIDR, its security groups unknown."""
        node = Node(label, kind, workspace, ports=ports, vpc=self.vpc_of(workspace))
        self._add(node)
        return node

    def node(self, label: str) -> Node:
        try:
            return self.nodes[label]
        except KeyError:
            raise FlowModelError(f"no node {label!r}; known: {sorted(self.nodes)}") from None

    def vpc_of(self, workspace: str) -> Key:
        found = [key for key in self.vpcs if key[0] == workspace]
        if len(found) != 1:
            raise FlowModelError(f"{workspace}: expected one VPC, found {len(found)}")
        return found[0]

    def _places(self, node: Node) -> list[tuple[Key | None, str]]:
        """(VPC, CIDR) pairs a node's traffic comes from or goes to."""
        if node.subnets:
            return [(self.subnets[s].vpc, self.subnets[s].cidr) for s in node.subnets]
        if node.vpc is not None:
            return [(node.vpc, node.address or self.vpcs[node.vpc])]
        return [(None, node.address or "0.0.0.0/0")]

    def _vpc_route(
        self, vpc: Key, subnet_cidr: str, subnet: Key | None, dest: str, strict: bool
    ) -> tuple[str, Key | None, str]:
        """The next hop of ``dest`` from a subnet: ("local"|kind|"none", target, why)."""
        if covers(self.vpcs[vpc], dest, strict):
            return "local", vpc, "local route"
        table = self.route_of_subnet.get(subnet) if subnet else None
        candidates = [r for r in self.routes.get(table, []) if covers(r[0], dest, strict)] if table else []
        if not candidates:
            return "none", None, f"no route to {dest} from {subnet_cidr}"
        cidr, kind, target = max(candidates, key=lambda r: _net(r[0]).prefixlen)
        return kind, target, f"route {cidr} -> {kind}"

    def _path(self, src: Place, dst: tuple[Key | None, str], strict: bool) -> tuple[bool, str]:
        """Whether packets get from a source place to a destination place."""
        src_vpc, src_cidr, src_subnet = src
        dst_vpc, dst_cidr = dst
        if src_vpc is None or dst_vpc is None:
            return self._path_outside(src, dst, strict)
        kind, target, why = self._vpc_route(src_vpc, src_cidr, src_subnet, dst_cidr, strict)
        if kind == "local":
            return (dst_vpc == src_vpc), why
        if kind != "tgw" or target is None:
            return False, why
        table, blocked = self._gateway_table(target, src_vpc)
        if table is None:
            return False, f"{why}, but {blocked}"
        hop_blocked = self._gateway_hop(target, table, dst_vpc, dst_cidr, strict)
        if hop_blocked:
            return False, f"{why}; {hop_blocked}"
        return True, f"{why} ({src_vpc[0]}) -> gateway table {_short(table)}"

    def _path_outside(self, src: Place, dst: tuple[Key | None, str], strict: bool) -> tuple[bool, str]:
        """Paths with one end outside every VPC: only through an internet gateway (or NAT, outbound)."""
        src_vpc, src_cidr, src_subnet = src
        dst_vpc, dst_cidr = dst
        if src_vpc is not None:
            kind, _target, why = self._vpc_route(src_vpc, src_cidr, src_subnet, dst_cidr, strict)
            if kind in ("igw", "nat"):
                return True, why
            return False, why if kind == "none" else f"{why}: no internet gateway or NAT on the way"
        if dst_vpc is None:
            return False, "neither end is in a VPC"
        if dst_vpc in self.internet_gateways:
            return True, "the VPC has an internet gateway"
        return False, f"no internet gateway in {dst_vpc[0]}'s VPC; nothing else enters it from outside"

    def _accepted(self, attachment: Key, gateway: Key) -> bool:
        auto = self.gateways.get(gateway, {}).get("auto_accept_shared_attachments") == "enable"
        return auto or attachment in self.accepted

    def _gateway_table(self, gateway: Key, vpc: Key) -> tuple[Key | None, str]:
        """The gateway route table a VPC's traffic is looked up in, or why there is none."""
        attachment = next(
            (a for a, v in self.attachments.items() if v == vpc and self.attachment_gateway[a] == gateway), None
        )
        if attachment is None:
            return None, f"{vpc[0]}'s VPC has no attachment to that gateway"
        if not self._accepted(attachment, gateway):
            return None, f"{vpc[0]}'s attachment is never accepted"
        table = self.association.get(attachment)
        if table is None:
            return None, f"{vpc[0]}'s attachment is associated with no gateway route table"
        return table, ""

    def _gateway_hop(self, gateway: Key, table: Key, dst_vpc: Key, dst_cidr: str, strict: bool) -> str | None:
        """Why the gateway does not forward ``dst_cidr`` to ``dst_vpc`` from ``table`` (None: it does)."""
        options: list[tuple[str, Key | None]] = [
            (self.vpcs[self.attachments[a]], a) for a in self.propagations.get(table, set()) if a in self.attachments
        ]
        options += self.static_tgw_routes.get(table, [])
        matches = [o for o in options if covers(o[0], dst_cidr, strict)]
        if not matches:
            return f"gateway route table {_short(table)} has no route to {dst_cidr}"
        cidr, hop = max(matches, key=lambda o: _net(o[0]).prefixlen)
        if hop is None:
            return f"gateway route {cidr} is a blackhole"
        if self.attachments.get(hop) != dst_vpc:
            return f"gateway route {cidr} leads to {self.attachments.get(hop, ('?',))[0]}'s VPC"
        if not self._accepted(hop, gateway):
            return f"{dst_vpc[0]}'s attachment is never accepted"
        return None

    def _allows(self, groups: tuple[Key, ...], direction: str, want: Want, peer: Peer) -> Rule | None:
        """The first rule of ``groups`` in ``direction`` admitting ``want`` from/to ``peer``."""
        for key in groups:
            group = self.groups[key]
            rules: list[Rule] = group.ingress if direction == "ingress" else group.egress
            for rule in rules:
                if not rule.admits(want.protocol, want.port) or rule.prefix_list:
                    continue
                if rule.cidr and covers(rule.cidr, peer.cidr, want.strict):
                    return rule
                if rule.group and rule.group in peer.groups and group.vpc == peer.vpc:
                    return rule
        return None

    def reachable(self, src_label: str, dst_label: str, port: int | None, protocol: str = "tcp") -> Verdict:
        """Can ``src`` open a connection to ``dst`` on ``port`` (None: on some port; protocol "-1": any)?"""
        src, dst = self.node(src_label), self.node(dst_label)
        if dst.ports is not None and port is not None and port not in dst.ports:
            return Verdict(False, False, f"{dst_label} listens on {sorted(dst.ports)} only")
        pairs = [(s, d) for s in self._sources(src) for d in self._places(dst)]
        strict = [self._pair(src, s, dst, d, Want(protocol, port, True)) for s, d in pairs]
        loose = [self._pair(src, s, dst, d, Want(protocol, port, False)) for s, d in pairs]
        holds = bool(strict) and all(ok for ok, _ in strict)
        possible = any(ok for ok, _ in loose)
        failing = next((why for ok, why in strict if not ok), "nothing to connect")
        return Verdict(holds, possible, strict[0][1] if holds else failing)

    def _sources(self, node: Node) -> list[Place]:
        if node.subnets:
            return [(self.subnets[s].vpc, self.subnets[s].cidr, s) for s in node.subnets]
        return [(vpc, cidr, None) for vpc, cidr in self._places(node)]

    def _vpn_blocks(self, src_vpc: Key | None, dst_cidr: str, strict: bool) -> str | None:
        if not any(covers(c, dst_cidr, strict) for c in self.vpn["authorized"]):
            return f"no Client VPN authorization rule covers {dst_cidr}"
        # Associating a subnet adds the route to its VPC's CIDR to the endpoint's route table.
        vpn_routes = [self.vpcs[src_vpc]] if src_vpc else []
        if not any(covers(c, dst_cidr, strict) for c in vpn_routes + self.vpn["routes"]):
            return f"no Client VPN route to {dst_cidr}"
        return None

    def _routing(self, s: Place, d: tuple[Key | None, str], strict: bool) -> tuple[bool, str]:
        """The route there and, for a destination in a VPC, the route back."""
        ok, there = self._path(s, d, strict)
        dst_vpc, dst_cidr = d
        if not ok or dst_vpc is None or s[0] is None:
            return ok, there
        dst_subnet = next((k for k, v in self.subnets.items() if v.vpc == dst_vpc and v.cidr == dst_cidr), None)
        ok, back = self._path((dst_vpc, dst_cidr, dst_subnet), (s[0], s[1]), strict)
        return (True, there) if ok else (False, f"no way back: {back}")

    def _pair(self, src: Node, s: Place, dst: Node, d: tuple[Key | None, str], want: Want) -> tuple[bool, str]:
        src_vpc, src_cidr, _subnet = s
        dst_vpc, dst_cidr = d
        blocked = self._vpn_blocks(src_vpc, dst_cidr, want.strict) if src.kind == "vpn" else None
        if blocked:
            return False, blocked
        ok, there = self._routing(s, d, want.strict)
        if not ok:
            return False, there
        parts = [there]
        if src.groups:
            egress = self._allows(src.groups, "egress", want, Peer(dst_vpc, dst_cidr, dst.groups))
            if egress is None:
                return False, f"no egress rule of {src.label} admits {want} to {dst_cidr}"
            parts.append(f"egress '{egress.description}'")
        if dst.groups:
            ingress = self._allows(dst.groups, "ingress", want, Peer(src_vpc, src_cidr, src.groups))
            if ingress is None:
                return False, f"no ingress rule of {dst.label} admits {want} from {src_cidr}"
            parts.append(f"ingress '{ingress.description}'")
        if dst.kind == "vpc" or src.kind == "vpc":
            parts.append("whatever security groups its instances have")
        elif dst.kind == "resolver":
            parts.append("the Route 53 Resolver has no security group")
        elif not dst.groups:
            parts.append("ingress: the destination's own security group (managed elsewhere)")
        return True, "; ".join(parts)

    def resolves(self, name: str, vpc: Key) -> Resolution:
        """What ``name`` resolves to from inside ``vpc`` (its Route 53 Resolver)."""
        name = name.rstrip(".").lower()
        zones = [
            (zone, zname)
            for zone, (zname, vpcs) in self.zones.items()
            if vpc in vpcs and (name == zname or name.endswith("." + zname))
        ]
        if zones:
            zone, zname = max(zones, key=lambda z: len(z[1]))
            target = self.records.get(zone, {}).get(name)
            if target is None:
                return Resolution(name, "NXDOMAIN", f"private zone {zname} of {zone[0]} has no record {name}")
            return Resolution(name, target, f"private zone {zname} ({zone[0]}) associated with {vpc[0]}'s VPC")
        endpoint = self.endpoint_names.get(vpc, {}).get(name)
        if endpoint:
            return Resolution(name, endpoint, f"private DNS of the interface endpoint in {vpc[0]}'s VPC")
        return Resolution(name, "public DNS", f"no private zone or endpoint in {vpc[0]}'s VPC answers {name}")
