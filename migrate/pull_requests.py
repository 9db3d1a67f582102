"""``pull-requests``: open CodeCommit pull requests become merge requests; closed ones an archive.

Closed and merged pull requests go to one wiki page per project, not into the
repository: a commit on a mirrored branch would make GitLab differ from CodeCommit
before the cut-over (the ref-by-ref verification would fail and the next mirror run
could not fast-forward). The wiki is a git repository of its own, versioned,
searchable and shown beside the project.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import botocore.exceptions

from config.migration import Plan
from migrate.aws import Aws, paginate
from migrate.gitlab_api import GitLab, GitLabError
from migrate.report import Report

ARCHIVE_SLUG = "codecommit-pull-requests"


def marker(repository: str, pr_id: str) -> str:
    """Hidden in the description: the merge request's identity across re-runs."""
    return f"<!-- codecommit-pull-request: {repository}#{pr_id} -->"


def note_marker(comment_id: str) -> str:
    return f"<!-- codecommit-comment: {comment_id} -->"


def console_url(region: str, repository: str, pr_id: str) -> str:
    return (
        f"https://{region}.console.aws.amazon.com/codesuite/codecommit/repositories/{repository}/pull-requests/{pr_id}"
    )


def _when(value: Any) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value)


def _author(arn: str) -> str:
    return arn.rsplit("/", 1)[-1] if arn else "unknown"


def comments(codecommit: Any, repository: str, pr_id: str) -> list[dict[str, Any]]:
    threads = paginate(
        codecommit.get_comments_for_pull_request,
        "commentsForPullRequestData",
        pullRequestId=pr_id,
        repositoryName=repository,
    )
    found = []
    for thread in threads:
        location = thread.get("location")
        for comment in thread.get("comments", []):
            if not comment.get("deleted"):
                found.append({**comment, "location": location})
    return sorted(found, key=lambda c: (c["creationDate"], c["commentId"]))


def _comment_text(comment: dict[str, Any]) -> str:
    where = comment.get("location")
    at = f" on `{where['filePath']}` line {where.get('filePosition')}" if where else ""
    reply = f" (in reply to {comment['inReplyTo']})" if comment.get("inReplyTo") else ""
    head = f"**{_author(comment.get('authorArn', ''))}** wrote on {_when(comment['creationDate'])}{at}{reply}:"
    return f"{head}\n\n{comment.get('content', '')}"


def description(pr: dict[str, Any], repository: str, region: str) -> str:
    pr_id = pr["pullRequestId"]
    return (
        f"{pr.get('description') or ''}\n\n---\n"
        f"Moved from CodeCommit pull request [{repository}#{pr_id}]({console_url(region, repository, pr_id)}), "
        f"opened by **{_author(pr.get('authorArn', ''))}** on {_when(pr['creationDate'])}.\n"
        f"{marker(repository, pr_id)}"
    )


def archive(repository: str, region: str, closed: list[tuple[dict[str, Any], list[dict[str, Any]]]]) -> str:
    lines = [f"# CodeCommit pull requests of {repository} (closed and merged)", ""]
    lines.append("Exported by `python -m migrate pull-requests`; CodeCommit is no longer the source.")
    for pr, notes in closed:
        target = pr["pullRequestTargets"][0]
        merged = target.get("mergeMetadata", {}).get("isMerged")
        lines += [
            "",
            f"## #{pr['pullRequestId']} {pr['title']} ({'merged' if merged else 'closed'})",
            "",
            f"- {target['sourceReference'].removeprefix('refs/heads/')} → "
            f"{target['destinationReference'].removeprefix('refs/heads/')}",
            f"- opened by {_author(pr.get('authorArn', ''))} on {_when(pr['creationDate'])}",
            f"- [in CodeCommit]({console_url(region, repository, pr['pullRequestId'])})",
            "",
            pr.get("description") or "",
        ]
        for comment in notes:
            lines += ["", "> " + _comment_text(comment).replace("\n", "\n> ")]
    return "\n".join(lines) + "\n"


def pull_requests(plan: Plan, *, aws: Aws, gitlab: GitLab, dry_run: bool, report: Report) -> None:  # noqa: PLR0912
    codecommit = aws.client("codecommit")
    for name, planned in plan.repositories.items():
        if not planned.migrate:
            continue
        try:
            project = gitlab.project(planned.gitlab)
            if project is None:
                report.add(name, "error", f"{name}: GitLab project {planned.gitlab} does not exist; run mirror first")
                continue
            created = notes_added = 0
            open_ids = paginate(
                codecommit.list_pull_requests, "pullRequestIds", repositoryName=name, pullRequestStatus="OPEN"
            )
            closed_ids = paginate(
                codecommit.list_pull_requests, "pullRequestIds", repositoryName=name, pullRequestStatus="CLOSED"
            )
            problems = []
            for pr_id in sorted(open_ids, key=int):
                pr = codecommit.get_pull_request(pullRequestId=pr_id)["pullRequest"]
                target = pr["pullRequestTargets"][0]
                source_branch = target["sourceReference"].removeprefix("refs/heads/")
                existing = [
                    mr
                    for mr in gitlab.merge_requests(project, source_branch)
                    if marker(name, pr_id) in (mr.description or "")
                ]
                if existing:
                    merge_request = existing[0]
                elif dry_run:
                    created += 1
                    continue
                else:
                    try:
                        merge_request = gitlab.create_merge_request(
                            project,
                            {
                                "source_branch": source_branch,
                                "target_branch": target["destinationReference"].removeprefix("refs/heads/"),
                                "title": pr["title"],
                                "description": description(pr, name, plan.region),
                            },
                        )
                    except GitLabError as error:
                        problems.append(f"pull request {pr_id}: {error}")
                        continue
                    created += 1
                have = {note_marker_id(n.body) for n in gitlab.notes(merge_request)}
                for comment in comments(codecommit, name, pr_id):
                    if comment["commentId"] in have:
                        continue
                    notes_added += 1
                    if not dry_run:
                        gitlab.add_note(
                            merge_request, f"{_comment_text(comment)}\n\n{note_marker(comment['commentId'])}"
                        )
            closed = [codecommit.get_pull_request(pullRequestId=i)["pullRequest"] for i in sorted(closed_ids, key=int)]
            page = "none"
            if closed:
                content = archive(
                    name, plan.region, [(pr, comments(codecommit, name, pr["pullRequestId"])) for pr in closed]
                )
                page = (
                    "would be written"
                    if dry_run
                    else gitlab.put_wiki_page(project, ARCHIVE_SLUG, ARCHIVE_SLUG, content)
                )
        except (botocore.exceptions.ClientError, GitLabError) as error:
            report.add(name, "error", f"{name}: {error}")
            continue
        details = {
            "merge_requests_created": created,
            "notes_added": notes_added,
            "open": len(open_ids),
            "closed_archived": len(closed),
            "archive_page": page,
        }
        what = f"{len(open_ids)} open -> {created} new MRs, {notes_added} notes; {len(closed)} closed archived ({page})"
        if problems:
            report.add(name, "error", f"{name}: " + "; ".join(problems), **details)
        elif created or notes_added or page in ("created", "updated"):
            report.add(name, "would-change" if dry_run else "changed", what, **details)
        else:
            report.add(name, "unchanged", what, **details)


def note_marker_id(body: str) -> str | None:
    start = body.rfind("<!-- codecommit-comment: ")
    if start < 0:
        return None
    return body[start:].removeprefix("<!-- codecommit-comment: ").split(" -->", 1)[0]
