"""git for real: fetch from CodeCommit, push to GitLab, compare refs with ``git ls-remote``.

Where the remotes are is decided by a ``Remotes`` object only, so tests point both
ends at local bare repositories without touching anything else.
"""

from __future__ import annotations

import base64
import os
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit

# Refs that move: branches and tags. CodeCommit has no other namespaces worth moving
# (pull request refs are recreated as merge requests).
REF_PREFIXES = ("refs/heads/", "refs/tags/")


class GitError(Exception):
    pass


class Remotes(Protocol):
    def codecommit(self, region: str, repository: str) -> str: ...
    def gitlab(self, path: str) -> str: ...


@dataclass(frozen=True)
class DefaultRemotes:
    """``codecommit::<region>://<repo>`` (git-remote-codecommit: SSO and assumed roles
    work, no static Git credentials) and GitLab over HTTPS."""

    gitlab_url: str

    def codecommit(self, region: str, repository: str) -> str:
        return f"codecommit::{region}://{repository}"

    def gitlab(self, path: str) -> str:
        return f"{self.gitlab_url.rstrip('/')}/{path}.git"


@dataclass
class Git:
    """Runs git with credentials in the environment only (never in argv or a file)."""

    env: Mapping[str, str] = field(default_factory=dict)
    timeout: float = 3600

    @classmethod
    def for_gitlab(cls, gitlab_url: str, token: str, aws_env: Mapping[str, str]) -> Git:
        # An http.<url>.extraHeader set through GIT_CONFIG_* is visible to this git
        # process only (git-config(1), "ENVIRONMENT"); GitLab takes a personal access
        # token as the password of HTTP basic auth with any user name, e.g. oauth2.
        header = base64.b64encode(f"oauth2:{token}".encode()).decode()
        parts = urlsplit(gitlab_url)
        env = {
            **aws_env,
            "GIT_CONFIG_COUNT": "1",
            "GIT_CONFIG_KEY_0": f"http.{parts.scheme}://{parts.netloc}/.extraHeader",
            "GIT_CONFIG_VALUE_0": f"Authorization: Basic {header}",
        }
        return cls(env)

    def run(self, *args: str, cwd: Path | None = None, check: bool = True) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, **self.env, "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"}
        result = subprocess.run(
            ["git", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=self.timeout, check=False
        )
        if check and result.returncode != 0:
            raise GitError(f"git {args[0]}: {result.stderr.strip() or result.stdout.strip()}")
        return result

    def ls_remote(self, url: str) -> dict[str, str]:
        """ref -> SHA of branches and tags (peeled ``^{}`` lines left out: the tag object's SHA is compared)."""
        out = self.run("ls-remote", "--refs", url, *(f"{p}*" for p in REF_PREFIXES)).stdout
        refs = {}
        for line in out.splitlines():
            sha, ref = line.split("\t", 1)
            if ref.startswith(REF_PREFIXES):
                refs[ref] = sha
        return refs

    def fetch_all(self, cache: Path, url: str) -> None:
        if not (cache / "HEAD").exists():
            cache.mkdir(parents=True, exist_ok=True)
            self.run("init", "--quiet", "--bare", str(cache))
        self.run(
            "fetch",
            "--quiet",
            "--prune",
            "--no-tags",
            url,
            "+refs/heads/*:refs/heads/*",
            "+refs/tags/*:refs/tags/*",
            cwd=cache,
        )

    def size_kib(self, cache: Path) -> int:
        stats = dict(
            line.split(": ", 1)
            for line in self.run("count-objects", "-v", cwd=cache).stdout.splitlines()
            if ": " in line
        )
        return int(stats.get("size", 0)) + int(stats.get("size-pack", 0))

    def first_parent_chain(self, cache: Path, sha: str, since: str | None) -> list[str]:
        """Commits of ``sha`` not reachable from ``since`` (or all), oldest first, first parents only."""
        spec = [sha] if since is None else [sha, f"^{since}"]
        out = self.run("rev-list", "--reverse", "--first-parent", *spec, cwd=cache).stdout
        return out.split()

    def is_commit(self, cache: Path, sha: str) -> bool:
        return self.run("cat-file", "-e", f"{sha}^{{commit}}", cwd=cache, check=False).returncode == 0

    def push(self, cache: Path, url: str, refspecs: list[str]) -> dict[str, str]:
        """Push; ref -> error for every ref the remote refused (``--porcelain`` lines)."""
        result = self.run("push", "--porcelain", url, *refspecs, cwd=cache, check=False)
        refused: dict[str, str] = {}
        for line in result.stdout.splitlines():
            if line.startswith("!\t"):
                _, refs, reason = line.split("\t", 2)
                refused[refs.split(":", 1)[1]] = reason
        if result.returncode != 0 and not refused:
            message = " ".join(line.strip() for line in result.stderr.splitlines() if line.strip())
            for spec in refspecs:
                refused[spec.split(":", 1)[1]] = message or f"git push exited {result.returncode}"
        remote_lines = [line.removeprefix("remote: ").strip() for line in result.stderr.splitlines()]
        # GitLab's own refusals start with "GitLab:" (pre-receive); git's receive.maxInputSize,
        # which GitLab's maximum push size sets, says "fatal: pack exceeds maximum allowed size".
        detail = "; ".join(
            line
            for line in remote_lines
            if line and ("error" in line.lower() or "GitLab" in line or line.startswith("fatal:"))
        )
        if detail:
            refused = {ref: f"{reason} ({detail})" for ref, reason in refused.items()}
        return refused
