"""A local stand-in for GitLab: exactly the REST endpoints migrate/gitlab_api.py calls, and git over HTTP.

The JSON is shaped as GitLab's REST API documentation gives it ("Personal access
tokens API", "Groups API", "Projects API", "Merge requests API", "Notes API",
"Project wikis API"): the fields the migration reads, the status codes, the error
bodies (``{"message": ...}``; a token without the scope gets 403 with
``{"error": "insufficient_scope", ...}``, "REST API authentication"), and offset
pagination headers (``X-Page``, ``X-Next-Page``, ``Link``, "REST API: Pagination").
It is not GitLab: only what the migration uses, and it says 404 for anything else.

Every project is a REAL bare git repository under ``root``, served by
``git http-backend`` (CGI, "git-http-backend(1)") at ``<url>/<group>/<project>.git``
with HTTP basic auth whose password is the token, as GitLab takes it. ``protect()``
makes a branch refuse pushes with GitLab's pre-receive message;
``limit_push_size()`` sets git's ``receive.maxInputSize``, the limit GitLab's
"Maximum push size" applies.
"""

from __future__ import annotations

import base64
import itertools
import json
import os
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

PROTECTED_MESSAGE = "GitLab: You are not allowed to push code to protected branches on this project."
# Runs in the bare repository (GIT_DIR); the list of protected branches is a file beside it.
PRE_RECEIVE = f"""#!/bin/sh
while read old new ref; do
  branch="${{ref#refs/heads/}}"
  if [ "$branch" != "$ref" ] && grep -qxF "$branch" protected-branches 2>/dev/null; then
    echo "{PROTECTED_MESSAGE}" >&2
    exit 1
  fi
done
exit 0
"""
READ_SCOPES = {"api", "read_api"}
GIT_READ_SCOPES = {"api", "read_repository", "write_repository"}
GIT_WRITE_SCOPES = {"api", "write_repository"}


class HttpError(Exception):
    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(status, body)
        self.status, self.body = status, body


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


@dataclass
class FakeGitLab:
    root: Path
    tokens: dict[str, set[str]] = field(default_factory=dict)
    groups: dict[int, dict[str, Any]] = field(default_factory=dict)
    projects: dict[int, dict[str, Any]] = field(default_factory=dict)
    merge_requests: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    notes: dict[tuple[int, int], list[dict[str, Any]]] = field(default_factory=dict)
    wikis: dict[int, dict[str, dict[str, Any]]] = field(default_factory=dict)
    # (method, path) of every request, API and git, for "nothing was touched again".
    requests: list[tuple[str, str]] = field(default_factory=list)
    url: str = ""
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    _lock: threading.RLock = field(default_factory=threading.RLock)

    # --- test controls -------------------------------------------------------------

    def add_token(self, token: str, scopes: set[str] | frozenset[str] = frozenset({"api"})) -> str:
        self.tokens[token] = set(scopes)
        return token

    def repository(self, path: str) -> Path:
        return self.root / f"{path}.git"

    def protect(self, path: str, branch: str) -> None:
        """Nobody may push to ``branch`` of ``path`` (GitLab: "Allowed to push and merge: No one")."""
        with (self.repository(path) / "protected-branches").open("a", encoding="utf-8") as handle:
            handle.write(branch + "\n")

    def limit_push_size(self, path: str, max_bytes: int) -> None:
        subprocess.run(["git", "config", "receive.maxInputSize", str(max_bytes)], cwd=self.repository(path), check=True)

    def project_by_path(self, path: str) -> dict[str, Any] | None:
        return next((p for p in self.projects.values() if p["path_with_namespace"].lower() == path.lower()), None)

    def api_writes(self) -> list[tuple[str, str]]:
        return [(m, p) for m, p in self.requests if m in {"POST", "PUT", "DELETE"} and p.startswith("/api/")]

    def git_pushes(self) -> list[str]:
        return [p for m, p in self.requests if m == "POST" and p.endswith("/git-receive-pack")]

    # --- the API -------------------------------------------------------------------

    def _scopes(self, headers: Any) -> set[str]:
        token = headers.get("PRIVATE-TOKEN") or (headers.get("Authorization") or "").removeprefix("Bearer ")
        if token not in self.tokens:
            raise HttpError(401, {"message": "401 Unauthorized"})
        return self.tokens[token]

    @staticmethod
    def _need(scopes: set[str], method: str) -> None:
        allowed = READ_SCOPES if method == "GET" else {"api"}
        if not scopes & allowed:
            raise HttpError(
                403,
                {
                    "error": "insufficient_scope",
                    "error_description": "The request requires higher privileges than provided by the access token.",
                    "scope": " ".join(sorted(allowed)),
                },
            )

    def _find_group(self, ref: str) -> dict[str, Any]:
        found = next(
            (g for g in self.groups.values() if str(g["id"]) == ref or g["full_path"].lower() == ref.lower()), None
        )
        if found is None:
            raise HttpError(404, {"message": "404 Group Not Found"})
        return found

    def _find_project(self, ref: str) -> dict[str, Any]:
        found = self.projects.get(int(ref)) if ref.isdigit() else self.project_by_path(ref)
        if found is None:
            raise HttpError(404, {"message": "404 Project Not Found"})
        return found

    def _find_mr(self, project: dict[str, Any], iid: str) -> dict[str, Any]:
        found = next((m for m in self.merge_requests.get(project["id"], []) if str(m["iid"]) == iid), None)
        if found is None:
            raise HttpError(404, {"message": "404 Not found"})
        return found

    def api(  # noqa: PLR0911, PLR0912 (one route per endpoint)
        self, method: str, parts: list[str], query: dict[str, str], body: dict[str, Any], headers: Any
    ) -> Any:
        scopes = self._scopes(headers)
        if parts == ["personal_access_tokens", "self"] and method == "GET":
            return 200, {
                "id": 1,
                "name": "migration",
                "revoked": False,
                "created_at": _now(),
                "scopes": sorted(scopes),
                "user_id": 1,
                "last_used_at": _now(),
                "active": True,
                "expires_at": None,
            }
        self._need(scopes, method)
        match method, parts:
            case "GET", ["groups", ref]:
                return 200, self._find_group(ref)
            case "POST", ["groups"]:
                return 201, self._create_group(body)
            case "GET", ["projects", ref]:
                return 200, self._find_project(ref)
            case "POST", ["projects"]:
                return 201, self._create_project(body)
            case "PUT", ["projects", ref]:
                return 200, self._update_project(self._find_project(ref), body)
            case "GET", ["projects", ref, "merge_requests"]:
                found = self.merge_requests.get(self._find_project(ref)["id"], [])
                state = query.get("state", "all")
                return 200, [
                    m
                    for m in found
                    if (state == "all" or m["state"] == state)
                    and query.get("source_branch", m["source_branch"]) == m["source_branch"]
                ]
            case "POST", ["projects", ref, "merge_requests"]:
                return 201, self._create_mr(self._find_project(ref), body)
            case "GET", ["projects", ref, "merge_requests", iid, "notes"]:
                project = self._find_project(ref)
                return 200, list(self.notes.get((project["id"], self._find_mr(project, iid)["iid"]), []))
            case "POST", ["projects", ref, "merge_requests", iid, "notes"]:
                return 201, self._create_note(self._find_project(ref), iid, body)
            case "GET", ["projects", ref, "wikis", slug]:
                page = self.wikis.get(self._find_project(ref)["id"], {}).get(slug)
                if page is None:
                    raise HttpError(404, {"message": "404 Wiki Page Not Found"})
                return 200, page
            case "POST", ["projects", ref, "wikis"]:
                return 201, self._put_wiki(self._find_project(ref), None, body)
            case "PUT", ["projects", ref, "wikis", slug]:
                return 200, self._put_wiki(self._find_project(ref), slug, body)
        raise HttpError(404, {"error": "404 Not Found"})

    def _create_group(self, body: dict[str, Any]) -> dict[str, Any]:
        parent = self.groups.get(int(body["parent_id"])) if body.get("parent_id") else None
        full_path = f"{parent['full_path']}/{body['path']}" if parent else str(body["path"])
        if any(g["full_path"].lower() == full_path.lower() for g in self.groups.values()):
            raise HttpError(400, {"message": {"path": ["has already been taken"]}})
        group_id = next(self._ids)
        self.groups[group_id] = {
            "id": group_id,
            "name": body["name"],
            "path": body["path"],
            "full_name": full_path.replace("/", " / "),
            "full_path": full_path,
            "parent_id": parent["id"] if parent else None,
            "visibility": body.get("visibility", "private"),
            "web_url": f"{self.url}/groups/{full_path}",
            "created_at": _now(),
        }
        return self.groups[group_id]

    def _create_project(self, body: dict[str, Any]) -> dict[str, Any]:
        group = self.groups.get(int(body["namespace_id"]))
        if group is None:
            raise HttpError(404, {"message": "404 Namespace Not Found"})
        path = f"{group['full_path']}/{body.get('path') or body['name']}"
        if self.project_by_path(path) is not None:
            raise HttpError(400, {"message": {"path": ["has already been taken"], "name": ["has already been taken"]}})
        bare = self.repository(path)
        bare.mkdir(parents=True)
        subprocess.run(["git", "init", "--quiet", "--bare", str(bare)], check=True)
        hook = bare / "hooks" / "pre-receive"
        hook.write_text(PRE_RECEIVE, encoding="utf-8")
        hook.chmod(0o755)
        project_id = next(self._ids)
        self.projects[project_id] = {
            "id": project_id,
            "name": body["name"],
            "path": body.get("path") or body["name"],
            "path_with_namespace": path,
            "name_with_namespace": path.replace("/", " / "),
            "description": body.get("description", ""),
            # A project without commits has no default branch (null until the first push).
            "default_branch": None,
            "visibility": body.get("visibility", "private"),
            "namespace": {
                "id": group["id"],
                "name": group["name"],
                "path": group["path"],
                "kind": "group",
                "full_path": group["full_path"],
            },
            "http_url_to_repo": f"{self.url}/{path}.git",
            "web_url": f"{self.url}/{path}",
            "created_at": _now(),
        }
        return self.projects[project_id]

    def _branches(self, project: dict[str, Any]) -> set[str]:
        out = subprocess.run(
            ["git", "for-each-ref", "--format=%(refname:lstrip=2)", "refs/heads/"],
            cwd=self.repository(project["path_with_namespace"]),
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        return set(out.split())

    def _update_project(self, project: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
        if "default_branch" in body:
            if body["default_branch"] not in self._branches(project):
                raise HttpError(400, {"message": {"default_branch": ["is invalid"]}})
            subprocess.run(
                ["git", "symbolic-ref", "HEAD", f"refs/heads/{body['default_branch']}"],
                cwd=self.repository(project["path_with_namespace"]),
                check=True,
            )
        project.update({k: v for k, v in body.items() if k in {"default_branch", "description", "visibility"}})
        return project

    def _create_mr(self, project: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
        existing = self.merge_requests.setdefault(project["id"], [])
        for other in existing:
            if other["state"] == "opened" and (other["source_branch"], other["target_branch"]) == (
                body["source_branch"],
                body["target_branch"],
            ):
                raise HttpError(
                    409,
                    {"message": [f"Another open merge request already exists for this source branch: !{other['iid']}"]},
                )
        iid = len(existing) + 1
        merge_request = {
            "id": next(self._ids),
            "iid": iid,
            "project_id": project["id"],
            "title": body["title"],
            "description": body.get("description", ""),
            "state": "opened",
            "source_branch": body["source_branch"],
            "target_branch": body["target_branch"],
            "author": {"id": 1, "username": "migration"},
            "created_at": _now(),
            "web_url": f"{project['web_url']}/-/merge_requests/{iid}",
        }
        existing.append(merge_request)
        return merge_request

    def _create_note(self, project: dict[str, Any], iid: str, body: dict[str, Any]) -> dict[str, Any]:
        merge_request = self._find_mr(project, iid)
        note = {
            "id": next(self._ids),
            "body": body["body"],
            "author": {"id": 1, "username": "migration"},
            "created_at": _now(),
            "system": False,
            "noteable_id": merge_request["id"],
            "noteable_type": "MergeRequest",
            "noteable_iid": merge_request["iid"],
        }
        self.notes.setdefault((project["id"], merge_request["iid"]), []).append(note)
        return note

    def _put_wiki(self, project: dict[str, Any], slug: str | None, body: dict[str, Any]) -> dict[str, Any]:
        pages = self.wikis.setdefault(project["id"], {})
        if slug is None:
            slug = str(body["title"]).replace(" ", "-")
        elif slug not in pages:
            raise HttpError(404, {"message": "404 Wiki Page Not Found"})
        page = pages.setdefault(slug, {"slug": slug, "format": "markdown", "encoding": "UTF-8"})
        page.update({k: body[k] for k in ("title", "content", "format") if k in body})
        return page

    # --- git over HTTP -----------------------------------------------------------------

    def git(self, method: str, path: str, query: str, headers: Any, body: bytes) -> tuple[int, dict[str, str], bytes]:
        repo, _, rest = path.partition(".git/")
        project = self.project_by_path(repo.strip("/"))
        if project is None:
            raise HttpError(404, {"message": "The project you were looking for could not be found."})
        auth = headers.get("Authorization") or ""
        token = ""
        if auth.startswith("Basic "):
            token = base64.b64decode(auth.removeprefix("Basic ")).decode().partition(":")[2]
        if token not in self.tokens:
            return (
                401,
                {"WWW-Authenticate": 'Basic realm="GitLab"', "Content-Type": "text/plain"},
                b"HTTP Basic: Access denied\n",
            )
        pushing = "git-receive-pack" in rest or "service=git-receive-pack" in query
        if not self.tokens[token] & (GIT_WRITE_SCOPES if pushing else GIT_READ_SCOPES):
            return 403, {"Content-Type": "text/plain"}, b"You are not allowed to push code to this project.\n"
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "GIT_PROJECT_ROOT": str(self.root),
            "GIT_HTTP_EXPORT_ALL": "1",
            "PATH_INFO": unquote(path),
            "QUERY_STRING": query,
            "REQUEST_METHOD": method,
            "CONTENT_TYPE": headers.get("Content-Type") or "",
            "CONTENT_LENGTH": str(len(body)),
            "REMOTE_USER": "migration",  # enables receive-pack (git-http-backend(1))
            "REMOTE_ADDR": "127.0.0.1",
        }
        if headers.get("Content-Encoding"):
            env["HTTP_CONTENT_ENCODING"] = headers["Content-Encoding"]
        if headers.get("Git-Protocol"):
            env["GIT_PROTOCOL"] = headers["Git-Protocol"]
        out = subprocess.run(["git", "http-backend"], input=body, env=env, capture_output=True, check=False).stdout
        # CGI output: headers, a blank line, the body (git writes CRLF line ends).
        ends = [(i, len(sep)) for sep in (b"\r\n\r\n", b"\n\n") if (i := out.find(sep)) >= 0]
        at, length = min(ends) if ends else (len(out), 0)
        head, payload = out[:at].replace(b"\r\n", b"\n"), out[at + length :]
        status, response_headers = 200, {}
        for line in head.decode("latin-1").splitlines():
            name, _, value = line.partition(":")
            if name.lower() == "status":
                status = int(value.split()[0])
            elif name:
                response_headers[name.strip()] = value.strip()
        return status, response_headers, payload

    # --- the server ------------------------------------------------------------------------

    def handler(self) -> type[BaseHTTPRequestHandler]:
        gitlab = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _body(self) -> bytes:
                if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                    chunks = []
                    while True:
                        size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                        if size == 0:
                            self.rfile.readline()
                            return b"".join(chunks)
                        chunks.append(self.rfile.read(size))
                        self.rfile.readline()
                return self.rfile.read(int(self.headers.get("Content-Length") or 0))

            def _send(self, status: int, headers: dict[str, str], payload: bytes) -> None:
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def _json(self, status: int, data: Any, extra: dict[str, str] | None = None) -> None:
                self._send(status, {"Content-Type": "application/json", **(extra or {})}, json.dumps(data).encode())

            def _handle(self) -> None:
                split = urlsplit(self.path)
                body = self._body()
                with gitlab._lock:
                    gitlab.requests.append((self.command, split.path))
                try:
                    if split.path.startswith("/api/v4/"):
                        parts = [unquote(p) for p in split.path.removeprefix("/api/v4/").split("/") if p]
                        query = {k: v[-1] for k, v in parse_qs(split.query).items()}
                        data: dict[str, Any] = {}
                        if body:
                            if "json" in (self.headers.get("Content-Type") or ""):
                                data = json.loads(body)
                            else:
                                data = {k: v[-1] for k, v in parse_qs(body.decode()).items()}
                        with gitlab._lock:
                            status, result = gitlab.api(self.command, parts, query, data, self.headers)
                        if isinstance(result, list):
                            self._json(status, *_page(result, query, f"{gitlab.url}{split.path}"))
                        else:
                            self._json(status, result)
                    elif ".git/" in split.path:
                        self._send(*gitlab.git(self.command, split.path, split.query, self.headers, body))
                    else:
                        raise HttpError(404, {"message": "404 Not Found"})
                except HttpError as error:
                    self._json(error.status, error.body)

            do_GET = do_POST = do_PUT = do_DELETE = _handle

        return Handler


def _page(items: list[Any], query: dict[str, str], base: str) -> tuple[list[Any], dict[str, str]]:
    """Offset pagination as GitLab sends it (``page``, ``per_page`` default 20, max 100)."""
    page, per_page = int(query.get("page", 1)), min(int(query.get("per_page", 20)), 100)
    pages = max(1, -(-len(items) // per_page))
    headers = {
        "X-Page": str(page),
        "X-Per-Page": str(per_page),
        "X-Total": str(len(items)),
        "X-Total-Pages": str(pages),
        "X-Next-Page": str(page + 1) if page < pages else "",
        "X-Prev-Page": str(page - 1) if page > 1 else "",
    }
    if page < pages:
        rest = "&".join(f"{k}={v}" for k, v in query.items() if k not in {"page", "per_page"})
        headers["Link"] = f'<{base}?{rest}&page={page + 1}&per_page={per_page}>; rel="next"'
    return items[(page - 1) * per_page : page * per_page], headers


@contextmanager
def fake_gitlab(root: Path) -> Iterator[FakeGitLab]:
    """Serve a FakeGitLab on 127.0.0.1 (a free port) in a thread; stop it afterwards."""
    root.mkdir(parents=True, exist_ok=True)
    gitlab = FakeGitLab(root)
    server = ThreadingHTTPServer(("127.0.0.1", 0), gitlab.handler())
    server.daemon_threads = True
    gitlab.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, name="fake-gitlab", daemon=True)
    thread.start()
    try:
        yield gitlab
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
