"""``inventory``: every CodeCommit repository of a target account, and what uses it, into a plan file."""

from __future__ import annotations

import re
from typing import Any

import botocore.exceptions

from config.migration import Found, GitLabTarget, Plan, PlannedRepository
from migrate.aws import Aws, paginate
from migrate.git import Git, GitError, Remotes
from migrate.report import Report


def codecommit_users(aws: Aws) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """repository -> pipelines whose source is it; repository -> CodeBuild projects that read it."""
    pipelines: dict[str, list[str]] = {}
    codepipeline = aws.client("codepipeline")
    for summary in paginate(codepipeline.list_pipelines, "pipelines"):
        pipeline = codepipeline.get_pipeline(name=summary["name"])["pipeline"]
        for stage in pipeline["stages"]:
            for action in stage["actions"]:
                kind = action["actionTypeId"]
                if kind["category"] == "Source" and kind["provider"] == "CodeCommit":
                    pipelines.setdefault(action["configuration"]["RepositoryName"], []).append(pipeline["name"])
    projects: dict[str, list[str]] = {}
    codebuild = aws.client("codebuild")
    names = paginate(codebuild.list_projects, "projects")
    for start in range(0, len(names), 100):  # BatchGetProjects takes at most 100 names
        for project in codebuild.batch_get_projects(names=names[start : start + 100])["projects"]:
            for source in [project.get("source", {}), *project.get("secondarySources", [])]:
                if source.get("type") == "CODECOMMIT":
                    match = re.search(r"/v1/repos/([^/]+)", source.get("location", ""))
                    if match:
                        projects.setdefault(match.group(1), []).append(project["name"])
    return pipelines, projects


def notification_rules(aws: Aws, arn: str) -> list[str]:
    client = aws.client("codestar-notifications")
    rules = paginate(client.list_notification_rules, "NotificationRules", Filters=[{"Name": "RESOURCE", "Value": arn}])
    return [rule["Arn"] for rule in rules]


def inventory(
    aws: Aws,
    git: Git,
    remotes: Remotes,
    *,
    workspace: str,
    account_id: str,
    gitlab_url: str,
    group: str,
    previous: Plan | None,
    report: Report,
    work_dir: Any,
) -> Plan:
    codecommit = aws.client("codecommit")
    names = [
        r["repositoryName"] for r in paginate(codecommit.list_repositories, "repositories", sortBy="repositoryName")
    ]
    pipelines, projects = codecommit_users(aws)
    kept = previous.repositories if previous else {}
    planned: dict[str, PlannedRepository] = {}
    for name in names:
        try:
            metadata = codecommit.get_repository(repositoryName=name)["repositoryMetadata"]
            open_prs = paginate(
                codecommit.list_pull_requests, "pullRequestIds", repositoryName=name, pullRequestStatus="OPEN"
            )
            templates = paginate(
                codecommit.list_associated_approval_rule_templates_for_repository,
                "approvalRuleTemplateNames",
                repositoryName=name,
            )
            triggers = codecommit.get_repository_triggers(repositoryName=name).get("triggers", [])
            rules = notification_rules(aws, metadata["Arn"])
            refs = git.ls_remote(remotes.codecommit(aws.region, name))
            cache = work_dir / name
            git.fetch_all(cache, remotes.codecommit(aws.region, name))
            size = git.size_kib(cache)
        except (botocore.exceptions.ClientError, GitError) as error:
            report.add(name, "error", str(error))
            continue
        found = Found(
            default_branch=metadata.get("defaultBranch"),
            branches=sum(ref.startswith("refs/heads/") for ref in refs),
            tags=sum(ref.startswith("refs/tags/") for ref in refs),
            size_kib=size,
            open_pull_requests=len(open_prs),
            approval_rule_templates=tuple(templates),
            triggers=tuple(f"{t['name']} -> {t['destinationArn']}" for t in triggers),
            notification_rules=tuple(rules),
            pipelines=tuple(sorted(pipelines.get(name, []))),
            build_projects=tuple(sorted(projects.get(name, []))),
        )
        if name in kept:  # a reviewed entry keeps its decisions; only the facts are refreshed
            planned[name] = kept[name].model_copy(update={"found": found})
        else:
            planned[name] = PlannedRepository(
                gitlab=f"{group}/{re.sub(r'[^A-Za-z0-9_.-]', '-', name).strip('.-')}",
                description=metadata.get("repositoryDescription", ""),
                default_branch=metadata.get("defaultBranch"),
                found=found,
            )
        report.add(name, "ok", f"{found.branches} branches, {found.tags} tags, {size} KiB, {len(open_prs)} open PRs")
    for name in sorted(set(kept) - set(names)):
        report.add(name, "error", f"repository {name} is in the plan but no longer in CodeCommit; kept in the plan")
        planned[name] = kept[name]
    return Plan(
        workspace=workspace,
        account_id=account_id,
        region=aws.region,
        gitlab=GitLabTarget(url=gitlab_url),
        repositories=planned,
    )
