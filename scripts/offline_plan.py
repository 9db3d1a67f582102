"""Run the real Terraform CLI over synthesized workspaces, offline: `make plan`.

    python -m scripts.offline_plan [--outdir cdktf.out] [WORKSPACE ...]

writes, for every synthesized workspace (or those named), into
``cdktf.out/plans/<workspace>/``: ``plan.bin`` (Terraform's saved plan),
``plan.json`` (``terraform show -json``, for policy tools such as checkov) and
``summary.txt`` (the counts per action, then ``terraform show``). No AWS
credentials are needed or used: the same overrides as the test suite apply.

A workspace directory is copied, given an override file that switches the
backend to a local file and the provider to fake credentials with every AWS
call at configure time skipped, then ``init``, ``validate``, ``plan`` and
``show -json`` run in it. Providers come from a filesystem mirror when one is
configured or found, else from the registry.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

PROVIDER = "registry.terraform.io/hashicorp/aws"
PROVIDER_VERSION = "5.100.0"
# Providers beside aws that a workspace may need; this machine's mirror does not hold
# gitlabhq/gitlab, so the GitLab workspace is then reported as not planned.
OTHER_PROVIDERS = ("registry.terraform.io/gitlabhq/gitlab",)
MIRROR_VARIABLE = "TF_PROVIDER_MIRROR"
# Where Terraform itself looks for local providers, plus where this workplace
# pre-installs them ("Provider Installation", Terraform CLI documentation).
MIRROR_CANDIDATES = (
    "/opt/tf-plugins",
    "~/.terraform.d/plugins",
    "~/.local/share/terraform/plugins",
    "/usr/local/share/terraform/plugins",
    "/usr/share/terraform/plugins",
)
OVERRIDE_FILE = "offline_override.tf.json"
REMOTE_STATE_OVERRIDE_FILE = "remote_state_override.tf.json"
# ID prefixes AWS gives these resource types, so that fixture values look real to
# the provider's plan-time validation.
_ID_PREFIXES = {
    "aws_ec2_transit_gateway": "tgw-",
    "aws_ec2_transit_gateway_vpc_attachment": "tgw-attach-",
    "aws_ec2_transit_gateway_route_table": "tgw-rtb-",
    "aws_vpc": "vpc-",
    "aws_subnet": "subnet-",
    "aws_security_group": "sg-",
    "aws_ec2_client_vpn_endpoint": "cvpn-endpoint-",
    "aws_route53_zone": "Z",
}
_REFERENCE = re.compile(r"\$\{([a-z0-9_]+)\.([A-Za-z0-9_-]+)\.([a-z_]+)\}")


class TerraformMissing(RuntimeError):
    pass


def has_provider(mirror: Path) -> bool:
    """Whether ``mirror`` holds aws 5.100.0 in the unpacked or packed layout."""
    base = mirror / PROVIDER
    return (base / PROVIDER_VERSION).is_dir() or any(base.glob(f"terraform-provider-aws_{PROVIDER_VERSION}_*.zip"))


def find_mirror(environ: Mapping[str, str] = os.environ) -> Path | None:
    """The mirror named by TF_PROVIDER_MIRROR, else the first well-known one found."""
    named = environ.get(MIRROR_VARIABLE)
    if named:
        path = Path(named).expanduser()
        if not has_provider(path):
            raise TerraformMissing(f"{MIRROR_VARIABLE}={named} holds no {PROVIDER} {PROVIDER_VERSION}")
        return path
    for candidate in MIRROR_CANDIDATES:
        path = Path(candidate).expanduser()
        if has_provider(path):
            return path
    return None


def cli_config(mirror: Path | None) -> str:
    """A Terraform CLI configuration: the mirror for aws and whatever else it holds, the
    registry for anything else."""
    if mirror is None:
        return "provider_installation {\n  direct {}\n}\n"
    mirrored = ", ".join(f'"{p}"' for p in (PROVIDER, *(p for p in OTHER_PROVIDERS if (mirror / p).is_dir())))
    return (
        "provider_installation {\n"
        f'  filesystem_mirror {{\n    path    = "{mirror}"\n    include = [{mirrored}]\n  }}\n'
        f"  direct {{\n    exclude = [{mirrored}]\n  }}\n"
        "}\n"
    )


def required_providers(stack: Mapping[str, object]) -> list[str]:
    """The full source addresses of a synthesized workspace's required_providers."""
    required = stack.get("terraform", {}).get("required_providers", {})  # type: ignore[attr-defined]
    sources = []
    for body in required.values():
        # "aws" is hashicorp/aws on the public registry ("Provider source addresses", Terraform docs).
        parts = str(body["source"]).split("/")
        full = {1: ["registry.terraform.io", "hashicorp", *parts], 2: ["registry.terraform.io", *parts]}
        sources.append("/".join(full.get(len(parts), parts)))
    return sorted(sources)


def unavailable_providers(stack: Mapping[str, object], mirror: Path | None) -> list[str]:
    """Providers the workspace needs that can come from nowhere: with a mirror, Terraform
    installs only aws from it and the rest from the registry, which is not reachable on
    an offline machine, so a provider other than aws must be in the mirror. Without a
    mirror everything comes from the registry, and nothing is known to be missing."""
    if mirror is None:
        return []
    return [source for source in required_providers(stack) if source != PROVIDER and not (mirror / source).is_dir()]


def offline_override(stack: Mapping[str, object], state_path: Path) -> dict[str, object]:
    """Local state, fake keys, no configure-time AWS calls, for every aws provider block."""
    providers = []
    for block in stack.get("provider", {}).get("aws", []):  # type: ignore[attr-defined]
        override: dict[str, object] = {
            "skip_credentials_validation": True,
            "skip_requesting_account_id": True,
            "skip_metadata_api_check": True,
            # Both would need AWS: assuming the deploy role, and learning the account ID.
            # (an empty role_arn turns assume_role off; [] would keep the original)
            "assume_role": [{"role_arn": ""}],
            "allowed_account_ids": None,
        }
        if "alias" in block:
            override["alias"] = block["alias"]
        providers.append(override)
    return {
        "terraform": {"backend": {"local": {"path": str(state_path)}}},
        "provider": {"aws": providers},
    }


def producer_workspace(config: Mapping[str, object]) -> str:
    """The workspace whose state a ``terraform_remote_state`` reads: from the local
    ``path`` (``terraform.<workspace>.tfstate``) or the S3 ``key`` (``<prefix>/<workspace>.tfstate``)."""
    location = str(config.get("path") or config.get("key") or "")
    name = Path(location).name
    if not name.endswith(".tfstate"):
        raise ValueError(f"cannot tell which workspace the remote state {config} belongs to")
    return name.removesuffix(".tfstate").removeprefix("terraform.")


def fake_value(expression: object, producer: Mapping[str, object]) -> object:
    """A plausible value for an output expression of the producing workspace:
    literals as they are, references to resource attributes shaped like AWS's."""
    if not isinstance(expression, str) or "${" not in expression:
        return expression
    match = _REFERENCE.fullmatch(expression)
    if match is None:
        raise ValueError(f"no fixture value for the output expression {expression!r}; extend fake_value")
    resource_type, name, attribute = match.groups()
    digest = hashlib.sha256(f"{resource_type}.{name}".encode()).hexdigest()[:17]
    provider = (producer.get("provider", {}).get("aws") or [{}])[0]  # type: ignore[attr-defined]
    region = provider.get("region", "us-east-1")
    account = (provider.get("allowed_account_ids") or ["123456789012"])[0]
    if attribute == "arn":
        service = resource_type.split("_")[1]
        return f"arn:aws:{service}:{region}:{account}:{resource_type.removeprefix('aws_')}/{digest}"
    if attribute == "dns_name":
        return f"internal-fixture-{digest}.{region}.elb.amazonaws.com"
    if attribute == "zone_id":
        return f"Z{digest.upper()}"
    return _ID_PREFIXES.get(resource_type, "fixture-") + digest


def remote_state_fixtures(stack: Mapping[str, object], stacks: Mapping[str, Mapping[str, object]]) -> dict[str, object]:
    """Files that let ``stack`` plan offline where it reads other workspaces' outputs:
    a state file per producer holding exactly the outputs read (values from
    ``fake_value``), and an override pointing each ``terraform_remote_state`` at it.

    Fails when a read output is not declared by the producer, so a broken contract
    between workspaces shows up here rather than at apply time."""
    text = json.dumps(stack)
    files: dict[str, object] = {}
    overrides: dict[str, object] = {}
    remote = stack.get("data", {}).get("terraform_remote_state", {})  # type: ignore[attr-defined]
    for name, body in remote.items():
        producer_name = producer_workspace(body["config"])
        if producer_name not in stacks:
            raise ValueError(f"remote state {name} reads workspace {producer_name!r}, which was not synthesized")
        producer = stacks[producer_name]
        declared = producer.get("output", {})
        read = sorted(set(re.findall(rf"data\.terraform_remote_state\.{re.escape(name)}\.outputs\.(\w+)", text)))
        outputs: dict[str, object] = {}
        for output in read:
            if output not in declared:  # type: ignore[operator]
                raise ValueError(f"{producer_name} has no output {output!r}, read through {name}")
            value = fake_value(declared[output]["value"], producer)  # type: ignore[index]
            outputs[output] = {"value": value, "type": "string"}
        state_file = f"fixture.{producer_name}.tfstate"
        files[state_file] = {
            "version": 4,
            "terraform_version": "1.6.0",
            "serial": 1,
            "lineage": f"offline-fixture-{producer_name}",
            "outputs": outputs,
            "resources": [],
        }
        overrides[name] = {"backend": "local", "config": {"path": state_file}}
    if overrides:
        files[REMOTE_STATE_OVERRIDE_FILE] = {"data": {"terraform_remote_state": overrides}}
    return files


@dataclass
class Step:
    command: str
    returncode: int
    output: str


@dataclass
class WorkspaceRun:
    """What Terraform said about one workspace."""

    name: str
    directory: Path
    steps: list[Step] = field(default_factory=list)
    plan_json: Path | None = None
    not_planned: str | None = None
    """Why nothing ran, e.g. "not planned: gitlabhq/gitlab not available"; None when Terraform ran."""

    @property
    def ok(self) -> bool:
        return bool(self.steps) and all(step.returncode == 0 for step in self.steps)

    @property
    def status(self) -> str:
        """One line for the suite's Terraform table: what ran and how it ended."""
        if self.not_planned is not None:
            return self.not_planned
        return "  ".join(f"{s.command.split()[0]}={s.returncode}" for s in self.steps)

    def step(self, command: str) -> Step:
        return next(step for step in self.steps if step.command == command)

    def report(self) -> str:
        return "\n".join(f"$ terraform {s.command} -> {s.returncode}\n{s.output}" for s in self.steps)


class Terraform:
    """The Terraform CLI with a private CLI configuration and plugin cache."""

    def __init__(self, workdir: Path, environ: Mapping[str, str] = os.environ) -> None:
        binary = shutil.which("terraform", path=environ.get("PATH"))
        if binary is None:
            raise TerraformMissing("terraform is not on PATH; install Terraform 1.6 or later")
        self.binary = binary
        self.mirror = find_mirror(environ)
        workdir.mkdir(parents=True, exist_ok=True)
        config = workdir / "terraformrc"
        config.write_text(cli_config(self.mirror), encoding="utf-8")
        self.env = {
            **environ,
            "TF_CLI_CONFIG_FILE": str(config),
            "TF_IN_AUTOMATION": "1",
            "TF_INPUT": "0",
            "CHECKPOINT_DISABLE": "1",
            # Keep real credentials and profiles out of the offline run.
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            "AWS_EC2_METADATA_DISABLED": "true",
            # Fake keys in the environment, not in the configuration, so that the
            # policy scan of the plan sees no credentials in a provider block.
            "AWS_ACCESS_KEY_ID": "AKIAOFFLINEPLAN00000",
            "AWS_SECRET_ACCESS_KEY": "offline-plan-fake-secret",
        }
        for name in ("AWS_SESSION_TOKEN", "AWS_PROFILE"):
            self.env.pop(name, None)

    def run(self, directory: Path, *args: str, timeout: int = 900) -> Step:
        result = subprocess.run(
            [self.binary, *args, "-no-color"],
            cwd=directory,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        return Step(" ".join(args), result.returncode, result.stdout + result.stderr)

    def check_workspace(
        self,
        name: str,
        source: Path,
        workdir: Path,
        extra_files: Mapping[str, object] | None = None,
        plan_args: Sequence[str] = (),
    ) -> WorkspaceRun:
        """Copy ``source``, make it offline, and run init, validate, plan and show.
        ``plan_args``: more options for plan (``-refresh=false`` with a fixture state)."""
        directory = workdir / name
        if directory.exists():
            shutil.rmtree(directory)
        shutil.copytree(source, directory)
        stack = json.loads((directory / "cdk.tf.json").read_text(encoding="utf-8"))
        missing = unavailable_providers(stack, self.mirror)
        if missing:
            names = ", ".join(source.removeprefix("registry.terraform.io/") for source in missing)
            return WorkspaceRun(name, directory, not_planned=f"not planned: {names} not available")
        override = offline_override(stack, directory / "terraform.tfstate")
        (directory / OVERRIDE_FILE).write_text(json.dumps(override, indent=2), encoding="utf-8")
        for file_name, content in (extra_files or {}).items():
            (directory / file_name).write_text(json.dumps(content, indent=2), encoding="utf-8")
        run = WorkspaceRun(name, directory)
        for args in (("init", "-input=false"), ("validate",), ("plan", "-input=false", *plan_args, "-out=plan.bin")):
            step = self.run(directory, *args)
            run.steps.append(step)
            if step.returncode != 0:
                return run
        shown = subprocess.run(
            [self.binary, "show", "-json", "plan.bin"],
            cwd=directory,
            env=self.env,
            capture_output=True,
            text=True,
            check=False,
        )
        run.steps.append(Step("show -json plan.bin", shown.returncode, shown.stderr))
        if shown.returncode == 0:
            run.plan_json = directory / "plan.json"
            run.plan_json.write_text(shown.stdout, encoding="utf-8")
        return run


PLANS_DIR = "plans"
SUMMARY_FILE = "summary.txt"


def summarize(run: WorkspaceRun, terraform: Terraform) -> str:
    """Counts per action from ``plan.json``, then Terraform's own rendering of the plan."""
    assert run.plan_json is not None
    plan = json.loads(run.plan_json.read_text(encoding="utf-8"))
    counts: dict[str, int] = {}
    for change in plan.get("resource_changes", []):
        if change["mode"] == "managed":
            action = "/".join(change["change"]["actions"])
            counts[action] = counts.get(action, 0) + 1
    shown = subprocess.run(
        [terraform.binary, "show", "-no-color", "plan.bin"],
        cwd=run.directory,
        env=terraform.env,
        capture_output=True,
        text=True,
        check=False,
    )
    header = [
        f"workspace: {run.name}",
        "offline plan: fake credentials, local empty state, fixture outputs for remote state;",
        "real changes need `terraform plan` with credentials (README, Day to day).",
        "resources: " + (", ".join(f"{n} {a}" for a, n in sorted(counts.items())) or "no changes"),
        "",
    ]
    return "\n".join(header) + shown.stdout + shown.stderr


def plan_workspaces(
    outdir: Path, only: Sequence[str] = (), environ: Mapping[str, str] = os.environ
) -> dict[str, WorkspaceRun]:
    """Plan the synthesized workspaces of ``outdir`` into ``outdir/plans/<workspace>/``."""
    manifest = json.loads((outdir / "manifest.json").read_text(encoding="utf-8"))
    stacks = {
        name: json.loads((outdir / body["synthesizedStackPath"]).read_text(encoding="utf-8"))
        for name, body in manifest["stacks"].items()
    }
    unknown = sorted(set(only) - set(stacks))
    if unknown:
        raise ValueError(f"no synthesized workspace {unknown}; there are {sorted(stacks)}")
    names = list(only) or list(stacks)
    plans = outdir / PLANS_DIR
    terraform = Terraform(plans / ".config", environ)
    with ThreadPoolExecutor(max_workers=2) as pool:  # two cores; a plan is CPU-bound
        futures = {
            name: pool.submit(
                terraform.check_workspace,
                name,
                outdir / manifest["stacks"][name]["workingDirectory"],
                plans,
                remote_state_fixtures(stacks[name], stacks),
            )
            for name in names
        }
        runs = {name: future.result() for name, future in futures.items()}
    for run in runs.values():
        if run.ok and run.plan_json is not None:
            (run.directory / SUMMARY_FILE).write_text(summarize(run, terraform), encoding="utf-8")
    return runs


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--outdir", type=Path, default=Path("cdktf.out"), help="the synthesis (make synth)")
    parser.add_argument("workspaces", nargs="*", help="only these workspaces (default: all)")
    args = parser.parse_args(argv)
    if not (args.outdir / "manifest.json").is_file():
        print(f"{args.outdir}/manifest.json is missing: run `make synth` first", file=sys.stderr)
        return 2
    try:
        runs = plan_workspaces(args.outdir, args.workspaces)
    except (TerraformMissing, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    failed = [run for run in runs.values() if not run.ok]
    for run in runs.values():
        where = run.directory.relative_to(Path.cwd()) if run.directory.is_relative_to(Path.cwd()) else run.directory
        if run.ok:
            summary = (run.directory / SUMMARY_FILE).read_text(encoding="utf-8").splitlines()[3]
            print(f"{run.name:<24} {where}/{{plan.bin,plan.json,{SUMMARY_FILE}}}  {summary}")
        else:
            print(f"{run.name:<24} FAILED\n{run.report()}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
