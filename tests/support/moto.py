"""moto's AWS API emulator as a local server, for tests that need a real S3 and DynamoDB API.

The server listens on 127.0.0.1 only, on a free port, and is stopped by the
context manager whatever happens in between.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

# Services the bootstrap and the S3 backend call; the aws provider and the
# backend both take per-service endpoints.
SERVICES = ("dynamodb", "iam", "kms", "s3", "sts")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def moto_server(log: Path, account_id: str, timeout: float = 30) -> Iterator[str]:
    """Start ``moto_server`` on 127.0.0.1; yield its URL; stop it."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    # Requests without an assumed role land in this account (moto's default is 123456789012).
    env = {**os.environ, "MOTO_ACCOUNT_ID": account_id}
    with log.open("w", encoding="utf-8") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=output,
            stderr=subprocess.STDOUT,
            env=env,
        )
        try:
            deadline = time.monotonic() + timeout
            while True:
                if process.poll() is not None:
                    raise RuntimeError(f"moto_server exited with {process.returncode}:\n{log.read_text()}")
                try:
                    with urllib.request.urlopen(f"{url}/moto-api/", timeout=2):
                        break
                except (urllib.error.URLError, ConnectionError):
                    if time.monotonic() > deadline:
                        raise TimeoutError(f"moto_server did not answer on {url} within {timeout}s") from None
                    time.sleep(0.2)
            yield url
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


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
