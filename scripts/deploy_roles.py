"""CloudFormation templates for the deploy roles (``deploy_role_arn``), from the synthesis.

    python -m scripts.deploy_roles [--outdir cdktf.out]     # make deploy-roles

For every role that synthesized workspaces assume, writes
``cdktf.out/deploy-roles/<account>-<role>.json``: the role with that name and path,
trusted by the principal given as the ``TrustedPrincipalArn`` parameter (Atlantis's
role, or a named administrator role), and one inline policy allowing the services of
the resource types those workspaces declare, limited to their regions where the
service is regional and to the account where its ARNs name one.

Why CloudFormation and not a Terraform workspace: every workspace, the state
bootstrap included, assumes this role, so it must exist before any of them runs
and before there is a state bucket; a template is applied once per account with
administrator rights (``aws cloudformation deploy``) and keeps its own state.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

# Terraform resource type (exact, or a prefix ending in "_") -> IAM service prefixes
# ("Service Authorization Reference", AWS documentation).
SERVICES: dict[str, tuple[str, ...]] = {
    "aws_acm_": ("acm",),
    "aws_backup_": ("backup", "backup-storage"),
    "aws_cloudwatch_dashboard": ("cloudwatch",),
    "aws_cloudwatch_metric_alarm": ("cloudwatch",),
    "aws_cloudwatch_event_": ("events",),
    "aws_cloudwatch_log_": ("logs",),
    "aws_codebuild_": ("codebuild",),
    "aws_codeconnections_": ("codeconnections", "codestar-connections"),
    "aws_codestarconnections_": ("codestar-connections", "codeconnections"),
    "aws_codepipeline": ("codepipeline",),
    "aws_db_": ("rds",),
    "aws_rds_": ("rds",),
    "aws_default_security_group": ("ec2",),
    "aws_ec2_": ("ec2",),
    "aws_flow_log": ("ec2",),
    "aws_route": ("ec2",),
    "aws_route_table": ("ec2",),
    "aws_route_table_association": ("ec2",),
    "aws_security_group": ("ec2",),
    "aws_subnet": ("ec2",),
    "aws_vpc": ("ec2",),
    "aws_vpc_endpoint": ("ec2",),
    "aws_vpc_security_group_": ("ec2",),
    "aws_dynamodb_": ("dynamodb",),
    "aws_ecr_": ("ecr",),
    "aws_ecs_": ("ecs",),
    "aws_efs_": ("elasticfilesystem",),
    "aws_iam_": ("iam",),
    "aws_kms_": ("kms",),
    "aws_lb": ("elasticloadbalancing",),
    "aws_lb_": ("elasticloadbalancing",),
    "aws_ram_": ("ram",),
    "aws_route53_": ("route53",),
    "aws_s3_": ("s3",),
    "aws_secretsmanager_": ("secretsmanager",),
    "aws_sesv2_": ("ses",),
    "aws_sfn_": ("states",),
    "aws_sns_": ("sns",),
}
# Services whose API is global: no region condition. IAM ARNs name the account.
GLOBAL = {"iam", "route53"}
ROLE_ARN = re.compile(r"arn:aws:iam::(\d{12}):role/((?:[\w+=,.@-]+/)*)([\w+=,.@-]+)")
OUT_DIR = "deploy-roles"


def services_of(resource_type: str) -> tuple[str, ...] | None:
    """The IAM services a resource type needs, or None when the table does not know it."""
    if resource_type in SERVICES:
        return SERVICES[resource_type]
    prefixes = [p for p in SERVICES if p.endswith("_") and resource_type.startswith(p)]
    return SERVICES[max(prefixes, key=len)] if prefixes else None


def uncovered(resource_types: Iterable[str]) -> list[str]:
    """Resource types no policy statement covers: extend SERVICES for them."""
    return sorted({t for t in resource_types if services_of(t) is None})


def roles(stacks: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per assumed role ARN: its workspaces, regions and resource types."""
    found: dict[str, dict[str, Any]] = {}
    for workspace, stack in stacks.items():
        for provider in stack.get("provider", {}).get("aws", []):
            for assume in provider.get("assume_role") or []:
                role = found.setdefault(
                    assume["role_arn"], {"workspaces": set(), "regions": set(), "types": set(), "state": []}
                )
                role["workspaces"].add(workspace)
                role["state"] += state_locations(stack)
                role["regions"].add(provider["region"])
                role["types"].update(stack.get("resource", {}))
    return found


def state_locations(stack: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The S3 state this workspace writes (its backend) and reads (``terraform_remote_state``)."""
    found = []
    backend = stack.get("terraform", {}).get("backend", {}).get("s3")
    if backend:
        found.append({**backend, "write": True})
    for remote in stack.get("data", {}).get("terraform_remote_state", {}).values():
        if remote.get("backend") == "s3":
            found.append({**remote["config"], "write": False})
    return found


def state_statements(locations: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The state bucket's objects (its bucket policy must allow them too, docs/state.md),
    the lock table, and the state key through S3 only."""
    if not locations:
        return []
    buckets = sorted({f"arn:aws:s3:::{loc['bucket']}" for loc in locations})
    written = sorted({f"arn:aws:s3:::{loc['bucket']}/{loc['key']}" for loc in locations if loc["write"]})
    read = sorted({f"arn:aws:s3:::{loc['bucket']}/{loc['key']}" for loc in locations if not loc["write"]})
    statements: list[dict[str, Any]] = [
        {"Sid": "StateBucket", "Effect": "Allow", "Action": ["s3:ListBucket"], "Resource": buckets},
    ]
    if written:
        statements.append(
            {
                "Sid": "OwnState",
                "Effect": "Allow",
                "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
                "Resource": written + [f"{key}.tflock" for key in written],
            }
        )
    if read:
        statements.append({"Sid": "ReadOtherStates", "Effect": "Allow", "Action": ["s3:GetObject"], "Resource": read})
    tables = sorted(
        {
            f"arn:aws:dynamodb:{loc['region']}:*:table/{loc['dynamodb_table']}"
            for loc in locations
            if loc.get("dynamodb_table")
        }
    )
    if tables:
        statements.append(
            {
                "Sid": "StateLockTable",
                "Effect": "Allow",
                "Action": ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem", "dynamodb:DescribeTable"],
                "Resource": tables,
            }
        )
    regions = sorted({loc["region"] for loc in locations})
    statements.append(
        {
            "Sid": "StateKeyThroughS3",
            "Effect": "Allow",
            "Action": ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"],
            "Resource": "*",
            "Condition": {"StringEquals": {"kms:ViaService": [f"s3.{r}.amazonaws.com" for r in regions]}},
        }
    )
    return statements


def template(
    role_arn: str,
    workspaces: Iterable[str],
    regions: Iterable[str],
    types: Iterable[str],
    state: Sequence[Mapping[str, Any]] = (),
) -> dict[str, Any]:
    """The CloudFormation template of one deploy role."""
    match = ROLE_ARN.fullmatch(role_arn)
    if match is None:
        raise ValueError(f"{role_arn} is not an IAM role ARN")
    account, path, name = match.groups()
    missing = uncovered(types)
    if missing:
        raise ValueError(f"no IAM service known for {missing}: extend SERVICES in scripts/deploy_roles.py")
    services = sorted({s for t in types for s in services_of(t) or ()})
    statements: list[dict[str, Any]] = []
    regional = [s for s in services if s not in GLOBAL]
    if regional:
        statements.append(
            {
                "Sid": "RegionalServicesOfTheWorkspaces",
                "Effect": "Allow",
                "Action": [f"{s}:*" for s in regional],
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:RequestedRegion": sorted(regions)}},
            }
        )
    if "iam" in services:
        statements.append(
            {"Sid": "IamInThisAccount", "Effect": "Allow", "Action": ["iam:*"], "Resource": f"arn:aws:iam::{account}:*"}
        )
    if "route53" in services:
        statements.append({"Sid": "Route53", "Effect": "Allow", "Action": ["route53:*"], "Resource": "*"})
    statements += state_statements(state)
    listed = ", ".join(sorted(workspaces))
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": f"Deploy role {role_arn} for the workspaces {listed} (generated by scripts/deploy_roles.py)",
        "Parameters": {
            "TrustedPrincipalArn": {
                "Type": "String",
                "AllowedPattern": r"arn:aws:iam::\d{12}:(role|user)/.+",
                "Description": "Who may assume the role: Atlantis's task role, or a named administrator role",
            }
        },
        "Resources": {
            "DeployRole": {
                "Type": "AWS::IAM::Role",
                "Properties": {
                    "RoleName": name,
                    "Path": "/" + path,
                    "MaxSessionDuration": 3600,
                    "AssumeRolePolicyDocument": {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Principal": {"AWS": {"Ref": "TrustedPrincipalArn"}},
                                "Action": "sts:AssumeRole",
                            }
                        ],
                    },
                    "Policies": [
                        {
                            "PolicyName": "terraform-workspaces",
                            "PolicyDocument": {"Version": "2012-10-17", "Statement": statements},
                        }
                    ],
                },
            }
        },
        "Outputs": {"RoleArn": {"Value": {"Fn::GetAtt": ["DeployRole", "Arn"]}}},
    }


def write_templates(outdir: Path) -> list[Path]:
    manifest = json.loads((outdir / "manifest.json").read_text(encoding="utf-8"))
    stacks = {
        name: json.loads((outdir / body["synthesizedStackPath"]).read_text(encoding="utf-8"))
        for name, body in manifest["stacks"].items()
    }
    target = outdir / OUT_DIR
    target.mkdir(exist_ok=True)
    written = []
    for role_arn, role in sorted(roles(stacks).items()):
        body = template(role_arn, role["workspaces"], role["regions"], role["types"], role["state"])
        account, name = role_arn.split(":")[4], role_arn.rsplit("/", 1)[1]
        path = target / f"{account}-{name}.json"
        path.write_text(json.dumps(body, indent=2) + "\n", encoding="utf-8")
        written.append(path)
    return written


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--outdir", type=Path, default=Path("cdktf.out"), help="the synthesis (make synth)")
    args = parser.parse_args(argv)
    if not (args.outdir / "manifest.json").is_file():
        print(f"{args.outdir}/manifest.json is missing: run `make synth` first", file=sys.stderr)
        return 2
    try:
        written = write_templates(args.outdir)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    for path in written:
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
