"""The TLS certificate the CodeConnections host trusts for GitLab, checked at load.

A host with a VPC configuration takes "the public key of the certificate" of the
provider when a private CA issued it (``TlsCertificate`` of ``VpcConfiguration``,
AWS CodeConnections API Reference; "Create a host", Developer Tools console User
Guide): PEM text, at most 16384 characters. A private key, a bundle with other
PEM blocks or text the API would refuse at apply time is refused here instead.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Annotated

from pydantic import AfterValidator

from config.types import problem

# VpcConfiguration.TlsCertificate: "Length Constraints: Minimum length of 1.
# Maximum length of 16384." (AWS CodeConnections API Reference).
MAX_TLS_CERTIFICATE_LENGTH = 16384

_BLOCK = re.compile(r"-----BEGIN ([A-Z0-9 ]+)-----\s*(.*?)\s*-----END \1-----", re.DOTALL)
_HINT = (
    "paste the certificate GitLab presents (or its issuing CA's), from -----BEGIN CERTIFICATE----- to "
    "-----END CERTIFICATE-----, e.g. the output of openssl x509 -in gitlab.crt; never a private key"
)


def _tls_certificate(value: str) -> str:
    text = value.strip()
    blocks = list(_BLOCK.finditer(text))
    if not blocks:
        raise problem("tls_certificate", "not a PEM certificate", _HINT)
    kinds = sorted({block.group(1) for block in blocks if block.group(1) != "CERTIFICATE"})
    if kinds:
        raise problem(
            "tls_certificate_kind",
            "holds a PEM {kinds} block; only CERTIFICATE blocks are accepted",
            _HINT,
            kinds=", ".join(kinds),
        )
    leftover = _BLOCK.sub("", text).strip()
    if leftover:
        raise problem("tls_certificate_text", "has text outside its CERTIFICATE blocks", _HINT)
    for block in blocks:
        try:
            base64.b64decode("".join(block.group(2).split()), validate=True)
        except (binascii.Error, ValueError):
            raise problem("tls_certificate_base64", "a CERTIFICATE block is not base64", _HINT) from None
    normalized = "\n".join(
        f"-----BEGIN CERTIFICATE-----\n{block.group(2).strip()}\n-----END CERTIFICATE-----" for block in blocks
    )
    if len(normalized) + 1 > MAX_TLS_CERTIFICATE_LENGTH:
        raise problem(
            "tls_certificate_length",
            "the certificate has {length} characters, more than CodeConnections accepts",
            f"at most {MAX_TLS_CERTIFICATE_LENGTH} characters: give the certificate GitLab presents or its "
            "issuing CA's, not a whole trust store",
            length=len(normalized) + 1,
        )
    return normalized + "\n"


CodeConnectionsTlsCertificate = Annotated[str, AfterValidator(_tls_certificate)]
