"""Cross-field rules AWS enforces, and messages that fit the field they are about."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

import main
from config.backend import S3BackendSettings
from config.loader import PATTERN_HINTS, json_schema, load_environments
from tests.conftest import EXAMPLE, ROOT
from tests.test_config import problems, write

TOOLING = yaml.safe_load((EXAMPLE / "tooling.yaml").read_text(encoding="utf-8"))
STAGING = (EXAMPLE / "staging.yaml").read_text(encoding="utf-8")
VPN_CERT = TOOLING["client_vpn"]["server_certificate_arn"]


def _tooling(tmp_path: Path, change: Any) -> list[str]:
    data = json.loads(json.dumps(TOOLING))
    change(data)
    return problems(write(tmp_path / "environments", tooling=yaml.safe_dump(data), staging=STAGING))


def test_client_vpn_certificate_in_another_region(tmp_path: Path) -> None:
    def change(data: dict[str, Any]) -> None:
        data["client_vpn"]["server_certificate_arn"] = VPN_CERT.replace("ap-northeast-1", "us-east-1")

    assert _tooling(tmp_path, change) == [
        "environments/tooling.yaml: client_vpn.server_certificate_arn: certificate is in 111111111111 us-east-1, "
        "not this account's 111111111111 ap-northeast-1\n"
        "    hint: Client VPN uses ACM certificates of its own account and region; import the certificate there "
        "(docs/network.md)"
    ]


def test_alb_certificate_in_another_region(tmp_path: Path) -> None:
    def change(data: dict[str, Any]) -> None:
        data["gitlab"]["certificate"] = {"existing_arn": VPN_CERT.replace("ap-northeast-1", "eu-west-1")}

    assert _tooling(tmp_path, change) == [
        "environments/tooling.yaml: gitlab.certificate.existing_arn: certificate is in 111111111111 eu-west-1, "
        "not this account's 111111111111 ap-northeast-1\n"
        "    hint: an ALB uses certificates from its own account and region"
    ]


def test_arn_partition_must_match_its_region(tmp_path: Path) -> None:
    def change(data: dict[str, Any]) -> None:
        data["deploy_role_arn"] = "arn:aws-us-gov:iam::111111111111:role/terraform-deploy"
        data["client_vpn"]["server_certificate_arn"] = VPN_CERT.replace("arn:aws:", "arn:aws-us-gov:")

    assert _tooling(tmp_path, change) == [
        "environments/tooling.yaml: client_vpn.server_certificate_arn: "
        f"'{VPN_CERT.replace('arn:aws:', 'arn:aws-us-gov:')}' is in partition aws-us-gov, "
        "but its region ap-northeast-1 is in partition aws\n"
        f"    hint: write it as {VPN_CERT}",
        "environments/tooling.yaml: deploy_role_arn: 'arn:aws-us-gov:iam::111111111111:role/terraform-deploy' "
        "is in partition aws-us-gov, but this account's region ap-northeast-1 is in partition aws\n"
        "    hint: write it as arn:aws:iam::111111111111:role/terraform-deploy",
    ]


def test_deploy_role_in_another_account(tmp_path: Path) -> None:
    def change(data: dict[str, Any]) -> None:
        data["deploy_role_arn"] = "arn:aws:iam::999999999999:role/terraform-deploy"

    assert _tooling(tmp_path, change) == [
        "environments/tooling.yaml: deploy_role_arn: role is in account 999999999999, not this file's account "
        "111111111111\n    hint: name the deploy role that lives in this account"
    ]


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        (
            {"aws:cost": "x"},
            "tags.aws:cost: tag keys starting with 'aws:' are reserved for AWS\n    hint: drop the aws: prefix",
        ),
        (
            {"AWS:Cost": "x"},
            "tags.AWS:Cost: tag keys starting with 'aws:' are reserved for AWS\n    hint: drop the aws: prefix",
        ),
        (
            {"k" * 129: "x"},
            f"tags.{'k' * 129}: tag key is 129 characters; AWS allows 1 to 128\n    hint: shorten the tag key",
        ),
        (
            {"Owner": "v" * 257},
            "tags.Owner: tag value is 257 characters; AWS allows at most 256\n    hint: shorten the tag value",
        ),
        (
            {"Owner": "a&b"},
            "tags.Owner: tag value contains '&', which AWS does not allow in tags\n"
            "    hint: use letters, digits, spaces and _ . : / = + - @ only",
        ),
    ],
)
def test_tags_within_aws_limits(tmp_path: Path, tags: dict[str, str], expected: str) -> None:
    def change(data: dict[str, Any]) -> None:
        data["tags"] = tags

    assert _tooling(tmp_path, change) == [f"environments/tooling.yaml: {expected}"]


def test_at_most_50_tags_on_a_resource_with_the_built_in_ones(tmp_path: Path) -> None:
    def change(data: dict[str, Any]) -> None:
        data["tags"] = {f"Tag{i:02}": "x" for i in range(46)} | {"Name": "overridden anyway"}

    assert _tooling(tmp_path, change) == [
        "environments/tooling.yaml: tags: 47 tags make 51 on a resource with the built-in ManagedBy, Name, "
        "Project, Tier, Workspace; AWS allows 50\n"
        "    hint: keep at most 45 tags of your own (more of the built-in keys may be set here without counting)"
    ]

    # 45 of one's own and a built-in key: exactly 50.
    data = json.loads(json.dumps(TOOLING))
    data["tags"] = {f"Tag{i:02}": "x" for i in range(45)} | {"Project": "p"}
    loaded = load_environments(write(tmp_path / "limit", tooling=yaml.safe_dump(data), staging=STAGING))
    assert len(loaded.tooling.tags) == 46


def test_unicode_letters_and_allowed_punctuation_in_tags_are_fine(tmp_path: Path) -> None:
    def change(data: dict[str, Any]) -> None:
        data["tags"] = {"Owner": "Équipe Tōkyō", "Path": "a/b:c=d+e-f@g_h.i", "Empty": ""}

    data = json.loads(json.dumps(TOOLING))
    change(data)
    environments = load_environments(write(tmp_path / "environments", tooling=yaml.safe_dump(data), staging=STAGING))
    assert environments.tooling.tags["Owner"] == "Équipe Tōkyō"


BACKEND = json.loads((ROOT / "backend.tf.json.example").read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            {"kms_key_id": "arn:aws:kms:us-east-1:111111111111:alias/gitlab-tfstate-state"},
            "backend.tf.json: terraform.backend.s3.kms_key_id: the key is in us-east-1, but the state bucket is in "
            "ap-northeast-1\n    hint: S3 encrypts with a KMS key of the bucket's own region; use the key the "
            "bootstrap workspace creates there",
        ),
        (
            {"assume_role": {"role_arn": "arn:aws-us-gov:iam::111111111111:role/state"}},
            "backend.tf.json: terraform.backend.s3.assume_role.role_arn: 'arn:aws-us-gov:iam::111111111111:role/state' "
            "is in partition aws-us-gov, but this account's region ap-northeast-1 is in partition aws\n"
            "    hint: write it as arn:aws:iam::111111111111:role/state",
        ),
    ],
)
def test_backend_arns_match_the_bucket_region(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    change: dict[str, Any],
    expected: str,
) -> None:
    shutil.copytree(EXAMPLE, tmp_path / "environments")
    backend = json.loads(json.dumps(BACKEND))
    backend["terraform"]["backend"]["s3"].update(change)
    (tmp_path / "backend.tf.json").write_text(json.dumps(backend), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert main.main(["--check", "--environments", "environments", "--backend", "backend.tf.json"]) == 2
    assert f"- {expected}\n" in capsys.readouterr().err


def _patterns(schema: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(schema, dict):
        if isinstance(schema.get("pattern"), str):
            found.add(schema["pattern"])
        for value in schema.values():
            found |= _patterns(value)
    elif isinstance(schema, list):
        for value in schema:
            found |= _patterns(value)
    return found


def test_every_pattern_has_its_own_hint() -> None:
    """A pattern mismatch explains what its own field expects, never another field's rule."""
    from config.migration import Plan

    patterns = _patterns(json.loads(json_schema())) | _patterns(S3BackendSettings.model_json_schema())
    patterns |= _patterns(Plan.model_json_schema())
    assert patterns - set(PATTERN_HINTS) == set()


@pytest.mark.parametrize(
    ("path", "value", "field", "expected"),
    [
        (("gitlab", "smtp", "from_address"), "gitlab.example.com", "gitlab.smtp.from_address", "a mail address"),
        (("gitlab", "load_balancer", "ssl_policy"), "ELBSecurityPolicy-2016-08", "gitlab.load_balancer.ssl_policy",
         "a TLS 1.3 security policy of Elastic Load Balancing"),
        (("operations", "backup", "rules", "daily", "schedule"), "rate(1 day)",
         "operations.backup.rules.daily.schedule", "a cron(...) expression in UTC"),
        (("name_prefix",), "Git_Lab", "name_prefix", "1 to 24 lowercase letters"),
    ],
)  # fmt: skip
def test_pattern_mismatch_explains_the_field(
    tmp_path: Path, path: tuple[str, ...], value: str, field: str, expected: str
) -> None:
    def change(data: dict[str, Any]) -> None:
        target = data
        for name in path[:-1]:
            target = target.setdefault(name, {})
        target[path[-1]] = value

    found = [p for p in _tooling(tmp_path, change) if f": {field}: String should match pattern" in p]
    assert len(found) == 1, _tooling(tmp_path, change)
    assert re.search(r"\n    hint: (.*)$", found[0]).group(1).startswith(expected)  # type: ignore[union-attr]


def test_unquoted_number_where_text_is_expected_says_to_quote_it(tmp_path: Path) -> None:
    def change(data: dict[str, Any]) -> None:
        data["tags"] = {"CostCenter": 1234}

    assert _tooling(tmp_path, change) == [
        "environments/tooling.yaml: tags.CostCenter: Input should be a valid string\n"
        "    hint: put it in quotes: unquoted, YAML reads it as the number 1234, not as text"
    ]


def test_unquoted_boolean_key_and_null_where_text_is_expected(tmp_path: Path) -> None:
    def change(data: dict[str, Any]) -> None:
        data["tags"] = {"Flag": True, 2024: "x", "Owner": None}

    assert _tooling(tmp_path, change) == [
        "environments/tooling.yaml: tags.Flag: Input should be a valid string\n"
        "    hint: put it in quotes: unquoted, YAML reads it as the boolean true, not as text",
        "environments/tooling.yaml: tags.Owner: Input should be a valid string\n"
        "    hint: write a value, or remove the key: YAML reads an empty value (or null) as nothing",
        "environments/tooling.yaml: tags[2024]: Input should be a valid string\n"
        "    hint: put it in quotes: unquoted, YAML reads it as the number 2024, not as text",
    ]


def test_paths_in_messages_are_relative_to_the_current_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    environments = tmp_path / "project" / "environments"
    shutil.copytree(EXAMPLE, environments)
    (environments / "staging.yaml").write_text(STAGING.replace('"222222222222"', "222222222222"), encoding="utf-8")
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    backend = tmp_path / "project" / "backend.tf.json"
    backend.write_text("{", encoding="utf-8")
    assert main.main(["--check", "--environments", str(environments), "--backend", str(backend)]) == 2
    err = capsys.readouterr().err
    assert "- ../project/environments/staging.yaml: account_id:" in err
    assert "- ../project/backend.tf.json: not valid JSON" in err
    assert str(tmp_path) not in err


def test_state_bucket_with_a_reserved_suffix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copytree(EXAMPLE, tmp_path / "environments")
    backend = json.loads(json.dumps(BACKEND))
    backend["terraform"]["backend"]["s3"]["bucket"] = "team-state-s3alias"
    (tmp_path / "backend.tf.json").write_text(json.dumps(backend), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert main.main(["--check", "--environments", "environments", "--backend", "backend.tf.json"]) == 2
    assert (
        "- backend.tf.json: terraform.backend.s3.bucket: 'team-state-s3alias' uses '-s3alias', which S3 reserves "
        "for its own names\n    hint: S3 refuses bucket names starting with xn--, sthree-, amzn-s3-demo- or ending "
        "with -s3alias, --ol-s3, .mrap, --x-s3, --table-s3; choose another name\n"
    ) in capsys.readouterr().err


@pytest.mark.parametrize("value", ["1", "0", '"true"', '"yes"', "enabled"])
def test_a_boolean_is_true_or_false_only(tmp_path: Path, value: str) -> None:
    staging = STAGING.replace("pipelines_enabled: true", f"pipelines_enabled: {value}", 1)
    assert staging != STAGING
    assert problems(write(tmp_path / "environments", tooling=yaml.safe_dump(TOOLING), staging=staging)) == [
        "environments/staging.yaml: delivery.pipelines_enabled: Input should be a valid boolean\n"
        "    hint: write true or false, unquoted (YAML's booleans); 1, 0 and quoted text are not taken as booleans"
    ]
