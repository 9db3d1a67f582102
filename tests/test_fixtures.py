"""The fixture copy of the example stays loadable and in step with the config model."""

from __future__ import annotations

from config.loader import SCHEMA_FILE, json_schema
from tests.conftest import EXAMPLE, example_environments


def test_fixture_loads_with_every_role() -> None:
    environments = example_environments()
    assert environments.tooling.name == "tooling"
    assert environments.targets, "the fixture needs targets"
    assert any(t.delivery for t in environments.targets.values()), "the fixture needs a target with delivery"


def test_fixture_schema_is_the_current_one() -> None:
    committed = (EXAMPLE / SCHEMA_FILE).read_text(encoding="utf-8")
    assert committed == json_schema(), "copy environments/schema.json into tests/fixtures/example/environments/"
