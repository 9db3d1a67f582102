"""Reading another workspace's outputs: same backend as the workspaces, a stack
dependency, and offline fixtures for the plan derived from the synthesized JSON."""

from __future__ import annotations

import json
from typing import Any

import pytest
from cdktf import Testing

from config.backend import S3BackendSettings
from stacks.base import AccountStack, Output
from tests.conftest import Synthesis, example_environments
from tests.support.synth import synth_stack
from tests.support.terraform import REMOTE_STATE_OVERRIDE_FILE, fake_value, producer_workspace, remote_state_fixtures

GATEWAY = Output("gateway_id", "a test output")
BACKEND = S3BackendSettings.model_validate(
    {"bucket": "acme-tfstate", "key": "gitlab", "region": "ap-northeast-1", "use_lockfile": True}
)


def consumer_of(backend: S3BackendSettings | None) -> tuple[dict[str, Any], str]:
    environments = example_environments()
    app = Testing.app()
    producer = AccountStack(app, "tooling", environments.tooling, backend)
    consumer = AccountStack(app, "staging", environments.targets["staging"], backend)
    value = consumer.remote_outputs(producer).get(GATEWAY)
    Output("copy", "x").export(consumer, value)
    assert producer in consumer.dependencies
    return synth_stack(consumer), value


def test_local_backend_reads_the_local_state_file() -> None:
    stack, _ = consumer_of(None)
    (state,) = stack["data"]["terraform_remote_state"].values()
    assert state == {"backend": "local", "config": {"path": "../../../terraform.tooling.tfstate"}}
    assert stack["output"]["copy"]["value"].endswith(".outputs.gateway_id}")


def test_s3_backend_reads_the_producers_key_with_the_readers_role() -> None:
    stack, _ = consumer_of(BACKEND)
    (state,) = stack["data"]["terraform_remote_state"].values()
    assert state["backend"] == "s3"
    config = state["config"]
    assert config["bucket"] == "acme-tfstate"
    assert config["key"] == "gitlab/tooling.tfstate"
    assert config["region"] == "ap-northeast-1"
    assert config["encrypt"] is True
    assert config["assume_role"] == {
        "role_arn": "arn:aws:iam::222222222222:role/terraform-deploy",
        "session_name": "cdktf-state-tooling",
    }
    assert producer_workspace(config) == "tooling"


def test_producer_workspace_from_path_or_key() -> None:
    assert producer_workspace({"path": "../../../terraform.tooling-hub-routing.tfstate"}) == "tooling-hub-routing"
    assert producer_workspace({"key": "a/b/staging.tfstate"}) == "staging"
    with pytest.raises(ValueError, match="cannot tell"):
        producer_workspace({"bucket": "x"})


def test_fake_values_look_like_aws_identifiers() -> None:
    producer = {"provider": {"aws": [{"region": "eu-west-1", "allowed_account_ids": ["111111111111"]}]}}
    assert str(fake_value("${aws_ec2_transit_gateway.hub_tgw_1.id}", producer)).startswith("tgw-")
    assert str(fake_value("${aws_ec2_transit_gateway_vpc_attachment.a.id}", producer)).startswith("tgw-attach-")
    share = str(fake_value("${aws_ram_resource_share.s.arn}", producer))
    assert share.startswith("arn:aws:ram:eu-west-1:111111111111:ram_resource_share/")
    assert str(fake_value("${aws_lb.alb.dns_name}", producer)).endswith(".eu-west-1.elb.amazonaws.com")
    assert str(fake_value("${aws_lb.alb.zone_id}", producer)).startswith("Z")
    assert fake_value("literal", producer) == "literal"
    with pytest.raises(ValueError, match="extend fake_value"):
        fake_value('${join(",", aws_subnet.a.*.id)}', producer)


def test_fixtures_hold_exactly_the_outputs_read() -> None:
    producer = {
        "provider": {"aws": [{"region": "eu-west-1"}]},
        "output": {
            "gateway_id": {"value": "${aws_ec2_transit_gateway.t.id}"},
            "unused": {"value": "${aws_vpc.v.id}"},
        },
    }
    consumer = {
        "data": {
            "terraform_remote_state": {"state-hub": {"backend": "local", "config": {"path": "terraform.hub.tfstate"}}}
        },
        "resource": {"x": {"y": {"id": "${data.terraform_remote_state.state-hub.outputs.gateway_id}"}}},
    }
    files = remote_state_fixtures(consumer, {"hub": producer})
    state = files["fixture.hub.tfstate"]
    assert state["version"] == 4  # type: ignore[index]
    assert list(state["outputs"]) == ["gateway_id"]  # type: ignore[index]
    assert state["outputs"]["gateway_id"]["value"].startswith("tgw-")  # type: ignore[index]
    assert files[REMOTE_STATE_OVERRIDE_FILE] == {
        "data": {
            "terraform_remote_state": {"state-hub": {"backend": "local", "config": {"path": "fixture.hub.tfstate"}}}
        }
    }
    assert remote_state_fixtures(producer, {"hub": producer}) == {}


def test_a_read_of_an_undeclared_output_fails() -> None:
    consumer = {
        "data": {"terraform_remote_state": {"s": {"backend": "local", "config": {"path": "terraform.hub.tfstate"}}}},
        "output": {"o": {"value": "${data.terraform_remote_state.s.outputs.missing}"}},
    }
    with pytest.raises(ValueError, match="hub has no output 'missing'"):
        remote_state_fixtures(consumer, {"hub": {"output": {}}})
    with pytest.raises(ValueError, match="not synthesized"):
        remote_state_fixtures(consumer, {})


def test_every_output_read_in_the_example_is_declared_and_no_secret(synthesis: Synthesis) -> None:
    for workspace, stack in synthesis.stacks.items():
        remote_state_fixtures(stack, synthesis.stacks)  # raises on a broken contract
        for name, output in stack.get("output", {}).items():
            assert output.get("sensitive") is not True, (workspace, name)
            secretive = ("password", "secret", "token", "private_key", "access_key", "auth")
            assert not any(word in name for word in secretive), (workspace, name)
    text = json.dumps(synthesis.stacks["tooling-hub-routing"])
    assert "data.terraform_remote_state.state-staging.outputs.transit_gateway_attachment_id" in text
