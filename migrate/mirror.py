"""``mirror``: every branch and tag from CodeCommit to GitLab, incremental, verified ref by ref."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import botocore.exceptions

from config.migration import Plan, PlannedRepository
from migrate.aws import Aws
from migrate.git import Git, GitError, Remotes
from migrate.gitlab_api import GitLab, GitLabError
from migrate.report import Report


@dataclass(frozen=True)
class Batches:
    # Refs per git push, and new commits per push of one branch: GitLab refuses a push
    # over its size limit ("Account and limit settings": max push size), and a history
    # pushed in first-parent steps keeps each pack small ("Git push limits").
    refs: int = 50
    commits: int = 5000


def refs_to_push(source: dict[str, str], target: dict[str, str]) -> dict[str, str]:
    return {ref: sha for ref, sha in sorted(source.items()) if target.get(ref) != sha}


def mismatches(source: dict[str, str], target: dict[str, str]) -> list[str]:
    return sorted(ref for ref, sha in source.items() if target.get(ref) != sha)


def _push_refs(  # noqa: PLR0917
    git: Git, cache: Path, url: str, changed: dict[str, str], remote: dict[str, str], batches: Batches
) -> tuple[list[str], dict[str, str]]:
    """Push ``changed`` (branches with long new histories in steps); (pushes made, refused refs)."""
    pushes: list[str] = []
    refused: dict[str, str] = {}
    for ref, sha in changed.items():
        if not ref.startswith("refs/heads/") or not git.is_commit(cache, sha):
            continue
        old = remote.get(ref)
        since = old if old and git.is_commit(cache, old) else None
        chain = git.first_parent_chain(cache, sha, since)
        for step in chain[batches.commits - 1 : -1 : batches.commits]:
            failed = git.push(cache, url, [f"{step}:{ref}"])
            pushes.append(f"{ref}@{step[:12]}")
            if failed:
                refused.update(failed)
                break
    remaining = [(ref, sha) for ref, sha in changed.items() if ref not in refused]
    for start in range(0, len(remaining), batches.refs):
        chunk = remaining[start : start + batches.refs]
        refused.update(git.push(cache, url, [f"{sha}:{ref}" for ref, sha in chunk]))
        pushes.append(f"{len(chunk)} refs")
    return pushes, refused


def mirror_one(
    name: str,
    planned: PlannedRepository,
    plan: Plan,
    *,
    aws: Aws,
    git: Git,
    remotes: Remotes,
    gitlab: GitLab | None,
    work_dir: Path,
    batches: Batches,
    dry_run: bool,
    report: Report,
) -> None:
    source_url, target_url = remotes.codecommit(plan.region, name), remotes.gitlab(planned.gitlab)
    try:
        aws.client("codecommit").get_repository(repositoryName=name)
    except botocore.exceptions.ClientError as error:
        report.add(name, "error", f"CodeCommit repository {name}: {error.response['Error']['Message']}")
        return
    try:
        project = None
        if gitlab is not None:
            project = (
                gitlab.project(planned.gitlab)
                if dry_run
                else gitlab.ensure_project(planned.gitlab, planned.description)[0]
            )
        source = git.ls_remote(source_url)
        target = git.ls_remote(target_url) if project is not None or gitlab is None else {}
        changed = refs_to_push(source, target)
        if dry_run:
            status = "would-change" if changed or project is None else "unchanged"
            what = f"{len(changed)} refs to push" + ("; project to create" if project is None else "")
            report.add(name, status, what, gitlab=planned.gitlab, refs=sorted(changed))
            return
        pushes: list[str] = []
        refused: dict[str, str] = {}
        if changed:
            cache = work_dir / name
            git.fetch_all(cache, source_url)
            # CodeCommit may have moved on since ls-remote: push what was fetched, verify below.
            pushes, refused = _push_refs(git, cache, target_url, changed, target, batches)
        after = git.ls_remote(target_url)
        latest = git.ls_remote(source_url)
        default = planned.default_branch or planned.found.default_branch
        if gitlab is not None and project is not None and default and f"refs/heads/{default}" in after:
            gitlab.set_default_branch(project, default)
    except (GitError, GitLabError) as error:
        report.add(name, "error", f"{name} -> {planned.gitlab}: {error}", gitlab=planned.gitlab)
        return
    wrong = mismatches(latest, after)
    details = {
        "gitlab": planned.gitlab,
        "pushed": sorted(changed),
        "pushes": pushes,
        "refs": len(latest),
        "verified": not wrong,
        "mismatched": wrong,
        "extra_on_gitlab": sorted(set(after) - set(latest)),
    }
    if refused:
        reasons = "; ".join(f"{ref}: {reason}" for ref, reason in sorted(refused.items()))
        if "exceeds maximum allowed size" in reasons:
            # git's receive.maxInputSize, which GitLab's "Maximum push size" setting sets.
            reasons += " (GitLab's maximum push size: run again with a smaller --batch-commits, or raise the limit)"
        report.add(
            name,
            "error",
            f"GitLab refused the push of {name} -> {planned.gitlab}: {reasons}",
            **details,
            refused=refused,
        )
    elif wrong:
        report.add(name, "error", f"{name}: refs differ after the push: {', '.join(wrong)}", **details)
    elif changed:
        report.add(name, "changed", f"pushed {_refs(len(changed))}, {_refs(len(latest))} verified", **details)
    else:
        report.add(name, "unchanged", f"{_refs(len(latest))} verified", **details)


def _refs(count: int) -> str:
    return f"{count} ref{'' if count == 1 else 's'}"


def mirror(plan: Plan, **kwargs: object) -> None:
    for name, planned in plan.repositories.items():
        if planned.migrate:
            mirror_one(name, planned, plan, **kwargs)  # type: ignore[arg-type]
