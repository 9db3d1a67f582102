"""GitLab's own backup: two private buckets under two keys, a task role that writes and
reads but never deletes, and a helper script that runs the backup, uploads /etc/gitlab
apart, reports every run as one JSON line and sleeps until the configured time.

The script is run here for real (bash, GNU date, flock) with GitLab's commands replaced
by fakes on PATH that record how they were called."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from cdktf import TerraformStack, Testing

from modules.gitlab_backup import (
    CONFIG_PREFIX,
    HELPER,
    OMNIBUS_WRAPPER,
    SCRIPT,
    SCRIPT_ENV,
    GitLabBackup,
    GitLabBackupProps,
    start_command,
    terraform_literal,
)
from modules.naming import Namer
from tests.support.synth import by_path, ref, synth_stack

KEY = "arn:aws:kms:eu-west-1:123456789012:key/data"


@pytest.fixture(scope="module")
def built() -> tuple[dict[str, Any], GitLabBackup]:
    app = Testing.app()
    scope = TerraformStack(app, "test")
    backup = GitLabBackup(
        scope,
        "backup",
        GitLabBackupProps(
            namer=Namer("acme", "tooling"),
            account_id="123456789012",
            region="eu-west-1",
            data_kms_key_arn=KEY,
            access_log_bucket="acme-tooling-123456789012-access-logs",
            daily_at="18:30",
            keep_days=21,
            config_keep_days=400,
        ),
    )
    return synth_stack(scope), backup


def test_archives_and_config_copies_in_their_own_buckets_under_their_own_keys(
    built: tuple[dict[str, Any], GitLabBackup],
) -> None:
    stack, _ = built
    archives = by_path(stack, "aws_s3_bucket", "backup/archives/bucket")
    config = by_path(stack, "aws_s3_bucket", "backup/config/bucket")
    assert archives["bucket"] == "acme-tooling-123456789012-backups"
    assert config["bucket"] == "acme-tooling-123456789012-config-backups"
    assert archives["lifecycle"] == config["lifecycle"] == {"prevent_destroy": True}

    def key_of(path: str) -> str:
        (rule,) = by_path(stack, "aws_s3_bucket_server_side_encryption_configuration", path)["rule"]
        return rule["apply_server_side_encryption_by_default"]["kms_master_key_id"]

    assert key_of("backup/archives/encryption") == KEY
    assert key_of("backup/config/encryption") == ref(stack, "aws_kms_key", "backup/config-key/key", "arn")

    def expiry(path: str) -> int:
        (rule,) = by_path(stack, "aws_s3_bucket_lifecycle_configuration", path)["rule"]
        return rule["expiration"][0]["days"]

    assert expiry("backup/archives/lifecycle") == 21
    assert expiry("backup/config/lifecycle") == 400
    logging = by_path(stack, "aws_s3_bucket_logging", "backup/config/logging")
    assert logging["target_prefix"] == "s3/config-backups/"


def test_the_task_may_write_and_read_backups_but_never_delete_them(built: tuple[dict[str, Any], GitLabBackup]) -> None:
    _, backup = built
    statements = {s["Sid"]: s for s in backup.task_statements}
    actions = [a for s in statements.values() for a in s["Action"]]
    assert not [a for a in actions if "Delete" in a or a.endswith("*")]
    assert statements["ConfigBackups"]["Resource"].endswith(f"/{CONFIG_PREFIX}*")  # one resource: a string
    assert statements["UseConfigBackupKey"]["Action"] == ["kms:Decrypt", "kms:GenerateDataKey"]


def test_the_container_command_installs_the_helper_and_hands_over_to_omnibus() -> None:
    (scheduled,) = start_command(schedule=True)
    (paused,) = start_command(schedule=False)
    assert scheduled.startswith(f'printf "%s" "${SCRIPT_ENV}" > {HELPER}')
    assert f"{HELPER} schedule &" in scheduled
    assert "schedule" not in paused  # maintenance: the helper is there, the loop is not
    assert scheduled.endswith(f"exec {OMNIBUS_WRAPPER}") and paused.endswith(f"exec {OMNIBUS_WRAPPER}")


def test_environment_carries_the_script_and_where_to_put_things(built: tuple[dict[str, Any], GitLabBackup]) -> None:
    _, backup = built
    env = backup.environment
    # Terraform reads ${ as its own interpolation: the script's shell expansions are escaped.
    assert env[SCRIPT_ENV] == terraform_literal(SCRIPT) != SCRIPT
    assert terraform_literal("a ${b} %{c} $d") == "a $${b} %%{c} $d"
    assert env["GITLAB_BACKUP_DAILY_AT"] == "18:30"
    assert env["GITLAB_BACKUP_REGION"] == "eu-west-1"
    assert set(env) == {
        SCRIPT_ENV, "GITLAB_BACKUP_BUCKET", "GITLAB_CONFIG_BACKUP_BUCKET", "GITLAB_CONFIG_BACKUP_KMS_KEY_ARN",
        "GITLAB_BACKUP_REGION", "GITLAB_BACKUP_DAILY_AT",
    }  # fmt: skip


# --- the helper script, run ------------------------------------------------------------

FAKES = {
    # GitLab answers unless told otherwise.
    "gitlab-healthcheck": '[ ! -e "$FAKE/unhealthy" ]',
    # The archive appears in the backup directory, as gitlab-backup writes it.
    "gitlab-backup": 'echo "$*" >> "$FAKE/gitlab-backup.calls"; [ ! -e "$FAKE/backup-fails" ] || exit 1; '
    '[ -e "$FAKE/no-archive" ] || : > "$GITLAB_BACKUP_DIR/1764700000_2026_12_03_19.6.1_gitlab_backup.tar"',
    "gitlab-ctl": 'echo "$*" >> "$FAKE/gitlab-ctl.calls"; [ "$1" = backup-etc ] && '
    ': > "$3/gitlab_config_1764700100_2026_12_03.tar"',
    # Records the S3 call (env) and, for a get, writes the object.
    "gitlab-rails": 'env | grep "^S3_[A-Z_]*=" | grep -v "^S3_RUBY=" | sort > "$FAKE/s3.$(ls "$FAKE" | wc -l)"; '
    'printf "%s" "$2" > "$FAKE/ruby"; [ "$S3_OP" != get ] || echo data > "$S3_FILE"; '
    '[ ! -e "$FAKE/upload-fails" ]',
    "chown": "true",
    # The schedule: record how long it would sleep, then end the loop.
    "sleep": 'echo "$1" > "$FAKE/slept"; kill -TERM "$PPID"',
}


@pytest.fixture()
def helper(tmp_path: Path) -> Any:
    assert shutil.which("flock"), "util-linux's flock is needed to run the helper"
    fake = tmp_path / "fake"
    fake.mkdir()
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, body in FAKES.items():
        path = bin_dir / name
        path.write_text(f"#!/bin/bash\n{body}\n", encoding="utf-8")
        path.chmod(0o755)
    script = tmp_path / "gitlab-backup-s3"
    script.write_text(SCRIPT, encoding="utf-8")
    backups = tmp_path / "backups"
    backups.mkdir()
    env = {
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "FAKE": str(fake),
        "GITLAB_BACKUP_DIR": str(backups),
        "GITLAB_BACKUP_BUCKET": "acme-tooling-123456789012-backups",
        "GITLAB_CONFIG_BACKUP_BUCKET": "acme-tooling-123456789012-config-backups",
        "GITLAB_CONFIG_BACKUP_KMS_KEY_ARN": "arn:aws:kms:eu-west-1:123456789012:key/config",
        "GITLAB_BACKUP_REGION": "eu-west-1",
        "GITLAB_BACKUP_DAILY_AT": "18:30",
    }

    def run(*args: str) -> tuple[subprocess.CompletedProcess[str], list[dict[str, str]]]:
        done = subprocess.run(
            ["bash", str(script), *args], env=env, capture_output=True, text=True, timeout=60, check=False
        )
        lines = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
        return done, lines

    run.env = env  # type: ignore[attr-defined]
    run.fake = fake  # type: ignore[attr-defined]
    run.backups = backups  # type: ignore[attr-defined]
    return run


def s3_calls(fake: Path) -> list[dict[str, str]]:
    calls = sorted(fake.glob("s3.*"), key=lambda p: int(p.suffix[1:]))
    return [dict(line.split("=", 1) for line in p.read_text().splitlines()) for p in calls]


def test_a_run_backs_up_uploads_the_config_apart_and_cleans_up(helper: Any) -> None:
    done, lines = helper("now")
    assert done.returncode == 0, done.stderr
    assert lines[-1]["status"] == "succeeded"
    assert lines[-1]["component"] == "gitlab-backup"
    assert (
        "1764700000_2026_12_03_19.6.1_gitlab_backup.tar etc/gitlab_config_1764700100_2026_12_03.tar"
        in (lines[-1]["detail"])
    )
    assert (helper.fake / "gitlab-backup.calls").read_text() == "create CRON=1\n"
    assert (helper.fake / "gitlab-ctl.calls").read_text().startswith("backup-etc --backup-path ")
    (upload,) = s3_calls(helper.fake)
    assert upload["S3_OP"] == "put"
    assert upload["S3_BUCKET"] == "acme-tooling-123456789012-config-backups"
    assert upload["S3_KEY"] == "etc/gitlab_config_1764700100_2026_12_03.tar"
    assert upload["S3_KMS_KEY_ARN"] == "arn:aws:kms:eu-west-1:123456789012:key/config"
    assert list(helper.backups.glob("*.tar")) == []  # uploaded, not kept on task storage
    assert not (helper.backups / ".s3").exists()


def test_the_ruby_the_runner_gets_is_valid(helper: Any) -> None:
    helper("now")
    ruby = (helper.fake / "ruby").read_text()
    assert "Fog::Storage.new" in ruby and "use_iam_profile: true" in ruby
    if shutil.which("ruby"):
        checked = subprocess.run(["ruby", "-c"], input=ruby, capture_output=True, text=True, check=False)
        assert checked.returncode == 0, checked.stderr


@pytest.mark.parametrize(
    ("flag", "step"),
    [("unhealthy", "ready"), ("backup-fails", "archive"), ("upload-fails", "upload")],
)
def test_a_failed_step_is_reported_and_fails_the_run(helper: Any, flag: str, step: str) -> None:
    (helper.fake / flag).touch()
    done, lines = helper("now")
    assert done.returncode == 1
    assert lines[-1]["status"] == "failed"
    assert lines[-1]["step"] == step
    assert not [line for line in lines if line["status"] == "succeeded"]


def test_a_second_run_while_one_holds_the_lock_is_refused(helper: Any) -> None:
    lock = helper.backups / ".gitlab-backup-s3.lock"
    with subprocess.Popen(["flock", str(lock), "sleep", "30"]) as holder:
        try:
            time.sleep(0.5)
            done, lines = helper("now")
        finally:
            holder.kill()
    assert done.returncode == 1
    assert lines[-1] == {
        "component": "gitlab-backup", "status": "failed", "step": "lock", "detail": "another backup is running",
    }  # fmt: skip


def test_the_schedule_sleeps_until_the_configured_utc_time(helper: Any) -> None:
    before = int(time.time())
    _, lines = helper("schedule")
    slept = int((helper.fake / "slept").read_text())
    assert 0 < slept <= 86400
    wake = before + slept
    assert abs(wake % 86400 - (18 * 3600 + 30 * 60)) <= 5 or abs(wake % 86400 - (18 * 3600 + 30 * 60)) >= 86395
    assert lines[0]["status"] == "scheduled"
    assert lines[0]["detail"].startswith("next backup at ") and lines[0]["detail"].endswith("T18:30:00Z")


def test_fetching_an_archive_puts_it_where_gitlab_backup_restore_looks(helper: Any) -> None:
    done, lines = helper("fetch-archive", "1764700000_2026_12_03_19.6.1")
    assert done.returncode == 0, done.stderr
    (download,) = s3_calls(helper.fake)
    assert download["S3_OP"] == "get"
    assert download["S3_BUCKET"] == "acme-tooling-123456789012-backups"
    assert download["S3_KEY"] == "1764700000_2026_12_03_19.6.1_gitlab_backup.tar"
    assert (helper.backups / "1764700000_2026_12_03_19.6.1_gitlab_backup.tar").read_text() == "data\n"
    assert lines[-1]["status"] == "fetched"


def test_a_log_detail_with_quotes_and_backslashes_stays_one_json_line(helper: Any) -> None:
    (helper.fake / "no-archive").touch()
    odd = helper.backups / 'odd "dir" \\ here'
    odd.mkdir()
    helper.env["GITLAB_BACKUP_DIR"] = str(odd)
    done, lines = helper("now")
    assert done.returncode == 1
    assert lines[-1]["step"] == "archive"
    assert lines[-1]["detail"] == f"no *_gitlab_backup.tar in {odd}"


def test_usage_for_anything_else(helper: Any) -> None:
    done, _ = helper("restore")
    assert done.returncode == 2
    assert "usage: gitlab-backup-s3 now|schedule|fetch-archive NAME|fetch-config NAME" in done.stderr
