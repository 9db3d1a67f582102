"""A fourth target account is one new file in environments/ and nothing else."""

from __future__ import annotations

import json
import shutil
from typing import Any

import pytest

from config.loader import load_environments
from tests.conftest import EXAMPLE
from tests.support.synth import only, resources
from tests.support.transit import transit_reachability, vpc_routes_to_gateway

QA = """\
# yaml-language-server: $schema=./schema.json
role: target
account_id: "444444444444"
region: ap-northeast-1
network:
  vpc_cidr: 10.40.0.0/16
  availability_zones: [ap-northeast-1a, ap-northeast-1c]
"""


@pytest.fixture(scope="module")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    from stacks.app import build_app

    root = tmp_path_factory.mktemp("fourth")
    environments_dir = root / "environments"
    shutil.copytree(EXAMPLE, environments_dir)
    (environments_dir / "qa.yaml").write_text(QA, encoding="utf-8")
    app, stacks = build_app(load_environments(environments_dir), str(root / "cdktf.out"))
    app.synth()
    out = root / "cdktf.out"
    parsed = {name: json.loads((out / "stacks" / name / "cdk.tf.json").read_text(encoding="utf-8")) for name in stacks}
    return parsed, json.loads((out / "manifest.json").read_text(encoding="utf-8"))


def test_new_workspace_between_tooling_and_hub_routing(
    synthesized: tuple[dict[str, dict[str, Any]], dict[str, Any]],
) -> None:
    stacks, manifest = synthesized
    assert list(stacks) == ["bootstrap", "tooling", "production", "qa", "staging", "tooling-hub-routing"]
    assert set(manifest["stacks"]["qa"]["dependencies"]) == {"bootstrap", "tooling"}
    assert "qa" in manifest["stacks"]["tooling-hub-routing"]["dependencies"]


def test_tooling_shares_with_and_routes_to_the_new_account(
    synthesized: tuple[dict[str, dict[str, Any]], dict[str, Any]],
) -> None:
    tooling = synthesized[0]["tooling"]
    principals = {p["principal"] for p in resources(tooling, "aws_ram_principal_association").values()}
    assert "444444444444" in principals
    assert all("10.40.0.0/16" in routes for routes in vpc_routes_to_gateway(tooling).values())


def test_new_account_is_attached_and_segmented(synthesized: tuple[dict[str, dict[str, Any]], dict[str, Any]]) -> None:
    stacks = synthesized[0]
    qa = stacks["qa"]
    assert only(qa, "aws_vpc")["cidr_block"] == "10.40.0.0/16"
    assert all(routes == {"10.10.0.0/16"} for routes in vpc_routes_to_gateway(qa).values())
    reach = transit_reachability(stacks)
    assert reach["qa"] == {"tooling"}
    assert reach["tooling"] == {"production", "qa", "staging"}
    assert reach["staging"] == {"tooling"}
