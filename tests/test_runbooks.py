"""The runbooks, and every other document (README.md, docs/*.md), name only what exists:
make targets, main.py and script options, workspace outputs, configuration keys, alarm
names; their YAML is valid configuration."""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from config.loader import json_schema
from config.migration import json_schema as plan_schema
from config.operations import Operations
from tests.conftest import ROOT, Synthesis

# docs/gitlab.md holds the first deployment's steps (image copy, SMTP secret, root password).
RUNBOOKS = ("docs/runbooks.md", "docs/operations.md", "docs/gitlab.md")
# Every other document is held to the same rules: what it names must exist too.
DOCS = ("README.md", *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "docs").glob("*.md")))
FENCE = re.compile(r"^[ \t]*```(\w*)\n(.*?)^[ \t]*```", re.MULTILINE | re.DOTALL)
# Identifiers in backticks that are neither outputs, configuration keys, AWS provider
# resource types nor names in the synthesized Terraform.
OTHER_IDENTIFIERS = {
    "dynamodb_table",  # the S3 backend's deprecated locking argument (README.md)
    "terraform_plan",  # checkov's framework for plan files (README.md)
}
PROVIDER = Path(importlib.util.find_spec("cdktf_cdktf_provider_aws").origin or "").parent  # type: ignore[union-attr]
# Other tools' names that documents explain, each listed so that anything else is checked.
OTHER_SETTINGS = {
    "docs/gitlab.md": {  # gitlab.rb settings and an ALB attribute
        "db_host", "db_load_balancing", "dns_name", "git_data_dirs", "gitlab_ssh_host", "monitoring_whitelist",
        "redis_ssl", "use_iam_profile",
    },
    "docs/atlantis.md": {  # Atlantis's repo and project settings, the backend's lock argument
        "allow_custom_workflows", "apply_requirements", "execution_order_group", "node_modules",
        "plan_requirements", "use_lockfile", "when_modified",
    },
    "docs/operations.md": {"backup_upload_connection", "backup_upload_remote_directory", "pg_dump"},  # gitlab.rb
    "docs/state.md": {"add_dependency", "use_lockfile"},  # CDKTF's method, the backend's lock argument
    "README.md": {"pre_workflow_hook"},  # Atlantis's server-side hook (docs/atlantis.md)
    "docs/pipelines.md": {  # GitLab settings and token scopes, providers, a config function
        "admin_mode", "external_url", "region_provider", "ap_northeast_3", "outbound_local_requests_whitelist",
        "allow_local_requests_from_web_hooks_and_services", "webhook_endpoint_hostname",
    },
}  # fmt: skip
# Dotted names in backticks that are files or host names, not configuration keys.
NOT_KEYS = re.compile(r"\.(rb|py|md|ya?ml|json|tf|com)$")
# YAML blocks of other tools, by their top-level keys.
PLAN_SCHEMA = json.loads(plan_schema())
OTHER_YAML = {"repos"}  # Atlantis's server-side repo config (docs/atlantis.md)


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
    for option in [*node.get("anyOf", []), *node.get("oneOf", [])]:
        found = resolve(schema, option, key)
        if found is not None:
            return found
    if key in node.get("properties", {}):
        return node["properties"][key]  # type: ignore[no-any-return]
    for pattern, value in node.get("patternProperties", {}).items():
        if re.search(pattern, key):
            return value  # type: ignore[no-any-return]
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
def access_schema() -> dict[str, Any]:
    """environments/gitlab.yaml's schema: docs/gitlab-access.md shows and names its keys."""
    from config.gitlab_access import json_schema as access_json_schema

    return json.loads(access_json_schema())  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def outputs(synthesis: Synthesis) -> set[str]:
    return set(synthesis.stacks["tooling"]["output"])


@pytest.fixture(scope="module")
def every_output(synthesis: Synthesis) -> set[str]:
    return {name for stack in synthesis.stacks.values() for name in stack.get("output", {})}


def keys(value: Any) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {name for child in value.values() for name in keys(child)}
    if isinstance(value, list):
        return {name for child in value for name in keys(child)}
    return set()


@pytest.fixture(scope="module")
def terraform_names(synthesis: Synthesis) -> set[str]:
    """Resource types, data sources, arguments and meta-arguments the workspaces use."""
    return {name for stack in synthesis.stacks.values() for name in keys(stack)}


def is_provider_resource(name: str) -> bool:
    return name.startswith("aws_") and (PROVIDER / name.removeprefix("aws_")).is_dir()


def every_property(schema: dict[str, Any]) -> set[str]:
    names: set[str] = set(schema.get("properties", {}))
    for definition in schema.get("$defs", {}).values():
        names |= set(definition.get("properties", {}))
    return names


@pytest.mark.parametrize("doc", DOCS)
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


@pytest.mark.parametrize("doc", DOCS)
def test_targeted_addresses_exist(doc: str, synthesis: Synthesis) -> None:
    """`terraform apply -target=<type>.<name>` in a document names a synthesized resource."""
    addresses = {
        f"{kind}.{name}"
        for stack in synthesis.stacks.values()
        for kind, bodies in stack.get("resource", {}).items()
        for name in bodies
    }
    targets = set(re.findall(r"-target=([\w.-]+)", shell(doc)))
    assert targets <= addresses, f"{doc}: no such resource {sorted(targets - addresses)}"
    if doc == "docs/gitlab.md":
        assert {t.split(".", 1)[0] for t in targets} == {
            "aws_ecr_repository",
            "aws_iam_user",
            "aws_secretsmanager_secret",
        }


def test_the_runbooks_use_make_and_the_script_with_an_option_it_has() -> None:
    # The checks above must have something to check.
    assert {"check", "synth"} <= set(re.findall(r"\bmake ([\w-]+)", shell("docs/runbooks.md")))
    assert re.search(r"scripts/ses_smtp_credentials\.py --region", shell("docs/runbooks.md"))


def named_outputs(doc: str) -> set[str]:
    named = set(re.findall(r"terraform (?:-chdir=\S+ )?output (?:-raw |-json )?([a-z0-9_]+)", shell(doc)))
    return named | set(re.findall(r"\boutputs?\s+`([a-z0-9_]+)`", prose(doc)))


@pytest.mark.parametrize("doc", RUNBOOKS)
def test_every_output_named_exists_in_the_tooling_workspace(doc: str, outputs: set[str]) -> None:
    named = named_outputs(doc)
    assert named, f"{doc} names no output"
    assert named <= outputs, f"{doc}: no such output {sorted(named - outputs)}"


@pytest.mark.parametrize("doc", DOCS)
def test_every_output_named_exists_in_some_workspace(doc: str, every_output: set[str]) -> None:
    named = named_outputs(doc)
    assert named <= every_output, f"{doc}: no such output {sorted(named - every_output)}"


@pytest.mark.parametrize("doc", DOCS)
def test_every_configuration_key_named_exists(
    doc: str,
    schema: dict[str, Any],
    access_schema: dict[str, Any],
    every_output: set[str],
    terraform_names: set[str],
) -> None:
    inline = set(re.findall(r"`([a-z_0-9]+(?:\.[a-z_0-9]+)+)`", prose(doc)))
    dotted = {key for key in inline if key.split(".", 1)[0] in schema["properties"] and not NOT_KEYS.search(key)}
    missing = sorted(key for key in dotted if not key_exists(schema, key))
    access = {k for k in inline if k.split(".", 1)[0] in access_schema["properties"] and not NOT_KEYS.search(k)}
    missing += sorted(key for key in access - dotted if not key_exists(access_schema, key))
    assert not missing, f"{doc}: no such configuration key {missing}"
    # Plain identifiers in backticks are outputs, configuration keys or Terraform's names.
    plain = set(re.findall(r"`([a-z][a-z0-9]*(?:_[a-z0-9]+)+)`", prose(doc)))
    known = every_output | every_property(schema) | every_property(access_schema) | terraform_names
    known |= OTHER_IDENTIFIERS | OTHER_SETTINGS.get(doc, set())
    unknown = {name for name in plain - known if not is_provider_resource(name)}
    assert not unknown, f"{doc}: neither an output nor a configuration key: {sorted(unknown)}"


def choices(schema: dict[str, Any], node: dict[str, Any]) -> set[Any] | None:
    """The values a key allows when they are a closed set (a Literal, optionally or null)."""
    if "$ref" in node:
        return choices(schema, schema["$defs"][node["$ref"].rsplit("/", 1)[1]])
    if "enum" in node:
        return set(node["enum"])
    if "const" in node:
        return {node["const"]}
    if node.get("type") == "null":
        return {None}
    if "anyOf" in node:
        options = [choices(schema, option) for option in node["anyOf"]]
        return set().union(*options) if all(option is not None for option in options) else None  # type: ignore[arg-type]
    return None


def test_choices_reads_literals_and_null(schema: dict[str, Any]) -> None:
    # The check below must see closed sets where configuration has them.
    backup = resolve(schema, schema["properties"]["operations"], "backup")
    assert backup is not None and choices(schema, backup) is None  # a section or null: not closed
    engine = resolve(schema, resolve(schema, schema["properties"]["gitlab"], "database") or {}, "engine")
    assert engine is not None and choices(schema, engine) == {"aurora-postgresql", "postgres"}


@pytest.mark.parametrize("doc", DOCS)
def test_inline_settings_use_values_the_key_allows(doc: str, schema: dict[str, Any]) -> None:
    """`gitlab.image.source: repository` in prose: the key exists and, if it takes one of a
    closed set of values, the value is one of them."""
    for key, raw in re.findall(r"`([a-z_0-9]+(?:\.[a-z_0-9]+)+): ([^`]+)`", prose(doc)):
        value = yaml.safe_load(raw)
        if key.split(".", 1)[0] not in schema["properties"]:
            continue  # a key relative to its section (e.g. build.vpc in a pipeline)
        node: dict[str, Any] | None = schema
        for part in key.split("."):
            node = resolve(schema, node, part) if node is not None else None
        assert node is not None, f"{doc}: no such configuration key {key}"
        allowed = choices(schema, node)
        assert allowed is None or value in allowed, f"{doc}: {key} takes {sorted(map(str, allowed))}, not {raw}"


@pytest.mark.parametrize("doc", DOCS)
def test_yaml_examples_are_configuration(doc: str, schema: dict[str, Any], access_schema: dict[str, Any]) -> None:
    for body in blocks(doc, "yaml"):
        data = yaml.safe_load(body)
        if set(data) <= OTHER_YAML:
            continue
        if set(data) <= set(access_schema["properties"]):  # an excerpt of environments/gitlab.yaml
            missing = [path for path in yaml_paths(data) if not key_exists(access_schema, path)]
            assert not missing, f"{doc}: no such key of gitlab.yaml {missing}"
            continue
        # environments/ configuration, or a migration plan (docs/migration.md)
        missing = [
            path for path in yaml_paths(data) if not key_exists(schema, path) and not key_exists(PLAN_SCHEMA, path)
        ]
        assert not missing, f"{doc}: no such configuration key {missing}"
        if "operations" in data:
            Operations.model_validate(data["operations"])


def test_alarm_names_in_the_docs_are_the_alarms_built() -> None:
    from modules.gitlab_service import LOG_FILES
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
        "replicated_buckets": {"uploads": ("source", "replica", "rule")},
        "log_groups": {**{component: component for component in LOG_FILES}, "backup": "gitlab"},
    }
    built = set(alarms(MonitoringProps(**props))) | set(alarms(MonitoringProps(**props, database_engine="postgres")))
    # One replication alarm per object type, documented once with a placeholder.
    built = {re.sub(r"^s3-replication-.+$", "s3-replication-<type>", name) for name in built}
    table = [line for line in text("docs/operations.md").splitlines() if line.startswith("| `")]
    documented = {name for line in table for name in re.findall(r"`([a-z0-9<>-]+)`", line.split("|")[1])}
    assert documented == built
    mentioned = set(
        re.findall(r"`((?:alb|target|unhealthy|latency|ecs|no|db|efs|vpn)-[a-z0-9-]+)`", text("docs/runbooks.md"))
    )
    assert mentioned and mentioned <= built, mentioned - built


def slug(heading: str) -> str:
    """GitHub's anchor of a Markdown heading."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


@pytest.mark.parametrize("doc", DOCS)
def test_links_to_documents_and_their_sections_resolve(doc: str) -> None:
    links = re.findall(r"\]\(([\w./-]+\.md)(?:#([\w-]+))?\)", text(doc))
    if doc in ("docs/runbooks.md", "README.md", "docs/gitlab.md"):
        assert any(anchor for _, anchor in links), f"{doc} links no section"
    for target, anchor in links:
        path = ((ROOT / doc).parent / target).resolve()
        assert path.is_file(), f"{doc}: {target} does not exist"
        if anchor:
            headings = re.findall(r"^#+ (.+)$", path.read_text(encoding="utf-8"), re.MULTILINE)
            assert anchor in {slug(h) for h in headings}, f"{doc}: {target}#{anchor} is no heading"


def test_the_outbound_allowlist_call_admits_exactly_the_webhook_endpoint(environments: Any) -> None:
    """docs/pipelines.md: the GitLab API call admits the webhook endpoint of the tooling
    region by name, through the allowlist, never local requests in general."""
    from config.codeconnections_regions import webhook_endpoint_hostname

    commands = re.sub(r"[ \t]+", " ", shell("docs/pipelines.md"))
    host = environments.tooling.gitlab_hostname
    expected = (
        'curl --request PUT --header "PRIVATE-TOKEN: <admin token>" --data '
        f'"outbound_local_requests_whitelist[]={webhook_endpoint_hostname(environments.tooling.region)}" '
        f'"https://{host}/api/v4/application/settings"'
    )
    assert expected in commands
    assert "allow_local_requests_from_web_hooks_and_services=true" not in commands


def test_backup_helper_commands_in_the_docs_are_the_helpers() -> None:
    from modules.gitlab_backup import SCRIPT

    accepted = set(re.findall(r"^  ([a-z-]+)\)", SCRIPT, re.MULTILINE))
    used = {sub for doc in DOCS for sub in re.findall(r"gitlab-backup-s3 ([a-z][a-z-]*)", shell(doc))}
    assert {"now", "fetch-archive", "fetch-config"} <= used
    assert used <= accepted, used - accepted
