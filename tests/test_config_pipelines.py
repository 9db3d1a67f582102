"""delivery: in account files: the pipelines model, its rules and the region guard."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from config.codeconnections_regions import (
    AVAILABLE,
    SOURCE,
    UNAVAILABLE,
    gitlab_self_managed_available,
    webhook_endpoint_hostname,
)
from config.errors import ConfigError
from config.loader import load_environments
from config.pipelines import COMPUTE_TYPES
from config.regions import KNOWN_REGIONS
from tests.conftest import EXAMPLE
from tests.test_config import TOOLING

TARGET = """\
role: target
account_id: "222222222222"
region: {region}
network:
  vpc_cidr: 10.20.0.0/16
  availability_zones: [{region}a, {region}c]
delivery:
  pipelines:
    webapp:
      repository: delivery/webapp
      branch: main
{extra}"""
CERTIFICATE = "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIU\n-----END CERTIFICATE-----"


def write(directory: Path, **files: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (directory / f"{name}.yaml").write_text(text, encoding="utf-8")
    return directory


def target(region: str = "ap-northeast-1", extra: str = "") -> str:
    return TARGET.format(region=region, extra=textwrap.indent(textwrap.dedent(extra), " " * 6))


def problems(directory: Path) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_environments(directory, display_root=directory.parent)
    return [str(p) for p in caught.value.problems]


def test_example_follows_the_branch_strategy() -> None:
    environments = load_environments(EXAMPLE)
    staging = environments.targets["staging"].delivery
    production = environments.targets["production"].delivery
    assert staging is not None and production is not None
    assert staging.pipelines["webapp"].branch == "develop"
    assert staging.pipelines["webapp"].approval is None
    prod = production.pipelines["webapp"]
    assert prod.branch == "main"
    assert prod.approval is not None
    assert prod.deploy is not None and prod.deploy.region == "ap-northeast-3"
    assert production.regions("ap-northeast-1") == ["ap-northeast-1", "ap-northeast-3"]
    assert environments.tooling.delivery is None


def test_defaults(tmp_path: Path) -> None:
    environments = load_environments(write(tmp_path / "e", tooling=TOOLING, staging=target()))
    delivery = environments.targets["staging"].delivery
    assert delivery is not None
    pipeline = delivery.pipelines["webapp"]
    assert pipeline.output_format == "CODE_ZIP"
    assert pipeline.branch_filter.includes == ("main",)
    assert pipeline.build.buildspec == "buildspec.yml"
    assert pipeline.build.compute_type == COMPUTE_TYPES["small"] == "BUILD_GENERAL1_SMALL"
    assert pipeline.build.vpc is False
    assert pipeline.deploy is None and pipeline.approval is None
    assert delivery.regions("ap-northeast-1") == ["ap-northeast-1"]


def test_the_old_connection_setting_is_refused_with_where_it_moved(tmp_path: Path) -> None:
    pem = textwrap.indent(CERTIFICATE, "      ")
    text = target().replace("delivery:\n", f"delivery:\n  connection:\n    tls_certificate: |\n{pem}\n")
    (found,) = problems(write(tmp_path / "e", tooling=TOOLING, s=text))
    assert found.startswith("e/s.yaml: delivery: delivery.connection is no longer a setting"), found
    assert "gitlab.certificate.codeconnections_tls_certificate in the tooling account's file" in found


def test_region_list_has_its_source_and_osaka() -> None:
    assert "ap-northeast-3" in UNAVAILABLE
    assert UNAVAILABLE["ap-northeast-3"] == "Asia Pacific (Osaka)"
    assert set(UNAVAILABLE) <= set(KNOWN_REGIONS)
    assert SOURCE.startswith("https://docs.aws.amazon.com/")
    assert not gitlab_self_managed_available("ap-northeast-3")
    assert gitlab_self_managed_available("ap-northeast-1")


def test_a_pipeline_in_osaka_is_rejected_with_the_way_out(tmp_path: Path) -> None:
    found = problems(write(tmp_path / "e", tooling=TOOLING, osaka=target("ap-northeast-3")))
    # The second problem: the account is outside the tooling region (next test).
    assert len(found) == 2, found
    (pipeline,) = [f for f in found if "delivery.pipelines.webapp" in f]
    message, hint = pipeline.split("\n    hint: ")
    assert message == (
        "e/osaka.yaml: delivery.pipelines.webapp: AWS CodeConnections does not offer GitLab self-managed "
        "in ap-northeast-3 (Asia Pacific (Osaka)), so a pipeline with a GitLab source cannot run there"
    )
    assert "region with CodeConnections for GitLab, e.g. ap-northeast-1" in hint
    assert "deploy.region: ap-northeast-3" in hint
    assert "artifact store is created in each region" in hint
    assert "docs/pipelines.md" in hint


def test_the_way_out_deploying_to_osaka_from_tokyo_is_valid(tmp_path: Path) -> None:
    text = target(extra="approval: {}\ndeploy:\n  region: ap-northeast-3\n")
    delivery = load_environments(write(tmp_path / "e", tooling=TOOLING, p=text)).targets["p"].delivery
    assert delivery is not None
    assert delivery.regions("ap-northeast-1") == ["ap-northeast-1", "ap-northeast-3"]


@pytest.mark.parametrize(
    ("extra", "field", "message"),
    [
        ("approval: {}\n", "delivery.pipelines.webapp.approval", "an approval without a deploy stage gates nothing"),
        (
            "deploy: {region: ap-northeast-3, vpc: true}\n",
            "delivery.pipelines.webapp.deploy.vpc",
            "the account VPC is in ap-northeast-1, the deploy runs in ap-northeast-3",
        ),
        ("output_format: ZIP\n", "delivery.pipelines.webapp.output_format", "Input should be 'CODE_ZIP'"),
        ("build: {compute_size: huge}\n", "delivery.pipelines.webapp.build.compute_size", "Input should be"),
        ("deploy: {region: ap-osaka-1}\n", "delivery.pipelines.webapp.deploy.region", "not a known AWS region"),
        (
            "deploy: {policy_arns: [deploy]}\n",
            "delivery.pipelines.webapp.deploy.policy_arns[0]",
            "is not an IAM policy ARN",
        ),
        (
            "trigger: {file_paths: {includes: [a, b, c, d, e, f, g, h, i]}}\n",
            "delivery.pipelines.webapp.trigger.file_paths.includes",
            "at most 8 items",
        ),
    ],
)
def test_pipeline_problems(tmp_path: Path, extra: str, field: str, message: str) -> None:
    (found,) = problems(write(tmp_path / "e", tooling=TOOLING, s=target(extra=extra)))
    assert found.startswith(f"e/s.yaml: {field}: "), found
    assert message in found


@pytest.mark.parametrize(
    ("old", "new", "field", "message"),
    [
        ("delivery/webapp", "webapp", "repository", "is not a GitLab project path"),
        ("branch: main", "branch: feature..x", "branch", "is not a branch name"),
        ("webapp:", "Web_App:", "Web_App", "String should match pattern"),
    ],
)
def test_source_problems(tmp_path: Path, old: str, new: str, field: str, message: str) -> None:
    (found,) = problems(write(tmp_path / "e", tooling=TOOLING, s=target().replace(old, new)))
    path = "delivery.pipelines." + (field if field == "Web_App" else f"webapp.{field}")
    assert path in found and message in found, found


def test_delivery_belongs_to_target_accounts(tmp_path: Path) -> None:
    tooling = TOOLING + "delivery: {pipelines: {}}\n"
    (found,) = problems(write(tmp_path / "e", tooling=tooling))
    assert found.startswith("e/tooling.yaml: delivery: the tooling account runs GitLab, not pipelines")
    assert "target account" in found


def test_regions_are_an_allow_list_with_its_source() -> None:
    assert set(AVAILABLE) <= set(KNOWN_REGIONS)
    assert not set(AVAILABLE) & set(UNAVAILABLE)
    # A region AWS opened after the documented list is refused until it is known.
    assert "ca-west-1" in KNOWN_REGIONS
    assert not gitlab_self_managed_available("ca-west-1")
    assert "config/codeconnections_regions.py" in SOURCE or SOURCE.endswith("connections-gitlab-managed.html")


def test_webhook_endpoint_hostname() -> None:
    assert webhook_endpoint_hostname("ap-northeast-1") == "ap-northeast-1.codestar-connections.webhooks.aws"
    assert webhook_endpoint_hostname("us-east-1") == "us-east-1.codestar-connections.webhooks.aws"
    with pytest.raises(ValueError, match=r"does not offer GitLab self-managed in ap-northeast-3"):
        webhook_endpoint_hostname("ap-northeast-3")
    with pytest.raises(ValueError, match=r"ca-west-1 is not on the list"):
        webhook_endpoint_hostname("ca-west-1")


def test_a_pipeline_in_an_unknown_region_is_refused(tmp_path: Path) -> None:
    found = problems(write(tmp_path / "e", tooling=TOOLING, calgary=target("ca-west-1")))
    messages = [f.split("\n    hint: ")[0] for f in found]
    assert (
        "e/calgary.yaml: delivery.pipelines.webapp: ca-west-1 is not on the list of regions where AWS "
        "CodeConnections offers GitLab self-managed (config/codeconnections_regions.py, from "
        f"{SOURCE}), so a pipeline with a GitLab source cannot run there"
    ) in messages


def test_a_target_outside_the_tooling_region_is_refused(tmp_path: Path) -> None:
    found = problems(write(tmp_path / "e", tooling=TOOLING, seoul=target("ap-northeast-2")))
    assert len(found) == 1, found
    message, hint = found[0].split("\n    hint: ")
    assert message == (
        "e/seoul.yaml: region: ap-northeast-2 is not the tooling account's region ap-northeast-1 "
        "(e/tooling.yaml); the Transit Gateway is regional and nothing peers it, so this VPC could not attach"
    )
    assert hint == (
        "set region: ap-northeast-1; to deploy into ap-northeast-2, keep the account in ap-northeast-1 "
        "and give its pipelines deploy.region: ap-northeast-2 (docs/pipelines.md)"
    )


def test_pipelines_are_off_until_phase_two(tmp_path: Path) -> None:
    environments = load_environments(write(tmp_path / "e", tooling=TOOLING, s=target()))
    delivery = environments.targets["s"].delivery
    assert delivery is not None and delivery.pipelines_enabled is False
    example = load_environments(EXAMPLE)
    assert all(t.delivery is not None and t.delivery.pipelines_enabled for t in example.targets.values())
