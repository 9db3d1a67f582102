"""moto's AWS API emulator as a local server on 127.0.0.1, on a free port: used by
the rehearsal (scripts/rehearse.py) and by the tests that need a real AWS API."""

from __future__ import annotations

import importlib.util
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


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def moto_server(
    log: Path,
    account_id: str,
    timeout: float = 30,
    settings: Mapping[str, str] | None = None,
    requests: Path | None = None,
) -> Iterator[str]:
    """Start moto's server on 127.0.0.1 (its output in ``log``); yield its URL; stop it
    whatever happens in between. ``settings``: more ``MOTO_*`` environment variables;
    ``requests``: a JSON line per request there (scripts/moto_logged.py)."""
    missing = [name for name in ("moto", "werkzeug", "flask") if importlib.util.find_spec(name) is None]
    if missing:
        raise RuntimeError(
            f"{sys.executable} has no {', '.join(missing)} (moto[server], requirements-dev.txt): "
            "run `make setup` and use .venv/bin/python, as `make rehearse` does"
        )
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    # Requests without an assumed role land in this account (moto's default is 123456789012).
    env = {**os.environ, "MOTO_ACCOUNT_ID": account_id, **(settings or {})}
    with log.open("w", encoding="utf-8") as output:
        command = (
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]
            if requests is None
            else [sys.executable, "-m", "scripts.moto_logged", "127.0.0.1", str(port), str(requests.resolve())]
        )
        process = subprocess.Popen(
            command,
            cwd=Path(__file__).resolve().parent.parent,
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
            except BaseException:  # no answer in time, or a second signal (the rehearsal's): no more grace
                process.kill()
                process.wait(timeout=10)
