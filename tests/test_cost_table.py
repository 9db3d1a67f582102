"""docs/cost.md: the monthly cost table of the bundled example.

Every row's quantities are recomputed here from the shared synthesis of the example, so
the table fails this test as soon as the example changes (a task size, an instance class,
an endpoint more, an account less). Every row names its price's source or says that the
price is not verified; a row without a verified or cited price carries no number.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from tests.conftest import ROOT, Synthesis
from tests.support.synth import resources

COST = "docs/cost.md"
HOURS = 730  # hours in a month: 24 * 365 / 12
# The Client VPN connection-hours are an assumption, not in the configuration (docs/cost.md says so).
VPN_USERS, VPN_HOURS_A_DAY, VPN_DAYS = 10, 8, 21
COLUMNS = ["Item", "Workspace", "In the example", "Billed units / month", "Unit price (USD)", "USD / month", "Source"]
USAGE = "usage"  # a row billed only by use: no fixed units to multiply
NOT_VERIFIED = "price not verified"
READ_ON = "read 2026-12-03"
TIMES = "\N{MULTIPLICATION SIGN}"  # the sign between the factors of a quantity in the table
# Every Fargate task has 20 GiB of ephemeral storage included; only what is configured
# beyond it is billed (docs/cost.md, the Fargate ephemeral storage row).
FARGATE_INCLUDED_GIB = 20
# Hosts of AWS's own pricing pages: a row marked "AWS:" cites one of them.
AWS_PRICING_HOSTS = ("https://aws.amazon.com/", "https://www.amazonaws.cn/")


@dataclass(frozen=True)
class Row:
    item: str
    workspace: str
    example: str
    units: str
    price: str
    monthly: str
    source: str


Stack = dict[str, Any]
Quantity = tuple[str, str]  # (what the example has, billed units a month)


def _count(stack: Stack, resource_type: str) -> int:
    return len(resources(stack, resource_type))


def _in_osaka(stack: Stack, resource_type: str) -> int:
    return sum(1 for body in resources(stack, resource_type).values() if body.get("provider") == "aws.ap_northeast_3")


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _units(n: int, unit: str) -> str:
    return f"{n} {unit}" if n == 1 else f"{n} {unit}s"


def _task(stack: Stack) -> tuple[int, int, int, int]:
    (service,) = resources(stack, "aws_ecs_service").values()
    (task,) = resources(stack, "aws_ecs_task_definition").values()
    cpu, memory = int(task["cpu"]) // 1024, int(task["memory"]) // 1024
    return int(service["desired_count"]), cpu, memory, int(task["ephemeral_storage"]["size_in_gib"])


def fargate_vcpu(stack: Stack) -> Quantity | None:
    if not _count(stack, "aws_ecs_service"):
        return None
    count, cpu, _, _ = _task(stack)
    return f"{_plural(count, 'task')} {TIMES} {cpu} vCPU, Linux/X86_64", f"{count * cpu * HOURS} vCPU-hours"


def fargate_memory(stack: Stack) -> Quantity | None:
    if not _count(stack, "aws_ecs_service"):
        return None
    count, _, memory, _ = _task(stack)
    return f"{_plural(count, 'task')} {TIMES} {memory} GB", f"{count * memory * HOURS} GB-hours"


def fargate_storage(stack: Stack) -> Quantity | None:
    if not _count(stack, "aws_ecs_service"):
        return None
    count, _, _, storage = _task(stack)
    billed = count * max(storage - FARGATE_INCLUDED_GIB, 0) * HOURS
    return f"{_plural(count, 'task')} {TIMES} {storage} GiB ephemeral storage", f"{billed} GB-hours"


def aurora_instances(stack: Stack) -> Quantity | None:
    found = resources(stack, "aws_rds_cluster_instance")
    if not found:
        return None
    classes = sorted({body["instance_class"] for body in found.values()})
    return f"{len(found)} {TIMES} {', '.join(classes)} (writer and reader)", f"{len(found) * HOURS} instance-hours"


def aurora_storage(stack: Stack) -> Quantity | None:
    found = resources(stack, "aws_rds_cluster")
    if not found:
        return None
    (cluster,) = found.values()
    storage = "Aurora I/O-Optimized" if cluster.get("storage_type") == "aurora-iopt1" else "Aurora Standard"
    return f"1 cluster, {storage}, backups kept {cluster['backup_retention_period']} days", USAGE


def efs(stack: Stack) -> Quantity | None:
    found = resources(stack, "aws_efs_file_system")
    if not found:
        return None
    modes = sorted({body["throughput_mode"] for body in found.values()})
    replication = resources(stack, "aws_efs_replication_configuration").values()
    replicas = sorted(body["destination"]["region"] for body in replication)
    copy = f", replicated to {', '.join(replicas)}" if replicas else ""
    return f"{_plural(len(found), 'file system')}, {', '.join(modes)} throughput{copy}", USAGE


def load_balancers(stack: Stack) -> Quantity | None:
    found = resources(stack, "aws_lb")
    if not found:
        return None
    kinds = [body["load_balancer_type"] for body in found.values()]
    internal = all(body.get("internal") for body in found.values())
    alb, nlb = kinds.count("application"), kinds.count("network")
    scope = "internal " if internal else ""
    return f"{alb} {scope}ALB, {nlb} {scope}NLB", f"{len(found) * HOURS} load-balancer-hours"


def interface_endpoints(stack: Stack) -> Quantity | None:
    interface = [b for b in resources(stack, "aws_vpc_endpoint").values() if b["vpc_endpoint_type"] == "Interface"]
    if not interface:
        return None
    zones = {len(body["subnet_ids"]) for body in interface}
    assert len(zones) == 1, "every interface endpoint of a VPC spans the same subnets"
    (per_endpoint,) = zones
    gateways = sum(1 for b in resources(stack, "aws_vpc_endpoint").values() if b["vpc_endpoint_type"] == "Gateway")
    gateway = f" (+ {gateways} S3 gateway endpoint)" if gateways else ""
    return (
        f"{len(interface)} interface endpoints {TIMES} {per_endpoint} AZs{gateway}",
        f"{len(interface) * per_endpoint * HOURS} endpoint-AZ-hours",
    )


def transit_attachments(stack: Stack) -> Quantity | None:
    count = _count(stack, "aws_ec2_transit_gateway_vpc_attachment")
    if not count:
        return None
    return f"{_plural(count, 'VPC attachment')}", f"{count * HOURS} attachment-hours"


def transit_processing(stack: Stack) -> Quantity | None:
    count = _count(stack, "aws_ec2_transit_gateway_vpc_attachment")
    return None if not count else (f"traffic from {_plural(count, 'attached VPC')}", USAGE)


def vpn_associations(stack: Stack) -> Quantity | None:
    count = _count(stack, "aws_ec2_client_vpn_network_association")
    if not count:
        return None
    return f"1 endpoint {TIMES} {_plural(count, 'subnet association')}", f"{count * HOURS} association-hours"


def vpn_connections(stack: Stack) -> Quantity | None:
    if not _count(stack, "aws_ec2_client_vpn_endpoint"):
        return None
    (endpoint,) = resources(stack, "aws_ec2_client_vpn_endpoint").values()
    assumed = f"assumed {VPN_USERS} users {TIMES} {VPN_HOURS_A_DAY} h {TIMES} {VPN_DAYS} days"
    return (
        f"{assumed}; sessions end after {endpoint['session_timeout_hours']} h",
        f"{VPN_USERS * VPN_HOURS_A_DAY * VPN_DAYS} connection-hours",
    )


def kms_keys(stack: Stack) -> Quantity | None:
    count = _count(stack, "aws_kms_key")
    if not count:
        return None
    osaka = _in_osaka(stack, "aws_kms_key")
    where = f" ({osaka} in ap-northeast-3)" if osaka else ""
    rotation = all(body.get("enable_key_rotation") for body in resources(stack, "aws_kms_key").values())
    return f"{_plural(count, 'customer managed key')}{where}, rotation {'on' if rotation else 'off'}", _units(
        count, "key-month"
    )


def secrets(stack: Stack) -> Quantity | None:
    found = resources(stack, "aws_secretsmanager_secret")
    if not found:
        return None
    replicas = sum(len(body.get("replica") or []) for body in found.values())
    return f"{_plural(len(found), 'secret')}, {replicas} replicas", _units(len(found) + replicas, "secret-month")


def log_groups(stack: Stack) -> Quantity | None:
    found = resources(stack, "aws_cloudwatch_log_group")
    if not found:
        return None
    days = sorted({body["retention_in_days"] for body in found.values()})
    return f"{_plural(len(found), 'log group')}, kept {', '.join(map(str, days))} days", USAGE


def alarms(stack: Stack) -> Quantity | None:
    count = _count(stack, "aws_cloudwatch_metric_alarm")
    if not count:
        return None
    dashboards = _count(stack, "aws_cloudwatch_dashboard")
    return f"{_plural(count, 'alarm')}, {_plural(dashboards, 'dashboard')}", USAGE


def flow_logs(stack: Stack) -> Quantity | None:
    count = _count(stack, "aws_flow_log")
    return None if not count else (f"{_plural(count, 'VPC flow log')} to CloudWatch Logs", USAGE)


def s3(stack: Stack) -> Quantity | None:
    count = _count(stack, "aws_s3_bucket")
    if not count:
        return None
    osaka = _in_osaka(stack, "aws_s3_bucket")
    where = f" ({osaka} in ap-northeast-3)" if osaka else ""
    replication = _count(stack, "aws_s3_bucket_replication_configuration")
    replicated = f", {replication} replicated" if replication else ""
    return f"{_plural(count, 'bucket')}{where}{replicated}", USAGE


def backup(stack: Stack) -> Quantity | None:
    plans = resources(stack, "aws_backup_plan")
    if not plans:
        return None
    (plan,) = plans.values()
    rules = ", ".join(f"{rule['rule_name']} kept {rule['lifecycle']['delete_after']} d" for rule in plan["rule"])
    kept = sum(len(body["resources"]) for body in resources(stack, "aws_backup_selection").values())
    return f"{_plural(kept, 'resource')} ({rules}), copies to ap-northeast-3", USAGE


def ecr(stack: Stack) -> Quantity | None:
    count = _count(stack, "aws_ecr_repository")
    return None if not count else (_plural(count, "repository").replace("repositorys", "repositories"), USAGE)


def inspector(stack: Stack) -> Quantity | None:
    found = resources(stack, "aws_ecr_registry_scanning_configuration")
    if not found:
        return None
    (config,) = found.values()
    frequencies = sorted({rule["scan_frequency"] for rule in config["rule"]})
    return f"{config['scan_type']} scanning, {', '.join(frequencies)}", USAGE


def ses(stack: Stack) -> Quantity | None:
    count = _count(stack, "aws_sesv2_email_identity")
    return None if not count else (_plural(count, "email identity").replace("identitys", "identities"), USAGE)


def hosted_zones(stack: Stack) -> Quantity | None:
    found = resources(stack, "aws_route53_zone")
    if not found:
        return None
    private = all(body.get("vpc") for body in found.values())
    kind = "private hosted zone" if private else "hosted zone"
    return _plural(len(found), kind), _units(len(found), "zone-month")


def codebuild(stack: Stack) -> Quantity | None:
    found = resources(stack, "aws_codebuild_project")
    if not found:
        return None
    sizes = sorted(body["environment"]["compute_type"] for body in found.values())
    return f"{_plural(len(found), 'project')} ({', '.join(sizes)})", USAGE


def codepipeline(stack: Stack) -> Quantity | None:
    found = resources(stack, "aws_codepipeline")
    if not found:
        return None
    kinds = sorted({body.get("pipeline_type", "V1") for body in found.values()})
    return f"{_plural(len(found), 'pipeline')} ({', '.join(kinds)})", USAGE


def step_functions(stack: Stack) -> Quantity | None:
    found = resources(stack, "aws_sfn_state_machine")
    if not found:
        return None
    kinds = sorted({body.get("type", "STANDARD") for body in found.values()})
    return f"{_plural(len(found), 'state machine')} ({', '.join(kinds)})", USAGE


def events(stack: Stack) -> Quantity | None:
    count = _count(stack, "aws_cloudwatch_event_rule")
    return None if not count else (_plural(count, "EventBridge rule"), USAGE)


def sns(stack: Stack) -> Quantity | None:
    count = _count(stack, "aws_sns_topic")
    return None if not count else (_plural(count, "topic"), USAGE)


def dynamodb(stack: Stack) -> Quantity | None:
    found = resources(stack, "aws_dynamodb_table")
    if not found:
        return None
    modes = sorted({body.get("billing_mode", "PROVISIONED") for body in found.values()})
    return f"{_plural(len(found), 'table')} ({', '.join(modes)})", USAGE


def codeconnections(stack: Stack) -> Quantity | None:
    hosts, connections = _count(stack, "aws_codeconnections_host"), _count(stack, "aws_codeconnections_connection")
    if not hosts and not connections:
        return None
    return f"{_plural(hosts, 'host')}, {_plural(connections, 'connection')}", USAGE


# Table item -> how its quantities follow from one workspace's synthesized Terraform,
# and the resource types it prices.
ITEMS: dict[str, tuple[Callable[[Stack], Quantity | None], tuple[str, ...]]] = {
    "Fargate vCPU": (fargate_vcpu, ("aws_ecs_service", "aws_ecs_task_definition")),
    "Fargate memory": (fargate_memory, ("aws_ecs_service",)),
    "Fargate ephemeral storage": (fargate_storage, ("aws_ecs_service",)),
    "Aurora instances": (aurora_instances, ("aws_rds_cluster_instance",)),
    "Aurora storage, I/O, backups": (aurora_storage, ("aws_rds_cluster",)),
    "EFS": (efs, ("aws_efs_file_system", "aws_efs_replication_configuration")),
    "Elastic Load Balancing": (load_balancers, ("aws_lb",)),
    "Interface VPC endpoints": (interface_endpoints, ("aws_vpc_endpoint",)),
    "Transit Gateway attachments": (transit_attachments, ("aws_ec2_transit_gateway_vpc_attachment",)),
    "Transit Gateway data processing": (transit_processing, ("aws_ec2_transit_gateway",)),
    "Client VPN associations": (vpn_associations, ("aws_ec2_client_vpn_network_association",)),
    "Client VPN connections": (vpn_connections, ("aws_ec2_client_vpn_endpoint",)),
    "KMS keys": (kms_keys, ("aws_kms_key",)),
    "Secrets Manager": (secrets, ("aws_secretsmanager_secret",)),
    "CloudWatch Logs": (log_groups, ("aws_cloudwatch_log_group", "aws_cloudwatch_log_stream")),
    "CloudWatch alarms, dashboard": (alarms, ("aws_cloudwatch_metric_alarm", "aws_cloudwatch_dashboard")),
    "VPC Flow Logs": (flow_logs, ("aws_flow_log",)),
    "S3": (s3, ("aws_s3_bucket", "aws_s3_bucket_replication_configuration")),
    "AWS Backup": (backup, ("aws_backup_plan", "aws_backup_selection", "aws_backup_vault")),
    "ECR": (ecr, ("aws_ecr_repository",)),
    "Inspector (ECR scanning)": (inspector, ("aws_ecr_registry_scanning_configuration",)),
    "SES": (ses, ("aws_sesv2_email_identity",)),
    "Route 53": (hosted_zones, ("aws_route53_zone", "aws_route53_record")),
    "CodeBuild": (codebuild, ("aws_codebuild_project",)),
    "CodePipeline": (codepipeline, ("aws_codepipeline",)),
    "Step Functions": (step_functions, ("aws_sfn_state_machine",)),
    "EventBridge": (events, ("aws_cloudwatch_event_rule", "aws_cloudwatch_event_target")),
    "SNS": (sns, ("aws_sns_topic", "aws_sns_topic_subscription")),
    "DynamoDB": (dynamodb, ("aws_dynamodb_table",)),
    "CodeConnections": (codeconnections, ("aws_codeconnections_host", "aws_codeconnections_connection")),
}
# Types with no row: settings, policies and attachments of a priced resource, or objects
# such as IAM, VPCs, subnets, route tables and security groups that carry no charge of
# their own (docs/cost.md, "What has no row"). A type the example gains must be put in one
# of the two lists, so nothing that costs money is left out of the table silently.
NO_ROW = {
    "aws_acm_certificate", "aws_acm_certificate_validation", "aws_backup_vault_notifications",
    "aws_cloudwatch_log_metric_filter", "aws_cloudwatch_log_resource_policy", "aws_db_subnet_group",
    "aws_default_security_group",
    "aws_dynamodb_resource_policy", "aws_ec2_client_vpn_authorization_rule", "aws_ec2_transit_gateway_route_table",
    "aws_ec2_transit_gateway_route_table_association", "aws_ec2_transit_gateway_route_table_propagation",
    "aws_ec2_transit_gateway_vpc_attachment_accepter", "aws_ecr_lifecycle_policy", "aws_ecs_cluster",
    "aws_efs_access_point", "aws_efs_backup_policy", "aws_efs_file_system_policy", "aws_efs_mount_target",
    "aws_iam_group", "aws_iam_group_policy", "aws_iam_policy", "aws_iam_role", "aws_iam_role_policy",
    "aws_iam_role_policy_attachment", "aws_iam_user", "aws_iam_user_group_membership", "aws_kms_alias",
    "aws_lb_listener", "aws_lb_target_group", "aws_ram_principal_association", "aws_ram_resource_association",
    "aws_ram_resource_share", "aws_rds_cluster_parameter_group", "aws_route", "aws_route_table",
    "aws_route_table_association", "aws_s3_bucket_lifecycle_configuration", "aws_s3_bucket_logging",
    "aws_s3_bucket_notification", "aws_s3_bucket_ownership_controls", "aws_s3_bucket_policy",
    "aws_s3_bucket_public_access_block", "aws_s3_bucket_server_side_encryption_configuration",
    "aws_s3_bucket_versioning", "aws_security_group", "aws_sesv2_email_identity_mail_from_attributes",
    "aws_sns_topic_policy", "aws_subnet", "aws_vpc", "aws_vpc_security_group_egress_rule",
    "aws_vpc_security_group_ingress_rule",
}  # fmt: skip


def table() -> list[Row]:
    lines = [line for line in (ROOT / COST).read_text(encoding="utf-8").splitlines() if line.startswith("|")]
    header = [cell.strip() for cell in lines[0].strip("|").split("|")]
    assert header == COLUMNS, f"{COST}: the table's columns are {header}"
    rows = []
    for line in lines[2:]:
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        assert len(cells) == len(COLUMNS), f"{COST}: {line!r} has {len(cells)} cells"
        rows.append(Row(*cells))
    return rows


def expected(synthesis: Synthesis) -> dict[tuple[str, str], Quantity]:
    found: dict[tuple[str, str], Quantity] = {}
    for workspace, stack in synthesis.stacks.items():
        for item, (quantity, _) in ITEMS.items():
            got = quantity(stack)
            if got is not None:
                found[(item, workspace)] = got
    return found


@pytest.fixture(scope="module")
def rows() -> list[Row]:
    return table()


def test_every_row_matches_the_synthesized_example(rows: list[Row], synthesis: Synthesis) -> None:
    want = expected(synthesis)
    have = {(row.item, row.workspace): (row.example, row.units) for row in rows}
    assert len(have) == len(rows), f"{COST}: an item is listed twice for one workspace"
    assert sorted(set(want) - set(have)) == [], f"{COST}: rows missing for the example"
    assert sorted(set(have) - set(want)) == [], f"{COST}: rows for what the example does not have"
    wrong = {key: (have[key], want[key]) for key in want if have[key] != want[key]}
    assert not wrong, f"{COST}: (table, synthesized) differ: {wrong}"


def test_every_resource_type_has_a_row_or_no_charge_of_its_own(synthesis: Synthesis) -> None:
    priced = {t for _, types in ITEMS.values() for t in types}
    assert not priced & NO_ROW, "a type is either priced or has no row"
    present = {t for stack in synthesis.stacks.values() for t in stack.get("resource", {}) if t.startswith("aws_")}
    unclassified = sorted(present - priced - NO_ROW)
    assert not unclassified, f"{COST}: the example gained {unclassified}: price them or say why they have no row"


def test_no_nat_gateway_is_what_the_page_says(synthesis: Synthesis) -> None:
    assert all("aws_nat_gateway" not in stack.get("resource", {}) for stack in synthesis.stacks.values())
    assert "No NAT gateway" in (ROOT / COST).read_text(encoding="utf-8")


def _number(cell: str) -> float | None:
    match = re.fullmatch(r"([0-9]+(?:\.[0-9]+)?)", cell.replace(",", ""))
    return float(match.group(1)) if match else None


def test_every_price_has_a_source_or_says_it_is_not_verified(rows: list[Row]) -> None:
    for row in rows:
        where = f"{COST}: {row.item} ({row.workspace})"
        price = _number(row.price)
        if price is None:
            assert row.price == "—" and row.monthly == "—", f"{where}: no number without a price"
            assert NOT_VERIFIED in row.source, f"{where}: say '{NOT_VERIFIED}' and give the formula"
            assert TIMES in row.source or "per" in row.source, f"{where}: give the formula"
            continue
        assert re.search(r"https://\S+", row.source), f"{where}: a price needs its source URL"
        assert READ_ON in row.source or re.search(r"\b20\d\d-\d\d-\d\d\b", row.source), f"{where}: and its date"
        if row.source.startswith("AWS:"):
            url = row.source.split()[1]
            assert url.startswith(AWS_PRICING_HOSTS), f"{where}: a verified price cites AWS's own page, not {url}"
        else:
            assert row.source.startswith("third-party, not verified"), f"{where}: a third-party price is not verified"
        units = _number(row.units.split(" ", 1)[0])
        if units is not None:
            assert _number(row.monthly) == round(units * price, 2), f"{where}: units {TIMES} price ≠ the monthly sum"
        else:
            assert row.units == USAGE and row.monthly == "—", f"{where}: a usage row has no monthly sum"


def test_every_row_says_where_its_price_stands(rows: list[Row]) -> None:
    """A source cell is verified (AWS's page), a cited third party, or not verified: never blank or other."""
    labels = ("AWS: https://", "third-party, not verified on an AWS page: ", f"{NOT_VERIFIED}: ")
    unlabelled = [(row.item, row.workspace) for row in rows if not row.source.startswith(labels)]
    assert not unlabelled, f"{COST}: rows whose source is none of {labels}: {unlabelled}"


def test_the_totals_add_the_rows_up(rows: list[Row]) -> None:
    text = (ROOT / COST).read_text(encoding="utf-8")
    verified = sum(_number(r.monthly) or 0.0 for r in rows if r.source.startswith("AWS:"))
    cited = sum(_number(r.monthly) or 0.0 for r in rows if not r.source.startswith("AWS:"))
    assert f"**{verified:,.2f} USD**" in text, f"{COST}: the verified subtotal is {verified:,.2f}"
    assert f"**{verified + cited:,.2f} USD**" in text, f"{COST}: with the third-party prices {verified + cited:,.2f}"


def test_the_readme_and_the_walkthrough_link_the_cost_table() -> None:
    assert "](docs/cost.md)" in (ROOT / "README.md").read_text(encoding="utf-8")
    assert "](cost.md)" in (ROOT / "docs" / "first-deployment.md").read_text(encoding="utf-8")


def test_the_quantities_follow_the_synthesized_terraform(synthesis: Synthesis) -> None:
    """A changed example changes the rows: two tasks, another class, an endpoint fewer."""
    stack = copy.deepcopy(synthesis.stacks["tooling"])
    before = {item: quantity(stack) for item, (quantity, _) in ITEMS.items()}
    (service,) = resources(stack, "aws_ecs_service").values()
    service["desired_count"] = 2
    for instance in resources(stack, "aws_rds_cluster_instance").values():
        instance["instance_class"] = "db.r6g.xlarge"
    endpoints = stack["resource"]["aws_vpc_endpoint"]
    interface = next(name for name, body in endpoints.items() if body["vpc_endpoint_type"] == "Interface")
    del endpoints[interface]
    after = {item: quantity(stack) for item, (quantity, _) in ITEMS.items()}
    changed = sorted(item for item in ITEMS if before[item] != after[item])
    assert changed == sorted(
        ["Fargate vCPU", "Fargate memory", "Fargate ephemeral storage", "Aurora instances", "Interface VPC endpoints"]
    )
    assert after["Aurora instances"] == (f"2 {TIMES} db.r6g.xlarge (writer and reader)", "1460 instance-hours")
