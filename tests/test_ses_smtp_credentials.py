"""scripts/ses_smtp_credentials.py: the SES SMTP password derivation and the secret's JSON shape."""

from __future__ import annotations

import base64
import hashlib
import hmac
import importlib.util
import io
import json
from types import ModuleType

import pytest

from tests.conftest import ROOT


def load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("ses_smtp_credentials", ROOT / "scripts" / "ses_smtp_credentials.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


script = load()
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"  # AWS's documentation example key


def test_password_is_version_4_and_a_sha256_signature() -> None:
    raw = base64.b64decode(script.smtp_password(SECRET, "ap-northeast-1"))
    assert len(raw) == 1 + hashlib.sha256().digest_size
    assert raw[0] == 4


def test_password_follows_the_documented_chain() -> None:
    # "Obtaining Amazon SES SMTP credentials": date, region, service, terminal, message.
    key = hmac.new(b"AWS4" + SECRET.encode(), b"11111111", hashlib.sha256).digest()
    for part in (b"eu-west-1", b"ses", b"aws4_request", b"SendRawEmail"):
        key = hmac.new(key, part, hashlib.sha256).digest()
    assert script.smtp_password(SECRET, "eu-west-1") == base64.b64encode(b"\x04" + key).decode()


def test_password_depends_on_key_and_region() -> None:
    one = script.smtp_password(SECRET, "ap-northeast-1")
    assert one != script.smtp_password(SECRET, "us-east-1")
    assert one != script.smtp_password(SECRET + "x", "ap-northeast-1")
    assert one == script.smtp_password(SECRET, "ap-northeast-1")


def test_main_turns_create_access_key_output_into_the_secret_value(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    created = {"AccessKey": {"UserName": "u", "AccessKeyId": "AKIAEXAMPLE", "SecretAccessKey": SECRET}}
    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps(created)))
    assert script.main(["--region", "ap-northeast-1"]) == 0
    value = json.loads(capsys.readouterr().out)
    assert value == {"username": "AKIAEXAMPLE", "password": script.smtp_password(SECRET, "ap-northeast-1")}
    assert SECRET not in json.dumps(value)


def test_main_refuses_other_input(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO('{"AccessKeyId": "AKIA"}'))
    assert script.main(["--region", "ap-northeast-1"]) == 2
    assert "create-access-key" in capsys.readouterr().err
