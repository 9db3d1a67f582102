"""gitlab.certificate.codeconnections_tls_certificate: the host's TLS certificate, checked at load."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from config.certificates import MAX_TLS_CERTIFICATE_LENGTH
from config.errors import ConfigError
from config.loader import load_environments
from tests.test_config import TOOLING

CERTIFICATE = "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIU\n-----END CERTIFICATE-----"
CA = "-----BEGIN CERTIFICATE-----\nMIIBrDCCAVKgAwIBAgIUCA==\n-----END CERTIFICATE-----"
KEY = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkq\n-----END PRIVATE KEY-----"
EXISTING = "existing_arn: arn:aws:acm:ap-northeast-1:111111111111:certificate/00000000-0000-0000-0000-00000000000a"
FIELD = "gitlab.certificate.codeconnections_tls_certificate"


def tooling(pem: str, certificate: str = EXISTING) -> str:
    assert "  certificate: {dns_validation_zone_id: Z0123456789EXAMPLE}\n" in TOOLING
    block = textwrap.indent(pem, " " * 6)
    section = f"  certificate:\n    {certificate}\n    codeconnections_tls_certificate: |\n{block}\n"
    return TOOLING.replace("  certificate: {dns_validation_zone_id: Z0123456789EXAMPLE}\n", section)


def load(tmp_path: Path, text: str) -> str | None:
    directory = tmp_path / "e"
    directory.mkdir()
    (directory / "tooling.yaml").write_text(text, encoding="utf-8")
    gitlab = load_environments(directory).tooling.gitlab
    assert gitlab is not None
    return gitlab.certificate.codeconnections_tls_certificate


def problems(tmp_path: Path, text: str) -> list[str]:
    directory = tmp_path / "e"
    directory.mkdir()
    (directory / "tooling.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_environments(directory, display_root=tmp_path)
    return [str(p) for p in caught.value.problems]


def test_default_is_none(tmp_path: Path) -> None:
    directory = tmp_path / "e"
    directory.mkdir()
    (directory / "tooling.yaml").write_text(TOOLING, encoding="utf-8")
    gitlab = load_environments(directory).tooling.gitlab
    assert gitlab is not None and gitlab.certificate.codeconnections_tls_certificate is None


def test_a_certificate_is_kept_as_pem_text(tmp_path: Path) -> None:
    assert load(tmp_path, tooling(CERTIFICATE)) == CERTIFICATE + "\n"


def test_a_chain_of_certificates_is_kept(tmp_path: Path) -> None:
    assert load(tmp_path, tooling(f"{CERTIFICATE}\n{CA}")) == f"{CERTIFICATE}\n{CA}\n"


@pytest.mark.parametrize(
    ("pem", "message"),
    [
        ("not-a-pem", "not a PEM certificate"),
        (KEY, "holds a PEM PRIVATE KEY block; only CERTIFICATE blocks are accepted"),
        (f"{CERTIFICATE}\n{KEY}", "holds a PEM PRIVATE KEY block"),
        (f"subject=CN=gitlab\n{CERTIFICATE}", "has text outside its CERTIFICATE blocks"),
        ("-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----", "is not base64"),
    ],
)
def test_only_certificate_blocks(tmp_path: Path, pem: str, message: str) -> None:
    (found,) = problems(tmp_path, tooling(pem))
    assert found.startswith(f"e/tooling.yaml: {FIELD}: "), found
    assert message in found
    assert "hint: paste the certificate GitLab presents" in found


def test_longer_than_the_api_accepts(tmp_path: Path) -> None:
    assert MAX_TLS_CERTIFICATE_LENGTH == 16384  # VpcConfiguration.TlsCertificate, API Reference
    body = "\n".join(["A" * 64] * 260)  # 16 900 characters of base64
    (found,) = problems(tmp_path, tooling(f"-----BEGIN CERTIFICATE-----\n{body}\n-----END CERTIFICATE-----"))
    assert f"{FIELD}: the certificate has" in found and "more than CodeConnections accepts" in found
    assert f"at most {MAX_TLS_CERTIFICATE_LENGTH} characters" in found


def test_refused_with_a_certificate_of_a_public_ca(tmp_path: Path) -> None:
    (found,) = problems(tmp_path, tooling(CERTIFICATE, certificate="dns_validation_zone_id: Z0123456789EXAMPLE"))
    assert f"{FIELD}: set for a certificate that ACM issues by DNS validation" in found
    assert "hint: remove it (the host trusts public CAs)" in found
