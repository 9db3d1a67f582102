"""The plan file: validated on load (every problem at once, file, field, hint); its schema is current."""

from __future__ import annotations

from pathlib import Path

import pytest

from config.errors import ConfigError
from config.migration import SCHEMA_FILE, dump_plan, json_schema, parse_plan
from tests.conftest import EXAMPLE, FIXTURE_ROOT, ROOT, example_environments

GOOD = """\
workspace: staging
account_id: "222222222222"
region: ap-northeast-1
gitlab: {url: https://gitlab.example.com}
repositories:
  webapp: {gitlab: delivery/webapp}
  api: {gitlab: delivery/api}
"""


def test_committed_schema_is_current() -> None:
    committed = (ROOT / "migration" / SCHEMA_FILE).read_text(encoding="utf-8")
    assert committed == json_schema(), "migration/schema.json is stale: run `python -m migrate schema`"


def test_a_good_plan_round_trips() -> None:
    plan = parse_plan(GOOD, "migration/staging.yaml", example_environments())
    assert parse_plan(dump_plan(plan), "x", example_environments()) == plan


def test_every_problem_at_once_with_file_field_and_hint() -> None:
    text = GOOD.replace("  api: {gitlab: delivery/api}", "  api: {gitlab: delivery/api.git}")
    text = text.replace("222222222222", "333333333333") + "  other: {gitlab: DELIVERY/WEBAPP}\n"
    with pytest.raises(ConfigError) as raised:
        parse_plan(text, "migration/staging.yaml", example_environments())
    message = str(raised.value)
    assert "repositories.api.gitlab: 'delivery/api.git' is not a valid GitLab path" in message
    assert "hint: write group/project with letters, digits, _ - . (not ending in .git)" in message
    assert "account_id: '333333333333' is not the account of workspace staging (222222222222)" in message


def test_a_repository_twice_is_refused_with_both_lines() -> None:
    # Read as every configuration file is (config/reading.py): YAML would keep the last silently.
    text = GOOD.replace("  api: {gitlab: delivery/api}", "  api: {gitlab: delivery/api}\n  webapp: {gitlab: a/b}")
    with pytest.raises(ConfigError) as raised:
        parse_plan(text, "migration/staging.yaml", example_environments())
    assert [str(p) for p in raised.value.problems] == [
        "migration/staging.yaml: repositories.webapp: 'webapp' is set twice, on lines 6 and 8; "
        "YAML would silently keep only the last\n    hint: keep one of them: merge the two or rename one"
    ]


def test_same_gitlab_path_twice() -> None:
    text = GOOD + "  other: {gitlab: DELIVERY/WEBAPP}\n"
    with pytest.raises(
        ConfigError, match=r"repositories.other.gitlab: 'DELIVERY/WEBAPP' is also the GitLab path of webapp"
    ):
        parse_plan(text, "migration/staging.yaml", example_environments())


def test_main_validates_the_committed_plans_with_the_environments(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import main

    example = ["--check", "--environments", str(EXAMPLE)]
    # the example's plan (migration/staging.yaml, copied into the fixture) is valid
    assert main.main([*example, "--migration", str(FIXTURE_ROOT / "migration")]) == 0
    (tmp_path / "staging.yaml").write_text(GOOD.replace("delivery/api}", "delivery/api.git}"), encoding="utf-8")
    assert main.main([*example, "--migration", str(tmp_path)]) == 2
    error = capsys.readouterr().err
    assert "staging.yaml: repositories.api.gitlab: 'delivery/api.git' is not a valid GitLab path" in error
    assert "nothing was synthesized" in error
