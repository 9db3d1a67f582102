"""Image copy: a CodeBuild project outside any VPC that refuses missing and existing tags,
verifies the digest, and may push to the GitLab repository and write its own logs only."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from cdktf import TerraformStack, Testing

from modules.image_copy import PUSH_ACTIONS, TAG_PATTERN, ImageCopy, ImageCopyProps, buildspec
from modules.naming import Namer
from tests.support.synth import by_path, only, policy, ref, synth_stack

REPOSITORY_ARN = "arn:aws:ecr:eu-west-1:123456789012:repository/acme-tooling-gitlab-ce"
KEY = "arn:aws:kms:eu-west-1:123456789012:key/data"
LOG_GROUP = "/acme/tooling/gitlab-image-copy"


@pytest.fixture(scope="module")
def stack() -> dict[str, Any]:
    app = Testing.app()
    scope = TerraformStack(app, "test")
    ImageCopy(
        scope,
        "copy",
        ImageCopyProps(
            namer=Namer("acme", "tooling"),
            account_id="123456789012",
            region="eu-west-1",
            repository_name="acme-tooling-gitlab-ce",
            repository_url="123456789012.dkr.ecr.eu-west-1.amazonaws.com/acme-tooling-gitlab-ce",
            repository_arn=REPOSITORY_ARN,
            kms_key_arn=KEY,
        ),
    )
    return synth_stack(scope)


def test_project_outside_the_vpc_unprivileged_encrypted_and_logged(stack: dict[str, Any]) -> None:
    project = only(stack, "aws_codebuild_project")
    assert project["name"] == "acme-tooling-gitlab-image-copy"
    assert "vpc_config" not in project  # Docker Hub is on the internet
    assert project["encryption_key"] == KEY
    assert project["service_role"] == ref(stack, "aws_iam_role", "copy/role", "arn")
    assert project["artifacts"] == {"type": "NO_ARTIFACTS"}
    assert project["concurrent_build_limit"] == 1
    environment = project["environment"]
    assert environment["privileged_mode"] is False
    variables = {v["name"]: v["value"] for v in environment["environment_variable"]}
    assert variables["REPOSITORY_NAME"] == "acme-tooling-gitlab-ce"
    assert variables["SOURCE_IMAGE"] == "docker.io/gitlab/gitlab-ce"
    assert variables["TAG"] == ""  # set per build
    assert project["logs_config"]["cloudwatch_logs"] == {"status": "ENABLED", "group_name": LOG_GROUP}
    group = by_path(stack, "aws_cloudwatch_log_group", "copy/log-group")
    assert group["name"] == LOG_GROUP
    assert group["kms_key_id"] == ref(stack, "aws_kms_key", "copy/logs-key/key", "arn")
    assert json.loads(project["source"]["buildspec"]) == json.loads(buildspec())
    assert project["source"]["type"] == "NO_SOURCE"


def test_least_privilege(stack: dict[str, Any]) -> None:
    role = by_path(stack, "aws_iam_role", "copy/role")
    assert policy(role, "assume_role_policy")["Statement"][0]["Principal"] == {"Service": "codebuild.amazonaws.com"}
    statements = {s["Sid"]: s for s in policy(by_path(stack, "aws_iam_role_policy", "copy/role-policy"))["Statement"]}
    assert set(statements) == {"EcrSignIn", "PushToTheGitLabRepository", "OwnBuildLogs", "EncryptBuildData"}
    assert statements["EcrSignIn"]["Action"] == ["ecr:GetAuthorizationToken"]  # takes no resource
    push = statements["PushToTheGitLabRepository"]
    assert (push["Action"], push["Resource"]) == (sorted(PUSH_ACTIONS), REPOSITORY_ARN)
    assert not {"ecr:DeleteRepository", "ecr:BatchDeleteImage", "ecr:PutImageTagMutability"} & set(push["Action"])
    logs = statements["OwnBuildLogs"]
    assert logs["Resource"] == f"arn:aws:logs:eu-west-1:123456789012:log-group:{LOG_GROUP}:*"
    assert statements["EncryptBuildData"]["Resource"] == KEY


def build_commands() -> list[str]:
    return json.loads(buildspec())["phases"]["build"]["commands"]  # type: ignore[no-any-return]


def test_refuses_a_missing_tag_an_unpinned_tag_and_an_overwrite_before_copying() -> None:
    commands = build_commands()
    copy = next(i for i, c in enumerate(commands) if c.startswith("skopeo copy"))
    refusals = [i for i, c in enumerate(commands) if "refusing:" in c]
    assert len(refusals) == 5 and max(refusals) < copy
    assert any("describe-images" in commands[i] and "immutable" in commands[i] for i in refusals)
    assert any("skopeo inspect --raw" in commands[i] and "does not exist" in commands[i] for i in refusals)
    for tag, pinned in (("19.7.0-ce.0", True), ("latest", False), ("19.7.0-ee.0", False), ("19.7.0-rc1.ce.0", False)):
        assert bool(re.match(TAG_PATTERN, tag)) is pinned, tag


def test_copies_by_digest_and_verifies_it_in_ecr() -> None:
    commands = build_commands()
    copy = next(c for c in commands if c.startswith("skopeo copy"))
    assert "--all --preserve-digests" in copy
    assert '"docker://$SOURCE_IMAGE@$SOURCE_DIGEST"' in copy
    verify = commands.index(next(c for c in commands if c.startswith('test "$PUSHED" = "$SOURCE_DIGEST"')))
    assert verify > commands.index(copy)
    assert "${" not in buildspec()  # Terraform would interpolate it
