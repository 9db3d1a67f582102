"""The tooling account's GitLab workspace: GitLab configured as code (environments/gitlab.yaml).

Groups per system, who has which role where, group shares, projects with their
protected branches and tags, the instance settings and the CodeConnections service
user, all through GitLab's API with the gitlabhq/gitlab provider. It runs where that
API is reachable (inside the Client VPN or the tooling VPC: GitLab's load balancer is
internal) and after ``tooling``, which runs GitLab. Every membership is its own
resource keyed by the user name, so a plan says who gains or loses which role where.
"""

from __future__ import annotations

from constructs import Construct

from config.backend import S3BackendSettings
from config.codeconnections_regions import webhook_endpoint_hostname
from config.gitlab_access import GitLabAccess
from config.workspaces import gitlab_workspace
from stacks.base import AccountStack


def _key(path: str) -> str:
    # Construct IDs may not hold "/": a subgroup ledger/reports is ledger--reports.
    return path.replace("/", "--")


class GitLabAccessStack(AccountStack):
    def __init__(
        self,
        scope: Construct,
        tooling: AccountStack,
        access: GitLabAccess,
        backend: S3BackendSettings | None = None,
    ) -> None:
        super().__init__(scope, gitlab_workspace(tooling.workspace), tooling.account, backend, aws=False)
        # Imported here: only this workspace loads the gitlab bindings (another jsii module).
        from cdktf_cdktf_provider_gitlab.data_gitlab_user import DataGitlabUser

        from modules.gitlab_group import GitLabGroup, GitLabGroupProps
        from modules.gitlab_group_share import GitLabGroupShare, GitLabGroupShareProps
        from modules.gitlab_instance_settings import GitLabInstanceSettings, GitLabInstanceSettingsProps
        from modules.gitlab_project import BranchRule, GitLabProject, GitLabProjectProps
        from modules.gitlab_service_user import GitLabServiceUser, GitLabServiceUserProps

        # GitLab must be running: the tooling workspace is applied first.
        self.add_dependency(tooling)
        hostname = tooling.account.gitlab_hostname
        assert hostname is not None, "the loader refuses gitlab.yaml without gitlab_hostname"
        self.gitlab = self.gitlab_provider(hostname)
        instance = access.instance
        self.settings = GitLabInstanceSettings(
            self,
            "instance",
            GitLabInstanceSettingsProps(
                outbound_allowlist=tuple(
                    dict.fromkeys([webhook_endpoint_hostname(tooling.account.region), *instance.outbound_allowlist])
                ),
                require_two_factor_authentication=instance.require_two_factor_authentication,
                two_factor_grace_period_hours=instance.two_factor_grace_period_hours,
                minimum_password_length=instance.password.minimum_length,
                password_uppercase_required=instance.password.require_uppercase,
                password_lowercase_required=instance.password.require_lowercase,
                password_number_required=instance.password.require_number,
                password_symbol_required=instance.password.require_symbol,
                session_expire_minutes=instance.session_expire_minutes,
                default_branch_push=instance.default_branch_protection.push,
                default_branch_merge=instance.default_branch_protection.merge,
                developer_can_initial_push=instance.default_branch_protection.developer_can_initial_push,
            ),
        )
        groups = access.groups()
        # People sign in and exist already; their IDs are looked up by user name, once each.
        usernames = sorted({user for group in groups.values() for users in group.members.values() for user in users})
        self.users = {name: DataGitlabUser(self, f"user-{name}", username=name) for name in usernames}
        self.groups: dict[str, GitLabGroup] = {}
        for path, group in groups.items():  # parents before children
            parent, _, own = path.rpartition("/")
            self.groups[path] = GitLabGroup(
                self,
                f"group-{_key(path)}",
                GitLabGroupProps(
                    path=own,
                    name=group.name or own,
                    description=group.description,
                    parent_id=self.groups[parent].group.id if parent else None,
                    members={
                        user: (role, self.users[user].user_id)
                        for role, users in group.members.items()
                        for user in users
                    },
                ),
            )
        by_lower = {path.lower(): path for path in groups}
        self.shares = {
            f"{path}->{other}": GitLabGroupShare(
                self,
                f"share-{_key(by_lower[other.lower()])}-with-{_key(path)}",
                GitLabGroupShareProps(
                    group_id=self.groups[by_lower[other.lower()]].group.id,
                    shared_with_group_id=self.groups[path].group.id,
                    role=role,
                ),
            )
            for path, group in groups.items()
            for other, role in sorted(group.access_to.items())
        }
        self.projects: dict[str, GitLabProject] = {}
        for full, (group_path, project) in access.projects().items():
            group = groups[group_path]
            branches = {**group.protected_branches, **project.protected_branches}
            tags = {**group.protected_tags, **project.protected_tags}
            self.projects[full] = GitLabProject(
                self,
                f"project-{_key(full)}",
                GitLabProjectProps(
                    path=full.rpartition("/")[2],
                    namespace_id=self.groups[group_path].group.id,
                    description=project.description,
                    default_branch=project.default_branch,
                    protected_branches={
                        name: BranchRule(rule.push, rule.merge, rule.allow_force_push)
                        for name, rule in branches.items()
                    },
                    protected_tags={name: rule.create for name, rule in tags.items()},
                ),
            )
        service = access.service_user
        self.service_user = GitLabServiceUser(
            self,
            "service-user",
            GitLabServiceUserProps(
                username=service.username,
                name=service.name,
                email=service.email,
                memberships={
                    by_lower[path.lower()]: (role, self.groups[by_lower[path.lower()]].group.id)
                    for path, role in service.memberships.items()
                },
            ),
        )
