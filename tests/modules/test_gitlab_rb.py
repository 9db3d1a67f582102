"""gitlab.rb rendering: valid Ruby, every setting present, nothing GitLab 18+ removed, no secret inside."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest

from modules.gitlab_rb import GitLabRbSettings, RedisSettings, SmtpSettings, rb, render

SETTINGS = GitLabRbSettings(
    external_url="https://gitlab.example.com",
    db_host="gitlab.cluster-abc.eu-west-1.rds.amazonaws.com",
    region="eu-west-1",
    buckets={"artifacts": "acme-artifacts", "lfs": "acme-lfs", "pages": None},
    object_kms_key_arn="arn:aws:kms:eu-west-1:123456789012:key/data",
    trusted_cidrs=["10.0.0.0/16"],
    smtp=SmtpSettings(
        address="email-smtp.eu-west-1.amazonaws.com",
        from_address="gitlab@example.com",
        domain="example.com",
        reply_to="noreply@example.com",
    ),
)


def ruby_syntax_check(text: str, directory: Path) -> None:
    """``ruby -c``; a machine without ruby fails the suite (CI installs Debian's ruby)."""
    ruby = shutil.which("ruby")
    assert ruby is not None, "ruby is needed to check gitlab.rb: apt-get install ruby (see .ci/run)"
    path = directory / "gitlab.rb"
    path.write_text(text, encoding="utf-8")
    result = subprocess.run([ruby, "-c", str(path)], capture_output=True, text=True, check=False)
    assert result.returncode == 0 and "Syntax OK" in result.stdout, result.stderr + "\n" + text


@pytest.fixture(scope="module")
def text() -> str:
    return render(SETTINGS)


def test_parses_as_ruby(text: str, tmp_path: Path) -> None:
    ruby_syntax_check(text, tmp_path)


def test_ruby_check_catches_broken_ruby(tmp_path: Path) -> None:
    with pytest.raises(AssertionError):
        ruby_syntax_check("gitlab_rails['x'] = {\n", tmp_path)


def test_external_url_and_tls_at_the_load_balancer(text: str) -> None:
    assert "external_url 'https://gitlab.example.com'" in text
    assert "nginx['listen_port'] = 80" in text
    assert "nginx['listen_https'] = false" in text
    assert "letsencrypt['enable'] = false" in text
    assert "nginx['real_ip_trusted_addresses'] = ['10.0.0.0/16']" in text


def test_readiness_probe_allowed_from_the_vpc(text: str) -> None:
    assert "gitlab_rails['monitoring_whitelist'] = ['127.0.0.0/8', '::1/128', '10.0.0.0/16']" in text


def test_external_database_writer_only_password_from_environment(text: str) -> None:
    assert "postgresql['enable'] = false" in text
    assert "gitlab_rails['db_host'] = 'gitlab.cluster-abc.eu-west-1.rds.amazonaws.com'" in text
    assert "gitlab_rails['db_port'] = 5432" in text
    assert "gitlab_rails['db_database'] = 'gitlabhq_production'" in text
    assert "gitlab_rails['db_password'] = ENV.fetch('GITLAB_DB_PASSWORD')" in text
    assert "gitlab_rails['db_sslmode'] = 'require'" in text
    assert "gitlab_rails['db_load_balancing']" not in text


def test_repositories_through_gitaly_configuration_not_removed_settings(text: str) -> None:
    assert "gitaly['configuration'] = {" in text
    assert "storage: [{ name: 'default', path: '/var/opt/gitlab/git-data/repositories' }]" in text
    # Removed in 18.0 or 19.0 per Omnibus's own list (Gitlab::Deprecations: git_data_dirs,
    # gitlab_shell['migration'], Gitaly's git bin_path and use_bundled_binaries, the
    # registry's notification threshold) or earlier (grafana in 16.3, the pre-16.0
    # gitaly['storage'] key); repositories_storages is left to Omnibus's default.
    removed_settings = (
        "git_data_dirs",
        "gitlab_shell['migration']",
        "bin_path",
        "use_bundled_binaries",
        "default_notifications_threshold",
        "'threshold'",
        "grafana[",
        "gitaly['storage']",
        "gitlab_rails['repositories_storages']",
    )
    with_everything = render(replace(SETTINGS, ssh_host="ssh.example.com", redis=RedisSettings("cache.internal")))
    for rendered in (text, with_everything):
        settings = rendered.replace("# Repositories on EFS. git_data_dirs", "")
        for removed in removed_settings:
            assert removed not in settings, removed


def test_consolidated_object_storage_with_task_role(text: str) -> None:
    assert "gitlab_rails['object_store']['enabled'] = true" in text
    assert "gitlab_rails['object_store']['proxy_download'] = true" in text
    assert "'provider' => 'AWS', 'region' => 'eu-west-1', 'use_iam_profile' => true" in text
    assert "'server_side_encryption' => 'aws:kms'" in text
    assert "'server_side_encryption_kms_key_id' => 'arn:aws:kms:eu-west-1:123456789012:key/data'" in text
    assert "gitlab_rails['object_store']['objects']['artifacts']['bucket'] = 'acme-artifacts'" in text
    assert "gitlab_rails['object_store']['objects']['lfs']['bucket'] = 'acme-lfs'" in text
    assert "gitlab_rails['object_store']['objects']['pages']['enabled'] = false" in text


def test_container_credentials_reach_rails_and_workhorse(text: str) -> None:
    passthrough = "{ 'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI' => ENV.fetch('AWS_CONTAINER_CREDENTIALS_RELATIVE_URI') }"
    assert f"gitlab_rails['env'] = {passthrough}" in text
    assert f"gitlab_workhorse['env'] = {passthrough}" in text


def test_smtp_through_ses_credentials_from_environment(text: str) -> None:
    assert "gitlab_rails['smtp_enable'] = true" in text
    assert "gitlab_rails['smtp_address'] = 'email-smtp.eu-west-1.amazonaws.com'" in text
    assert "gitlab_rails['smtp_port'] = 587" in text
    assert "gitlab_rails['smtp_user_name'] = ENV.fetch('GITLAB_SMTP_USER_NAME')" in text
    assert "gitlab_rails['smtp_password'] = ENV.fetch('GITLAB_SMTP_PASSWORD')" in text
    assert "gitlab_rails['smtp_enable_starttls_auto'] = true" in text
    assert "gitlab_rails['gitlab_email_from'] = 'gitlab@example.com'" in text
    assert "gitlab_rails['gitlab_email_reply_to'] = 'noreply@example.com'" in text


def test_prometheus_off_by_default_and_on_when_asked(text: str) -> None:
    assert "prometheus_monitoring['enable'] = false" in text

    assert "prometheus_monitoring['enable'] = true" in render(replace(SETTINGS, prometheus=True))


def test_without_smtp_mail_is_off(tmp_path: Path) -> None:

    text = render(replace(SETTINGS, smtp=None))
    assert "gitlab_rails['smtp_enable'] = false" in text
    assert "smtp_password" not in text
    ruby_syntax_check(text, tmp_path)


def test_ruby_literals_cannot_be_broken_out_of() -> None:
    assert rb("it's \\ here") == "'it\\'s \\\\ here'"
    assert rb({"a": [1, True]}) == "{ 'a' => [1, true] }"
    # Single quotes: Ruby does not interpolate #{...} inside them.
    assert rb("#{system('id')}") == "'#{system(\\'id\\')}'"
    with pytest.raises(TypeError):
        rb(1.5)


def test_ssh_host_and_port_only_when_offered(text: str, tmp_path: Path) -> None:

    assert "gitlab_ssh_host" not in text
    with_ssh = render(replace(SETTINGS, ssh_host="ssh.gitlab.example.com"))
    assert "gitlab_rails['gitlab_ssh_host'] = 'ssh.gitlab.example.com'" in with_ssh
    assert "gitlab_rails['gitlab_shell_ssh_port'] = 22" in with_ssh
    ruby_syntax_check(with_ssh, tmp_path)


def test_external_redis_over_tls_with_token_from_environment(text: str, tmp_path: Path) -> None:
    assert "# Redis stays bundled on its Unix socket, as in the design." in text
    assert "redis['enable']" not in text
    with_redis = render(replace(SETTINGS, redis=RedisSettings("cache.example.internal", 6380)))
    ruby_syntax_check(with_redis, tmp_path)
    for line in (
        "redis['enable'] = false",
        "gitlab_rails['redis_host'] = 'cache.example.internal'",
        "gitlab_rails['redis_port'] = 6380",
        "gitlab_rails['redis_ssl'] = true",
        "gitlab_rails['redis_password'] = ENV.fetch('GITLAB_REDIS_PASSWORD')",
    ):
        assert line in with_redis.splitlines()


def test_backup_upload_to_its_bucket_with_sse_kms_only_when_asked(text: str, tmp_path: Path) -> None:
    assert "backup_upload" not in text
    with_backup = render(replace(SETTINGS, backup_bucket="acme-tooling-123456789012-backups"))
    ruby_syntax_check(with_backup, tmp_path)
    assert (
        "gitlab_rails['backup_upload_connection'] = "
        "{ 'provider' => 'AWS', 'region' => 'eu-west-1', 'use_iam_profile' => true }"
    ) in with_backup
    assert "gitlab_rails['backup_upload_remote_directory'] = 'acme-tooling-123456789012-backups'" in with_backup
    assert (
        "gitlab_rails['backup_upload_storage_options'] = { 'server_side_encryption' => 'aws:kms', "
        "'server_side_encryption_kms_key_id' => 'arn:aws:kms:eu-west-1:123456789012:key/data' }"
    ) in with_backup
    assert "gitlab_rails['backup_multipart_chunk_size'] = 104857600" in with_backup
