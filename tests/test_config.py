"""Loading environments/: every problem reported at once, with file, field and hint."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest

import main
from config.errors import ConfigError
from config.loader import load_environments
from config.model import carve
from tests.conftest import EXAMPLE, FIXTURE_ROOT

TOOLING = """\
role: tooling
account_id: "111111111111"
region: ap-northeast-1
gitlab_hostname: gitlab.example.com
gitlab:
  image: {tag: 19.6.1-ce.0}
  database: {engine_version: "17.4"}
  certificate: {dns_validation_zone_id: Z0123456789EXAMPLE}
network:
  vpc_cidr: 10.10.0.0/16
  availability_zones: [ap-northeast-1a, ap-northeast-1c]
"""
# In the tooling account's region: a target elsewhere is refused (the Transit Gateway is regional).
TARGET = """\
role: target
account_id: "222222222222"
region: ap-northeast-1
network:
  vpc_cidr: 10.20.0.0/16
  availability_zones: [ap-northeast-1a, ap-northeast-1d]
"""


def write(directory: Path, **files: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (directory / f"{name}.yaml").write_text(textwrap.dedent(text), encoding="utf-8")
    return directory


def problems(directory: Path) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_environments(directory, display_root=directory.parent)
    return [str(p) for p in caught.value.problems]


def only_problem(directory: Path) -> str:
    found = problems(directory)
    assert len(found) == 1, found
    return found[0]


def test_example_loads_with_one_tooling_and_two_targets() -> None:
    environments = load_environments(EXAMPLE)
    assert environments.tooling.name == "tooling"
    assert list(environments.targets) == ["production", "staging"]
    assert list(environments.accounts) == ["tooling", "production", "staging"]
    assert environments.hub_routing_workspace == "tooling-hub-routing"


def test_workspace_defaults_to_file_name_and_can_be_set(tmp_path: Path) -> None:
    env = load_environments(write(tmp_path / "e", tooling=TOOLING, dev=TARGET + "workspace: development\n"))
    assert list(env.targets) == ["development"]
    assert env.files["development"].endswith("dev.yaml")
    # null is "not set"; an empty name is refused, not replaced by the file name.
    env = load_environments(write(tmp_path / "n", tooling=TOOLING, dev=TARGET + "workspace: null\n"))
    assert list(env.targets) == ["dev"]
    assert problems(write(tmp_path / "x", tooling=TOOLING, dev=TARGET + 'workspace: ""\n')) == [
        "x/dev.yaml: workspace: String should match pattern '^[a-z]([a-z0-9-]{0,22}[a-z0-9])?$'\n"
        "    hint: 1 to 24 lowercase letters, digits and dashes, starting with a letter and ending with a letter "
        "or digit, e.g. gitlab"
    ]


def test_subnets_are_computed_from_the_vpc_cidr(tmp_path: Path) -> None:
    env = load_environments(write(tmp_path / "e", tooling=TOOLING))
    assert env.tooling.network.private_subnets == {
        "ap-northeast-1a": "10.10.0.0/20",
        "ap-northeast-1c": "10.10.16.0/20",
    }
    assert carve("10.0.0.0/24", 2, 3) == "10.0.0.192/26"


def test_explicit_subnets_are_used_in_az_order(tmp_path: Path) -> None:
    text = TOOLING + "  subnet_cidrs: {ap-northeast-1c: 10.10.64.0/24, ap-northeast-1a: 10.10.0.0/24}\n"
    env = load_environments(write(tmp_path / "e", tooling=text))
    assert list(env.tooling.network.private_subnets.items()) == [
        ("ap-northeast-1a", "10.10.0.0/24"),
        ("ap-northeast-1c", "10.10.64.0/24"),
    ]


@pytest.mark.parametrize(
    ("change", "field", "message", "hint"),
    [
        (('"111111111111"', '"11111111111"'), "account_id", "is not a 12-digit AWS account ID", "12 digits"),
        (('"111111111111"', "111111111111"), "account_id", "read as a number", "quote it"),
        (("ap-northeast-1\n", "ap-northeast-9\n"), "region", "not a known AWS region", "region code"),
        (("10.10.0.0/16", "10.10.0.1/16"), "network.vpc_cidr", "not an IPv4 CIDR block", "no host bits"),
        (("10.10.0.0/16", "10.0.0.0/8"), "network.vpc_cidr", "outside /16 to /26", "/16 to /28"),
        (("role: tooling", "role: tooling\ncolour: blue"), "colour", "Extra inputs", "schema.json"),
        (("role: tooling\n", ""), "role", "Field required", "add this field"),
        (
            ("[ap-northeast-1a, ap-northeast-1c]", "[ap-northeast-1a, eu-west-1a]"),
            "network.availability_zones[1]",
            "'eu-west-1a' is not an AZ of the account's region ap-northeast-1",
            "choose from ap-northeast-1a, ap-northeast-1c, ap-northeast-1d",
        ),
        (
            ("[ap-northeast-1a, ap-northeast-1c]", "[ap-northeast-1a]"),
            "network.availability_zones",
            "at least two are required",
            "two or more AZs",
        ),
        (
            ("[ap-northeast-1a, ap-northeast-1c]", "[ap-northeast-1a, ap-northeast-1c, ap-northeast-1a]"),
            "network.availability_zones[2]",
            "listed twice",
            "each AZ once",
        ),
        (
            ("  vpc_cidr: 10.10.0.0/16", "  vpc_cidr: 10.10.0.0/24\n  subnet_newbits: 6"),
            "network.subnet_newbits",
            "smaller than AWS's /28 minimum",
            "at most 4",
        ),
        (
            ("role: tooling", "role: tooling\ndeploy_role_arn: arn:aws:iam::999999999999:role/deploy"),
            "deploy_role_arn",
            "role is in account 999999999999",
            "lives in this account",
        ),
        (
            ("gitlab_hostname: gitlab.example.com\n", ""),
            "gitlab_hostname",
            "the tooling account needs GitLab's host name",
            "gitlab.example.com",
        ),
        (
            ("gitlab.example.com", "GitLab_.example"),
            "gitlab_hostname",
            "is not a fully qualified host name",
            "lowercase DNS labels",
        ),
        (
            ("role: tooling", "role: tooling\ndeploy_role_arn: deploy"),
            "deploy_role_arn",
            "is not an IAM role ARN",
            "arn:aws:iam::123456789012:role/",
        ),
    ],
)
def test_each_problem_names_file_field_and_hint(
    tmp_path: Path, change: tuple[str, str], field: str, message: str, hint: str
) -> None:
    directory = write(tmp_path / "e", tooling=TOOLING.replace(*change))
    found = only_problem(directory)
    assert found.startswith(f"e/tooling.yaml: {field}: "), found
    assert message in found
    assert "hint: " in found and hint in found.split("hint: ", 1)[1]


def test_subnets_must_fit_the_vpc_cover_every_az_and_not_overlap(tmp_path: Path) -> None:
    text = TOOLING + "  subnet_cidrs: {ap-northeast-1a: 10.99.0.0/24, ap-northeast-1d: 10.10.0.0/24}\n"
    found = problems(write(tmp_path / "e", tooling=text))
    assert any("network.subnet_cidrs: no subnet for AZ 'ap-northeast-1c'" in p for p in found)
    assert any("network.subnet_cidrs.ap-northeast-1d: 'ap-northeast-1d' is not one of" in p for p in found)
    assert any("network.subnet_cidrs.ap-northeast-1a: 10.99.0.0/24 is not inside the VPC" in p for p in found)
    text = TOOLING + "  subnet_cidrs: {ap-northeast-1a: 10.10.0.0/24, ap-northeast-1c: 10.10.0.128/25}\n"
    assert "overlaps the subnet of ap-northeast-1a" in only_problem(write(tmp_path / "f", tooling=text))


def test_only_the_tooling_account_names_gitlab(tmp_path: Path) -> None:
    found = only_problem(write(tmp_path / "e", tooling=TOOLING, a=TARGET + "gitlab_hostname: git.example.com\n"))
    assert found.startswith("e/a.yaml: gitlab_hostname: only the tooling account runs GitLab")


def test_accounts_and_workspaces_are_unique(tmp_path: Path) -> None:
    twin = TARGET.replace("10.20.", "10.30.")
    found = problems(write(tmp_path / "e", tooling=TOOLING, a=TARGET, b=twin + "workspace: a\n"))
    assert any(p.startswith("e/b.yaml: account_id: '222222222222' is already used by e/a.yaml") for p in found)
    assert any(p.startswith("e/b.yaml: workspace: 'a' is already used by e/a.yaml") for p in found)


@pytest.mark.parametrize("count", [0, 2])
def test_exactly_one_tooling_account(tmp_path: Path, count: int) -> None:
    files = {"a": TARGET}
    if count == 2:
        files = {"t1": TOOLING, "t2": TOOLING.replace("111111111111", "444444444444").replace("10.10.", "10.40.")}
    found = problems(write(tmp_path / "e", **files))
    assert all("exactly one account must have role: tooling" in p for p in found)
    assert len(found) == max(count, 1)


def test_vpc_cidrs_of_accounts_must_not_overlap(tmp_path: Path) -> None:
    overlapping = TARGET.replace("10.20.0.0/16", "10.10.128.0/17")
    found = only_problem(write(tmp_path / "e", tooling=TOOLING, staging=overlapping))
    # Reported on the target: the tooling VPC is what every target routes to.
    assert found.startswith("e/staging.yaml: network.vpc_cidr: 10.10.128.0/17 overlaps the tooling VPC 10.10.0.0/16")
    assert "of e/tooling.yaml" in found
    assert "own range" in found


def test_yaml_errors_and_empty_directories_are_reported(tmp_path: Path) -> None:
    assert "not valid YAML" in only_problem(write(tmp_path / "e", tooling="role: [tooling\n"))
    assert "not a mapping" in only_problem(write(tmp_path / "f", tooling="- a\n"))
    (tmp_path / "g").mkdir()
    assert "no account files" in only_problem(tmp_path / "g")


BROKEN_STAGING = """\
role: target
account_id: "22222222222"
region: ap-northeast-1
network:
  vpc_cidr: 10.10.128.0/17
  availability_zones: [ap-northeast-1a, us-east-1a]
"""


def test_main_reports_every_problem_writes_nothing_and_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    environments = tmp_path / "environments"
    shutil.copytree(EXAMPLE, environments)
    (environments / "staging.yaml").write_text(BROKEN_STAGING, encoding="utf-8")
    outdir = tmp_path / "cdktf.out"
    code = main.main(["--environments", str(environments), "--outdir", str(outdir)])
    err = capsys.readouterr().err
    assert code == 2
    assert not outdir.exists()
    assert "3 configuration problems found" in err
    assert "staging.yaml: account_id: '22222222222' is not a 12-digit AWS account ID" in err
    assert "staging.yaml: network.availability_zones[1]: 'us-east-1a' is not an AZ of the account's region" in err
    assert "staging.yaml: network.vpc_cidr: 10.10.128.0/17 overlaps the tooling VPC 10.10.0.0/16" in err
    assert "nothing was synthesized" in err


def test_main_check_only_validates(capsys: pytest.CaptureFixture[str]) -> None:
    # The fixed copy of the example (the live environments/ are the user checks' business).
    args = ["--check", "--environments", str(EXAMPLE), "--migration", str(FIXTURE_ROOT / "migration")]
    assert main.main(args) == 0
    assert "configuration is valid: tooling, production, staging" in capsys.readouterr().out
