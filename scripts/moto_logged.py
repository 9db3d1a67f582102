"""moto's server with a request log: ``python -m scripts.moto_logged HOST PORT LOG``.

The same application and request handler as ``python -m moto.server`` (threaded, as
moto's own start), wrapped so that every request leaves one JSON line in ``LOG``: when
it arrived and how long it took, the thread, the API (``X-Amz-Target`` or the query
protocol's ``Action``), the status, a digest of the body, and the body itself with the
answer when moto refused or failed it. Werkzeug's own line names only ``POST /``, which
cannot tell a request the SDK sent twice (its retry after a lost answer: the same
digest twice) from one that moto refused the first time.
"""

from __future__ import annotations

import hashlib
import io
import json
import sys
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import IO, Any
from urllib.parse import parse_qs

Environ = dict[str, Any]
StartResponse = Callable[..., Any]
Application = Callable[[Environ, StartResponse], Iterable[bytes]]

# Enough of a refused request's body and answer to read the parameters and moto's message.
EXCERPT = 4000


def api(environ: Environ, body: bytes) -> str:
    """The API a request calls: JSON protocols name it in X-Amz-Target, query protocols
    (EC2, IAM, ...) in the form's Action; REST protocols by method and path."""
    target = environ.get("HTTP_X_AMZ_TARGET")
    if target:
        return str(target)
    if environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded"):
        action = parse_qs(body.decode("utf-8", "replace")).get("Action")
        if action:
            return action[0]
    query = environ.get("QUERY_STRING")
    return f"{environ.get('REQUEST_METHOD')} {environ.get('PATH_INFO')}" + (f"?{query}" if query else "")


class RequestLog:
    """WSGI middleware: one JSON line per request in ``output`` (thread-safe)."""

    def __init__(self, app: Application, output: IO[str]):
        self.app = app
        self.output = output
        self.lock = threading.Lock()

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)
        started = time.time()
        status: list[str] = []

        def recording(status_line: str, headers: Any, *args: Any) -> Any:
            status.append(status_line)
            return start_response(status_line, headers, *args)

        answer = b""
        try:
            chunks = list(self.app(environ, recording))
            answer = b"".join(chunks)
            return chunks
        finally:
            code = int(status[0].split()[0]) if status else 500
            line: dict[str, Any] = {
                "at": round(started, 3),
                "ms": round((time.time() - started) * 1000),
                "thread": threading.get_ident(),
                "api": api(environ, body),
                "status": code,
                "body_sha1": hashlib.sha1(body).hexdigest()[:12],
            }
            if code >= 400:
                line["body"] = body[:EXCERPT].decode("utf-8", "replace")
                line["answer"] = answer[:EXCERPT].decode("utf-8", "replace")
            with self.lock:
                self.output.write(json.dumps(line) + "\n")
                self.output.flush()


def main(argv: list[str]) -> None:
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
    from werkzeug.serving import run_simple

    host, port, log = argv
    app = DomainDispatcherApplication(create_backend_app)
    app.debug = True  # as moto.server's main
    with Path(log).open("w", encoding="utf-8") as output:
        run_simple(host, int(port), RequestLog(app, output), threaded=True, request_handler=MotoRequestHandler)


if __name__ == "__main__":
    main(sys.argv[1:])
