"""Synthesize one Terraform workspace per AWS account from ``environments/``.

The only place that reads files and environment variables: constructs and
stacks receive validated, typed values.

    python main.py                  # synthesize into cdktf.out/
    python main.py --check          # validate environments/ only
    python main.py --write-schema   # regenerate environments/schema.json
    python main.py --write-atlantis # synthesize, then regenerate atlantis.yaml
    python main.py --up-to-date     # exit 0 if cdktf.out/ was synthesized from the current inputs
    python main.py --inputs-digest  # print the content hash of every input of the synthesis
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
from pathlib import Path

from config.backend import BACKEND_FILE, S3BackendSettings, load_backend
from config.errors import ConfigError, Problem
from config.gitlab_access import check_against_plans
from config.loader import SCHEMA_FILE, Environments, json_schema, load_environments
from config.migration import PLAN_DIR, Plan, Plans, load_plans
from config.reading import display_path
from config.state import check_state

ROOT = Path(__file__).resolve().parent
# What the synthesized JSON depends on, beside environments/ and backend.tf.json:
# the code, the CDKTF configuration and the pins of every package it runs with.
INPUT_FILES = (
    "main.py",
    "cdktf.json",
    "requirements.txt",
    "requirements-dev.txt",
    "package-lock.json",
    "providers.lock.hcl",
)
# The committed provider lock (hashicorp/aws 5.100.0 and its checksums), copied into
# every workspace as .terraform.lock.hcl: `terraform init` then verifies the provider
# against it instead of trusting whatever it installs, and `cdktf diff`/`deploy` skip
# their `terraform providers lock` step, which would need the registry
# ("Dependency Lock File", Terraform documentation; docs/deploy.md, Offline).
PROVIDER_LOCK_FILE = "providers.lock.hcl"
INPUT_DIRS = ("config", "modules", "stacks")
# In the output directory, written by `make synth` after a successful synthesis.
INPUTS_DIGEST_FILE = "inputs.sha256"


def inputs_digest(root: Path, environments_dir: Path, backend_file: Path) -> str:
    """SHA-256 over the names and contents of every input of the synthesis; an absent
    or unreadable file counts as its own distinct content, so removing one changes it."""
    digest = hashlib.sha256()

    def add(label: str, path: Path) -> None:
        try:
            content = path.read_bytes() if path.is_file() else b"\0absent"
        except OSError:
            content = b"\0unreadable"
        digest.update(f"{label}\0{len(content)}\0".encode())
        digest.update(content)

    for name in INPUT_FILES:
        add(name, root / name)
    for directory in INPUT_DIRS:
        for path in sorted((root / directory).rglob("*.py")):
            add(path.relative_to(root).as_posix(), path)
    for path in sorted(environments_dir.rglob("*")):
        if not path.is_dir():
            add("environments/" + path.relative_to(environments_dir).as_posix(), path)
    for path in sorted((root / PLAN_DIR).glob("*.yaml")):
        add(f"{PLAN_DIR}/{path.name}", path)
    add("backend.tf.json", backend_file)
    return digest.hexdigest()


def write_schema(environments_dir: Path) -> int:
    """Write the JSON Schemas for editors (account files, gitlab.yaml); a directory
    that cannot take them is one problem."""
    from config import gitlab_access

    for name, schema in ((SCHEMA_FILE, json_schema()), (gitlab_access.SCHEMA_FILE, gitlab_access.json_schema())):
        target = environments_dir / name
        try:
            target.write_text(schema, encoding="utf-8")
        except OSError as error:
            problem = Problem(
                display_path(target),
                "",
                f"cannot be written: {error.strerror}",
                "point --environments at the directory of account files",
            )
            print(ConfigError([problem]), file=sys.stderr)
            return 2
        print(f"wrote {target}")
    return 0


def up_to_date(outdir: Path, digest: str) -> str | None:
    """Why ``outdir`` must be synthesized again, or None when it matches ``digest``."""
    try:
        recorded = (outdir / INPUTS_DIGEST_FILE).read_text(encoding="utf-8").strip()
    except OSError:
        return f"{outdir}/{INPUTS_DIGEST_FILE} is missing"
    if not (outdir / "manifest.json").is_file():
        return f"{outdir}/manifest.json is missing"
    if recorded != digest:
        return "inputs changed since the last synthesis"
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--environments", type=Path, default=ROOT / "environments", help="account files")
    parser.add_argument(
        "--outdir",
        default=os.environ.get("CDKTF_OUTDIR", str(ROOT / "cdktf.out")),
        help="synthesis output (cdktf-cli sets CDKTF_OUTDIR)",
    )
    parser.add_argument(
        "--backend",
        type=Path,
        default=ROOT / BACKEND_FILE,
        help="S3 backend settings; absent means local state (default: backend.tf.json)",
    )
    parser.add_argument(
        "--migration",
        type=Path,
        default=ROOT / PLAN_DIR,
        help="migration plans (docs/migration.md); their cut-over repositories get the push deny",
    )
    parser.add_argument("--check", action="store_true", help="validate the configuration and stop")
    parser.add_argument("--write-schema", action="store_true", help="write environments/schema.json and stop")
    parser.add_argument(
        "--write-atlantis", action="store_true", help="after synthesis, write atlantis.yaml from its manifest.json"
    )
    parser.add_argument(
        "--up-to-date", action="store_true", help="exit 0 if the outdir holds a synthesis of the current inputs, else 1"
    )
    parser.add_argument("--inputs-digest", action="store_true", help="print the inputs' content hash and stop")
    args = parser.parse_args(argv)

    if args.inputs_digest or args.up_to_date:
        digest = inputs_digest(ROOT, args.environments, args.backend)
        if args.inputs_digest:
            print(digest)
            return 0
        reason = up_to_date(Path(args.outdir), digest)
        print(
            f"{args.outdir} is up to date (inputs sha256 {digest[:12]})"
            if reason is None
            else f"synthesizing: {reason}"
        )
        return 0 if reason is None else 1

    if args.write_schema:
        return write_schema(args.environments)
    try:
        environments, backend, plans = load(args.environments, args.backend, args.migration)
    except ConfigError as error:
        print(error, file=sys.stderr)
        print("nothing was synthesized", file=sys.stderr)
        return 2
    if args.check:
        print(f"configuration is valid: {', '.join(environments.accounts)}")
        return 0

    # jsii repeats on every start that Node 20 is past its end of life; cdktf-cli
    # 0.21 (final) supports Node 20, so the warning tells the user nothing new.
    os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
    # Imported here so --check and errors stay fast: the AWS bindings take seconds to load.
    from stacks.app import build_app

    app, stacks = build_app(environments, args.outdir, backend, plans)
    app.synth()
    lock = (ROOT / PROVIDER_LOCK_FILE).read_bytes()
    for name in stacks:
        (Path(args.outdir) / "stacks" / name / ".terraform.lock.hcl").write_bytes(lock)
    state = f"S3 state in {backend.bucket}" if backend else "local state"
    print(f"synthesized {len(stacks)} workspaces ({state}) into {args.outdir}/stacks: {', '.join(stacks)}")
    if args.write_atlantis:
        from stacks.atlantis import ATLANTIS_FILE, render

        manifest = json.loads((Path(args.outdir) / "manifest.json").read_text(encoding="utf-8"))
        (ROOT / ATLANTIS_FILE).write_text(render(manifest), encoding="utf-8")
        print(f"wrote {ROOT / ATLANTIS_FILE}")
    return 0


def load(
    environments_dir: Path, backend_file: Path, migration_dir: Path | None = None
) -> tuple[Environments, S3BackendSettings | None, dict[str, Plan]]:
    """Every configuration source (accounts, backend, migration plans: by default the
    ``migration/`` beside ``environments_dir``), with their problems in one ConfigError;
    the plans by target workspace."""
    problems: list[Problem] = []
    environments = backend = None
    try:
        environments = load_environments(environments_dir, display_root=Path.cwd())
    except ConfigError as error:
        problems += error.problems
    try:
        display = display_path(backend_file)
        backend = load_backend(backend_file, display=display)
    except ConfigError as error:
        problems += error.problems
    if not problems and environments is not None:
        problems += check_state(environments, backend, display)
    plans = None
    if not problems and environments is not None:
        try:
            plans = load_plans(
                migration_dir or environments_dir.parent / PLAN_DIR, environments, display_root=Path.cwd()
            )
        except ConfigError as error:
            problems += error.problems
        else:
            problems += _check_migration_paths(environments, plans)
    if problems or environments is None or plans is None:
        raise ConfigError(problems)
    return environments, backend, dict(plans.by_workspace)


def _check_migration_paths(environments: Environments, plans: Plans) -> list[Problem]:
    """environments/gitlab.yaml and migration/*.yaml agree on the GitLab projects, where both exist."""
    if environments.gitlab_access is None:
        return []
    paths = {
        plans.files[workspace]: [repo.gitlab for repo in plan.repositories.values() if repo.migrate]
        for workspace, plan in plans.by_workspace.items()
    }
    return list(check_against_plans(environments.gitlab_access, environments.gitlab_access_file, paths))


if __name__ == "__main__":
    sys.exit(main())
