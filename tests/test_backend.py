"""backend.tf.json: validated on load, one S3 state key per workspace, local otherwise."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cdktf import Testing

import main
from config.backend import S3BackendSettings, load_backend
from config.errors import ConfigError
from stacks.base import AccountStack
from tests.conftest import EXAMPLE as EXAMPLE_ENVIRONMENTS
from tests.conftest import ROOT, Synthesis
from tests.support.synth import synth_stack

EXAMPLE = ROOT / "backend.tf.json.example"


def write(tmp_path: Path, s3: dict[str, Any]) -> Path:
    path = tmp_path / "backend.tf.json"
    path.write_text(json.dumps({"terraform": {"backend": {"s3": s3}}}), encoding="utf-8")
    return path


def example_settings() -> dict[str, Any]:
    """The example's settings without its "//" comment."""
    s3 = json.loads(EXAMPLE.read_text(encoding="utf-8"))["terraform"]["backend"]["s3"]
    return {name: value for name, value in s3.items() if name != "//"}


def messages(path: Path) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_backend(path)
    return [str(p) for p in caught.value.problems]


def test_absent_file_means_local_state(tmp_path: Path) -> None:
    assert load_backend(tmp_path / "backend.tf.json") is None


def test_example_is_valid_and_uses_both_lockings() -> None:
    settings = load_backend(EXAMPLE)
    assert settings is not None
    assert settings.use_lockfile is True and settings.dynamodb_table == "gitlab-tfstate-locks"
    assert settings.state_key("staging") == "gitlab-on-aws/staging.tfstate"
    # The keys the issue names, and a "//" comment (Terraform's JSON comment property)
    # that explains both lockings, the 1.11 deprecation and the role.
    s3 = json.loads(EXAMPLE.read_text(encoding="utf-8"))["terraform"]["backend"]["s3"]
    assert {"bucket", "key", "region", "encrypt", "kms_key_id", "use_lockfile", "dynamodb_table"} <= set(s3)
    comment = " ".join(s3["//"])
    for phrase in (
        "use_lockfile",
        "Terraform 1.10+",
        "deprecated since Terraform 1.11",
        "deploy_role_arn",
        "assume_role",
    ):
        assert phrase in comment, phrase
    assert "//" not in settings.terraform_settings("staging", None)


def test_a_comment_property_is_ignored_but_other_unknown_keys_are_not(tmp_path: Path) -> None:
    settings = load_backend(write(tmp_path, {**example_settings(), "//": "a note"}))
    assert settings == load_backend(EXAMPLE)
    found = messages(write(tmp_path, {**example_settings(), "#": "a note"}))
    assert len(found) == 1 and "terraform.backend.s3.#: Extra inputs are not permitted" in found[0], found


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"bucket": None}, "terraform.backend.s3.bucket: Field required"),
        ({"colour": "blue"}, "terraform.backend.s3.colour: Extra inputs are not permitted"),
        ({"bucket": "Bad_Bucket"}, "'Bad_Bucket' is not a valid S3 bucket name"),
        ({"encrypt": False}, "encrypt is false"),
        ({"encrypt": "true"}, "terraform.backend.s3.encrypt: Input should be a valid boolean"),
        ({"use_lockfile": 1}, "terraform.backend.s3.use_lockfile: Input should be a valid boolean"),
        ({"use_lockfile": False, "dynamodb_table": None}, "no state locking"),
        ({"kms_key_id": "alias/x"}, "kms_key_id must be a key or alias ARN"),
        ({"region": "mars-1"}, "'mars-1' is not a known AWS region"),
    ],
)
def test_bad_settings_are_rejected_with_a_clear_message(tmp_path: Path, change: dict[str, Any], expected: str) -> None:
    settings = {k: v for k, v in {**example_settings(), **change}.items() if v is not None}
    found = messages(write(tmp_path, settings))
    assert len(found) == 1 and expected in found[0], found
    assert "hint: " in found[0]


def test_other_backends_and_broken_json_are_rejected(tmp_path: Path) -> None:
    path = tmp_path / "backend.tf.json"
    path.write_text('{"terraform": {"backend": {"gcs": {}}}}', encoding="utf-8")
    assert "expected exactly one backend, s3" in messages(path)[0]
    path.write_text("{", encoding="utf-8")
    assert "not valid JSON" in messages(path)[0]


def test_keys_beside_the_backend_are_rejected(tmp_path: Path) -> None:
    path = tmp_path / "backend.tf.json"
    s3 = example_settings()
    data = {"terraform": {"backend": {"s3": s3}, "required_version": ">= 1.10"}, "provider": {}, "//": "a note"}
    path.write_text(json.dumps(data), encoding="utf-8")
    found = messages(path)
    assert len(found) == 2, found
    assert "provider: not a backend setting: only terraform.backend.s3 is read from this file" in found[0]
    assert "terraform.required_version: not a backend setting" in found[1]
    path.write_text(json.dumps({"terraform": "s3"}), encoding="utf-8")
    assert "expected exactly one backend, s3" in messages(path)[0]


def test_main_rejects_a_bad_backend_and_writes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    backend = write(tmp_path, {"key": "x", "region": "ap-northeast-1", "bogus": 1})
    outdir = tmp_path / "out"
    assert main.main(["--backend", str(backend), "--outdir", str(outdir)]) == 2
    err = capsys.readouterr().err
    assert "terraform.backend.s3.bucket: Field required" in err
    assert "terraform.backend.s3.bogus: Extra inputs are not permitted" in err
    assert not outdir.exists()


def test_each_workspace_gets_its_own_key_and_its_account_role(synthesis: Synthesis) -> None:
    settings = S3BackendSettings.model_validate(example_settings())
    stack = AccountStack(Testing.app(), "staging", synthesis.environments.targets["staging"], settings)
    backend = synth_stack(stack)["terraform"]["backend"]["s3"]
    assert backend["key"] == "gitlab-on-aws/staging.tfstate"
    assert backend["bucket"] == "gitlab-tfstate-111111111111-ap-northeast-1"
    assert backend["use_lockfile"] is True
    assert backend["dynamodb_table"] == "gitlab-tfstate-locks"
    assert backend["encrypt"] is True
    assert backend["assume_role"] == {
        "role_arn": "arn:aws:iam::222222222222:role/terraform-deploy",
        "session_name": "cdktf-state-staging",
    }


def test_an_explicit_state_role_wins(synthesis: Synthesis) -> None:
    role = "arn:aws:iam::111111111111:role/terraform-state"
    settings = S3BackendSettings.model_validate({**example_settings(), "assume_role": {"role_arn": role}})
    stack = AccountStack(Testing.app(), "production", synthesis.environments.targets["production"], settings)
    backend = synth_stack(stack)["terraform"]["backend"]["s3"]
    assert backend["assume_role"] == {"role_arn": role}
    assert backend["key"] == "gitlab-on-aws/production.tfstate"


def test_dynamodb_only_locking_leaves_use_lockfile_out_for_older_terraform(synthesis: Synthesis) -> None:
    settings = S3BackendSettings.model_validate({**example_settings(), "use_lockfile": False})
    stack = AccountStack(Testing.app(), "staging", synthesis.environments.targets["staging"], settings)
    backend = synth_stack(stack)["terraform"]["backend"]["s3"]
    assert "use_lockfile" not in backend
    assert backend["dynamodb_table"] == "gitlab-tfstate-locks"


def test_every_workspace_of_the_app_built_with_backend_tf_json_gets_its_own_key(tmp_path: Path) -> None:
    """What `make synth` writes with the example copied to backend.tf.json: main.py's own
    loading (and its cross-checks), then every workspace of the composed app."""
    from stacks.app import build_app

    environments, backend, _ = main.load(EXAMPLE_ENVIRONMENTS, EXAMPLE)
    assert backend is not None
    _app, stacks = build_app(environments, str(tmp_path), backend)
    workspaces = {name: synth_stack(stack) for name, stack in stacks.items()}
    assert workspaces["bootstrap"]["terraform"]["backend"] == {
        "local": {"path": "../../../terraform.bootstrap.tfstate"}
    }
    others = sorted(set(workspaces) - {"bootstrap"})
    assert others == sorted(["tooling", "staging", "production", "tooling-hub-routing", "tooling-gitlab"])
    keys = set()
    for name in others:
        s3 = workspaces[name]["terraform"]["backend"]["s3"]
        assert s3["key"] == f"gitlab-on-aws/{name}.tfstate", name
        assert s3["bucket"] == backend.bucket and s3["region"] == backend.region
        assert s3["use_lockfile"] is True and s3["dynamodb_table"] == "gitlab-tfstate-locks"
        assert s3["encrypt"] is True and s3["kms_key_id"] == backend.kms_key_id
        # The GitLab workspace has no aws provider; its state is the tooling account's, read with its role.
        aws = workspaces[name]["provider"].get("aws") or workspaces["tooling"]["provider"]["aws"]
        role = aws[0]["assume_role"][0]["role_arn"]
        assert s3["assume_role"]["role_arn"] == role, name
        keys.add(s3["key"])
        # Cross-workspace reads go through the same backend, at the producer's key.
        for state in workspaces[name].get("data", {}).get("terraform_remote_state", {}).values():
            assert state["backend"] == "s3", name
            assert state["config"]["bucket"] == backend.bucket
            assert state["config"]["key"] in {f"gitlab-on-aws/{other}.tfstate" for other in others}
    assert len(keys) == len(others)
    reads = workspaces["tooling-hub-routing"]["data"]["terraform_remote_state"]
    assert {state["config"]["key"] for state in reads.values()} == {
        "gitlab-on-aws/tooling.tfstate",
        "gitlab-on-aws/staging.tfstate",
        "gitlab-on-aws/production.tfstate",
    }
