"""environments/schema.json is generated from the model and checks the example files."""

from __future__ import annotations

import json

import jsonschema
import yaml

from config import gitlab_access
from config.loader import SCHEMA_FILE, json_schema
from tests.conftest import EXAMPLE


def test_committed_schema_is_current() -> None:
    committed = (EXAMPLE / SCHEMA_FILE).read_text(encoding="utf-8")
    assert committed == json_schema(), "environments/schema.json is stale: run `python main.py --write-schema`"


def test_example_files_pass_the_schema_and_a_typo_does_not() -> None:
    schema = json.loads(json_schema())
    validator = jsonschema.Draft202012Validator(schema)
    for path in sorted(EXAMPLE.glob("*.yaml")):
        if path.name == gitlab_access.ACCESS_FILE:
            continue  # not an account file: its own schema, below
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert list(validator.iter_errors(data)) == [], path.name
        assert path.read_text(encoding="utf-8").startswith("# yaml-language-server: $schema=./schema.json")
    typo = {**yaml.safe_load((EXAMPLE / "tooling.yaml").read_text(encoding="utf-8")), "acount_id": "1"}
    assert any("acount_id" in error.message for error in validator.iter_errors(typo))


def test_the_gitlab_file_passes_its_own_schema() -> None:
    validator = jsonschema.Draft202012Validator(json.loads(gitlab_access.json_schema()))
    text = (EXAMPLE / gitlab_access.ACCESS_FILE).read_text(encoding="utf-8")
    assert text.startswith(f"# yaml-language-server: $schema=./{gitlab_access.SCHEMA_FILE}")
    assert list(validator.iter_errors(yaml.safe_load(text))) == []
