"""docs/deploy.md's offline review commands, run as written on a fresh synthesis:
`npx cdktf diff` must not ask the registry for the provider lock."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
from pathlib import Path

import pytest

from scripts.offline_plan import OVERRIDE_FILE, Terraform, offline_override
from tests.conftest import ROOT

LOCK = ROOT / "providers.lock.hcl"


def documented_commands() -> list[str]:
    text = (ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")
    section = text[text.index("### The provider lock") :]
    block = re.search(r"```sh\n(.*?)```", section, re.DOTALL)
    assert block, "docs/deploy.md lost its offline review commands"
    return [line for line in block.group(1).splitlines() if line.strip()]


def test_lock_pins_the_provider_and_matches_the_mirror(tmp_path: Path) -> None:
    from scripts.provider_lock import lock

    text = LOCK.read_text(encoding="utf-8")
    assert 'provider "registry.terraform.io/hashicorp/aws"' in text
    assert 'version     = "5.100.0"' in text and 'constraints = "5.100.0"' in text
    # What Terraform computes from the installed package must already be committed.
    fresh = tmp_path / "fresh.lock.hcl"
    result = lock(fresh, ["linux_amd64"], dict(os.environ))
    assert result.returncode == 0, result.stderr
    hashes = set(re.findall(r'"(h1:[^"]+|zh:[^"]+)"', fresh.read_text(encoding="utf-8")))
    assert hashes and hashes <= set(re.findall(r'"(h1:[^"]+|zh:[^"]+)"', text)), "run `make lock` and commit"


def test_documented_cdktf_diff_works_offline(tmp_path: Path) -> None:
    terraform = Terraform(tmp_path / ".config")
    if terraform.mirror is None:
        pytest.skip("no provider mirror here: the registry would be used")
    env = dict(terraform.env)  # fake keys, no profile, the mirror's CLI configuration
    env.pop("TF_IN_AUTOMATION", None)
    out = tmp_path / "cdktf.out"
    commands = documented_commands()
    assert [c.split()[0] for c in commands] == ["export", "export", "npx", "npx"]
    for line in commands:
        words = shlex.split(line)
        if words[0] == "export":
            name, value = words[1].split("=", 1)
            if name != "TF_CLI_CONFIG_FILE":  # the suite's own file names the mirror found here
                env[name] = value
            continue
        command = ["npx", "--no-install", *words[1:], "--output", str(out)]
        if "diff" in words:
            # The one stand-in for AWS: local state, fake keys, no role to assume.
            stack_dir = out / "stacks" / "bootstrap"
            stack = json.loads((stack_dir / "cdk.tf.json").read_text(encoding="utf-8"))
            override = offline_override(stack, stack_dir / "terraform.tfstate")
            (stack_dir / OVERRIDE_FILE).write_text(json.dumps(override), encoding="utf-8")
        result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900, check=False)
        output = result.stdout + result.stderr
        assert result.returncode == 0, f"{line}\n{output}"
        assert "checkpoint" not in output.lower(), output
        if "synth" in words:
            stacks = sorted(p.name for p in (out / "stacks").iterdir())
            assert stacks and all(
                (out / "stacks" / s / ".terraform.lock.hcl").read_bytes() == LOCK.read_bytes() for s in stacks
            )
        else:
            assert "providers lock" not in output
            assert "to add" in output, output
    assert (out / "stacks" / "bootstrap" / ".terraform.lock.hcl").read_bytes() == LOCK.read_bytes()
