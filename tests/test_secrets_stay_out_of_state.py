"""No secret can reach any workspace's state or outputs: the SMTP credentials, database
password and access keys are made outside Terraform (or by RDS) and only referenced by ARN."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import Synthesis, example_workspaces
from tests.user.checks import SECRET_ATTRIBUTES, SECRET_BEARING, SECRET_REFERENCE


@pytest.mark.parametrize("workspace", example_workspaces())
def test_no_resource_in_any_workspace_holds_a_secret(synthesis: Synthesis, workspace: str) -> None:
    stack = synthesis.stacks[workspace]
    present = set(stack.get("resource", {}))
    assert not present & set(SECRET_BEARING), sorted(present & set(SECRET_BEARING))
    for kind, bodies in stack.get("resource", {}).items():
        for name, body in bodies.items():
            assert "master_password" not in body, f"{kind}.{name}"
            assert "secret_string" not in body, f"{kind}.{name}"
    assert "random" not in stack.get("terraform", {}).get("required_providers", {})


@pytest.mark.parametrize("workspace", example_workspaces())
def test_no_output_carries_or_refers_to_a_secret(synthesis: Synthesis, workspace: str) -> None:
    for name, output in synthesis.stacks[workspace].get("output", {}).items():
        text = json.dumps(output["value"])
        assert not SECRET_REFERENCE.search(text), (name, text)
        assert not SECRET_ATTRIBUTES.search(text), (name, text)
        assert "aws_iam_access_key" not in text and "secret_version" not in text, name
        assert output.get("sensitive") is not True, f"{name}: a sensitive output would still be in the state"


def test_the_smtp_secret_is_created_without_a_value(synthesis: Synthesis) -> None:
    tooling: dict[str, Any] = synthesis.stacks["tooling"]
    (secret,) = tooling["resource"]["aws_secretsmanager_secret"].values()
    assert set(secret) & {"secret_string", "secret_binary"} == set()
    # The user whose key becomes the SMTP password exists; its key does not.
    assert "aws_iam_user" in tooling["resource"]
    assert "aws_iam_access_key" not in tooling["resource"]
    assert tooling["output"]["smtp_credentials_name"]["value"].endswith(".name}")
