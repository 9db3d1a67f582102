"""moto's AWS API emulator as a local server, for tests that need a real S3 and DynamoDB API.

The server listens on 127.0.0.1 only, on a free port, and is stopped by the
context manager whatever happens in between.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# Services the bootstrap and the S3 backend call; the aws provider and the
# backend both take per-service endpoints.
SERVICES = ("dynamodb", "iam", "kms", "s3", "sts")


def provider_endpoints(url: str) -> dict[str, Any]:
    """aws provider arguments that send every call to the emulator."""
    return {"endpoints": [dict.fromkeys(SERVICES, url)], "s3_use_path_style": True}


def backend_endpoints(url: str) -> dict[str, Any]:
    """S3 backend settings (backend.tf.json keys) that send state and lock calls to the emulator."""
    return {
        "endpoints": dict.fromkeys(("dynamodb", "iam", "s3", "sts"), url),
        "use_path_style": True,
        "skip_credentials_validation": True,
        "skip_requesting_account_id": True,
        "skip_metadata_api_check": True,
    }


def client(service: str, url: str, region: str, credentials: Mapping[str, str]) -> Any:
    import boto3

    return boto3.client(
        service,
        endpoint_url=url,
        region_name=region,
        aws_access_key_id=credentials["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=credentials["AWS_SECRET_ACCESS_KEY"],
    )
