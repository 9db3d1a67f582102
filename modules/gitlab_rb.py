"""Render gitlab.rb (Omnibus settings) for GITLAB_OMNIBUS_CONFIG.

The design edits /etc/gitlab/gitlab.rb by hand through ECS Exec; here the same
settings are rendered from configuration and given to the container as
``GITLAB_OMNIBUS_CONFIG``, which Omnibus evaluates as Ruby on every start
("Pre-configure Docker container", GitLab Docker install docs). Secrets are
never written into the text: they are read from environment variables that
ECS fills from Secrets Manager.

Values may be CDKTF tokens (the database endpoint, a KMS key ARN); they end up
inside Ruby string literals and Terraform resolves them in the task definition.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

# Environment variables the container gets from ECS ``secrets``.
DB_PASSWORD_ENV = "GITLAB_DB_PASSWORD"
SMTP_USER_ENV = "GITLAB_SMTP_USER_NAME"
SMTP_PASSWORD_ENV = "GITLAB_SMTP_PASSWORD"
REDIS_PASSWORD_ENV = "GITLAB_REDIS_PASSWORD"
# ECS puts the task role's credential endpoint here ("Task IAM role", ECS docs).
CREDENTIALS_ENV = "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"

GIT_DATA_PATH = "/var/opt/gitlab/git-data"


@dataclass(frozen=True)
class SmtpSettings:
    """SES SMTP; the user name and password come from the environment."""

    address: str
    from_address: str
    domain: str
    reply_to: str | None = None
    port: int = 587


@dataclass(frozen=True)
class RedisSettings:
    """An external Redis over TLS; the AUTH token comes from the environment."""

    host: str
    port: int = 6379


@dataclass(frozen=True)
class GitLabRbSettings:
    """Inputs of ``render``; everything else stays at Omnibus's defaults."""

    external_url: str
    db_host: str
    region: str
    buckets: Mapping[str, str | None]  # object type -> bucket name; None keeps the type on EFS
    object_kms_key_arn: str
    trusted_cidrs: Sequence[str]  # load balancer and monitoring sources
    db_port: int | str = 5432
    db_name: str = "gitlabhq_production"
    db_username: str = "gitlab"
    smtp: SmtpSettings | None = None
    prometheus: bool = False
    time_zone: str = "UTC"
    ssh_host: str | None = None  # clone URLs' SSH host (its own load balancer); None: SSH not offered
    redis: RedisSettings | None = None  # None: the bundled Redis on its Unix socket
    backup_bucket: str | None = None  # GitLab's own backup archives (modules/gitlab_backup.py); None: not uploaded

    def __post_init__(self) -> None:
        object.__setattr__(self, "buckets", MappingProxyType(dict(self.buckets)))
        object.__setattr__(self, "trusted_cidrs", tuple(self.trusted_cidrs))


def rb(value: object) -> str:
    """A Ruby literal: strings single-quoted (no interpolation), numbers and booleans as is."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(rb(item) for item in value) + "]"
    if isinstance(value, Mapping):
        return "{ " + ", ".join(f"{rb(k)} => {rb(v)}" for k, v in value.items()) + " }"
    raise TypeError(f"no Ruby literal for {value!r}")


def env(name: str) -> str:
    """Ruby that reads a required variable: a missing secret fails reconfigure loudly."""
    return f"ENV.fetch({rb(name)})"


def render(settings: GitLabRbSettings) -> str:
    lines: list[str] = [
        "# Rendered from environments/ by modules/gitlab_rb.py; edits inside the container are lost.",
        f"external_url {rb(settings.external_url)}",
        # TLS ends at the internal ALB, which forwards plain HTTP inside the VPC
        # ("Configure a reverse proxy or load balancer SSL termination", Omnibus NGINX docs).
        "nginx['listen_port'] = 80",
        "nginx['listen_https'] = false",
        "nginx['proxy_set_headers'] = { 'X-Forwarded-Proto' => 'https', 'X-Forwarded-Ssl' => 'on' }",
        f"nginx['real_ip_trusted_addresses'] = {rb(list(settings.trusted_cidrs))}",
        "nginx['real_ip_header'] = 'X-Forwarded-For'",
        "nginx['real_ip_recursive'] = 'on'",
        "letsencrypt['enable'] = false",
        f"gitlab_rails['time_zone'] = {rb(settings.time_zone)}",
        # The ALB health check asks /-/readiness from its private addresses; those
        # endpoints answer only the allowlist ("IP allowlist", GitLab monitoring docs).
        f"gitlab_rails['monitoring_whitelist'] = {rb(['127.0.0.0/8', '::1/128', *settings.trusted_cidrs])}",
        "",
        "# PostgreSQL: the external database's writer endpoint only.",
        "postgresql['enable'] = false",
        "gitlab_rails['db_adapter'] = 'postgresql'",
        "gitlab_rails['db_encoding'] = 'unicode'",
        f"gitlab_rails['db_host'] = {rb(settings.db_host)}",
        f"gitlab_rails['db_port'] = {rb(settings.db_port)}",
        f"gitlab_rails['db_database'] = {rb(settings.db_name)}",
        f"gitlab_rails['db_username'] = {rb(settings.db_username)}",
        f"gitlab_rails['db_password'] = {env(DB_PASSWORD_ENV)}",
        # The parameter group forces SSL; 'require' encrypts without needing the RDS CA bundle in the image.
        "gitlab_rails['db_sslmode'] = 'require'",
        # No db_load_balancing: GitLab does not support Aurora, and its load
        # balancing misbehaves on Aurora readers (GitLab database load balancing docs).
        "",
        "# Repositories on EFS. git_data_dirs was removed in GitLab 18.0; storages are Gitaly's now.",
        "gitaly['configuration'] = {",
        f"  storage: [{{ name: 'default', path: {rb(GIT_DATA_PATH + '/repositories')} }}]",
        "}",
        "",
        "# Object storage in S3, consolidated form, credentials from the ECS task role.",
        "gitlab_rails['object_store']['enabled'] = true",
        # Clients behind Client VPN cannot reach S3; GitLab streams downloads itself.
        "gitlab_rails['object_store']['proxy_download'] = true",
        "gitlab_rails['object_store']['connection'] = "
        + rb({"provider": "AWS", "region": settings.region, "use_iam_profile": True}),
        "gitlab_rails['object_store']['storage_options'] = "
        + rb({"server_side_encryption": "aws:kms", "server_side_encryption_kms_key_id": settings.object_kms_key_arn}),
    ]
    for object_type, bucket in settings.buckets.items():
        setting = f"gitlab_rails['object_store']['objects'][{rb(object_type)}]"
        # In the consolidated form every type needs a bucket or enabled = false.
        lines.append(f"{setting}['bucket'] = {rb(bucket)}" if bucket else f"{setting}['enabled'] = false")
    # runit starts Rails and Workhorse with a clean environment, which drops the
    # task role's credential URI; without it use_iam_profile finds no credentials.
    passthrough = f"{{ {rb(CREDENTIALS_ENV)} => {env(CREDENTIALS_ENV)} }}"
    lines += [
        f"gitlab_rails['env'] = {passthrough}",
        f"gitlab_workhorse['env'] = {passthrough}",
        "",
        *_redis(settings.redis),
        "",
    ]
    if settings.ssh_host:
        lines += [
            "# git over SSH through its internal NLB, on its own host name.",
            f"gitlab_rails['gitlab_ssh_host'] = {rb(settings.ssh_host)}",
            "gitlab_rails['gitlab_shell_ssh_port'] = 22",
            "",
        ]
    lines += _backup(settings)
    lines += _smtp(settings.smtp)
    lines += [
        "",
        "# Bundled Prometheus and its exporters: " + ("on." if settings.prometheus else "off, to save memory."),
        f"prometheus_monitoring['enable'] = {rb(settings.prometheus)}",
    ]
    return "\n".join(lines) + "\n"


def _redis(redis: RedisSettings | None) -> list[str]:
    if redis is None:
        return ["# Redis stays bundled on its Unix socket, as in the design."]
    # ElastiCache with in-transit encryption and an AUTH token ("Configure Redis",
    # GitLab Omnibus docs: redis_ssl, redis_password for an external instance).
    return [
        "# Redis: an external ElastiCache over TLS; the bundled one stays off.",
        "redis['enable'] = false",
        f"gitlab_rails['redis_host'] = {rb(redis.host)}",
        f"gitlab_rails['redis_port'] = {rb(redis.port)}",
        "gitlab_rails['redis_ssl'] = true",
        f"gitlab_rails['redis_password'] = {env(REDIS_PASSWORD_ENV)}",
    ]


def _backup(settings: GitLabRbSettings) -> list[str]:
    if settings.backup_bucket is None:
        return []
    # "Upload backups to a remote (cloud) storage", GitLab backup docs: the same IAM
    # credentials and SSE-KMS options as object storage; 100 MiB parts carry archives
    # up to S3's 10,000 parts (about 1 TB).
    return [
        "# gitlab-backup create uploads its archive here (modules/gitlab_backup.py starts it daily).",
        "gitlab_rails['backup_upload_connection'] = "
        + rb({"provider": "AWS", "region": settings.region, "use_iam_profile": True}),
        f"gitlab_rails['backup_upload_remote_directory'] = {rb(settings.backup_bucket)}",
        "gitlab_rails['backup_upload_storage_options'] = "
        + rb({"server_side_encryption": "aws:kms", "server_side_encryption_kms_key_id": settings.object_kms_key_arn}),
        f"gitlab_rails['backup_multipart_chunk_size'] = {rb(100 * 1024 * 1024)}",
        "",
    ]


def _smtp(smtp: SmtpSettings | None) -> list[str]:
    if smtp is None:
        return ["gitlab_rails['smtp_enable'] = false"]
    lines = [
        "# Mail through Amazon SES's SMTP interface over its VPC endpoint.",
        "gitlab_rails['smtp_enable'] = true",
        f"gitlab_rails['smtp_address'] = {rb(smtp.address)}",
        f"gitlab_rails['smtp_port'] = {rb(smtp.port)}",
        f"gitlab_rails['smtp_user_name'] = {env(SMTP_USER_ENV)}",
        f"gitlab_rails['smtp_password'] = {env(SMTP_PASSWORD_ENV)}",
        f"gitlab_rails['smtp_domain'] = {rb(smtp.domain)}",
        "gitlab_rails['smtp_authentication'] = 'login'",
        "gitlab_rails['smtp_enable_starttls_auto'] = true",
        f"gitlab_rails['gitlab_email_from'] = {rb(smtp.from_address)}",
    ]
    if smtp.reply_to:
        lines.append(f"gitlab_rails['gitlab_email_reply_to'] = {rb(smtp.reply_to)}")
    return lines
