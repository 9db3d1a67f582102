"""Shared connection construct: one target's connection on the host and its RAM share."""

from __future__ import annotations

from typing import Any

import pytest
from cdktf import TerraformOutput, TerraformStack, Testing

from modules.naming import Namer
from modules.shared_connection import SharedConnection, SharedConnectionProps
from tests.support.synth import only, ref, synth_stack

HOST = "arn:aws:codeconnections:eu-west-1:111111111111:host/acme-tooling-gitlab-0123abcd"


def synthesize(allow_external_principals: bool) -> dict[str, Any]:
    app = Testing.app()
    scope = TerraformStack(app, "test")
    shared = SharedConnection(
        scope,
        "codeconnections-staging",
        SharedConnectionProps(
            namer=Namer("acme", "tooling"),
            account_id="111111111111",
            region="eu-west-1",
            host_arn=HOST,
            target="staging",
            target_account_id="222222222222",
            allow_external_principals=allow_external_principals,
        ),
    )
    TerraformOutput(scope, "url", value=shared.console_url)
    TerraformOutput(scope, "status", value=shared.status)
    return synth_stack(scope)


@pytest.fixture(scope="module")
def stack() -> dict[str, Any]:
    return synthesize(allow_external_principals=False)


def test_connection_is_on_the_host_named_for_its_target(stack: dict[str, Any]) -> None:
    connection = only(stack, "aws_codeconnections_connection")
    assert connection["host_arn"] == HOST
    assert connection["name"] == "acme-tooling-staging"
    assert "provider_type" not in connection  # given by the host
    # Its ARN is in the target's pipelines and its handshake is manual.
    assert connection["lifecycle"] == {"prevent_destroy": True}


def test_share_holds_only_the_connection_for_only_the_target(stack: dict[str, Any]) -> None:
    share = only(stack, "aws_ram_resource_share")
    assert share["name"] == "acme-tooling-codeconnections-staging"
    assert share["allow_external_principals"] is False
    arn = ref(stack, "aws_ram_resource_share", "codeconnections-staging/share", "arn")
    association = only(stack, "aws_ram_resource_association")
    assert association == {
        "resource_arn": ref(stack, "aws_codeconnections_connection", "codeconnections-staging/connection", "arn"),
        "resource_share_arn": arn,
    }
    principal = only(stack, "aws_ram_principal_association")
    assert principal == {"principal": "222222222222", "resource_share_arn": arn}


def test_accounts_mode_allows_the_invitation() -> None:
    stack = synthesize(allow_external_principals=True)
    assert only(stack, "aws_ram_resource_share")["allow_external_principals"] is True
    assert only(stack, "aws_ram_principal_association")["principal"] == "222222222222"


def test_console_url_and_status(stack: dict[str, Any]) -> None:
    arn = ref(stack, "aws_codeconnections_connection", "codeconnections-staging/connection", "arn")
    url = stack["output"]["url"]["value"]
    assert url.startswith('${join("", ["https://eu-west-1.console.aws.amazon.com/codesuite/settings/111111111111/')
    assert '"/connections/"' in url and arn[2:-1] in url
    assert stack["output"]["status"]["value"] == arn.replace(".arn}", ".connection_status}")
