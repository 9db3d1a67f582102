"""The operating runbooks name only what exists: make targets, main.py and script options,
workspace outputs, configuration keys, alarm names; their YAML is valid configuration."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from config.loader import json_schema
from config.operations import Operations
from tests.conftest import ROOT, Synthesis

# docs/gitlab.md holds the first deployment's steps (image copy, SMTP secret, root password).
RUNBOOKS = ("docs/runbooks.md", "docs/operations.md", "docs/gitlab.md")
FENCE = re.compile(r"^[ \t]*```(\w*)\n(.*?)^[ \t]*```", re.MULTILINE | re.DOTALL)
# Identifiers in backticks that are neither outputs nor configuration keys.
OTHER_IDENTIFIERS = {"aws_iam_access_key", "prevent_destroy"}


def text(doc: str) -> str:
    return (ROOT / doc).read_text(encoding="utf-8")


def blocks(doc: str, *languages: str) -> list[str]:
    return [body for language, body in FENCE.findall(text(doc)) if language in languages]


def prose(doc: str) -> str:
    return FENCE.sub("", text(doc))


def shell(doc: str) -> str:
    """Shell blocks with continuation lines joined, plus inline code of the prose."""
    joined = "\n".join(blocks(doc, "sh")).replace("\\\n", " ")
    return joined + "\n" + "\n".join(re.findall(r"`([^`\n]+)`", prose(doc)))


def argparse_options(path: Path) -> set[str]:
    return set(re.findall(r"add_argument\(\s*\"(--[\w-]+)\"", path.read_text(encoding="utf-8")))


def make_targets() -> set[str]:
    return set(re.findall(r"^([\w-]+):", (ROOT / "Makefile").read_text(encoding="utf-8"), re.MULTILINE))


def resolve(schema: dict[str, Any], node: dict[str, Any], key: str) -> dict[str, Any] | None:
    """The schema of ``key`` under ``node`` (through $ref, anyOf, properties and named maps)."""
    if "$ref" in node:
        return resolve(schema, schema["$defs"][node["$ref"].rsplit("/", 1)[1]], key)
    for option in node.get("anyOf", []):
        found = resolve(schema, option, key)
        if found is not None:
            return found
    if key in node.get("properties", {}):
        return node["properties"][key]  # type: ignore[no-any-return]
    extra = node.get("additionalProperties")
    if isinstance(extra, dict):
        return extra
    return None


def key_exists(schema: dict[str, Any], dotted: str) -> bool:
    node: dict[str, Any] | None = schema
    for key in dotted.split("."):
        node = resolve(schema, node, key) if node is not None else None
    return node is not None


def yaml_paths(value: Any, prefix: str = "") -> list[str]:
    if not isinstance(value, dict):
        return []
    paths = []
    for key, child in value.items():
        path = f"{prefix}{key}"
        paths += [path, *yaml_paths(child, path + ".")]
    return paths


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return json.loads(json_schema())  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def outputs(synthesis: Synthesis) -> set[str]:
    return set(synthesis.stacks["tooling"]["output"])


def every_property(schema: dict[str, Any]) -> set[str]:
    names: set[str] = set(schema.get("properties", {}))
    for definition in schema.get("$defs", {}).values():
        names |= set(definition.get("properties", {}))
    return names


@pytest.mark.parametrize("doc", RUNBOOKS)
def test_make_targets_and_python_commands_exist(doc: str) -> None:
    commands = shell(doc)
    targets = set(re.findall(r"\bmake ([\w-]+)", commands))
    assert targets <= make_targets(), targets - make_targets()
    for script, options in re.findall(r"python3? ((?:\.\./)*[\w./-]+\.py)((?: --[\w-]+)*)?", commands):
        path = ROOT / re.sub(r"^(\.\./)+", "", script)
        assert path.is_file(), f"{doc}: {script} does not exist"
        used = set(re.findall(r"--[\w-]+", options))
        assert used <= argparse_options(path), f"{doc}: {script} has no option {used - argparse_options(path)}"
    for options in re.findall(r"python3? main\.py((?: --[\w-]+)*)", commands):
        assert set(options.split()) <= argparse_options(ROOT / "main.py"), options


def test_the_runbooks_use_make_and_the_script_with_an_option_it_has() -> None:
    # The checks above must have something to check.
    assert {"check", "synth"} <= set(re.findall(r"\bmake ([\w-]+)", shell("docs/runbooks.md")))
    assert re.search(r"scripts/ses_smtp_credentials\.py --region", shell("docs/runbooks.md"))


@pytest.mark.parametrize("doc", RUNBOOKS)
def test_every_output_named_exists_in_the_tooling_workspace(doc: str, outputs: set[str]) -> None:
    named = set(re.findall(r"terraform (?:-chdir=\S+ )?output (?:-raw |-json )?([a-z0-9_]+)", shell(doc)))
    named |= set(re.findall(r"\boutputs?\s+`([a-z0-9_]+)`", prose(doc)))
    assert named, f"{doc} names no output"
    assert named <= outputs, f"{doc}: no such output {sorted(named - outputs)}"


@pytest.mark.parametrize("doc", RUNBOOKS)
def test_every_configuration_key_named_exists(doc: str, schema: dict[str, Any], outputs: set[str]) -> None:
    inline = set(re.findall(r"`([a-z_0-9]+(?:\.[a-z_0-9]+)+)`", prose(doc)))
    dotted = {key for key in inline if key.split(".", 1)[0] in schema["properties"]}
    missing = sorted(key for key in dotted if not key_exists(schema, key))
    assert not missing, f"{doc}: no such configuration key {missing}"
    if doc == "docs/gitlab.md":
        return  # also names gitlab.rb settings and resource attributes
    # Plain identifiers in backticks are outputs or configuration keys.
    plain = set(re.findall(r"`([a-z][a-z0-9]*(?:_[a-z0-9]+)+)`", prose(doc)))
    unknown = plain - outputs - every_property(schema) - OTHER_IDENTIFIERS
    assert not unknown, f"{doc}: neither an output nor a configuration key: {sorted(unknown)}"


@pytest.mark.parametrize("doc", RUNBOOKS)
def test_yaml_examples_are_configuration(doc: str, schema: dict[str, Any]) -> None:
    for body in blocks(doc, "yaml"):
        data = yaml.safe_load(body)
        missing = [path for path in yaml_paths(data) if not key_exists(schema, path)]
        assert not missing, f"{doc}: no such configuration key {missing}"
        if "operations" in data:
            Operations.model_validate(data["operations"])


def test_alarm_names_in_the_docs_are_the_alarms_built() -> None:
    from modules.monitoring import MonitoringProps, alarms
    from modules.naming import Namer

    props = {
        "namer": Namer("a", "b"),
        "account_id": "1",
        "region": "r",
        "load_balancer_arn_suffix": "lb",
        "target_group_arn_suffix": "tg",
        "cluster_name": "c",
        "service_name": "s",
        "database_identifier": "d",
        "file_system_id": "f",
        "client_vpn_endpoint_id": "v",
        "efs_replica_file_system_id": "r",
    }
    built = set(alarms(MonitoringProps(**props))) | set(alarms(MonitoringProps(**props, database_engine="postgres")))
    table = [line for line in text("docs/operations.md").splitlines() if line.startswith("| `")]
    documented = {name for line in table for name in re.findall(r"`([a-z0-9-]+)`", line.split("|")[1])}
    assert documented == built
    mentioned = set(
        re.findall(r"`((?:alb|target|unhealthy|latency|ecs|no|db|efs|vpn)-[a-z0-9-]+)`", text("docs/runbooks.md"))
    )
    assert mentioned and mentioned <= built, mentioned - built


def slug(heading: str) -> str:
    """GitHub's anchor of a Markdown heading."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


@pytest.mark.parametrize("doc", ["docs/runbooks.md", "README.md", "docs/gitlab.md"])
def test_links_to_runbook_sections_resolve(doc: str) -> None:
    links = re.findall(r"\]\(((?:docs/)?[\w-]+\.md)#([\w-]+)\)", text(doc))
    assert links, f"{doc} links no section"
    for target, anchor in links:
        path = ROOT / "docs" / Path(target).name if target != "README.md" else ROOT / target
        headings = re.findall(r"^#+ (.+)$", path.read_text(encoding="utf-8"), re.MULTILINE)
        assert anchor in {slug(h) for h in headings}, f"{doc}: {target}#{anchor} is no heading"
