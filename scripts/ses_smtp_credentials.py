"""Turn an IAM access key into Amazon SES SMTP credentials for GitLab's SMTP secret.

Reads the JSON of ``aws iam create-access-key`` on standard input and prints
``{"username": <access key ID>, "password": <SMTP password>}``, the shape GitLab's
task reads from the secret, so that the key never lands in a file, an argument
list or Terraform state (docs/runbooks.md, "Mail: SMTP credentials")::

    aws iam create-access-key --user-name "$SMTP_USER" --output json \\
      | python3 scripts/ses_smtp_credentials.py --region ap-northeast-1 \\
      | aws secretsmanager put-secret-value --secret-id "$SMTP_SECRET" --secret-string file:///dev/stdin

The derivation is the one in "Obtaining Amazon SES SMTP credentials" (SES Developer
Guide): an HMAC-SHA256 chain over fixed values, keyed with the secret access key,
prefixed with version byte 4 and base64-encoded. The password is region-specific.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import json
import sys
from typing import Any

# Fixed inputs of SES's derivation.
DATE = "11111111"
SERVICE = "ses"
TERMINAL = "aws4_request"
MESSAGE = "SendRawEmail"
VERSION = 0x04


def _sign(key: bytes, message: str) -> bytes:
    return hmac.new(key, message.encode("utf-8"), hashlib.sha256).digest()


def smtp_password(secret_access_key: str, region: str) -> str:
    """The SES SMTP password of ``secret_access_key`` for ``region``."""
    signature = _sign(("AWS4" + secret_access_key).encode("utf-8"), DATE)
    for part in (region, SERVICE, TERMINAL, MESSAGE):
        signature = _sign(signature, part)
    return base64.b64encode(bytes([VERSION]) + signature).decode("ascii")


def credentials(create_access_key_output: dict[str, Any], region: str) -> dict[str, str]:
    """The secret's value from the output of ``aws iam create-access-key``."""
    key = create_access_key_output["AccessKey"]
    return {"username": key["AccessKeyId"], "password": smtp_password(key["SecretAccessKey"], region)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--region", required=True, help="region of the SES SMTP endpoint GitLab uses")
    args = parser.parse_args(argv)
    try:
        value = credentials(json.load(sys.stdin), args.region)
    except (ValueError, KeyError, TypeError):
        print("expected the JSON output of `aws iam create-access-key` on standard input", file=sys.stderr)
        return 2
    json.dump(value, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
