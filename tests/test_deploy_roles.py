"""The deploy roles' CloudFormation templates (scripts/deploy_roles.py, `make deploy-roles`)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from scripts.deploy_roles import OUT_DIR, main, roles, services_of, template, uncovered
from tests.conftest import ROOT, Synthesis


def test_every_synthesized_resource_type_is_covered(synthesis: Synthesis) -> None:
    # Every workspace that uses the aws provider assumes a deploy role; the GitLab
    # workspace (gitlabhq/gitlab only) calls GitLab's API with its own token.
    types = {
        t
        for stack in synthesis.stacks.values()
        if "aws" in stack.get("provider", {})
        for t in stack.get("resource", {})
    }
    assert types and all(t.startswith("aws_") for t in types), sorted(t for t in types if not t.startswith("aws_"))
    assert not uncovered(types), "the deploy role would be denied these: extend SERVICES in scripts/deploy_roles.py"


def test_an_unknown_type_is_reported_and_refused() -> None:
    assert uncovered(["aws_s3_bucket", "aws_lambda_function"]) == ["aws_lambda_function"]
    assert services_of("aws_route53_zone") == ("route53",)  # not ec2, though it starts with aws_route
    assert services_of("aws_route") == ("ec2",)
    with pytest.raises(ValueError, match=r"no IAM service known for \['aws_lambda_function'\]"):
        template("arn:aws:iam::111111111111:role/terraform-deploy", ["x"], ["eu-west-1"], ["aws_lambda_function"])


def test_one_role_per_account_with_its_workspaces_and_regions(synthesis: Synthesis) -> None:
    found = roles(synthesis.stacks)
    expected = {
        account.deploy_role_arn for account in synthesis.environments.accounts.values() if account.deploy_role_arn
    }
    assert set(found) == expected
    tooling = found[synthesis.environments.tooling.deploy_role_arn]  # type: ignore[index]
    assert {"bootstrap", "tooling", synthesis.environments.hub_routing_workspace} <= tooling["workspaces"]
    production = found[synthesis.environments.targets["production"].deploy_role_arn]  # type: ignore[index]
    assert production["regions"] == {"ap-northeast-1", "ap-northeast-3"}  # the cross-region deploy action


def test_template_scopes_to_regions_and_account(synthesis: Synthesis) -> None:
    role_arn = synthesis.environments.targets["staging"].deploy_role_arn
    assert role_arn is not None
    role = roles(synthesis.stacks)[role_arn]
    body = template(role_arn, role["workspaces"], role["regions"], role["types"])
    properties = body["Resources"]["DeployRole"]["Properties"]
    assert properties["RoleName"] == role_arn.rsplit("/", 1)[1]
    (trust,) = properties["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"AWS": {"Ref": "TrustedPrincipalArn"}} and trust["Action"] == "sts:AssumeRole"
    statements = {s["Sid"]: s for s in properties["Policies"][0]["PolicyDocument"]["Statement"]}
    regional = statements["RegionalServicesOfTheWorkspaces"]
    assert regional["Condition"] == {"StringEquals": {"aws:RequestedRegion": ["ap-northeast-1"]}}
    assert {"ec2:*", "codepipeline:*", "kms:*"} <= set(regional["Action"])
    assert "iam:*" not in regional["Action"]
    assert statements["IamInThisAccount"]["Resource"] == f"arn:aws:iam::{role_arn.split(':')[4]}:*"


def test_make_deploy_roles_writes_one_template_per_role(synthesis: Synthesis, tmp_path: Path) -> None:
    outdir = tmp_path / "cdktf.out"
    shutil.copytree(synthesis.outdir, outdir)
    assert main(["--outdir", str(outdir)]) == 0
    written = sorted(p.name for p in (outdir / OUT_DIR).iterdir())
    assert written == sorted(f"{a.split(':')[4]}-{a.rsplit('/', 1)[1]}.json" for a in roles(synthesis.stacks))
    assert all(json.loads((outdir / OUT_DIR / n).read_text())["AWSTemplateFormatVersion"] for n in written)
    assert "\ndeploy-roles: synth\n\t$(PY) -m scripts.deploy_roles\n" in (ROOT / "Makefile").read_text()
    assert main(["--outdir", str(tmp_path / "absent")]) == 2


def test_state_in_s3_is_granted_to_the_role_that_writes_or_reads_it() -> None:
    stack = {
        "provider": {
            "aws": [{"region": "eu-west-1", "assume_role": [{"role_arn": "arn:aws:iam::222222222222:role/d"}]}]
        },
        "terraform": {
            "backend": {
                "s3": {"bucket": "st", "key": "w/staging.tfstate", "region": "eu-west-1", "dynamodb_table": "locks"}
            }
        },
        "data": {
            "terraform_remote_state": {
                "state-tooling": {
                    "backend": "s3",
                    "config": {"bucket": "st", "key": "w/tooling.tfstate", "region": "eu-west-1"},
                }
            }
        },
        "resource": {"aws_vpc": {"v": {}}},
    }
    role = roles({"staging": stack})["arn:aws:iam::222222222222:role/d"]
    body = template("arn:aws:iam::222222222222:role/d", ["staging"], role["regions"], role["types"], role["state"])
    statements = {
        s["Sid"]: s for s in body["Resources"]["DeployRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
    }
    assert statements["OwnState"]["Resource"] == [
        "arn:aws:s3:::st/w/staging.tfstate",
        "arn:aws:s3:::st/w/staging.tfstate.tflock",
    ]
    assert statements["ReadOtherStates"]["Resource"] == ["arn:aws:s3:::st/w/tooling.tfstate"]
    assert statements["StateLockTable"]["Resource"] == ["arn:aws:dynamodb:eu-west-1:*:table/locks"]
    assert statements["StateKeyThroughS3"]["Condition"] == {
        "StringEquals": {"kms:ViaService": ["s3.eu-west-1.amazonaws.com"]}
    }
