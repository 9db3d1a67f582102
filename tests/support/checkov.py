"""checkov over Terraform plans, offline, judged against the committed exceptions.

The ``terraform_plan`` framework is the gate: the ``terraform`` framework skips
``cdk.tf.json`` and ``terraform_json`` misses settings inside JSON-encoded
attributes such as container definitions.
"""

from __future__ import annotations

import fnmatch
import json
import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

OFFLINE_ENV = {
    # No version check against PyPI, no policy or guideline download from the platform.
    "CKV_SKIP_PACKAGE_UPDATE_CHECK": "true",
    "BC_SKIP_MAPPING": "TRUE",
    "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false",
}


@dataclass(frozen=True, order=True)
class Finding:
    workspace: str
    check_id: str
    resource: str
    name: str

    def __str__(self) -> str:
        return f"{self.workspace}: {self.check_id} {self.resource} ({self.name})"


@dataclass(frozen=True)
class Exception_:
    check_id: str
    resource: str  # an address or an fnmatch pattern of addresses
    reason: str

    def matches(self, finding: Finding) -> bool:
        return finding.check_id == self.check_id and fnmatch.fnmatchcase(finding.resource, self.resource)


def load_exceptions(path: Path) -> list[Exception_]:
    """``{check_id: {resource_address_or_pattern: reason}}``; every reason is required."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    exceptions = []
    for check_id, resources in data.items():
        for resource, reason in (resources or {}).items():
            if not isinstance(reason, str) or len(reason.strip()) < 20:
                raise ValueError(f"{path}: {check_id} {resource}: write why this finding is accepted")
            exceptions.append(Exception_(check_id, resource, reason.strip()))
    return exceptions


def scan(plans: Mapping[str, Path], workdir: Path) -> tuple[list[Finding], int, str]:
    """Scan every plan JSON in one checkov process; the failed checks, passed count and log."""
    names = {str(path.resolve()): workspace for workspace, path in plans.items()}
    command = [sys.executable, "-m", "checkov.main", "--framework", "terraform_plan", "--skip-download"]
    command += ["--quiet", "--compact", "--output", "json"]
    for path in plans.values():
        command += ["--file", str(path.resolve())]
    result = subprocess.run(
        command,
        cwd=workdir,
        env={**os.environ, **OFFLINE_ENV},
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )
    try:
        reports = json.loads(result.stdout)
    except json.JSONDecodeError as error:
        raise RuntimeError(f"checkov printed no JSON (exit {result.returncode}):\n{result.stderr}") from error
    findings: list[Finding] = []
    passed = 0
    for report in reports if isinstance(reports, list) else [reports]:
        if report.get("check_type") != "terraform_plan":
            continue
        passed += int(report["summary"]["passed"])
        if report["summary"].get("parsing_errors"):
            raise RuntimeError(f"checkov could not parse: {report['results']['parsing_errors']}")
        for failed in report["results"]["failed_checks"]:
            workspace = names.get(str(Path(failed["file_abs_path"]).resolve()), failed["file_path"])
            findings.append(Finding(workspace, failed["check_id"], failed["resource"], failed["check_name"]))
    return sorted(set(findings)), passed, result.stderr


def judge(findings: Sequence[Finding], exceptions: Sequence[Exception_]) -> tuple[list[Finding], list[Exception_]]:
    """Findings no exception covers, and exceptions that cover no finding (stale)."""
    unexplained = [f for f in findings if not any(e.matches(f) for e in exceptions)]
    stale = [e for e in exceptions if not any(e.matches(f) for f in findings)]
    return unexplained, stale
