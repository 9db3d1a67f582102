"""Move CodeCommit repositories, pull requests and pipelines of one target account to GitLab.

    python -m migrate inventory     --workspace staging [--group delivery]
    python -m migrate mirror        --workspace staging [--dry-run]
    python -m migrate pull-requests --workspace staging [--dry-run]
    python -m migrate pipelines     --workspace staging [--dry-run]
    python -m migrate cut-over      --workspace staging
    python -m migrate schema        # regenerate migration/schema.json

The plan is migration/<workspace>.yaml. The GitLab token comes from the
environment variable GITLAB_TOKEN, or from the Secrets Manager secret named by
--token-secret-id: never from the command line or a file. Exit status: 0 when every
repository succeeded, 1 when any failed (the others were still done), 2 for bad input.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping
from pathlib import Path

import botocore.exceptions
from rich.console import Console

from config.errors import ConfigError, Problem
from config.loader import load_environments
from config.migration import PLAN_DIR, SCHEMA_FILE, dump_plan, json_schema, parse_plan
from migrate.aws import Aws, AwsError
from migrate.cutover import cut_over
from migrate.git import DefaultRemotes, Git, Remotes
from migrate.gitlab_api import GitLab, GitLabError
from migrate.inventory import inventory
from migrate.mirror import Batches, mirror
from migrate.pipelines import pipelines
from migrate.pull_requests import pull_requests
from migrate.report import Report, progress, stderr_console

ROOT = Path(__file__).resolve().parent.parent
TOKEN_VARIABLE = "GITLAB_TOKEN"
COMMANDS = ("inventory", "mirror", "pull-requests", "pipelines", "cut-over", "schema")


def parser() -> argparse.ArgumentParser:
    main = argparse.ArgumentParser(
        prog="python -m migrate", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = main.add_subparsers(dest="command", required=True)
    for command in COMMANDS:
        p = sub.add_parser(command)
        p.add_argument("--root", type=Path, default=ROOT, help="the project (environments/, migration/)")
        if command == "schema":
            continue
        p.add_argument("--workspace", required=True, help="target workspace of environments/")
        p.add_argument("--role-arn", help="role to assume in the account (default: its deploy_role_arn)")
        p.add_argument("--no-assume-role", action="store_true", help="use the caller's credentials as they are")
        p.add_argument("--report", type=Path, help="write the JSON report here")
        p.add_argument("--work-dir", type=Path, help="local git caches (default: <root>/.migrate-cache)")
        p.add_argument("--token-secret-id", help="Secrets Manager secret holding the GitLab token")
        if command == "inventory":
            p.add_argument("--gitlab-url", help="GitLab's URL (default: https://<gitlab_hostname> of tooling)")
            p.add_argument("--group", help="GitLab group for new entries (default: the workspace)")
        else:
            p.add_argument("--dry-run", action="store_true", help="change nothing; report what would change")
        if command == "mirror":
            p.add_argument("--batch-refs", type=int, default=Batches.refs, help="refs per push")
            p.add_argument(
                "--batch-commits", type=int, default=Batches.commits, help="new commits per push of a branch"
            )
    return main


def gitlab_token(aws: Aws, secret_id: str | None, env: Mapping[str, str]) -> str:
    if secret_id:
        try:
            return str(aws.client("secretsmanager").get_secret_value(SecretId=secret_id)["SecretString"]).strip()
        except botocore.exceptions.ClientError as error:
            raise GitLabError(f"reading the token secret {secret_id}: {error.response['Error']['Message']}") from None
    if env.get(TOKEN_VARIABLE):
        return env[TOKEN_VARIABLE]
    raise GitLabError(f"no GitLab token: set {TOKEN_VARIABLE} or give --token-secret-id (never on the command line)")


def run(  # noqa: PLR0912, PLR0915
    argv: list[str] | None = None,
    *,
    env: Mapping[str, str] | None = None,
    remotes: Remotes | None = None,
    endpoints: Mapping[str, str] | None = None,
    console: Console | None = None,
    aws: Aws | None = None,
) -> int:
    """The CLI; ``remotes``, ``endpoints`` and ``aws`` are where tests put local stand-ins."""
    args = parser().parse_args(argv)
    env = os.environ if env is None else env
    console = console or stderr_console()
    root: Path = args.root
    if args.command == "schema":
        (root / PLAN_DIR).mkdir(exist_ok=True)
        (root / PLAN_DIR / SCHEMA_FILE).write_text(json_schema(), encoding="utf-8")
        console.print(f"wrote {PLAN_DIR}/{SCHEMA_FILE}")
        return 0
    try:
        environments = load_environments(root / "environments", display_root=root)
        account = environments.targets.get(args.workspace)
        if account is None:
            raise ConfigError(
                [
                    Problem(
                        "--workspace",
                        "",
                        f"'{args.workspace}' is not a target workspace",
                        "choose one of: " + ", ".join(environments.targets),
                    )
                ]
            )
        plan_file = root / PLAN_DIR / f"{account.name}.yaml"
        display = f"{PLAN_DIR}/{plan_file.name}"
        plan = parse_plan(plan_file.read_text(encoding="utf-8"), display, environments) if plan_file.exists() else None
        if plan is None and args.command != "inventory":
            raise ConfigError(
                [Problem(display, "", "no plan file", f"run python -m migrate inventory --workspace {account.name}")]
            )
    except ConfigError as error:
        console.print(str(error), markup=False)
        return 2
    role = None if args.no_assume_role else (args.role_arn or account.deploy_role_arn)
    report = Report(args.command, account.name, getattr(args, "dry_run", False))
    work_dir = args.work_dir or root / ".migrate-cache"
    try:
        aws = aws or Aws.for_account(account.region, role, endpoints)
        gitlab_url = (
            (plan.gitlab.url if plan else None)
            or getattr(args, "gitlab_url", None)
            or (f"https://{environments.tooling.gitlab_hostname}")
        )
        remotes = remotes or DefaultRemotes(gitlab_url)
        git = Git(aws.git_env())
        if args.command == "inventory":
            new = inventory(
                aws,
                git,
                remotes,
                workspace=account.name,
                account_id=account.account_id,
                gitlab_url=args.gitlab_url or gitlab_url,
                group=args.group or account.name,
                previous=plan,
                report=report,
                work_dir=work_dir / account.name,
            )
            plan_file.parent.mkdir(exist_ok=True)
            plan_file.write_text(dump_plan(new), encoding="utf-8")
            report.notes.append(f"wrote {display}: review the gitlab: paths, then commit it")
        elif args.command == "pipelines":
            assert plan is not None
            environment_file = root / environments.files[account.name]
            pipelines(
                plan,
                aws=aws,
                environment_file=environment_file,
                home=account.region,
                dry_run=args.dry_run,
                report=report,
            )
        elif args.command == "cut-over":
            assert plan is not None
            # GitLab's projects are private: reading their refs takes the token too.
            token = gitlab_token(aws, args.token_secret_id, env)
            git = Git.for_gitlab(gitlab_url, token, aws.git_env())
            cut_over(plan, name_prefix=account.name_prefix, aws=aws, git=git, remotes=remotes, report=report)
        else:
            assert plan is not None
            token = gitlab_token(aws, args.token_secret_id, env)
            gitlab = GitLab.connect(gitlab_url, token)
            missing = gitlab.missing_scopes()
            if missing:
                for name in plan.repositories:
                    report.add(
                        name,
                        "error",
                        f"{name}: the GitLab token lacks the scope {', '.join(sorted(missing))}; "
                        "create a token with api (it includes write_repository)",
                    )
            elif args.command == "mirror":
                git = Git.for_gitlab(gitlab_url, token, aws.git_env())
                with progress(console, len(plan.repositories), "mirror") as bar:
                    batches = Batches(args.batch_refs, args.batch_commits)
                    for name, planned in plan.repositories.items():
                        single = plan.model_copy(update={"repositories": {name: planned}})
                        mirror(
                            single,
                            aws=aws,
                            git=git,
                            remotes=remotes,
                            gitlab=gitlab,
                            work_dir=work_dir / account.name,
                            batches=batches,
                            dry_run=args.dry_run,
                            report=report,
                        )
                        bar.advance(name)
            else:
                pull_requests(plan, aws=aws, gitlab=gitlab, dry_run=args.dry_run, report=report)
    except (AwsError, GitLabError, botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as error:
        report.add("*", "error", str(error))
    report.render(console)
    report.write(args.report)
    return 1 if report.errors else 0


def main(argv: list[str] | None = None) -> int:
    return run(argv)
