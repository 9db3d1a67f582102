"""Moving from a host per target account (docs/pipelines.md): applying a target
workspace of this layout over the state of the old one destroys exactly the old
host, connection, security group and rule, and nothing else. Planned offline."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from tests.conftest import ROOT, Synthesis
from tests.support.terraform import Terraform, remote_state_fixtures

PROVIDER = 'provider["registry.terraform.io/hashicorp/aws"]'
ARN = "arn:aws:codestar-connections:ap-northeast-1:222222222222"
# What the old layout's target workspace held (modules/codeconnections.py before
# issue 10), as a state file records it.
OLD = {
    ("aws_codestarconnections_host", "codeconnections_host_5C9302AF"): {
        "id": f"{ARN}:host/gitlab-staging-gitlab-0a1b2c3d",
        "arn": f"{ARN}:host/gitlab-staging-gitlab-0a1b2c3d",
        "name": "gitlab-staging-gitlab",
        "provider_endpoint": "https://gitlab.example.com",
        "provider_type": "GitLabSelfManaged",
        "status": "AVAILABLE",
    },
    ("aws_codestarconnections_connection", "codeconnections_connection_8A3F1B2C"): {
        "id": f"{ARN}:connection/0a1b2c3d-0000-4000-8000-000000000001",
        "arn": f"{ARN}:connection/0a1b2c3d-0000-4000-8000-000000000001",
        "name": "gitlab-staging-gitlab",
        "host_arn": f"{ARN}:host/gitlab-staging-gitlab-0a1b2c3d",
        "connection_status": "AVAILABLE",
    },
    ("aws_security_group", "codeconnections_host-sg_1D2E3F4A"): {
        "id": "sg-0123456789abcdef0",
        "name": "gitlab-staging-codeconnections-host",
        "vpc_id": "vpc-0123456789abcdef0",
    },
    ("aws_vpc_security_group_egress_rule", "codeconnections_host-sg-https-to-gitlab_5B6C7D8E"): {
        "id": "sgr-0123456789abcdef0",
        "security_group_id": "sg-0123456789abcdef0",
        "ip_protocol": "tcp",
        "from_port": 443,
        "to_port": 443,
        "cidr_ipv4": "10.10.0.0/16",
    },
}


def old_state() -> dict[str, Any]:
    return {
        "version": 4,
        "terraform_version": "1.6.0",
        "serial": 7,
        "lineage": "old-layout-staging",
        "outputs": {},
        "resources": [
            {
                "mode": "managed",
                "type": kind,
                "name": name,
                "provider": PROVIDER,
                "instances": [{"schema_version": 0, "attributes": attributes}],
            }
            for (kind, name), attributes in OLD.items()
        ],
    }


def test_the_old_layout_is_destroyed_exactly_as_documented(synthesis: Synthesis, tmp_path: Path) -> None:
    staging = synthesis.stacks["staging"]
    source = tmp_path / "source"
    source.mkdir()
    (source / "cdk.tf.json").write_text(json.dumps(staging), encoding="utf-8")
    # Under another name than terraform.tfstate, which init would take for an
    # unconfigured local state and "migrate" onto itself.
    files = {
        **remote_state_fixtures(staging, synthesis.stacks),
        "old-layout.tfstate": old_state(),
        "zz_old_state_override.tf.json": {"terraform": {"backend": {"local": {"path": "old-layout.tfstate"}}}},
    }
    # Offline: the fixture state is taken as it is, nothing is read back from AWS.
    run = Terraform(tmp_path / ".config").check_workspace(
        "staging-migration", source, tmp_path, files, plan_args=("-refresh=false",)
    )
    assert run.ok and run.plan_json is not None, run.report()
    changes = json.loads(run.plan_json.read_text(encoding="utf-8"))["resource_changes"]
    deleted = {c["address"] for c in changes if "delete" in c["change"]["actions"]}
    assert deleted == {f"{kind}.{name}" for kind, name in OLD}
    assert not [c["address"] for c in changes if c["change"]["actions"] == ["delete", "create"]]
    # The document lists exactly these resource types, in the step that applies the targets.
    section = (ROOT / "docs" / "pipelines.md").read_text(encoding="utf-8").split("## Moving from a host", 1)[1]
    assert set(re.findall(r"^   - `(aws_[a-z_]+)`", section, re.MULTILINE)) == {kind for kind, _ in OLD}
