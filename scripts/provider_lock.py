"""Refresh providers.lock.hcl, the provider lock that `make synth` copies into every workspace.

    python -m scripts.provider_lock [PLATFORM ...]     # make lock PLATFORMS="linux_amd64 darwin_arm64"

Runs ``terraform providers lock`` for hashicorp/aws 5.100.0 and the named platforms
(default linux_amd64), from the filesystem mirror when one is found (TF_PROVIDER_MIRROR
or a well-known place; it can only hash the platforms it holds) else from the registry,
which adds every platform's release checksum. Checksums already in the file are kept.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

from scripts.offline_plan import PROVIDER, PROVIDER_VERSION, find_mirror

ROOT = Path(__file__).resolve().parent.parent
LOCK_FILE = ROOT / "providers.lock.hcl"
DEFAULT_PLATFORMS = ("linux_amd64",)


def lock(target: Path, platforms: Sequence[str], environ: Mapping[str, str]) -> subprocess.CompletedProcess[str]:
    """Update the lock file ``target`` (created when absent) for ``platforms``."""
    binary = shutil.which("terraform", path=environ.get("PATH"))
    if binary is None:
        raise RuntimeError("terraform is not on PATH")
    mirror = find_mirror(environ)
    with tempfile.TemporaryDirectory() as work:
        directory = Path(work)
        required = {"aws": {"source": PROVIDER.removeprefix("registry.terraform.io/"), "version": PROVIDER_VERSION}}
        (directory / "main.tf.json").write_text(json.dumps({"terraform": {"required_providers": required}}))
        if target.is_file():
            shutil.copy(target, directory / ".terraform.lock.hcl")
        command = [binary, "providers", "lock", "-no-color"]
        command += [f"-fs-mirror={mirror}"] if mirror else []
        command += [f"-platform={platform}" for platform in platforms]
        result = subprocess.run(
            command,
            cwd=directory,
            env={**environ, "CHECKPOINT_DISABLE": "1"},
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode == 0:
            shutil.copy(directory / ".terraform.lock.hcl", target)
        return result


def main(argv: Sequence[str] | None = None) -> int:
    platforms = list(argv if argv is not None else sys.argv[1:]) or list(DEFAULT_PLATFORMS)
    result = lock(LOCK_FILE, platforms, os.environ)
    print(result.stdout + result.stderr, file=sys.stdout if result.returncode == 0 else sys.stderr)
    return result.returncode


if __name__ == "__main__":
    sys.exit(main())
