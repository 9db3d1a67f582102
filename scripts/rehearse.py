"""Rehearse a deployment against moto's AWS API emulator: `make rehearse`.

    python -m scripts.rehearse [--outdir cdktf.out] [--keep] [WORKSPACE ...]

Starts moto's server on 127.0.0.1 (a free port; each request it answers is a JSON
line in ``moto-requests.jsonl``: scripts/moto_logged.py), then for every synthesized
workspace in deploy order (the manifest's dependencies: bootstrap, tooling, targets, hub
routing) runs ``terraform init``, ``apply``, a second ``plan -detailed-exitcode`` that
must report no changes, and finally ``destroy`` in reverse order (all three with the same
``-target`` list). Every aws provider call goes to the emulator: ``AWS_ENDPOINT_URL`` in
the environment (honoured by aws provider 5.x for every service), fake keys, local state,
``s3_use_path_style``.

Resource types moto does not implement are left out with ``-target`` of
everything else, from the one list ``UNSUPPORTED`` below; so are the resources
and outputs that reference them (the closure over the synthesized JSON, across
workspaces through ``terraform_remote_state``). Each listed type carries the
moto API it needs: when the installed moto implements that API, or a listed
type is no longer synthesized anywhere, the run fails so that the list is
shortened. Any Terraform error fails the run too.

Workspaces that read another workspace's outputs read the state this rehearsal
applied (an override points their ``terraform_remote_state`` at it), never
fixtures. A workspace whose provider is not available here (the GitLab
workspace: gitlabhq/gitlab is not in the mirror) is reported as not rehearsed.

Terraform's output is streamed to ``cdktf.out/rehearsal/<workspace>/<step>.log``
as it runs; the table per workspace (applied, left out and why, second-plan
changes, time per step) is printed at the end and written to
``cdktf.out/rehearsal/report.txt``. An apply that failed only on a listed emulator fault
(``APPLY_FAULTS``) runs the whole rehearsal once more, the first run's logs kept in
``cdktf.out/rehearsal-first/``. A step past its ``STEP_TIMEOUT`` is stopped
and fails, naming workspace, step and log; after a failed step the workspaces
applied so far are still destroyed. SIGINT or SIGTERM stops the running
Terraform and moto, writes the partial report and exits 128 + the signal.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from scripts.moto_server import moto_server
from scripts.offline_plan import OVERRIDE_FILE, Terraform, TerraformMissing, offline_override, unavailable_providers


@dataclass(frozen=True)
class Unsupported:
    """Why moto cannot take a resource type. Either moto lacks the API: the moto service
    package and the operation (moto's snake_case handler name), ``service=None`` when moto
    has no package for the service at all; or moto has the API but answers it wrongly:
    ``defect`` names a probe in ``DEFECT_PROBES`` that shows the fault on the running
    server, and ``service``/``operation`` are the API that is wrong."""

    reason: str
    service: str | None
    operation: str
    defect: str | None = None


# Resource types moto 5.2 cannot take, each with the API the aws provider calls for it.
# Checked at every run (probe_unsupported, probe_defects): a type whose API moto gained or
# fixed, or a type no workspace synthesizes any more, fails the rehearsal until it is
# removed from this list.
UNSUPPORTED: dict[str, Unsupported] = {
    "aws_backup_selection": Unsupported(
        "moto has no Backup CreateBackupSelection", "backup", "create_backup_selection"
    ),
    "aws_backup_vault_notifications": Unsupported(
        "moto has no Backup PutBackupVaultNotifications", "backup", "put_backup_vault_notifications"
    ),
    "aws_codeconnections_connection": Unsupported("moto has no CodeConnections service", None, "create_connection"),
    "aws_codeconnections_host": Unsupported("moto has no CodeConnections service", None, "create_host"),
    "aws_ec2_client_vpn_endpoint": Unsupported(
        "moto has no EC2 CreateClientVpnEndpoint", "ec2", "create_client_vpn_endpoint"
    ),
    "aws_ec2_client_vpn_network_association": Unsupported(
        "moto has no EC2 AssociateClientVpnTargetNetwork", "ec2", "associate_client_vpn_target_network"
    ),
    "aws_ec2_client_vpn_authorization_rule": Unsupported(
        "moto has no EC2 AuthorizeClientVpnIngress", "ec2", "authorize_client_vpn_ingress"
    ),
    "aws_ec2_transit_gateway_vpc_attachment_accepter": Unsupported(
        "moto has no EC2 AcceptTransitGatewayVpcAttachment", "ec2", "accept_transit_gateway_vpc_attachment"
    ),
    "aws_efs_backup_policy": Unsupported("moto has no EFS PutBackupPolicy", "efs", "put_backup_policy"),
    "aws_efs_replication_configuration": Unsupported(
        "moto has no EFS CreateReplicationConfiguration", "efs", "create_replication_configuration"
    ),
    "aws_ram_principal_association": Unsupported(
        "moto has no RAM AssociateResourceShare", "ram", "associate_resource_share"
    ),
    "aws_ram_resource_association": Unsupported(
        "moto has no RAM AssociateResourceShare", "ram", "associate_resource_share"
    ),
    "aws_sesv2_email_identity_mail_from_attributes": Unsupported(
        "moto has no SESv2 PutEmailIdentityMailFromAttributes", "sesv2", "put_email_identity_mail_from_attributes"
    ),
    # The provider validates a definition while planning (CustomizeDiff since 5.67, "r/aws_sfn_state_machine:
    # validate step-function definition at plan step", terraform-provider-aws #39229); moto answers the
    # unknown action with a 500, which the SDK retries for minutes instead of failing.
    "aws_sfn_state_machine": Unsupported(
        "moto has no Step Functions ValidateStateMachineDefinition (called at plan)",
        "stepfunctions",
        "validate_state_machine_definition",
    ),
    # moto has these APIs but answers them in a way the provider cannot work with.
    "aws_codebuild_project": Unsupported(
        "moto's CodeBuild CreateProject demands a source location (AWS needs none for NO_SOURCE/CODEPIPELINE)",
        "codebuild",
        "create_project",
        defect="codebuild_source_location",
    ),
    "aws_ram_resource_share": Unsupported(
        "moto's RAM GetResourceShares ignores resourceShareArns (the provider's wait sees every share)",
        "ram",
        "get_resource_shares",
        defect="ram_share_filter",
    ),
    "aws_ec2_transit_gateway_vpc_attachment": Unsupported(
        "moto's EC2 DisassociateTransitGatewayRouteTable fails (500) for an attachment of a transit gateway "
        "without default association, which the provider calls at create",
        "ec2",
        "disassociate_transit_gateway_route_table",
        defect="tgw_disassociate",
    ),
    "aws_s3_bucket_logging": Unsupported(
        "moto's S3 PutBucketLogging accepts a logging-service grant only on exactly <target prefix>* or *, "
        "not on a parent prefix (s3/* for s3/artifacts/) as S3 does",
        "s3",
        "put_bucket_logging",
        defect="s3_logging_parent_prefix",
    ),
    "aws_sesv2_email_identity": Unsupported(
        "moto's SESv2 CreateEmailIdentity returns no DKIM tokens (the DKIM records and outputs need three)",
        "sesv2",
        "create_email_identity",
        defect="ses_dkim_tokens",
    ),
}

# Types moto can create but not delete (it lacks the delete call), each a part of a parent that
# the destroy deletes, which takes the part with it in AWS too. Before the destroy they are
# removed from the state (`terraform state rm`: the "forget" step) and from its -target list,
# so that the destroy neither waits on the missing call nor leaves the parent behind. Checked
# like UNSUPPORTED (probe_undeletable): once moto has the call, the run fails until the entry goes.
UNDELETABLE: dict[str, Unsupported] = {
    # The policy lives at DELETE /2015-02-01/file-systems/{FileSystemId}/policy ("DeleteFileSystemPolicy",
    # EFS API reference): a sub-resource of the file system, gone with it.
    "aws_efs_file_system_policy": Unsupported(
        "moto has no EFS DeleteFileSystemPolicy (the policy goes with its file system)",
        "efs",
        "delete_file_system_policy",
    ),
}

# Errors moto has given a destroy for no fault of the configuration: a pattern over one
# Terraform error (its lines joined) -> what it means. A destroy whose errors all match is
# run once more (its refresh drops what is gone) and, when that one finishes, excused in the
# table; any other destroy error fails the workspace as before. Plans are never retried, and
# an apply only as APPLY_FAULTS says. Seen in full rehearsals: DeleteTargetGroup answered
# TargetGroupNotFound, and RevokeSecurityGroupEgress answered InvalidPermission.NotFound,
# each for an object the destroy's own refresh had just read: a delete carried out whose
# answer the SDK did not get, so that it sent the delete again (moto's request log has
# shown such resends, benchmarks/rehearse.md).
DESTROY_FAULTS: dict[str, str] = {
    r"^Error: deleting .*(NotFound|not found|does not exist)": (
        "moto answered a delete with not-found for an object the destroy's refresh had just read: "
        "gone already, which the second destroy confirms"
    ),
}

# Errors that have failed an apply of a configuration that cannot cause them: the whole
# rehearsal then runs once more from the start on a fresh moto (its state and moto's no
# longer agree, so the apply alone cannot go on), and the report says so, keeping the first
# run's logs. A plan cannot show a rule held twice, so the suite proves that no workspace
# holds one (tests/user/test_your_configuration.py, test_no_security_group_rule_twice);
# moto's request log tells whether the SDK had sent the same request before (an answer lost
# on the way).
APPLY_FAULTS: dict[str, str] = {
    r"^Error: .*InvalidPermission\.Duplicate": (
        "moto refused a security-group rule as a duplicate that the configuration holds once"
    ),
}

# Arguments that name an existing AWS object by ID (a "use existing" choice in environments/):
# the emulator cannot create an object with a chosen ID, so resources with a literal value
# there are left out, and what depends on them.
EXISTING_IDS: dict[str, str] = {"aws_route53_record": "zone_id", "aws_iam_role_policy_attachment": "role"}

# Attributes moto does not give back as it was told (its Describe/Get answer lacks them or
# adds its own), so the second plan shows them changing although AWS would not. A second-plan
# change confined to the listed attributes of its type is reported as emulator drift; any
# other change is a perpetual diff, a defect. A listed type that shows no drift in a full
# rehearsal fails the run, so that the list only shrinks.
EMULATOR_DRIFT: dict[str, tuple[frozenset[str], str]] = {
    "aws_backup_plan": (frozenset({"tags_all"}), "moto's Backup ListTags omits the tags given at create"),
    "aws_backup_vault": (frozenset({"tags_all"}), "moto's Backup ListTags omits the tags given at create"),
    "aws_rds_cluster": (
        frozenset({"scaling_configuration"}),
        "moto's RDS DescribeDBClusters returns a Serverless v1 ScalingConfigurationInfo for a provisioned cluster",
    ),
    "aws_rds_cluster_instance": (
        frozenset({"performance_insights_enabled", "performance_insights_kms_key_id"}),
        "moto's RDS DescribeDBInstances omits the Performance Insights settings",
    ),
    "aws_route53_zone": (frozenset({"vpc"}), "moto's Route 53 GetHostedZone omits a private zone's VPCs"),
    "aws_s3_bucket_notification": (
        frozenset({"eventbridge"}),
        "moto's S3 GetBucketNotificationConfiguration omits EventBridgeConfiguration",
    ),
    "aws_s3_bucket_replication_configuration": (
        frozenset({"rule"}),
        "moto's S3 GetBucketReplication omits DeleteMarkerReplication and SourceSelectionCriteria",
    ),
    "aws_vpc_security_group_egress_rule": (
        frozenset({"description"}),
        "moto's EC2 DescribeSecurityGroupRules omits the rule's description",
    ),
    "aws_vpc_security_group_ingress_rule": (
        frozenset({"description"}),
        "moto's EC2 DescribeSecurityGroupRules omits the rule's description",
    ),
}

# The tooling account: requests land there (moto's default would be 123456789012).
MOTO_ACCOUNT = "111111111111"
STEP_TIMEOUT = {"init": 300, "apply": 1500, "plan": 600, "forget": 120, "destroy": 1200}
TIMED_OUT = 124  # a step's return code when it was stopped at its timeout (as timeout(1))
PARALLELISM = "-parallelism=16"  # moto answers quickly; most of the time is the provider's waits
REHEARSAL_DIR = "rehearsal"
REMOTE_STATE_OVERRIDE_FILE = "rehearsal_remote_state_override.tf.json"
PROTECTION_OVERRIDE_FILE = "rehearsal_protection_override.tf.json"
LEFT_OUT_OVERRIDE_FILE = "rehearsal_left_out_override.tf.json"
# Arguments that make a resource refuse `terraform destroy` (rightly so in an account); the
# rehearsal must destroy what it applied, so its override turns them off from the first apply
# (and so the second plan compares like with like). prevent_destroy is turned off likewise.
DESTROYABLE: dict[str, dict[str, object]] = {
    "aws_dynamodb_table": {"deletion_protection_enabled": False},
    "aws_rds_cluster": {"deletion_protection": False, "skip_final_snapshot": True},
    "aws_lb": {"enable_deletion_protection": False},
    "aws_s3_bucket": {"force_destroy": True},
    "aws_ecr_repository": {"force_delete": True},
}

_ADDRESS = re.compile(r"(?:data\.|local\.)?[a-z][a-z0-9_]*\.[A-Za-z0-9_-]+")
_REMOTE_OUTPUT = re.compile(r"data\.terraform_remote_state\.([A-Za-z0-9_-]+)\.outputs\.([A-Za-z0-9_]+)")


# --------------------------------------------------------------------------- pure parts


def _without_metadata(body: object) -> object:
    if isinstance(body, dict):
        return {k: _without_metadata(v) for k, v in body.items() if k != "//"}
    if isinstance(body, list):
        return [_without_metadata(v) for v in body]
    return body


def nodes(stack: Mapping[str, object]) -> dict[str, object]:
    """Every addressable block of a synthesized workspace: ``type.name`` for resources,
    ``data.type.name``, ``local.name``, ``output.name``."""
    found: dict[str, object] = {}
    for rtype, blocks in stack.get("resource", {}).items():  # type: ignore[attr-defined]
        for name, body in blocks.items():
            found[f"{rtype}.{name}"] = _without_metadata(body)
    for dtype, blocks in stack.get("data", {}).items():  # type: ignore[attr-defined]
        for name, body in blocks.items():
            found[f"data.{dtype}.{name}"] = _without_metadata(body)
    for name, body in stack.get("locals", {}).items():  # type: ignore[attr-defined]
        found[f"local.{name}"] = _without_metadata(body)
    for name, body in stack.get("output", {}).items():  # type: ignore[attr-defined]
        found[f"output.{name}"] = _without_metadata(body)
    return found


def references(body: object, known: set[str]) -> list[str]:
    """The addresses in ``known`` that ``body`` refers to (expressions and depends_on)."""
    text = json.dumps(body)
    return sorted({m.group(0) for m in _ADDRESS.finditer(text) if m.group(0) in known})


def remote_outputs(body: object) -> list[tuple[str, str]]:
    """(remote state name, output) pairs that ``body`` reads."""
    return sorted(set(_REMOTE_OUTPUT.findall(json.dumps(body))))


def producer_of(stack: Mapping[str, object], remote_name: str) -> str:
    body = stack["data"]["terraform_remote_state"][remote_name]  # type: ignore[index]
    location = str(body["config"].get("path") or body["config"].get("key") or "")
    return Path(location).name.removesuffix(".tfstate").removeprefix("terraform.")


def left_out(
    workspace: str,
    stack: Mapping[str, object],
    upstream: Mapping[str, Mapping[str, str]],
    unsupported: Mapping[str, Unsupported] = UNSUPPORTED,
) -> dict[str, str]:
    """Address -> why it is left out of ``workspace``: its type is unsupported, or it refers
    (directly or not) to something left out, here or, through remote state, in the
    producing workspace (``upstream``: workspace -> its own left-out addresses)."""
    graph = nodes(stack)
    known = set(graph)
    edges = {address: references(body, known) for address, body in graph.items()}
    remote = {address: remote_outputs(body) for address, body in graph.items()}
    out: dict[str, str] = {}
    for address, body in graph.items():
        rtype = address.split(".")[0]
        if rtype in unsupported:
            out[address] = unsupported[rtype].reason
        elif rtype in EXISTING_IDS and isinstance(body, dict):
            value = body.get(EXISTING_IDS[rtype])
            if isinstance(value, str) and "${" not in value:
                out[address] = f"{EXISTING_IDS[rtype]} {value} is an existing object the emulator does not hold"
    changed = True
    while changed:
        changed = False
        for address in graph:
            if address in out:
                continue
            cause = next((dep for dep in edges[address] if dep in out), None)
            if cause is not None:
                out[address] = f"depends on {cause}"
                changed = True
                continue
            for remote_name, output in remote[address]:
                producer = producer_of(stack, remote_name)
                if f"output.{output}" in upstream.get(producer, {}):
                    out[address] = f"depends on {producer} output.{output}"
                    changed = True
                    break
    return out


def targets(stack: Mapping[str, object], excluded: Mapping[str, str]) -> list[str]:
    """The managed resources to apply: all but those left out."""
    return [a for a in nodes(stack) if not a.startswith(("data.", "local.", "output.")) and a not in excluded]


def deploy_order(manifest: Mapping[str, object]) -> list[str]:
    """Workspaces after those they depend on, else in manifest order."""
    stacks: Mapping[str, Mapping[str, list[str]]] = manifest["stacks"]  # type: ignore[assignment]
    order: list[str] = []
    pending = list(stacks)
    while pending:
        ready = [n for n in pending if all(d in order for d in stacks[n].get("dependencies", []))]
        if not ready:
            raise ValueError(f"dependency cycle among {pending}")
        order.append(ready[0])
        pending.remove(ready[0])
    return order


def stale_entries(stacks: Mapping[str, Mapping[str, object]], unsupported: Mapping[str, Unsupported]) -> list[str]:
    """Listed types that no workspace synthesizes any more."""
    present = {rtype for stack in stacks.values() for rtype in stack.get("resource", {})}  # type: ignore[attr-defined]
    return sorted(rtype for rtype in unsupported if rtype not in present)


def moto_implements(entry: Unsupported) -> bool:
    """Whether the installed moto has a handler for ``entry``'s operation (for a defect:
    whether it still has the handler it answers wrongly). A handler is a method of that name
    in the service's responses (``responses.py`` or a ``responses/`` package, as EC2's); S3
    dispatches on the query string to its backend, so for S3 the backend's method counts."""
    if entry.service is None:
        return False
    spec = importlib.util.find_spec(f"moto.{entry.service}")
    if spec is None or not spec.submodule_search_locations:
        return False
    pattern = re.compile(rf"^\s+def {re.escape(entry.operation)}\(", re.MULTILINE)
    handlers = ("responses.py", "models.py") if entry.service == "s3" else ("responses.py",)
    for directory in spec.submodule_search_locations:
        for source in Path(directory).rglob("*.py"):
            is_handler = source.name in handlers or "responses" in source.parent.parts
            if is_handler and pattern.search(source.read_text(encoding="utf-8")):
                return True
    return False


def probe_unsupported(
    stacks: Mapping[str, Mapping[str, object]],
    unsupported: Mapping[str, Unsupported] = UNSUPPORTED,
    list_name: str = "UNSUPPORTED",
) -> list[str]:
    """Problems with the list: types moto now implements, types no longer synthesized."""
    problems = [
        f"{rtype}: moto now implements {entry.operation}; remove it from {list_name} in scripts/rehearse.py"
        for rtype, entry in unsupported.items()
        if entry.defect is None and moto_implements(entry)
    ]
    problems += [
        f"{rtype}: moto has no {entry.operation} any more; its entry in {list_name} in scripts/rehearse.py is wrong"
        for rtype, entry in unsupported.items()
        if entry.defect is not None and not moto_implements(entry)
    ]
    problems += [
        f"{rtype}: no workspace synthesizes it any more; remove it from {list_name} in scripts/rehearse.py"
        for rtype in stale_entries(stacks, unsupported)
    ]
    return problems


def probe_undeletable(
    stacks: Mapping[str, Mapping[str, object]], undeletable: Mapping[str, Unsupported] = UNDELETABLE
) -> list[str]:
    """Problems with UNDELETABLE: types whose delete call moto now has, types no longer synthesized."""
    return probe_unsupported(stacks, undeletable, "UNDELETABLE")


# A probe returns True while moto still shows the defect. Each runs against the rehearsal's
# server in a region no workspace uses, before any workspace is applied.
PROBE_REGION = "eu-west-3"


def _probe_codebuild_source_location(client: Callable[[str], Any]) -> bool:
    codebuild = client("codebuild")
    try:
        codebuild.create_project(
            name="rehearsal-probe",
            source={"type": "NO_SOURCE", "buildspec": "version: 0.2"},
            artifacts={"type": "NO_ARTIFACTS"},
            environment={
                "type": "LINUX_CONTAINER",
                "image": "aws/codebuild/standard:7.0",
                "computeType": "BUILD_GENERAL1_SMALL",
            },
            serviceRole=f"arn:aws:iam::{MOTO_ACCOUNT}:role/rehearsal-probe",
        )
    except codebuild.exceptions.InvalidInputException:
        return True
    codebuild.delete_project(name="rehearsal-probe")
    return False


def _probe_ram_share_filter(client: Callable[[str], Any]) -> bool:
    ram = client("ram")
    arns = [ram.create_resource_share(name=f"rehearsal-probe-{i}")["resourceShare"]["resourceShareArn"] for i in (1, 2)]
    try:
        found = ram.get_resource_shares(resourceOwner="SELF", resourceShareArns=arns[:1])["resourceShares"]
        return len(found) != 1
    finally:
        for arn in arns:
            ram.delete_resource_share(resourceShareArn=arn)


def _probe_tgw_disassociate(client: Callable[[str], Any]) -> bool:
    import botocore.exceptions  # type: ignore[import-untyped]
    import botocore.parsers  # type: ignore[import-untyped]

    ec2 = client("ec2")
    tgw = ec2.create_transit_gateway(
        Options={"DefaultRouteTableAssociation": "disable", "DefaultRouteTablePropagation": "disable"}
    )["TransitGateway"]
    vpc = ec2.create_vpc(CidrBlock="10.250.0.0/24")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.250.0.0/28")["Subnet"]["SubnetId"]
    attachment = ec2.create_transit_gateway_vpc_attachment(
        TransitGatewayId=tgw["TransitGatewayId"], VpcId=vpc, SubnetIds=[subnet]
    )["TransitGatewayVpcAttachment"]["TransitGatewayAttachmentId"]
    table = ec2.describe_transit_gateways(TransitGatewayIds=[tgw["TransitGatewayId"]])["TransitGateways"][0][
        "Options"
    ].get("AssociationDefaultRouteTableId")
    if not table:
        return False  # nothing to disassociate: the provider would not call it
    try:
        ec2.disassociate_transit_gateway_route_table(
            TransitGatewayRouteTableId=table, TransitGatewayAttachmentId=attachment
        )
    except botocore.parsers.ResponseParserError:
        return True  # moto's HTML error page for an unhandled exception (500)
    except botocore.exceptions.ClientError as error:
        return int(error.response["ResponseMetadata"]["HTTPStatusCode"]) >= 500
    return False


def _probe_ses_dkim_tokens(client: Callable[[str], Any]) -> bool:
    sesv2 = client("sesv2")
    created = sesv2.create_email_identity(EmailIdentity="rehearsal-probe.example.com")
    sesv2.delete_email_identity(EmailIdentity="rehearsal-probe.example.com")
    return not created.get("DkimAttributes", {}).get("Tokens")


def _probe_s3_logging_parent_prefix(client: Callable[[str], Any]) -> bool:
    s3 = client("s3")
    target, source = "rehearsal-probe-logs", "rehearsal-probe-source"
    for bucket in (target, source):
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": PROBE_REGION})
    grant = {
        "Effect": "Allow",
        "Principal": {"Service": "logging.s3.amazonaws.com"},
        "Action": ["s3:PutObject"],
        "Resource": f"arn:aws:s3:::{target}/s3/*",
    }
    s3.put_bucket_policy(Bucket=target, Policy=json.dumps({"Version": "2012-10-17", "Statement": [grant]}))
    try:
        s3.put_bucket_logging(
            Bucket=source,
            BucketLoggingStatus={"LoggingEnabled": {"TargetBucket": target, "TargetPrefix": "s3/source/"}},
        )
    except s3.exceptions.ClientError as error:
        return bool(error.response["Error"]["Code"] == "InvalidTargetBucketForLogging")
    finally:
        for bucket in (source, target):
            s3.delete_bucket(Bucket=bucket)
    return False


DEFECT_PROBES: dict[str, Callable[[Callable[[str], Any]], bool]] = {
    "codebuild_source_location": _probe_codebuild_source_location,
    "ram_share_filter": _probe_ram_share_filter,
    "tgw_disassociate": _probe_tgw_disassociate,
    "ses_dkim_tokens": _probe_ses_dkim_tokens,
    "s3_logging_parent_prefix": _probe_s3_logging_parent_prefix,
}


def probe_defects(url: str, unsupported: Mapping[str, Unsupported] = UNSUPPORTED) -> list[str]:
    """Problems with the list's defect entries: a defect moto no longer shows."""
    import boto3  # type: ignore[import-untyped]
    from botocore.config import Config  # type: ignore[import-untyped]

    def client(service: str) -> Any:
        return boto3.client(
            service,
            endpoint_url=url,
            region_name=PROBE_REGION,
            aws_access_key_id="AKIAREHEARSALPROBE00",
            aws_secret_access_key="rehearsal-probe",
            config=Config(retries={"max_attempts": 1}),
        )

    problems = []
    for rtype, entry in unsupported.items():
        if entry.defect is None:
            continue
        if not DEFECT_PROBES[entry.defect](client):
            problems.append(
                f"{rtype}: moto no longer shows the defect ({entry.reason}); "
                "remove it from UNSUPPORTED in scripts/rehearse.py"
            )
    return problems


def protection_override(stack: Mapping[str, object]) -> dict[str, object]:
    """An override that lets ``terraform destroy`` remove what the rehearsal applied."""
    resources: dict[str, dict[str, object]] = {}
    for rtype, blocks in stack.get("resource", {}).items():  # type: ignore[attr-defined]
        for name, body in blocks.items():
            override: dict[str, object] = dict(DESTROYABLE.get(rtype, {}))
            if body.get("lifecycle", {}).get("prevent_destroy"):
                override["lifecycle"] = {"prevent_destroy": False}
            if override:
                resources.setdefault(rtype, {})[name] = override
    return {"resource": resources} if resources else {}


@dataclass
class StepResult:
    name: str
    returncode: int
    seconds: float
    log: Path
    error: str | None = None
    """Why the step failed when Terraform's exit code does not say (a timeout)."""
    excused: str | None = None
    """A failed destroy whose every error is a listed emulator fault (DESTROY_FAULTS) and
    that a second destroy finished: why it does not fail the workspace."""


@dataclass
class Rehearsal:
    """What happened to one workspace."""

    workspace: str
    applied: list[str] = field(default_factory=list)
    excluded: dict[str, str] = field(default_factory=dict)
    steps: list[StepResult] = field(default_factory=list)
    target_args: list[str] = field(default_factory=list)
    """``-target`` of every applied resource (none when nothing is left out): apply, plan and destroy."""
    second_plan: list[str] | None = None
    """Second-plan changes that are perpetual diffs ("address: actions attributes"); None when it did not run."""
    drift: list[str] = field(default_factory=list)
    """Second-plan changes that are emulator drift (EMULATOR_DRIFT), not defects."""
    not_rehearsed: str | None = None
    """Why the workspace could not be rehearsed at all (its provider is not available)."""
    nothing_to_apply: bool = False
    """Every resource of the workspace is left out: nothing applied, planned or destroyed."""
    kept: bool = False
    """--keep: no destroy was asked for."""
    interrupted: str | None = None
    """The signal and the step it stopped."""
    not_reached: str | None = None
    """The workspace whose failure ended the run before this one started."""

    @property
    def skipped(self) -> bool:
        return self.not_rehearsed is not None or self.nothing_to_apply

    @property
    def ok(self) -> bool:
        if self.interrupted is not None or self.not_reached is not None:
            return False
        if self.skipped:
            return True
        return (
            bool(self.steps)
            and all(s.returncode == 0 or (s.name == "plan" and s.returncode == 2) or s.excused for s in self.steps)
            and self.second_plan == []
            and (self.kept or any(s.name == "destroy" for s in self.steps))
        )


def render(rehearsals: Sequence[Rehearsal]) -> str:
    """The table per workspace: applied, left out (and why), second-plan changes, times."""
    lines: list[str] = []
    for r in rehearsals:
        lines.append(f"== {r.workspace}")
        if r.not_reached is not None:
            lines.append(f"   not reached:  {r.not_reached} failed before it")
            lines.append("   result:       FAILED")
            continue
        if r.not_rehearsed is not None:
            lines.append(f"   not rehearsed: {r.not_rehearsed}")
            lines.extend(f"     {address:<72} {why}" for address, why in sorted(r.excluded.items()))
            continue
        if r.nothing_to_apply:
            lines.append("   steps:        none (every resource is left out)")
        else:
            times = "  ".join(
                f"{s.name} {s.seconds:.0f}s"
                + ("" if s.returncode in (0, 2) else " RETRIED" if s.excused else f" FAILED({s.returncode})")
                for s in r.steps
            )
            lines.append(f"   steps:        {times}")
        if r.interrupted:
            lines.append(f"   interrupted:  {r.interrupted}")
        lines.extend(f"   error:        {s.error}" for s in r.steps if s.error)
        lines.extend(f"   excused:      {s.excused}" for s in r.steps if s.excused)
        lines.append(f"   applied:      {len(r.applied)} resources")
        managed = {a: why for a, why in r.excluded.items() if not a.startswith(("data.", "local.", "output."))}
        others = {a: why for a, why in r.excluded.items() if a not in managed}
        lines.append(f"   left out:     {len(managed)} resources, {len(others)} outputs/locals/data")
        for address, why in sorted(r.excluded.items()):
            lines.append(f"     {address:<72} {why}")
        if r.nothing_to_apply:
            lines.append("   second plan:  not run (nothing applied)")
        elif r.second_plan is None:
            lines.append("   second plan:  not run")
        elif not r.second_plan:
            lines.append("   second plan:  no changes" + (f" but {len(r.drift)} of emulator drift" if r.drift else ""))
        else:
            lines.append(f"   second plan:  {len(r.second_plan)} changes (a perpetual diff: a defect)")
            lines.extend(f"     {change}" for change in r.second_plan)
        lines.extend(f"     drift: {line}" for line in r.drift)
        if r.kept and not r.nothing_to_apply:
            lines.append("   destroy:      not run (--keep)")
        lines.append(f"   result:       {'ok' if r.ok else 'FAILED'}")
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- running


@contextmanager
def moto(log: Path, timeout: float = 30) -> Iterator[str]:
    """moto's server on 127.0.0.1 for the duration; yields its URL."""
    settings = {
        # ACM "validates" a certificate after this many seconds (moto's default 60), so that
        # aws_acm_certificate_validation is rehearsed rather than left out.
        "MOTO_ACM_VALIDATION_WAIT": "0",
        # AWS managed policies (AWSBackupServiceRolePolicyForBackup, ...) exist in every account;
        # moto loads them only when asked.
        "MOTO_IAM_LOAD_MANAGED_POLICIES": "true",
    }
    with moto_server(log, MOTO_ACCOUNT, timeout, settings, requests=log.with_name("moto-requests.jsonl")) as url:
        yield url


class Interrupted(Exception):
    """SIGINT or SIGTERM arrived: the running step was stopped, the run is to end."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def _interrupt(signum: int, frame: object) -> None:
    raise Interrupted(signum)


@contextmanager
def interruptible() -> Iterator[None]:
    """SIGINT and SIGTERM raise ``Interrupted`` in the main thread for the duration, so that
    the ``finally`` clauses stop the running Terraform (run_step) and moto (moto_server), and
    main writes the partial report; the previous handlers come back afterwards."""
    previous = {signum: signal.signal(signum, _interrupt) for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def stop_child(process: subprocess.Popen[bytes], grace: float = 60) -> None:
    """Stop a Terraform child and its provider plugins (one process group, start_new_session):
    SIGINT first, which Terraform turns into a graceful stop that still writes the state of
    what it finished, then SIGKILL after ``grace`` seconds. A signal arriving meanwhile must
    not leave the group running, so the wait is retried until the group is killed."""
    try:
        os.killpg(process.pid, signal.SIGINT)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + grace
    while True:
        try:
            process.wait(timeout=max(0.0, deadline - time.monotonic()))
            return
        except subprocess.TimeoutExpired:
            break
        except Interrupted:
            break  # a second Ctrl-C: no more grace
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def run_step(terraform: Terraform, env: Mapping[str, str], directory: Path, name: str, *args: str) -> StepResult:
    """One Terraform command, its output streamed to ``<directory>/<name>.log``; stopped
    after ``STEP_TIMEOUT[name]`` seconds (the step fails, saying so) or when the run is
    interrupted (``Interrupted`` propagates after the child is stopped)."""
    log = directory / f"{name}.log"
    started = time.monotonic()
    timeout = STEP_TIMEOUT[name]
    error: str | None = None
    with log.open("w", encoding="utf-8") as output:
        process = subprocess.Popen(
            [terraform.binary, *args, "-no-color"],
            cwd=directory,
            env=dict(env),
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            returncode = process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            stop_child(process)
            error = f"{directory.name} {name} timed out after {timeout}s and was stopped; see {log}"
            returncode = TIMED_OUT
        except Interrupted as interrupted:
            stop_child(process)
            output.flush()
            output.write(f"\nrehearsal: interrupted ({interrupted}); terraform stopped\n")
            print(f"  {directory.name:<22} {name:<8} interrupted ({interrupted}); see {log}", flush=True)
            raise
        if error is not None:
            output.flush()
            output.write(f"\nrehearsal: {error}\n")
    result = StepResult(name, returncode, time.monotonic() - started, log, error)
    print(f"  {directory.name:<22} {name:<8} rc={returncode} {result.seconds:.0f}s  {log}", flush=True)
    if error is not None:
        print(f"rehearsal: error: {error}", file=sys.stderr, flush=True)
    return result


def classify(
    plan: Mapping[str, Any], drift: Mapping[str, tuple[frozenset[str], str]] = EMULATOR_DRIFT
) -> tuple[list[str], list[str]]:
    """A second plan's changes: (perpetual diffs, emulator drift), each "address: what"."""
    defects: list[str] = []
    drifted: list[str] = []
    for change in plan.get("resource_changes", []):
        actions = change["change"]["actions"]
        if actions in (["no-op"], ["read"]):
            continue
        before = change["change"].get("before") or {}
        after = change["change"].get("after") or {}
        unknown = change["change"].get("after_unknown") or {}
        changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k) or k in unknown)
        listed = drift.get(change["type"])
        if actions == ["update"] and listed is not None and changed and set(changed) <= listed[0]:
            drifted.append(f"{change['address']}: {', '.join(changed)} ({listed[1]})")
        else:
            defects.append(f"{change['address']}: {'/'.join(actions)} {', '.join(changed)}")
    return defects, drifted


class ShowFailed(Exception):
    """``terraform show -json`` of the second plan failed; its output is in ``log``."""

    def __init__(self, message: str, log: Path):
        super().__init__(message)
        self.log = log


def show_plan(terraform: Terraform, env: Mapping[str, str], directory: Path) -> dict[str, Any]:
    """The second plan as JSON; ShowFailed (with ``show.log``) when Terraform cannot give it."""
    log = directory / "show.log"
    shown = subprocess.run(
        [terraform.binary, "show", "-json", "-no-color", "second.tfplan"],
        cwd=directory,
        env=dict(env),
        capture_output=True,
        text=True,
        check=False,
    )
    log.write_text(shown.stderr, encoding="utf-8")
    if shown.returncode != 0:
        raise ShowFailed(f"{directory.name} show exited with {shown.returncode}; see {log}", log)
    try:
        return json.loads(shown.stdout)  # type: ignore[no-any-return]
    except json.JSONDecodeError as error:
        raise ShowFailed(f"{directory.name} show gave no JSON ({error}); see {log}", log) from None


def stale_drift(
    rehearsals: Sequence[Rehearsal], drift: Mapping[str, tuple[frozenset[str], str]] = EMULATOR_DRIFT
) -> list[str]:
    """Listed drift types that no second plan of a full rehearsal showed."""
    seen = {line.split(".")[0] for r in rehearsals for line in r.drift}
    return [
        f"{rtype}: moto now round-trips {', '.join(sorted(attrs))}; "
        "remove it from EMULATOR_DRIFT in scripts/rehearse.py"
        for rtype, (attrs, _) in drift.items()
        if rtype not in seen
    ]


LEFT_OUT_VALUE = "left-out-of-the-rehearsal"


def _placeholder(value: object) -> object:
    if isinstance(value, dict):
        return {key: _placeholder(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_placeholder(item) for item in value]
    return LEFT_OUT_VALUE


def left_out_override(stack: Mapping[str, object], excluded: Mapping[str, str]) -> dict[str, object]:
    """Left-out outputs get a placeholder of the same shape. Terraform evaluates every output
    even in a targeted apply, and validates every expression of a consumer, left out or not:
    a remote-state output the producer never set would be an error there."""
    declared: Mapping[str, Mapping[str, object]] = stack.get("output", {})  # type: ignore[assignment]
    outputs = {
        name: {"value": _placeholder(declared[name]["value"])}
        for name in (a.removeprefix("output.") for a in excluded if a.startswith("output."))
    }
    return {"output": outputs} if outputs else {}


def prepare(
    workspace: str,
    source: Path,
    workdir: Path,
    stack: Mapping[str, object],
    states: Mapping[str, Path],
    *,
    excluded: Mapping[str, str],
    producers: Mapping[str, tuple[Mapping[str, object], Mapping[str, str]]] = {},
) -> Path:
    directory = workdir / workspace
    if directory.exists():
        shutil.rmtree(directory)
    shutil.copytree(source, directory)
    state = directory / "terraform.tfstate"
    override = offline_override(stack, state)
    for provider in override["provider"]["aws"]:  # type: ignore[index]
        # The emulator answers STS and serves path-style S3 only. It never throttles, so a
        # 5xx is its fault (most often an API it lacks): three tries, not the provider's 25
        # with backoff, which kept such a step waiting for minutes before it failed.
        provider.update(
            skip_credentials_validation=False,
            skip_requesting_account_id=False,
            s3_use_path_style=True,
            max_retries=3,
        )
    (directory / OVERRIDE_FILE).write_text(json.dumps(override, indent=2), encoding="utf-8")
    nulls = left_out_override(stack, excluded)
    if nulls:
        (directory / LEFT_OUT_OVERRIDE_FILE).write_text(json.dumps(nulls, indent=2), encoding="utf-8")
    protection = protection_override(stack)
    if protection:
        (directory / PROTECTION_OVERRIDE_FILE).write_text(json.dumps(protection, indent=2), encoding="utf-8")
    remote = stack.get("data", {}).get("terraform_remote_state", {})  # type: ignore[attr-defined]
    if remote:
        points = {}
        for name in remote:
            producer = producer_of(stack, name)
            if producer not in states:
                raise ValueError(f"{workspace} reads {producer}, which was not rehearsed before it")
            points[name] = {"backend": "local", "config": {"path": str(states[producer])}}
            # The producer never sets its left-out outputs; consumers still evaluate them
            # (validate, destroy), so the data source supplies placeholders of their shape.
            if producer in producers:
                defaults = left_out_override(*producers[producer]).get("output", {})
                if defaults:
                    points[name]["defaults"] = {o: body["value"] for o, body in defaults.items()}  # type: ignore[attr-defined]
        (directory / REMOTE_STATE_OVERRIDE_FILE).write_text(
            json.dumps({"data": {"terraform_remote_state": points}}, indent=2), encoding="utf-8"
        )
    return directory


def apply_and_plan(
    r: Rehearsal, wanted: Sequence[str], step: Callable[..., int], show: Callable[[], Mapping[str, Any]]
) -> bool:
    """init, apply and the second plan of one workspace (``step(r, name, *args)`` runs one);
    False when a step failed, and the run goes on to the destroys."""
    r.target_args = target_args = [f"-target={a}" for a in wanted] if r.excluded else []
    if step(r, "init", "init", "-input=false") != 0:
        return False
    if step(r, "apply", "apply", "-auto-approve", "-input=false", PARALLELISM, *target_args) != 0:
        return False
    r.applied = list(wanted)
    second = step(
        r, "plan", "plan", "-detailed-exitcode", "-input=false", PARALLELISM, "-out=second.tfplan", *target_args
    )
    if second not in (0, 2):
        return False
    if second == 0:
        r.second_plan = []
        return True
    try:
        r.second_plan, r.drift = classify(show())
    except ShowFailed as failed:
        r.steps.append(StepResult("show", 1, 0.0, failed.log, str(failed)))
        return False
    return True


def managed_in_state(state: Path) -> set[str]:
    """The managed resources (``type.name``) a local state file holds; none when it is missing."""
    if not state.is_file():
        return set()
    body = json.loads(state.read_text(encoding="utf-8"))
    return {f"{r['type']}.{r['name']}" for r in body.get("resources", []) if r.get("mode") == "managed"}


def destroy_all(
    rehearsals: Sequence[Rehearsal],
    step: Callable[..., int],
    in_state: Callable[[Rehearsal], set[str]],
    undeletable: Mapping[str, Unsupported] = UNDELETABLE,
) -> None:
    """Destroy every workspace that was applied (even in part), last applied first, whatever
    failed before or fails meanwhile: moto's state would go with it, but a destroy that
    fails is a defect too, and each is reported. Resources of an UNDELETABLE type that the
    state holds (``in_state``) are forgotten first (``terraform state rm``)."""
    for r in reversed(rehearsals):
        if not any(s.name == "apply" for s in r.steps):
            continue
        forget = sorted(a for a in in_state(r) if a.split(".")[0] in undeletable)
        if forget and step(r, "forget", "state", "rm", *forget) != 0:
            continue  # the destroy would wait on moto's missing call
        # Targeted like the apply: the state holds nothing else, and an untargeted destroy
        # first plans the left-out resources too, whose create may call APIs moto lacks
        # (aws_sfn_state_machine's definition validation hung the tooling destroy).
        gone = {f"-target={a}" for a in forget}
        targets = [t for t in r.target_args if t not in gone]
        args = ("destroy", "-auto-approve", "-input=false", PARALLELISM, *targets)
        if step(r, "destroy", *args) == 0:
            continue
        failed = r.steps[-1]
        fault = emulator_fault(failed.log)
        if fault is None:
            continue
        if failed.log.exists():  # the second destroy writes destroy.log again: keep the first
            failed.log = failed.log.replace(failed.log.with_name(f"{failed.log.stem}-first{failed.log.suffix}"))
        if step(r, "destroy", *args) == 0:
            failed.excused = f"destroy retried after an emulator fault: {fault}"


def emulator_fault(log: Path, faults: Mapping[str, str] = DESTROY_FAULTS) -> str | None:
    """The listed fault behind every error of a destroy's log (an error: its ``Error:`` line
    and the lines up to the next one, joined), or None when any error is not listed or the
    log shows none."""
    try:
        text = log.read_text(encoding="utf-8")
    except OSError:
        return None
    errors = [" ".join(("Error: " + block).split()) for block in re.split(r"^Error: ", text, flags=re.M)[1:]]
    found = {next((why for pattern, why in faults.items() if re.search(pattern, e)), None) for e in errors}
    if not errors or None in found:
        return None
    return "; ".join(sorted(f for f in found if f is not None))


def rerun_reason(rehearsals: Sequence[Rehearsal], faults: Mapping[str, str] = APPLY_FAULTS) -> str | None:
    """Why the whole rehearsal may run once more: its only failed steps are applies whose
    every error is a listed fault (the workspaces after them were not reached, which follows);
    None when anything else failed."""
    failed = [(r, s) for r in rehearsals for s in r.steps if s.returncode not in (0, 2) and not s.excused]
    if not failed or any(r.interrupted for r in rehearsals) or any(s.name != "apply" for _, s in failed):
        return None
    found = [emulator_fault(s.log, faults) for _, s in failed]
    if None in found:
        return None
    return "; ".join(f"{r.workspace} apply: {why}" for (r, _), why in zip(failed, found, strict=True))


def _reads(api: str) -> bool:
    """A request that only reads (REST GET/HEAD; an action named Describe*, Get*, List*,
    as the query and JSON protocols name it): sent again, it changes nothing."""
    if api.startswith(("GET ", "HEAD ")):
        return True
    return api.rsplit(".", 1)[-1].startswith(("Describe", "Get", "List"))


def resent_requests(log: Path) -> list[str]:
    """Requests moto refused (4xx/5xx) that had arrived before with the same body and been
    answered with success: the SDK sent them again, so the first answer never reached it."""
    answered: dict[tuple[str, str], dict[str, Any]] = {}
    found = []
    try:
        lines = log.read_text(encoding="utf-8").splitlines()
    except OSError:
        return []
    for line in lines:
        try:
            request = json.loads(line)
        except json.JSONDecodeError:
            continue  # the last line of a server that was killed mid-write
        key = (str(request.get("api")), str(request.get("body_sha1")))
        status = int(request.get("status", 0))
        if status < 400:
            answered[key] = request
        elif key in answered and not _reads(key[0]):
            first = answered[key]
            found.append(
                f"{key[0]} (body {key[1]}) answered {first['status']} in {first['ms']} ms, then sent again "
                f"{request['at'] - first['at']:.1f} s later and refused with {status}"
            )
    return found


def rehearse(
    outdir: Path, only: Sequence[str] = (), keep: bool = False, rehearsals: list[Rehearsal] | None = None
) -> tuple[list[Rehearsal], list[str]]:
    """Rehearse ``only`` (default: every workspace); each workspace's record is appended to
    ``rehearsals`` as soon as it starts, so that an interrupted run still has it."""
    rehearsals = [] if rehearsals is None else rehearsals
    outdir = outdir.resolve()  # Terraform runs in each workspace's directory
    manifest = json.loads((outdir / "manifest.json").read_text(encoding="utf-8"))
    stacks = {
        name: json.loads((outdir / body["synthesizedStackPath"]).read_text(encoding="utf-8"))
        for name, body in manifest["stacks"].items()
    }
    problems = probe_unsupported(stacks) + probe_undeletable(stacks)
    if problems:
        return rehearsals, problems
    order = [w for w in deploy_order(manifest) if not only or w in only]
    workdir = outdir / REHEARSAL_DIR
    workdir.mkdir(parents=True, exist_ok=True)
    terraform = Terraform(workdir / ".config")
    excluded: dict[str, dict[str, str]] = {}
    states: dict[str, Path] = {}
    directories: dict[str, Path] = {}

    def step(r: Rehearsal, name: str, *args: str) -> int:
        try:
            result = run_step(terraform, env, directories[r.workspace], name, *args)
        except Interrupted as interrupted:
            r.interrupted = f"{interrupted} during {name}"
            raise
        r.steps.append(result)
        return result.returncode

    with moto(workdir / "moto.log") as url:
        env = {**terraform.env, "AWS_ENDPOINT_URL": url}
        print(f"rehearsal: moto on {url}; logs in {workdir}/", flush=True)
        problems = probe_defects(url)
        if problems:
            return rehearsals, problems
        for workspace in order:
            stack = stacks[workspace]
            r = Rehearsal(workspace, kept=keep)
            rehearsals.append(r)
            missing = unavailable_providers(stack, terraform.mirror)
            if missing:
                names = ", ".join(s.removeprefix("registry.terraform.io/") for s in missing)
                r.not_rehearsed = f"provider {names} is not available here"
                continue
            r.excluded = excluded[workspace] = left_out(workspace, stack, excluded)
            wanted = targets(stack, r.excluded)
            directory = directories[workspace] = prepare(
                workspace,
                outdir / manifest["stacks"][workspace]["workingDirectory"],
                workdir,
                stack,
                states,
                excluded=r.excluded,
                producers={w: (stacks[w], excluded[w]) for w in excluded},
            )
            states[workspace] = directory / "terraform.tfstate"
            if not wanted:
                # Nothing to apply, plan or destroy; the table lists every resource with its reason.
                r.nothing_to_apply = True
                continue
            if not apply_and_plan(r, wanted, step, partial(show_plan, terraform, env, directory)):
                later = order[order.index(workspace) + 1 :]
                rehearsals.extend(Rehearsal(w, not_reached=workspace) for w in later)
                break
        if not keep:
            destroy_all(rehearsals, step, lambda r: managed_in_state(directories[r.workspace] / "terraform.tfstate"))
    return rehearsals, stale_drift(rehearsals) if not only and full_run(rehearsals) else []


def full_run(rehearsals: Sequence[Rehearsal]) -> bool:
    """Every workspace reached its second plan (or had nothing to rehearse): only then does a
    drift entry that no second plan showed mean that moto has changed."""
    return all(any(s.name == "plan" for s in r.steps) or r.skipped for r in rehearsals)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--outdir", type=Path, default=Path("cdktf.out"), help="the synthesis (make synth)")
    parser.add_argument("--keep", action="store_true", help="do not destroy (moto's state is lost anyway)")
    parser.add_argument("workspaces", nargs="*", help="only these workspaces (and what they read must be among them)")
    args = parser.parse_args(argv)
    if not (args.outdir / "manifest.json").is_file():
        print(f"{args.outdir}/manifest.json is missing: run `make synth` first", file=sys.stderr)
        return 2
    started = time.monotonic()
    rehearsals: list[Rehearsal] = []
    problems: list[str] = []
    interrupted: Interrupted | None = None
    workdir = args.outdir / REHEARSAL_DIR
    notes: list[str] = []
    try:
        with interruptible():
            _, problems = rehearse(args.outdir, args.workspaces, args.keep, rehearsals)
            reason = None if problems else rerun_reason(rehearsals)
            if reason is not None:
                notes = first_run_notes(workdir, rehearsals, reason, time.monotonic() - started)
                print(*notes, sep="\n", flush=True)
                rehearsals.clear()
                _, problems = rehearse(args.outdir, args.workspaces, args.keep, rehearsals)
    except Interrupted as signalled:
        interrupted = signalled
    except (TerraformMissing, ValueError, RuntimeError, TimeoutError) as error:
        print(f"rehearsal: error: {error}", file=sys.stderr)
        return 2
    if rehearsals:
        seconds = time.monotonic() - started
        # Shown even when nothing failed: a delete sent again passes (not-found is taken as
        # deleted), and these lines are the only trace of the answers moto's server lost.
        notes += [f"sent twice: {line}" for line in resent_requests(workdir / "moto-requests.jsonl")]
        table = report(workdir / "report.txt", rehearsals, seconds, interrupted, notes)
        print(table, end="")
    if interrupted is not None:
        print(f"rehearsal: interrupted by {interrupted}; terraform and moto stopped (report above)", file=sys.stderr)
        return 128 + interrupted.signum
    if problems:
        print("rehearsal: a list in scripts/rehearse.py is out of date:", *problems, sep="\n  ", file=sys.stderr)
        return 1
    return 0 if rehearsals and all(r.ok for r in rehearsals) else 1


FIRST_RUN_DIR = "rehearsal-first"


def first_run_notes(workdir: Path, rehearsals: Sequence[Rehearsal], reason: str, seconds: float) -> list[str]:
    """Move the first run's logs aside (``rehearsal-first/`` beside ``workdir``) and say why
    it runs again: the lines the final report starts its notes with."""
    first = workdir.with_name(FIRST_RUN_DIR)
    if first.exists():
        shutil.rmtree(first)
    resent = resent_requests(workdir / "moto-requests.jsonl")
    report(workdir / "report.txt", rehearsals, seconds)
    workdir.rename(first)
    notes = [f"RERUN: the first run failed on an emulator fault only ({reason}); its table and logs: {first}/"]
    notes += [f"  sent twice: {line}" for line in resent] or [
        "  moto's request log shows no request sent twice: moto refused it on its first arrival"
    ]
    return notes


def report(
    path: Path,
    rehearsals: Sequence[Rehearsal],
    seconds: float,
    interrupted: Interrupted | None = None,
    notes: Sequence[str] = (),
) -> str:
    """The table with the total time, written to ``path`` too; marked partial when
    interrupted; ``notes`` (a first run's, when it ran twice) after the total."""
    table = render(rehearsals) + f"total {seconds:.0f}s\n" + "".join(f"{n}\n" for n in notes)
    if interrupted is not None:
        table += f"PARTIAL: interrupted by {interrupted}; later steps and workspaces did not run\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(table, encoding="utf-8")
    return table


if __name__ == "__main__":
    sys.exit(main())
