"""The checks every configuration must pass, whatever ``environments/`` holds.

They take a synthesis and report problems instead of asserting one fixed example, so
that the same code runs on the live ``environments/`` (tests/user/) and on edited
copies of the example (tests/user/test_edited_configuration.py).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from config.loader import Environments
from config.migration import Plan
from tests.support.terraform import Terraform, WorkspaceRun, remote_state_fixtures
from tests.support.transit import transit_reachability, vpc_routes_to_gateway

# Resources whose state would hold a secret value.
SECRET_BEARING = (
    "aws_iam_access_key",  # secret access key (and the SES SMTP password, ses_smtp_password_v4)
    "aws_iam_user_login_profile",  # console password
    "aws_secretsmanager_secret_version",  # secret_string
    "aws_ssm_parameter",  # a SecureString value
    "aws_elasticache_user",  # passwords
    "random_password",
)
# Attributes that carry a secret when set or read.
SECRET_ATTRIBUTES = re.compile(
    r"\b(secret_string|secret_binary|ses_smtp_password(_v4)?|secret(_access_key)?\b(?!_arn)|master_password|"
    r"auth_token|encrypted_secret)\b"
)
SECRET_REFERENCE = re.compile(r"\$\{[^}]*\.(secret|ses_smtp_password_v4|secret_string|master_password|password)\b")


@dataclass(frozen=True)
class Synthesis:
    environments: Environments
    outdir: Path
    stacks: dict[str, dict[str, Any]]  # workspace -> parsed cdk.tf.json

    def stack_dir(self, workspace: str) -> Path:
        return self.outdir / "stacks" / workspace

    def manifest(self) -> dict[str, Any]:
        return dict(json.loads((self.outdir / "manifest.json").read_text(encoding="utf-8")))


def synthesize(environments: Environments, outdir: Path, plans: Mapping[str, Plan] | None = None) -> Synthesis:
    """The whole app, in this process (the AWS bindings are imported once per process);
    ``plans``: the migration plans by target workspace, as main.py passes them."""
    from stacks.app import build_app

    app, stacks = build_app(environments, str(outdir), plans=plans)
    app.synth()
    parsed = {
        name: json.loads((outdir / "stacks" / name / "cdk.tf.json").read_text(encoding="utf-8")) for name in stacks
    }
    return Synthesis(environments, outdir, parsed)


def run_terraform(synthesis: Synthesis, workdir: Path) -> dict[str, WorkspaceRun]:
    """init, validate, plan and show for every workspace; two at a time (two cores)."""
    terraform = Terraform(workdir / ".config")
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {
            name: pool.submit(
                terraform.check_workspace,
                name,
                synthesis.stack_dir(name),
                workdir,
                # Where a workspace reads another's outputs, fixture state stands in for it.
                remote_state_fixtures(synthesis.stacks[name], synthesis.stacks),
            )
            for name in synthesis.stacks
        }
        return {name: future.result() for name, future in futures.items()}


def expected_workspaces(environments: Environments) -> list[str]:
    """Every workspace the configuration asks for: the state bootstrap, the accounts, hub
    routing, and GitLab's own configuration when environments/gitlab.yaml exists."""
    from config.workspaces import gitlab_workspace

    gitlab = [gitlab_workspace(environments.tooling.name)] if environments.gitlab_access is not None else []
    return ["bootstrap", *environments.accounts, environments.hub_routing_workspace, *gitlab]


def terraform_problems(run: WorkspaceRun, stack: Mapping[str, Any]) -> list[str]:
    """Whether init, validate and plan passed and the plan creates exactly the declared resources."""
    if not run.ok or run.plan_json is None:
        return [f"{run.name}: terraform failed\n{run.report()}"]
    plan = json.loads(run.plan_json.read_text(encoding="utf-8"))
    changes = {c["address"]: c["change"]["actions"] for c in plan["resource_changes"] if c["mode"] == "managed"}
    declared = {f"{kind}.{name}" for kind, items in stack.get("resource", {}).items() for name in items}
    problems = []
    if set(changes) != declared:
        problems.append(f"{run.name}: plan and configuration differ: {sorted(set(changes) ^ declared)}")
    problems += [f"{run.name}: {a} would {actions}" for a, actions in changes.items() if actions != ["create"]]
    return problems


def secret_problems(workspace: str, stack: Mapping[str, Any]) -> list[str]:
    """Resources or outputs through which a secret would reach the state."""
    problems = []
    found = stack.get("resource", {})
    problems += [
        f"{workspace}: {kind} keeps a secret in the state" for kind in sorted(set(found) & set(SECRET_BEARING))
    ]
    for kind, bodies in found.items():
        for name, body in bodies.items():
            problems += [
                f"{workspace}: {kind}.{name} sets {key}" for key in ("master_password", "secret_string") if key in body
            ]
    if "random" in stack.get("terraform", {}).get("required_providers", {}):
        problems.append(f"{workspace}: the random provider keeps generated values in the state")
    for name, output in stack.get("output", {}).items():
        text = json.dumps(output["value"])
        if SECRET_REFERENCE.search(text) or SECRET_ATTRIBUTES.search(text) or "aws_iam_access_key" in text:
            problems.append(f"{workspace}: output {name} carries a secret: {text}")
        if output.get("sensitive") is True:
            problems.append(f"{workspace}: output {name} is sensitive, and would still be in the state")
    return problems


def segmentation_problems(synthesis: Synthesis) -> list[str]:
    """Tooling reaches every target, each target reaches tooling only, at the Transit
    Gateway and in the VPC route tables (docs/network.md, Segmentation)."""
    environments = synthesis.environments
    tooling = environments.tooling.name
    targets = set(environments.targets)
    problems = []
    reach = transit_reachability(synthesis.stacks)
    expected = {tooling: targets, **{target: {tooling} for target in targets}}
    if reach != expected:
        problems.append(f"the Transit Gateway forwards {reach}, expected {expected}")
    tooling_cidr = environments.tooling.network.vpc_cidr
    for target in sorted(targets):
        tables = vpc_routes_to_gateway(synthesis.stacks[target])
        if not tables or any(routes != {tooling_cidr} for routes in tables.values()):
            problems.append(f"{target}: VPC routes to the gateway {tables}, expected only {tooling_cidr}")
    target_cidrs = {t.network.vpc_cidr for t in environments.targets.values()}
    for table, routes in vpc_routes_to_gateway(synthesis.stacks[tooling]).items():
        if routes != target_cidrs:
            problems.append(f"{tooling}: route table {table} sends {sorted(routes)}, expected {sorted(target_cidrs)}")
    return problems


RULE_TYPES = ("aws_vpc_security_group_ingress_rule", "aws_vpc_security_group_egress_rule")
RULE_IDENTITY = (
    "security_group_id",
    "ip_protocol",
    "from_port",
    "to_port",
    "cidr_ipv4",
    "cidr_ipv6",
    "referenced_security_group_id",
    "prefix_list_id",
)


def duplicate_rule_problems(workspace: str, stack: Mapping[str, Any]) -> list[str]:
    """Two rules of one security group that are the same rule: EC2 refuses the second with
    InvalidPermission.Duplicate at apply, which no plan shows. The description and tags do
    not count; the direction, group, protocol, ports and peer do ("Security group rules",
    Amazon VPC User Guide). The rehearsal relies on this holding when it treats moto's
    Duplicate as an emulator fault (scripts/rehearse.py, APPLY_FAULTS)."""
    seen: dict[tuple[str, ...], str] = {}
    problems = []
    for kind in RULE_TYPES:
        for name, body in sorted(stack.get("resource", {}).get(kind, {}).items()):
            protocol = str(body.get("ip_protocol"))
            ports = ("", "") if protocol in ("-1", "all") else (str(body.get("from_port")), str(body.get("to_port")))
            identity = (kind, str(body.get("security_group_id")), protocol, *ports)
            identity += tuple(str(body.get(field)) for field in RULE_IDENTITY[4:])
            address = f"{kind}.{name}"
            if identity in seen:
                problems.append(f"{workspace}: {address} is the same rule as {seen[identity]}")
            else:
                seen[identity] = address
    return problems
