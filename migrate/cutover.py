"""``cut-over``: check that pushes to CodeCommit are denied and nothing is left behind.

The deny itself is code in the target workspace (main.py reads the committed plan,
stacks/target.py builds modules/codecommit_push_deny.py); this step verifies the
applied result and says when deleting the CodeCommit repository is safe. It never
deletes anything.
"""

from __future__ import annotations

import botocore.exceptions

from config.migration import PUSH_DENY_POLICY_PATH, Plan, policy_name
from config.regions import partition_of
from migrate.aws import Aws, error_code
from migrate.git import Git, GitError, Remotes
from migrate.inventory import codecommit_users
from migrate.mirror import mismatches
from migrate.report import Report


def cut_over(plan: Plan, *, name_prefix: str, aws: Aws, git: Git, remotes: Remotes, report: Report) -> None:
    if not plan.cut_over:
        report.notes.append("no repository has cut_over: true in the plan; nothing to check")
        return
    name = policy_name(name_prefix, plan.workspace)
    arn = f"arn:{partition_of(plan.region)}:iam::{plan.account_id}:policy{PUSH_DENY_POLICY_PATH}{name}"
    try:
        aws.client("iam").get_policy(PolicyArn=arn)
        deny = True
    except botocore.exceptions.ClientError as error:
        if error_code(error) != "NoSuchEntity":
            raise
        deny = False
    pipelines, projects = codecommit_users(aws)
    for name in plan.cut_over:
        planned = plan.repositories[name]
        try:
            source = git.ls_remote(remotes.codecommit(plan.region, name))
            target = git.ls_remote(remotes.gitlab(planned.gitlab))
        except GitError as error:
            report.add(name, "error", f"{name}: {error}")
            continue
        wrong = mismatches(source, target)
        blockers = []
        if not deny:
            blockers.append(f"the push deny {arn} is not applied (terraform apply the {plan.workspace} workspace)")
        if wrong:
            blockers.append(f"refs differ from GitLab: {', '.join(wrong)} (run mirror again)")
        users = pipelines.get(name, []) + projects.get(name, [])
        if users:
            blockers.append(f"still used by {', '.join(sorted(users))} (pipelines step, phase two)")
        details = {
            "gitlab": planned.gitlab,
            "deny_policy": arn,
            "deny_applied": deny,
            "mismatched": wrong,
            "users": sorted(users),
            "safe_to_delete": not blockers,
        }
        if blockers:
            report.add(name, "error" if wrong else "ok", "not yet safe to delete: " + "; ".join(blockers), **details)
        else:
            report.add(
                name, "ok", f"safe to delete: pushes denied, {len(source)} refs equal on GitLab, unused", **details
            )
