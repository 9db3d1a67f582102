"""The naming helper: one place for prefixes, per-type limits and charsets."""

from __future__ import annotations

from modules.naming import LIMITS, Namer


def test_names_join_prefix_workspace_and_parts() -> None:
    namer = Namer("gitlab", "tooling")
    assert namer.name("iam_role", "ecs", "task") == "gitlab-tooling-ecs-task"
    assert namer.path("log_group", "ecs", "gitlab") == "/gitlab/tooling/ecs/gitlab"
    assert namer.child("hub-routing").name("default", "x") == "gitlab-hub-routing-x"


def test_long_names_are_cut_with_a_stable_hash_within_the_limit() -> None:
    namer = Namer("gitlab", "a-rather-long-workspace")
    first = namer.name("lb", "internal-application")
    second = namer.name("lb", "internal-applications")
    assert len(first) <= LIMITS["lb"].length and len(second) <= LIMITS["lb"].length
    assert first != second
    assert first == namer.name("lb", "internal-application")
    assert first.startswith("gitlab-a-rather-long-")


def test_charset_and_case_follow_the_resource_type() -> None:
    namer = Namer("gitlab", "Prod")
    assert namer.name("s3_bucket", "Artifacts_2") == "gitlab-prod-artifacts-2"
    assert namer.name("iam_role", "a.b@c") == "gitlab-Prod-a.b@c"
    assert namer.name("lb", "a.b") == "gitlab-Prod-a-b"


def test_ecr_pull_through_prefix_fits_ecrs_30_characters() -> None:
    prefix = Namer("gitlab", "a-rather-long-workspace").name("ecr_cache_prefix", "docker-hub")
    assert len(prefix) <= 30
    assert Namer("gitlab", "tooling").name("ecr_cache_prefix", "docker-hub") == "gitlab-tooling-docker-hub"


def test_workspace_names_come_from_one_module() -> None:
    from pathlib import Path

    from config.workspaces import BOOTSTRAP_WORKSPACE, account_workspace, hub_routing_workspace

    assert account_workspace(Path("environments/staging.yaml")) == "staging"
    assert account_workspace(Path("environments/dev.yaml"), "development") == "development"
    assert hub_routing_workspace("tooling") == "tooling-hub-routing"
    assert BOOTSTRAP_WORKSPACE == "bootstrap"
