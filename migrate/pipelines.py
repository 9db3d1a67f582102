"""``pipelines``: CodePipelines with a CodeCommit source become ``delivery.pipelines`` entries.

Only what config/pipelines.py can express is written; everything else is reported
with the reason. The environment file is edited with ruamel.yaml's round-trip mode,
so comments, order and quoting of the rest of the file survive.
"""

from __future__ import annotations

import io
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap

from config.errors import ConfigError
from config.loader import load_environments
from config.migration import Plan
from config.pipelines import COMPUTE_TYPES
from migrate.aws import Aws, paginate
from migrate.report import Report

_SIZES = {value: key for key, value in COMPUTE_TYPES.items()}


def _key(name: str) -> str:
    key = re.sub(r"[^a-z0-9-]", "-", name.lower()).strip("-")
    key = re.sub(r"^[^a-z]+", "", key)[:24].rstrip("-")
    return key or "pipeline"


def _build(project: dict[str, Any], default_buildspec: str, unmapped: list[str]) -> dict[str, Any]:
    build: dict[str, Any] = {}
    spec = project.get("source", {}).get("buildspec") or default_buildspec
    if "\n" in spec or spec.lstrip().startswith(("version:", "{")):
        unmapped.append(
            f"project {project['name']}: inline buildspec; commit it to the repository as {default_buildspec}"
        )
        spec = default_buildspec
    build["buildspec"] = spec
    environment = project.get("environment", {})
    size = _SIZES.get(environment.get("computeType", ""))
    if size is None:
        unmapped.append(
            f"project {project['name']}: compute type {environment.get('computeType')} (Linux container sizes only)"
        )
    else:
        build["compute_size"] = size
    if environment.get("type") not in (None, "LINUX_CONTAINER"):
        unmapped.append(f"project {project['name']}: environment type {environment.get('type')}")
    if environment.get("image"):
        build["image"] = environment["image"]
    if environment.get("environmentVariables"):
        names = ", ".join(v["name"] for v in environment["environmentVariables"])
        unmapped.append(f"project {project['name']}: environment variables ({names}) go into the buildspec")
    if project.get("vpcConfig", {}).get("vpcId"):
        build["vpc"] = True
    if project.get("timeoutInMinutes"):
        build["timeout_minutes"] = max(5, min(2160, int(project["timeoutInMinutes"])))
    return build


def map_pipeline(  # noqa: PLR0912
    pipeline: dict[str, Any], plan: Plan, projects: dict[str, dict[str, Any]], home: str
) -> tuple[dict[str, Any] | None, list[str]]:
    """(the delivery.pipelines entry, what could not be mapped)."""
    unmapped: list[str] = []
    sources = [a for s in pipeline["stages"] for a in s["actions"] if a["actionTypeId"]["category"] == "Source"]
    if len(sources) != 1:
        return None, [f"{len(sources)} source actions; one GitLab source per pipeline is supported"]
    source = sources[0]["configuration"]
    planned = plan.repositories.get(source["RepositoryName"])
    if planned is None or not planned.migrate:
        return None, [f"its repository {source['RepositoryName']} is not migrated by the plan"]
    entry: dict[str, Any] = {"repository": planned.gitlab, "branch": source["BranchName"]}
    if source.get("OutputArtifactFormat") == "CODEBUILD_CLONE_REF":
        entry["output_format"] = "CODEBUILD_CLONE_REF"
    for trigger in pipeline.get("triggers", []):
        for push in trigger.get("gitConfiguration", {}).get("push", []):
            mapped: dict[str, Any] = {}
            for field, name in (("branches", "branches"), ("filePaths", "file_paths")):
                if push.get(field):
                    mapped[name] = {k: list(v) for k, v in push[field].items() if k in ("includes", "excludes")}
            entry["trigger"] = mapped
    stages = pipeline["stages"][1:]
    builds = [a for s in stages for a in s["actions"] if a["actionTypeId"]["provider"] == "CodeBuild"]
    approvals = [a for s in stages for a in s["actions"] if a["actionTypeId"]["category"] == "Approval"]
    others = [a for s in stages for a in s["actions"] if a not in builds and a not in approvals]
    for action in others:
        kind = action["actionTypeId"]
        unmapped.append(
            f"action {action['name']} ({kind['category']}/{kind['provider']}): only CodeBuild builds and deploys"
        )
    if not builds:
        return None, [*unmapped, "no CodeBuild build action"]
    for role, action in zip(("build", "deploy"), builds[:2], strict=False):
        project = projects.get(action["configuration"].get("ProjectName", ""))
        if project is None:
            unmapped.append(
                f"action {action['name']}: CodeBuild project {action['configuration'].get('ProjectName')} not found"
            )
            continue
        entry[role] = _build(project, "buildspec.yml" if role == "build" else "buildspec-deploy.yml", unmapped)
        if role == "deploy" and action.get("region") and action["region"] != home:
            entry["deploy"]["region"] = action["region"]
        if role == "deploy" and project.get("serviceRole"):
            unmapped.append(
                f"deploy project {project['name']}: give the deploy role's permissions as deploy.policy_arns"
            )
    for action in builds[2:]:
        unmapped.append(f"action {action['name']}: a third CodeBuild action (build and deploy only)")
    if approvals and "deploy" in entry:
        summary = approvals[0].get("configuration", {}).get("CustomData")
        entry["approval"] = {"summary": summary[:512]} if summary else {}
    elif approvals:
        unmapped.append("a manual approval without a deploy stage")
    return entry, unmapped


def read_pipelines(aws: Aws) -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]]]:
    codepipeline, codebuild = aws.client("codepipeline"), aws.client("codebuild")
    pipelines = [
        codepipeline.get_pipeline(name=p["name"])["pipeline"]
        for p in paginate(codepipeline.list_pipelines, "pipelines")
    ]
    names = sorted(
        {
            a["configuration"]["ProjectName"]
            for p in pipelines
            for s in p["stages"]
            for a in s["actions"]
            if a["actionTypeId"]["provider"] == "CodeBuild" and "ProjectName" in a.get("configuration", {})
        }
    )
    projects = {}
    for start in range(0, len(names), 100):
        projects.update(
            {p["name"]: p for p in codebuild.batch_get_projects(names=names[start : start + 100])["projects"]}
        )
    return pipelines, projects


def _yaml() -> YAML:
    yaml = YAML()  # round-trip
    yaml.preserve_quotes = True
    yaml.width = 120
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def write_entries(environment_file: Path, entries: dict[str, dict[str, Any]]) -> list[str]:
    """Set ``delivery.pipelines.<key>``; the keys whose entry changed. The file is validated first."""
    yaml = _yaml()
    document = yaml.load(environment_file.read_text(encoding="utf-8"))
    delivery = document.setdefault("delivery", CommentedMap())
    if delivery is None:
        delivery = document["delivery"] = CommentedMap()
    pipelines = delivery.setdefault("pipelines", CommentedMap())
    if pipelines is None:  # "pipelines:" with nothing under it
        pipelines = delivery["pipelines"] = CommentedMap()
    changed = [key for key, entry in entries.items() if _plain(pipelines.get(key)) != entry]
    if not changed:
        return []
    for key in changed:
        pipelines[key] = entry_map(entries[key])
    buffer = io.StringIO()
    yaml.dump(document, buffer)
    with tempfile.TemporaryDirectory() as scratch:
        copy = Path(scratch) / "environments"
        shutil.copytree(environment_file.parent, copy, ignore=shutil.ignore_patterns("*.json"))
        (copy / environment_file.name).write_text(buffer.getvalue(), encoding="utf-8")
        load_environments(copy)  # raises ConfigError: nothing is written
    environment_file.write_text(buffer.getvalue(), encoding="utf-8")
    return changed


def entry_map(value: Any) -> Any:
    if isinstance(value, dict):
        mapped = CommentedMap()
        for key, child in value.items():
            mapped[key] = entry_map(child)
        return mapped
    return value


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def pipelines(plan: Plan, *, aws: Aws, environment_file: Path, home: str, dry_run: bool, report: Report) -> None:
    found, projects = read_pipelines(aws)
    entries: dict[str, dict[str, Any]] = {}
    for pipeline in found:
        sources = [a for s in pipeline["stages"] for a in s["actions"] if a["actionTypeId"]["category"] == "Source"]
        if not any(a["actionTypeId"]["provider"] == "CodeCommit" for a in sources):
            continue
        entry, unmapped = map_pipeline(pipeline, plan, projects, home)
        if entry is None:
            report.add(pipeline["name"], "skipped", "not mapped: " + "; ".join(unmapped), unmapped=unmapped)
            continue
        key = _key(pipeline["name"])
        entries[key] = entry
        report.add(
            pipeline["name"],
            "ok",
            f"-> delivery.pipelines.{key} ({entry['repository']}@{entry['branch']})",
            key=key,
            entry=entry,
            unmapped=unmapped,
        )
        for item in unmapped:
            report.notes.append(f"{pipeline['name']}: not mapped: {item}")
    if dry_run or not entries:
        return
    try:
        changed = write_entries(environment_file, entries)
    except ConfigError as error:
        report.add(
            str(environment_file.name), "error", f"the entries would make the file invalid, nothing written:\n{error}"
        )
        return
    for entry in report.entries:
        if entry.details.get("key") in changed:
            entry.status = "changed"
        elif "key" in entry.details:
            entry.status = "unchanged"
    report.notes.append(
        f"{len(changed)} entries written to {environment_file.name}"
        if changed
        else f"{environment_file.name} already up to date"
    )
