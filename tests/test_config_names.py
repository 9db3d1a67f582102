"""Names that match their pattern but that AWS refuses are refused at load, naming the field."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from config.loader import load_environments
from config.name_checks import planned_names
from config.naming_rules import violations
from tests.conftest import EXAMPLE, Synthesis
from tests.support.terraform import Terraform, remote_state_fixtures, unavailable_providers
from tests.test_config import problems, write

TOOLING = (EXAMPLE / "tooling.yaml").read_text(encoding="utf-8")
STAGING = (EXAMPLE / "staging.yaml").read_text(encoding="utf-8")


def _with(text: str, **top: str) -> str:
    data = yaml.safe_load(text)
    data.update(top)
    return yaml.safe_dump(data)


@pytest.mark.parametrize(
    ("prefix", "expected"),
    [
        (
            "internal",
            "tooling.yaml: name_prefix: 'internal' gives the load balancer name 'internal-tooling-gitlab', which "
            "AWS refuses: it starts with the reserved prefix 'internal-' (Elastic Load Balancing CreateLoadBalancer, "
            "Name)\n    hint: choose another name_prefix: AWS reserves names starting with 'internal-' for its own use",
        ),
        (
            "sg",
            "tooling.yaml: name_prefix: 'sg' gives the security group name 'sg-tooling-client-vpn', which AWS "
            "refuses: it starts with the reserved prefix 'sg-' (EC2 CreateSecurityGroup, GroupName)\n"
            "    hint: choose another name_prefix: AWS reserves names starting with 'sg-' for its own use",
        ),
        (
            "xn--gitlab",
            "tooling.yaml: name_prefix: 'xn--gitlab' gives the S3 bucket name "
            "'xn--gitlab-tooling-111111111111-access-logs', which AWS refuses: it starts with the reserved prefix "
            "'xn--' (General purpose bucket naming rules, Amazon S3 User Guide)\n"
            "    hint: choose another name_prefix: AWS reserves names starting with 'xn--' for its own use",
        ),
        (
            "sthree",
            "tooling.yaml: name_prefix: 'sthree' gives the S3 bucket name "
            "'sthree-tooling-111111111111-access-logs', which AWS refuses: it starts with the reserved prefix "
            "'sthree-' (General purpose bucket naming rules, Amazon S3 User Guide)\n"
            "    hint: choose another name_prefix: AWS reserves names starting with 'sthree-' for its own use",
        ),
        (
            "git--lab",
            "tooling.yaml: name_prefix: 'git--lab' gives the RDS identifier name 'git--lab-tooling-gitlab', which "
            "AWS refuses: it contains two consecutive hyphens (RDS CreateDBCluster, DBClusterIdentifier)\n"
            "    hint: use single hyphens in name_prefix",
        ),
    ],
)
def test_name_prefix_that_aws_refuses(tmp_path: Path, prefix: str, expected: str) -> None:
    found = problems(write(tmp_path / "environments", tooling=_with(TOOLING, name_prefix=prefix), staging=STAGING))
    # xn-- also holds two hyphens in a row: that is a second rule broken, reported on its own.
    first = next(p for p in found if "S3 bucket" in p or "xn--" not in p)
    assert first.startswith("environments/" + expected), found
    assert len(found) == (2 if "--" in prefix and prefix.startswith("xn") else 1), found


def test_workspace_that_aws_refuses_names_the_workspace_field(tmp_path: Path) -> None:
    found = problems(write(tmp_path / "environments", **{"tool--ing": TOOLING, "staging": STAGING}))
    assert found == [
        "environments/tool--ing.yaml: workspace: 'tool--ing' gives the RDS identifier name "
        "'gitlab-tool--ing-gitlab', which AWS refuses: "
        "it contains two consecutive hyphens (RDS CreateDBCluster, DBClusterIdentifier)\n"
        "    hint: use single hyphens in workspace (the file name, unless workspace: is set)"
    ]


def test_amzn_s3_demo_prefix_is_refused_in_a_target(tmp_path: Path) -> None:
    found = problems(
        write(tmp_path / "environments", tooling=TOOLING, staging=_with(STAGING, name_prefix="amzn-s3-demo"))
    )
    assert len(found) == 1, found
    assert found[0].startswith(
        "environments/staging.yaml: name_prefix: 'amzn-s3-demo' gives the S3 bucket name "
        "'amzn-s3-demo-staging-artifacts-222222222222-ap-northeast-1', which AWS refuses: it starts with the "
        "reserved prefix 'amzn-s3-demo-'"
    )


def test_double_hyphens_are_fine_where_aws_accepts_them(tmp_path: Path) -> None:
    data = yaml.safe_load(STAGING)
    data["delivery"]["pipelines"]["web--app"] = data["delivery"]["pipelines"].pop("webapp")
    load_environments(write(tmp_path / "environments", tooling=TOOLING, staging=yaml.safe_dump(data)))


@pytest.mark.parametrize(
    ("kind", "name", "what"),
    [
        ("s3_bucket", "gitlab-x-s3alias", "ends with the reserved suffix '-s3alias'"),
        ("s3_bucket", "gitlab-x--ol-s3", "ends with the reserved suffix '--ol-s3'"),
        ("s3_bucket", "gitlab-x--x-s3", "ends with the reserved suffix '--x-s3'"),
        ("s3_bucket", "gitlab-x--table-s3", "ends with the reserved suffix '--table-s3'"),
        ("lb", "gitlab-", "starts or ends with a character other than a letter or digit"),
        ("lb", "a" * 33, "is 33 characters, more than 32"),
        ("rds", "1gitlab", "does not start with a letter"),
        ("kms_alias", "aws/gitlab", "starts with the reserved prefix 'aws/'"),
        ("iam_role", "gitlab role", "contains ' ', not allowed here"),
    ],
)
def test_rules_of_each_resource_type(kind: str, name: str, what: str) -> None:
    assert what in [found for found, _ in violations(kind, name)]


# Synthesized resource attribute -> naming kind of config.naming_rules.
SYNTHESIZED_NAMES = {
    ("aws_lb", "name"): "lb",
    ("aws_lb_target_group", "name"): "target_group",
    ("aws_rds_cluster", "cluster_identifier"): "rds",
    ("aws_rds_cluster_instance", "identifier"): "rds",
    ("aws_db_instance", "identifier"): "rds",
    ("aws_rds_cluster_parameter_group", "name"): "rds",
    ("aws_db_parameter_group", "name"): "rds",
    ("aws_s3_bucket", "bucket"): "s3_bucket",
    ("aws_security_group", "name"): "security_group",
    ("aws_ecr_repository", "name"): "ecr",
    ("aws_iam_role", "name"): "iam_role",
    ("aws_codepipeline", "name"): "codepipeline",
    ("aws_codebuild_project", "name"): "codebuild",
    ("aws_sns_topic", "name"): "sns",
    ("aws_backup_vault", "name"): "backup",
    ("aws_cloudwatch_log_group", "name"): "log_group",
}


def _names(stack: dict[str, Any]) -> list[tuple[str, str]]:
    found = []
    for (resource_type, attribute), kind in SYNTHESIZED_NAMES.items():
        for body in stack.get("resource", {}).get(resource_type, {}).values():
            value = body.get(attribute)
            if isinstance(value, str) and "${" not in value:
                found.append((kind, value))
    for body in stack.get("resource", {}).get("aws_kms_alias", {}).values():
        found.append(("kms_alias", body["name"].removeprefix("alias/")))
    return found


def test_every_synthesized_name_follows_its_rules_and_its_kind_is_checked(synthesis: Synthesis) -> None:
    """The load-time check covers each kind the stacks build, so the list cannot drift from the code."""
    environments = synthesis.environments
    for workspace, stack in synthesis.stacks.items():
        names = _names(stack)
        assert all(violations(kind, name) == [] for kind, name in names), workspace
        account = environments.accounts.get(workspace)
        if account is None:
            continue  # bootstrap and hub routing: checked with the tooling account
        checked = {p.kind for p in planned_names(account)}
        built = {kind for kind, _ in names} & {"lb", "target_group", "rds", "ecr", "s3_bucket", "security_group"}
        assert built <= checked, workspace


LONGEST = "n" + "0123456789" * 2 + "abz"  # 24 characters: the most Name allows


def test_extreme_names_synthesize_and_validate(tmp_path: Path) -> None:
    """The longest allowed prefix, workspaces and pipeline names give names Terraform's provider accepts."""
    from stacks.app import build_app

    assert len(LONGEST) == 24
    environments_dir = tmp_path / "environments"
    shutil.copytree(EXAMPLE, environments_dir)
    for name in ("tooling", "staging", "production"):
        path = environments_dir / f"{name}.yaml"
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        data["name_prefix"] = "x-" + LONGEST[2:]
        data["workspace"] = (name[0] + "-" + LONGEST)[:24].rstrip("-")
        if data.get("delivery"):
            pipelines = data["delivery"]["pipelines"]
            pipelines["p-" + LONGEST[2:]] = pipelines.pop("webapp")
        path.write_text(yaml.safe_dump(data), encoding="utf-8")
    out = tmp_path / "cdktf.out"
    app, stacks = build_app(load_environments(environments_dir), str(out))
    app.synth()
    parsed = {name: json.loads((out / "stacks" / name / "cdk.tf.json").read_text(encoding="utf-8")) for name in stacks}
    for name, stack in parsed.items():
        assert all(violations(kind, value) == [] for kind, value in _names(stack)), name
    # validate is where the provider checks literal names (length, charset, reserved
    # prefixes); init and validate only, as a plan adds nothing about names.
    terraform = Terraform(tmp_path / ".config")
    for name in stacks:
        if name.endswith("-hub-routing"):
            continue  # tags and route tables only: no physical names
        if unavailable_providers(parsed[name], terraform.mirror):
            continue  # the GitLab workspace: no AWS names, and its provider is in no mirror here
        directory = tmp_path / "validate" / name
        shutil.copytree(out / "stacks" / name, directory)
        for file_name, content in remote_state_fixtures(parsed[name], parsed).items():
            (directory / file_name).write_text(json.dumps(content), encoding="utf-8")
        for step in (
            terraform.run(directory, "init", "-input=false", "-backend=false"),
            terraform.run(directory, "validate"),
        ):
            assert step.returncode == 0, f"{name}: terraform {step.command}\n{step.output}"
