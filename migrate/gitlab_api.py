"""The GitLab REST API calls the migration makes, through python-gitlab.

Endpoints (GitLab REST API docs): ``GET /personal_access_tokens/self``,
``GET /groups/:id``, ``POST /groups``, ``GET /projects/:id``, ``POST /projects``,
``PUT /projects/:id``, ``GET|POST /projects/:id/merge_requests``,
``GET|POST /projects/:id/merge_requests/:iid/notes``,
``GET|POST|PUT /projects/:id/wikis[/:slug]``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gitlab
import gitlab.exceptions

# `api` includes write_repository ("Access token scopes", GitLab docs; write_repository
# was split out of api and stays included in it): groups, projects, merge requests,
# wikis and git over HTTPS with one token.
NEEDED_SCOPES = frozenset({"api"})


class GitLabError(Exception):
    pass


@dataclass
class GitLab:
    client: gitlab.Gitlab

    @classmethod
    def connect(cls, url: str, token: str) -> GitLab:
        return cls(gitlab.Gitlab(url, private_token=token, retry_transient_errors=True, timeout=60))

    def missing_scopes(self) -> set[str]:
        try:
            token = self.client.personal_access_tokens.get("self")
        except gitlab.exceptions.GitlabError as error:
            raise GitLabError(f"the token was refused by {self.client.url}: {error}") from None
        return set(NEEDED_SCOPES - set(token.scopes))

    def project(self, path: str) -> Any | None:
        try:
            return self.client.projects.get(path)
        except gitlab.exceptions.GitlabGetError as error:
            if error.response_code == 404:
                return None
            raise GitLabError(f"reading project {path}: {error}") from None

    def _group(self, full_path: str) -> Any:
        try:
            return self.client.groups.get(full_path)
        except gitlab.exceptions.GitlabGetError as error:
            if error.response_code != 404:
                raise GitLabError(f"reading group {full_path}: {error}") from None
        parent, _, name = full_path.rpartition("/")
        data: dict[str, Any] = {"name": name, "path": name, "visibility": "private"}
        if parent:
            data["parent_id"] = self._group(parent).id
        try:
            return self.client.groups.create(data)
        except gitlab.exceptions.GitlabCreateError as error:
            raise GitLabError(f"creating group {full_path}: {error}") from None

    def ensure_project(self, path: str, description: str) -> tuple[Any, bool]:
        """The project, created private in its group (and parents) when missing; (project, created)."""
        found = self.project(path)
        if found is not None:
            return found, False
        namespace, _, name = path.rpartition("/")
        group = self._group(namespace)
        try:
            created = self.client.projects.create(
                {
                    "name": name,
                    "path": name,
                    "namespace_id": group.id,
                    "visibility": "private",
                    "description": description,
                }
            )
        except gitlab.exceptions.GitlabCreateError as error:
            raise GitLabError(f"creating project {path}: {error}") from None
        return created, True

    def set_default_branch(self, project: Any, branch: str) -> bool:
        # A project's default branch can only name a branch that exists: set after the push.
        if project.default_branch == branch:
            return False
        try:
            self.client.projects.update(project.id, {"default_branch": branch})
        except gitlab.exceptions.GitlabUpdateError as error:
            raise GitLabError(f"setting the default branch {branch}: {error}") from None
        project.default_branch = branch
        return True

    def merge_requests(self, project: Any, source_branch: str) -> list[Any]:
        return list(project.mergerequests.list(source_branch=source_branch, state="all", iterator=True))

    def create_merge_request(self, project: Any, data: dict[str, Any]) -> Any:
        try:
            return project.mergerequests.create(data)
        except gitlab.exceptions.GitlabCreateError as error:
            raise GitLabError(f"creating the merge request: {error}") from None

    def notes(self, merge_request: Any) -> list[Any]:
        return list(merge_request.notes.list(sort="asc", order_by="created_at", iterator=True))

    def add_note(self, merge_request: Any, body: str) -> None:
        try:
            merge_request.notes.create({"body": body})
        except gitlab.exceptions.GitlabCreateError as error:
            raise GitLabError(f"adding a note: {error}") from None

    def put_wiki_page(self, project: Any, slug: str, title: str, content: str) -> str:
        """``created``, ``updated`` or ``unchanged``."""
        try:
            page = project.wikis.get(slug)
        except gitlab.exceptions.GitlabGetError as error:
            if error.response_code != 404:
                raise GitLabError(f"reading wiki page {slug}: {error}") from None
            try:
                project.wikis.create({"title": title, "content": content, "format": "markdown"})
            except gitlab.exceptions.GitlabCreateError as create_error:
                raise GitLabError(f"creating wiki page {slug}: {create_error}") from None
            return "created"
        if page.content == content:
            return "unchanged"
        page.content = content
        page.title = title
        page.save()
        return "updated"
