"""docs/pipelines.md names only what exists: target outputs, configuration keys, the
region guard's message as it is printed, the security group, and API fields its CLI
commands query."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from config.errors import ConfigError
from config.gitlab import Certificate
from config.loader import load_environments
from config.pipelines import Delivery
from tests.conftest import ROOT, Synthesis, example_environments
from tests.support.synth import by_path
from tests.test_config import TOOLING
from tests.test_config_pipelines import target
from tests.test_runbooks import FENCE, key_exists

DOC = ROOT / "docs" / "pipelines.md"
TARGETS = list(example_environments().targets)
# The Host data type of the CodeConnections API (API Reference, "Host"): what
# list-hosts returns per host. GetHost returns the same without HostArn and StatusMessage.
HOST_FIELDS = {"HostArn", "Name", "ProviderEndpoint", "ProviderType", "Status", "StatusMessage", "VpcConfiguration"}


def text() -> str:
    return DOC.read_text(encoding="utf-8")


def blocks(*languages: str) -> list[str]:
    return [body for language, body in FENCE.findall(text()) if language in languages]


@pytest.mark.parametrize("workspace", TARGETS)
def test_every_output_named_exists_in_the_target_or_the_tooling_workspace(synthesis: Synthesis, workspace: str) -> None:
    named = set(re.findall(r"terraform output (?:-raw |-json )?([a-z0-9_]+)", text()))
    named |= set(re.findall(r"`((?:codeconnections|pipeline)_[a-z0-9_]+)`", text()))
    # The host and the connections are the tooling workspace's, the pipelines the target's.
    assert {"codeconnections_host_console_url", "codeconnections_connection_console_urls"} <= named
    assert {"codeconnections_connection_arn", "codeconnections_connection_console_url", "pipeline_names"} <= named
    outputs = set(synthesis.stacks[workspace]["output"]) | set(synthesis.stacks["tooling"]["output"])
    assert named <= outputs, sorted(named - outputs)
    # Per-target outputs of the tooling workspace are named with a placeholder.
    for pattern in ("codeconnections_connection_arn_<workspace>", "codeconnections_share_arn_<workspace>"):
        assert f"`{pattern}`" in text()
        assert pattern.replace("<workspace>", workspace) in synthesis.stacks["tooling"]["output"]


def test_every_field_in_the_configuration_table_exists() -> None:
    delivery = Delivery.model_json_schema()
    pipeline = {"$defs": delivery["$defs"], **delivery["$defs"]["Pipeline"]}
    section = text().split("## Configuration", 1)[1].split("\n## ", 1)[0]
    fields = re.findall(r"^\| `([a-z_.<>]+)` \|", section, re.MULTILINE)
    assert {"pipelines_enabled", "pipelines.<name>", "deploy.policy_arns"} <= set(fields)
    assert "connection.tls_certificate" not in fields  # moved to the tooling account (issue 10)
    for field in fields:
        if field == "pipelines.<name>":
            assert "pipelines" in delivery["properties"]
        else:
            assert key_exists(delivery if field == "pipelines_enabled" else pipeline, field), field


def test_yaml_examples_are_valid_delivery_configuration() -> None:
    examples = [yaml.safe_load(body) for body in blocks("yaml")]
    deliveries = [example["delivery"] for example in examples if "delivery" in example]
    assert len(deliveries) >= 2
    for delivery in deliveries:
        Delivery.model_validate(delivery)
    # The host's TLS certificate is the tooling account's, and its example is valid.
    (certificate,) = [example["gitlab"]["certificate"] for example in examples if "gitlab" in example]
    assert Certificate.model_validate(certificate).codeconnections_tls_certificate


def test_the_region_guard_message_is_printed_as_documented(tmp_path: Path) -> None:
    (documented,) = [body for body in blocks("text") if "CodeConnections does not offer" in body]
    directory = tmp_path / "environments"
    directory.mkdir()
    (directory / "tooling.yaml").write_text(TOOLING, encoding="utf-8")
    (directory / "osaka.yaml").write_text(target("ap-northeast-3"), encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_environments(directory, display_root=tmp_path)
    # The account's region differs from the tooling one too: that rule has its own block.
    (problem,) = [p for p in caught.value.problems if p.field.startswith("delivery.")]
    assert documented == f"- {problem}\n"


def test_the_target_region_message_is_printed_as_documented(tmp_path: Path) -> None:
    (documented,) = [body for body in blocks("text") if "the Transit Gateway is regional" in body]
    directory = tmp_path / "environments"
    directory.mkdir()
    (directory / "tooling.yaml").write_text(TOOLING, encoding="utf-8")
    (directory / "seoul.yaml").write_text(target("ap-northeast-2"), encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_environments(directory, display_root=tmp_path)
    (problem,) = caught.value.problems
    assert documented == f"- {problem}\n"


def test_the_host_security_group_is_named_as_documented(synthesis: Synthesis) -> None:
    assert "(`<prefix>-tooling-codeconnections-host`)" in text()
    group = by_path(synthesis.stacks["tooling"], "aws_security_group", "codeconnections/sg")
    assert group["name"] == "gitlab-tooling-codeconnections-host"


def test_the_token_scopes_are_exactly_api_and_admin_mode() -> None:
    section = text().split("### 2. ", 1)[1].split("\n### ", 1)[0]
    assert "exactly the scopes **`api`** and **`admin_mode`**" in section
    assert "Delete the token" in section


def test_the_migration_names_every_resource_the_old_layout_had() -> None:
    section = text().split("## Moving from a host per target account", 1)[1]
    destroyed = re.findall(r"^   - `(aws_[a-z_]+)`", section, re.MULTILINE)
    assert destroyed == [
        "aws_codestarconnections_host",
        "aws_codestarconnections_connection",
        "aws_security_group",
        "aws_vpc_security_group_egress_rule",
    ]


def test_cli_queries_name_fields_the_api_returns() -> None:
    commands = "\n".join(blocks("sh")).replace("\\\n", " ")
    queried: list[str] = re.findall(r"list-hosts .*?--query '?Hosts\[\]\.\[([\w,]+)\]", commands)
    assert queried, "the runbook lists the hosts with their status"
    for fields in queried:
        assert set(fields.split(",")) <= HOST_FIELDS, fields
