"""The README's GitLab section states what the code does: the image copy command, the
design's policies mapped to ours, and why GitLab uses only Aurora's writer."""

from __future__ import annotations

import re
from typing import Any

import pytest

from modules.gitlab_image import UPSTREAM_REPOSITORY
from tests.conftest import ROOT, Synthesis
from tests.support.synth import by_path, policy

# The design's task execution and task role policies (its step 2), as the README names them.
DESIGN_POLICIES = (
    "AmazonEC2ContainerRegistryReadOnly",
    "AmazonECSTaskExecutionRolePolicy",
    "AmazonS3ReadOnlyAccess",
    "ses:SendEmail",
    "ses:SendRawEmail",
    "ecs:ListClusters",
    "ecs:ListContainerInstances",
    "ecs:DescribeContainerInstances",
    "ecr:BatchImportUpstreamImage",
    "ecr:CreateRepository",
    "AmazonSSMFullAccess",
)


def readme() -> str:
    return (ROOT / "README.md").read_text(encoding="utf-8")


def iam_table() -> list[list[str]]:
    section = readme().split("**IAM:**", 1)[1]
    rows = [line for line in section.splitlines() if line.startswith("|")]
    assert rows[0].startswith("| design's policy"), rows[0]
    return [[cell.strip() for cell in row.strip("|").split("|")] for row in rows[2:]]


def test_readme_copies_the_pinned_tag_from_docker_hub_in_one_command(synthesis: Synthesis) -> None:
    gitlab = synthesis.environments.tooling.gitlab
    assert gitlab is not None
    blocks = re.findall(r"```sh\n(.*?)```", readme(), re.DOTALL)
    commands = [b.replace("\\\n", " ") for b in blocks if "skopeo copy" in b]
    assert len(commands) == 1 and len(commands[0].strip().splitlines()) == 1, commands
    command = commands[0]
    assert f"docker://docker.io/{UPSTREAM_REPOSITORY}:{gitlab.image.tag}" in command
    # The destination is the workspace output that the task runs.
    assert '"docker://$(terraform output -raw gitlab_image)"' in command
    assert "gitlab_image" in synthesis.stacks["tooling"]["output"]
    assert f"--region {synthesis.environments.tooling.region}" in command


@pytest.mark.parametrize("design", DESIGN_POLICIES)
def test_each_design_policy_has_a_row(design: str) -> None:
    assert any(f"`{design}`" in row[0] for row in iam_table()), design


def _granted(stack: dict[str, Any]) -> set[str]:
    actions: set[str] = set()
    for path in ("gitlab-service/execution-policy", "gitlab-service/task-policy"):
        for grant in policy(by_path(stack, "aws_iam_role_policy", path))["Statement"]:
            found = grant["Action"]
            actions |= set(found if isinstance(found, list) else [found])
    return actions


def test_every_action_our_roles_grant_is_in_the_table(synthesis: Synthesis) -> None:
    """The "ours" column lists each action; a later grant without a row fails here."""
    ours = " ".join(row[2] for row in iam_table())
    named = set(re.findall(r"`([a-z0-9]+:)?([A-Za-z*]+)`", ours))
    short = {name for _, name in named}
    for action in _granted(synthesis.stacks["tooling"]) | {"ecr:BatchImportUpstreamImage", "ecr:CreateRepository"}:
        assert action.split(":", 1)[1] in short, f"{action} is granted but not in the README's table"
    assert "ses:" not in ours and "ssm:" not in ours.replace("ssmmessages:", "")


def test_readme_says_why_only_the_writer_is_used() -> None:
    text = " ".join(readme().split())
    assert "GitLab does not list Amazon Aurora as supported" in text
    assert "database load balancing misbehaves on Aurora readers" in text
    assert "writer endpoint only and load balancing stays off" in text
