"""GitLabImage construct: an immutable, encrypted, scanned ECR repository, or a pull-through cache."""

from __future__ import annotations

import json
from typing import Any

import pytest
from cdktf import TerraformStack, Testing

from modules.gitlab_image import GitLabImage, GitLabImageProps
from modules.naming import Namer
from tests.support.synth import by_path, only, policy, resources, synth_stack

KEY = "arn:aws:kms:eu-west-1:123456789012:key/data"
CREDENTIAL = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:ecr-pullthroughcache/hub-AbCdEf"


def synth(**changes: Any) -> tuple[dict[str, Any], GitLabImage]:
    app = Testing.app()
    scope = TerraformStack(app, "test")
    values: dict[str, Any] = {
        "namer": Namer("acme", "tooling"),
        "account_id": "123456789012",
        "region": "eu-west-1",
        "kms_key_arn": KEY,
        "tag": "19.6.1-ce.0",
    }
    image = GitLabImage(scope, "gitlab-image", GitLabImageProps(**(values | changes)))
    return synth_stack(scope), image


@pytest.fixture(scope="module")
def repository_mode() -> tuple[dict[str, Any], GitLabImage]:
    return synth(keep_tagged_images=5, expire_untagged_days=3)


def test_repository_is_immutable_encrypted_scanned_and_kept(repository_mode: tuple[dict[str, Any], Any]) -> None:
    stack, _ = repository_mode
    repository = by_path(stack, "aws_ecr_repository", "gitlab-image/repository")
    assert repository["name"] == "acme-tooling-gitlab-ce"
    assert repository["image_tag_mutability"] == "IMMUTABLE"
    assert repository["encryption_configuration"] == [{"encryption_type": "KMS", "kms_key": KEY}]
    assert repository["image_scanning_configuration"] == {"scan_on_push": True}
    assert repository["force_delete"] is False
    assert repository["lifecycle"]["prevent_destroy"] is True


def test_lifecycle_policy_keeps_n_tagged_and_expires_untagged(repository_mode: tuple[dict[str, Any], Any]) -> None:
    stack, _ = repository_mode
    rules = json.loads(by_path(stack, "aws_ecr_lifecycle_policy", "gitlab-image/lifecycle")["policy"])["rules"]
    untagged, tagged = rules
    assert untagged["selection"] == {
        "tagStatus": "untagged",
        "countType": "sinceImagePushed",
        "countUnit": "days",
        "countNumber": 3,
    }
    assert tagged["selection"] == {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 5}
    assert all(rule["action"] == {"type": "expire"} for rule in rules)


def test_enhanced_continuous_scanning_by_default(repository_mode: tuple[dict[str, Any], Any]) -> None:
    stack, image = repository_mode
    scanning = only(stack, "aws_ecr_registry_scanning_configuration")
    assert scanning["scan_type"] == "ENHANCED"
    assert scanning["rule"] == [
        {
            "scan_frequency": "CONTINUOUS_SCAN",
            "repository_filter": [
                {"filter": "acme-tooling-gitlab-ce", "filter_type": "WILDCARD"},
                {"filter": "acme-tooling-aws-for-fluent-bit", "filter_type": "WILDCARD"},
            ],
        }
    ]
    assert image.image.endswith(":19.6.1-ce.0")
    assert image.pull_actions == []


def test_basic_scanning_on_push() -> None:
    stack, _ = synth(scanning="basic")
    scanning = only(stack, "aws_ecr_registry_scanning_configuration")
    assert scanning["scan_type"] == "BASIC"
    assert scanning["rule"][0]["scan_frequency"] == "SCAN_ON_PUSH"


def test_pull_through_cache_mode() -> None:
    stack, image = synth(source="pull_through_cache", credential_arn=CREDENTIAL)
    assert resources(stack, "aws_ecr_repository") == {}
    rule = only(stack, "aws_ecr_pull_through_cache_rule")
    assert rule["upstream_registry_url"] == "registry-1.docker.io"
    assert rule["credential_arn"] == CREDENTIAL
    assert rule["ecr_repository_prefix"] == "acme-tooling-docker-hub"
    template = only(stack, "aws_ecr_repository_creation_template")
    assert template["prefix"] == "acme-tooling-docker-hub"
    assert template["applied_for"] == ["PULL_THROUGH_CACHE"]
    assert template["image_tag_mutability"] == "IMMUTABLE"
    assert template["encryption_configuration"] == [{"encryption_type": "KMS", "kms_key": KEY}]
    assert json.loads(template["lifecycle_policy"])["rules"][1]["selection"]["countNumber"] == 10
    assert template["custom_role_arn"].startswith("${aws_iam_role.")
    grants = policy(only(stack, "aws_iam_role_policy"))["Statement"]
    assert grants[0]["Resource"] == "arn:aws:ecr:eu-west-1:123456789012:repository/acme-tooling-docker-hub/*"
    assert grants[1]["Resource"] == KEY
    assert image.image == (
        "123456789012.dkr.ecr.eu-west-1.amazonaws.com/acme-tooling-docker-hub/gitlab/gitlab-ce:19.6.1-ce.0"
    )
    assert image.pull_actions == ["ecr:BatchImportUpstreamImage", "ecr:CreateRepository"]
    assert image.repository_arns == ["arn:aws:ecr:eu-west-1:123456789012:repository/acme-tooling-docker-hub/*"]
    # The wildcard covers the log router's cached repository too.
    assert image.log_router_image == (
        "123456789012.dkr.ecr.eu-west-1.amazonaws.com/acme-tooling-docker-hub/amazon/aws-for-fluent-bit:2.32.2.20240425"
    )


def test_log_router_repository_is_protected_like_gitlabs(repository_mode: tuple[dict[str, Any], Any]) -> None:
    stack, image = repository_mode
    router = by_path(stack, "aws_ecr_repository", "gitlab-image/log-router-repository")
    assert router["name"] == "acme-tooling-aws-for-fluent-bit"
    assert router["image_tag_mutability"] == "IMMUTABLE"
    assert router["encryption_configuration"] == [{"encryption_type": "KMS", "kms_key": KEY}]
    assert router["image_scanning_configuration"] == {"scan_on_push": True}
    rules = json.loads(by_path(stack, "aws_ecr_lifecycle_policy", "gitlab-image/log-router-lifecycle")["policy"])
    assert rules["rules"][0]["selection"]["countNumber"] == 3
    assert image.log_router_image.endswith(":2.32.2.20240425")
    assert len(image.repository_arns) == 2
