"""The CodeCommit and CodeStar Notifications calls moto lacks, answered in process.

moto 5.2.5 (requirements-dev.txt) implements CodeCommit's CreateRepository,
GetRepository and DeleteRepository, and CodePipeline and CodeBuild as the migration
uses them (CreatePipeline, GetPipeline, ListPipelines; CreateProject, ListProjects,
BatchGetProjects): those go to the moto server. It has no ListRepositories, pull
requests, comments, approval rule templates or triggers, and no CodeStar
Notifications at all: ``FakeCodeCommit`` answers those from its own state through a
botocore ``before-call`` hook on each client (the documented way to short-circuit a
call, as botocore's Stubber does), after checking that every key it returns is a
member of the operation's output shape in botocore's service model, so the responses
have the shape the real API gives. GetRepository gets the repository's default branch
added (moto does not know the git contents; CodeCommit sets it on the first push).
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.awsrequest import AWSResponse
from botocore.model import OperationModel, Shape

from migrate.aws import Aws

START = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


def conform(shape: Shape | None, value: Any, where: str) -> None:
    """Raise AssertionError when ``value`` has a key the shape does not define."""
    if shape is None:
        return
    if shape.type_name == "structure":
        assert isinstance(value, dict), f"{where}: expected a structure"
        for key, child in value.items():
            assert key in shape.members, f"{where}: {key} is not in {shape.name}"  # type: ignore[attr-defined]
            conform(shape.members[key], child, f"{where}.{key}")  # type: ignore[attr-defined]
    elif shape.type_name == "list":
        assert isinstance(value, list), f"{where}: expected a list"
        for n, child in enumerate(value):
            conform(shape.member, child, f"{where}[{n}]")  # type: ignore[attr-defined]
    elif shape.type_name == "timestamp":
        assert isinstance(value, datetime), f"{where}: expected a datetime"


@dataclass
class PullRequest:
    id: str
    repository: str
    title: str
    description: str
    source: str
    target: str
    author: str
    created: datetime
    status: str = "OPEN"
    merged: bool = False
    comments: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class FakeCodeCommit:
    account_id: str
    region: str
    repositories: dict[str, dict[str, Any]] = field(default_factory=dict)
    pull_requests: dict[str, PullRequest] = field(default_factory=dict)
    _ids: Any = field(default_factory=lambda: itertools.count(1))
    _pr_ids: Any = field(default_factory=lambda: itertools.count(1))

    # --- the account -------------------------------------------------------------

    def add_repository(self, client: Any, name: str, description: str = "", default_branch: str | None = None) -> None:
        client.create_repository(repositoryName=name, repositoryDescription=description)
        self.repositories[name] = {"default_branch": default_branch, "triggers": [], "templates": [], "rules": []}

    def remove_repository(self, client: Any, name: str) -> None:
        client.delete_repository(repositoryName=name)
        del self.repositories[name]

    def add_pull_request(  # noqa: PLR0917
        self,
        repository: str,
        title: str,
        source: str,
        target: str = "main",
        description: str = "",
        author: str = "alice",
        status: str = "OPEN",
        merged: bool = False,
    ) -> PullRequest:
        pr_id = str(next(self._pr_ids))
        created = START + timedelta(hours=int(pr_id))
        pr = PullRequest(pr_id, repository, title, description, source, target, author, created, status, merged)
        self.pull_requests[pr_id] = pr
        return pr

    def comment(self, pr: PullRequest, content: str, author: str = "bob", file_path: str | None = None) -> str:
        comment_id = f"c{next(self._ids)}"
        pr.comments.append(
            {
                "commentId": comment_id,
                "content": content,
                "authorArn": f"arn:aws:sts::{self.account_id}:assumed-role/Developer/{author}",
                "creationDate": pr.created + timedelta(minutes=len(pr.comments) + 1),
                "deleted": False,
                "file_path": file_path,
            }
        )
        return comment_id

    # --- the hook ------------------------------------------------------------------

    def _error(self, code: str, message: str) -> tuple[AWSResponse, dict[str, Any]]:
        parsed = {"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": 400}}
        return AWSResponse("https://fake", 400, {}, None), parsed  # type: ignore[arg-type]

    def _repository(self, params: dict[str, Any]) -> dict[str, Any] | None:
        return self.repositories.get(params.get("repositoryName", ""))

    def _pr_body(self, pr: PullRequest) -> dict[str, Any]:
        return {
            "pullRequestId": pr.id,
            "title": pr.title,
            "description": pr.description,
            "pullRequestStatus": pr.status,
            "creationDate": pr.created,
            "lastActivityDate": pr.created,
            "authorArn": f"arn:aws:sts::{self.account_id}:assumed-role/Developer/{pr.author}",
            "pullRequestTargets": [
                {
                    "repositoryName": pr.repository,
                    "sourceReference": f"refs/heads/{pr.source}",
                    "destinationReference": f"refs/heads/{pr.target}",
                    "mergeMetadata": {"isMerged": pr.merged},
                }
            ],
        }

    def answer(self, operation: str, params: dict[str, Any]) -> dict[str, Any] | tuple[AWSResponse, dict[str, Any]]:  # noqa: PLR0911
        repository = self._repository(params)
        if operation == "ListRepositories":
            return {"repositories": [{"repositoryName": n} for n in sorted(self.repositories)]}
        if operation == "ListNotificationRules":
            arns = {f["Value"] for f in params.get("Filters", []) if f["Name"] == "RESOURCE"}
            rules = [
                {"Arn": rule, "Id": rule.rsplit("/", 1)[-1]}
                for name, repo in self.repositories.items()
                if f"arn:aws:codecommit:{self.region}:{self.account_id}:{name}" in arns
                for rule in repo["rules"]
            ]
            return {"NotificationRules": rules}
        if operation == "GetPullRequest":
            pr = self.pull_requests.get(params["pullRequestId"])
            if pr is None:
                return self._error("PullRequestDoesNotExistException", f"{params['pullRequestId']} does not exist")
            return {"pullRequest": self._pr_body(pr)}
        if repository is None:
            name = params.get("repositoryName")
            return self._error("RepositoryDoesNotExistException", f"{name} does not exist")
        name = params["repositoryName"]
        if operation == "ListPullRequests":
            return {
                "pullRequestIds": [
                    pr.id
                    for pr in self.pull_requests.values()
                    if pr.repository == name and pr.status == params.get("pullRequestStatus", pr.status)
                ]
            }
        if operation == "GetCommentsForPullRequest":
            pr = self.pull_requests[params["pullRequestId"]]
            threads = []
            for comment in pr.comments:
                body = {k: v for k, v in comment.items() if k != "file_path"}
                thread: dict[str, Any] = {"pullRequestId": pr.id, "repositoryName": name, "comments": [body]}
                if comment["file_path"]:
                    thread["location"] = {
                        "filePath": comment["file_path"],
                        "filePosition": 1,
                        "relativeFileVersion": "AFTER",
                    }
                threads.append(thread)
            return {"commentsForPullRequestData": threads}
        if operation == "ListAssociatedApprovalRuleTemplatesForRepository":
            return {"approvalRuleTemplateNames": list(repository["templates"])}
        if operation == "GetRepositoryTriggers":
            return {"configurationId": "fake", "triggers": list(repository["triggers"])}
        raise AssertionError(f"FakeCodeCommit does not answer {operation}")

    OPERATIONS = (
        "codecommit.ListRepositories",
        "codecommit.ListPullRequests",
        "codecommit.GetPullRequest",
        "codecommit.GetCommentsForPullRequest",
        "codecommit.ListAssociatedApprovalRuleTemplatesForRepository",
        "codecommit.GetRepositoryTriggers",
        "codestar-notifications.ListNotificationRules",
    )

    def attach(self, client: Any) -> None:
        events = client.meta.events

        def before(model: OperationModel, params: dict[str, Any], **_: Any) -> Any:
            # ``params`` is the serialized request: both services send a JSON body.
            body = params.get("body") or b"{}"
            result = self.answer(model.name, json.loads(body.decode() if isinstance(body, bytes) else body))
            if isinstance(result, tuple):
                return result
            conform(model.output_shape, result, model.name)
            return AWSResponse("https://fake", 200, {}, None), {**result, "ResponseMetadata": {"HTTPStatusCode": 200}}  # type: ignore[arg-type]

        def after_get_repository(parsed: dict[str, Any], **_: Any) -> None:
            metadata = parsed.get("repositoryMetadata", {})
            known = self.repositories.get(metadata.get("repositoryName", ""))
            if known and known["default_branch"]:
                metadata["defaultBranch"] = known["default_branch"]

        for operation in self.OPERATIONS:
            events.register(f"before-call.{operation}", before)
        events.register("after-call.codecommit.GetRepository", after_get_repository)


@dataclass
class StubbedAws(Aws):
    """``Aws`` whose clients go to moto, except for the calls ``fake`` answers."""

    fake: FakeCodeCommit | None = None

    def client(self, service: str) -> Any:
        client = super().client(service)
        if self.fake is not None:
            self.fake.attach(client)
        return client
