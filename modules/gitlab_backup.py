"""GitLab's own backup, on a schedule, to S3: one archive of the database and the
repositories (``gitlab-backup create``) in its own bucket, and a copy of ``/etc/gitlab``
(``gitlab-secrets.json``) in a second bucket under a second key. The AWS Backup plan
(modules/backup.py) still covers EFS and the database; this is the one point in time
that GitLab itself can restore ("Back up GitLab" and "Restore GitLab", GitLab docs).

Where it runs: inside the GitLab container, the only place with Rails, the database
settings and Gitaly's socket. ECS Exec cannot be driven by a scheduler: ExecuteCommand
only opens an interactive SSM session whose command runs once a client connects to its
stream with the Session Manager plugin ("ExecuteCommand", ECS API Reference: "only
supports initiating interactive sessions"); neither EventBridge Scheduler nor a Step
Functions SDK call can hold such a session. A second task with the same image would run
a second Gitaly on the same repositories. So the container's start command installs
``gitlab-backup-s3`` and starts its daily loop next to Omnibus's own wrapper, as GitLab
documents a cron entry on a Linux package host; every run prints one JSON line that
CloudWatch metric filters count (modules/monitoring.py alarms on a failed or missing
backup).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cdktf import ITerraformDependable
from constructs import Construct

from modules.kms_key import KmsKey, KmsKeyProps
from modules.naming import Namer
from modules.policy import statement
from modules.private_bucket import PrivateBucket, PrivateBucketProps

HELPER = "/usr/local/bin/gitlab-backup-s3"
SCRIPT_ENV = "GITLAB_BACKUP_S3_SCRIPT"
# The official image's command ("CMD /assets/wrapper", omnibus-gitlab docker/Dockerfile):
# it runs reconfigure and runit and handles the stop signal.
OMNIBUS_WRAPPER = "/assets/wrapper"
# GitLab writes the archive here before uploading it (gitlab_rails['backup_path']'s
# default); it is task storage, not EFS, so the archive never lands in the EFS backups.
BACKUP_DIR = "/var/opt/gitlab/backups"
CONFIG_PREFIX = "etc/"
# The lines metric filters count: {"component": "gitlab-backup", "status": ...}.
LOG_COMPONENT = "gitlab-backup"

# Fog, GitLab's own S3 client, with the task role's credentials (use_iam_profile reads
# the ECS credential endpoint) as object storage uses it; run by `gitlab-rails runner`.
_S3_RUBY = """\
require 'fog/aws'
storage = Fog::Storage.new(provider: 'AWS', region: ENV.fetch('GITLAB_BACKUP_REGION'), use_iam_profile: true)
bucket, key, file = ENV.fetch('S3_BUCKET'), ENV.fetch('S3_KEY'), ENV.fetch('S3_FILE')
case ENV.fetch('S3_OP')
when 'put'
  headers = { 'x-amz-server-side-encryption' => 'aws:kms' }
  kms = ENV.fetch('S3_KMS_KEY_ARN', '')
  headers['x-amz-server-side-encryption-aws-kms-key-id'] = kms unless kms.empty?
  File.open(file, 'rb') { |body| storage.put_object(bucket, key, body, headers) }
when 'get'
  File.open(file, 'wb') { |out| storage.get_object(bucket, key) { |chunk, _left, _total| out.write(chunk) } }
else
  abort "S3_OP must be put or get"
end
"""

SCRIPT = (
    r"""#!/bin/bash
# gitlab-backup-s3: GitLab's own backup to S3, written at task start by the container's
# command (modules/gitlab_backup.py; docs/operations.md, "GitLab's own backup").
#   gitlab-backup-s3 now                    back up now: archive, then /etc/gitlab
#   gitlab-backup-s3 schedule               every day at $GITLAB_BACKUP_DAILY_AT (UTC)
#   gitlab-backup-s3 fetch-archive NAME     download NAME_gitlab_backup.tar for a restore
#   gitlab-backup-s3 fetch-config NAME      download etc/NAME (gitlab_config_*.tar) to /etc/gitlab/config_backup
set -uo pipefail
BACKUP_DIR="${GITLAB_BACKUP_DIR:-"""
    + BACKUP_DIR
    + r"""}"
WORK="$BACKUP_DIR/.s3"

log() {  # status step detail: one JSON line on the container's stdout
  local detail=${3//\\/\\\\}
  printf '{"component":"gitlab-backup","status":"%s","step":"%s","detail":"%s"}\n' "$1" "$2" "${detail//\"/\\\"}"
}

s3() {  # s3 put|get BUCKET KEY FILE [KMS_KEY_ARN]
  S3_OP=$1 S3_BUCKET=$2 S3_KEY=$3 S3_FILE=$4 S3_KMS_KEY_ARN=${5:-} gitlab-rails runner "$S3_RUBY"
}

now() {
  local started=$SECONDS archive config
  # Answering means reconfigure has run, so the backup directory exists.
  gitlab-healthcheck --fail --max-time 10 >/dev/null 2>&1 || { log failed ready "GitLab is not answering"; return 1; }
  exec 9>"$BACKUP_DIR/.gitlab-backup-s3.lock"
  flock -n 9 || { log failed lock "another backup is running"; return 1; }
  # CRON=1 keeps the log to errors; the upload is GitLab's own (backup_upload_* in gitlab.rb).
  gitlab-backup create CRON=1 || { log failed archive "gitlab-backup create failed (its output is above)"; return 1; }
  archive=$(cd "$BACKUP_DIR" && ls -1t -- *_gitlab_backup.tar 2>/dev/null | head -n 1)
  [ -n "$archive" ] || { log failed archive "no *_gitlab_backup.tar in $BACKUP_DIR"; return 1; }
  # gitlab-secrets.json apart from the archive, as GitLab requires ("Backing up
  # configuration files"): its own bucket and key.
  rm -rf "$WORK" && mkdir -p "$WORK/etc"
  gitlab-ctl backup-etc --backup-path "$WORK/etc" >/dev/null \
    || { log failed config "gitlab-ctl backup-etc failed"; return 1; }
  config=$(cd "$WORK/etc" && ls -1t -- gitlab_config_*.tar 2>/dev/null | head -n 1)
  [ -n "$config" ] || { log failed config "gitlab-ctl backup-etc wrote no archive"; return 1; }
  chown -R git:git "$WORK"  # gitlab-rails runner runs as git
  s3 put "$GITLAB_CONFIG_BACKUP_BUCKET" "etc/$config" "$WORK/etc/$config" "$GITLAB_CONFIG_BACKUP_KMS_KEY_ARN" \
    || { log failed upload "etc/$config to $GITLAB_CONFIG_BACKUP_BUCKET"; return 1; }
  # Both are in S3 now; local copies would only fill the task's storage.
  rm -f -- "$BACKUP_DIR/$archive"
  rm -rf "$WORK"
  log succeeded done "$archive etc/$config in $((SECONDS - started)) s"
}

schedule() {
  local current next
  while :; do
    current=$(date -u +%s)
    next=$(date -u -d "today $GITLAB_BACKUP_DAILY_AT" +%s)
    [ "$next" -gt "$current" ] || next=$(date -u -d "tomorrow $GITLAB_BACKUP_DAILY_AT" +%s)
    log scheduled wait "next backup at $(date -u -d "@$next" +%Y-%m-%dT%H:%M:%SZ)"
    sleep $((next - current))
    now || true
  done
}

fetch() {  # fetch BUCKET KEY DESTINATION
  mkdir -p "$WORK" && chown git:git "$WORK"
  s3 get "$1" "$2" "$WORK/download" || { log failed fetch "$2 from $1"; return 1; }
  mv -- "$WORK/download" "$3"
  log fetched fetch "$2 to $3"
}

S3_RUBY=$(cat <<'RUBY'
"""
    + _S3_RUBY
    + r"""RUBY
)
export S3_RUBY

case "${1:-}" in
  now) now ;;
  schedule) schedule ;;
  fetch-archive)
    name=${2:?name the archive: <timestamp>_gitlab_backup.tar or its <timestamp>}
    name=${name%_gitlab_backup.tar}_gitlab_backup.tar
    fetch "$GITLAB_BACKUP_BUCKET" "$name" "$BACKUP_DIR/$name" && chown git:git "$BACKUP_DIR/$name" ;;
  fetch-config)
    name=${2:?name the copy: gitlab_config_<timestamp>_<date>.tar}
    name=${name#etc/}
    mkdir -p /etc/gitlab/config_backup \
      && fetch "$GITLAB_CONFIG_BACKUP_BUCKET" "etc/$name" "/etc/gitlab/config_backup/$name" ;;
  *) echo "usage: gitlab-backup-s3 now|schedule|fetch-archive NAME|fetch-config NAME" >&2; exit 2 ;;
esac
"""
)


def terraform_literal(text: str) -> str:
    """``text`` as it must stand in Terraform JSON to arrive unchanged: ``${`` and ``%{``
    open Terraform's interpolations and directives ("String Templates", Terraform
    language docs), and the script's shell expansions use ``${``."""
    return text.replace("${", "$${").replace("%{", "%%{")


def start_command(schedule: bool) -> list[str]:
    """The GitLab container's command (entry point ``/bin/bash -c``): install the helper
    from its environment variable, start the daily loop unless paused, then hand the
    container over to Omnibus's wrapper (``exec``: it gets the stop signal)."""
    loop = f"{{ {HELPER} schedule & }}; " if schedule else ""
    return [f'printf "%s" "${SCRIPT_ENV}" > {HELPER} && chmod 0755 {HELPER}; {loop}exec {OMNIBUS_WRAPPER}']


@dataclass(frozen=True)
class GitLabBackupProps:
    """Inputs of ``GitLabBackup``.

    ``data_kms_key_arn``: GitLab's data key, which the archives use like the rest of
    GitLab's data; ``/etc/gitlab``'s copies get their own key, so that the archive's
    key never opens the secrets that decrypt it. Archives expire after ``keep_days``,
    the copies of ``/etc/gitlab`` after ``config_keep_days``; ``daily_at`` is UTC
    "HH:MM"; ``schedule`` False pauses the loop (maintenance, a restore).
    """

    namer: Namer
    account_id: str
    region: str
    data_kms_key_arn: str
    access_log_bucket: str
    partition: str = "aws"
    daily_at: str = "02:00"
    keep_days: int = 30
    config_keep_days: int = 365
    schedule: bool = True
    access_log_dependencies: tuple[ITerraformDependable, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "access_log_dependencies", tuple(self.access_log_dependencies))


class GitLabBackup(Construct):
    """``archives`` and ``config`` buckets, ``config_key``; the container's ``environment``,
    ``command`` and the task role's ``task_statements``."""

    def __init__(self, scope: Construct, id_: str, props: GitLabBackupProps) -> None:
        super().__init__(scope, id_)
        namer = props.namer
        self.config_key = KmsKey(
            self,
            "config-key",
            KmsKeyProps(
                namer=namer,
                purpose="gitlab-config-backup",
                description=f"Copies of /etc/gitlab (gitlab-secrets.json) of {namer.prefix}-{namer.workspace}",
                account_id=props.account_id,
                partition=props.partition,
            ),
        )

        def bucket(id_: str, kind: str, key_arn: str, keep_days: int) -> PrivateBucket:
            return PrivateBucket(
                self,
                id_,
                PrivateBucketProps(
                    name=namer.name("s3_bucket", props.account_id, kind),
                    kms_key_arn=key_arn,
                    access_log_bucket=props.access_log_bucket,
                    access_log_prefix=f"s3/{kind}/",
                    access_log_dependencies=props.access_log_dependencies,
                    expiration_days=keep_days,
                    # An expired archive stays a noncurrent version this long: a slip of
                    # the lifecycle can be undone, the storage is not paid twice for long.
                    noncurrent_version_days=7,
                ),
            )

        self.archives = bucket("archives", "backups", props.data_kms_key_arn, props.keep_days)
        self.config = bucket("config", "config-backups", self.config_key.arn, props.config_keep_days)
        self.environment: dict[str, Any] = {
            SCRIPT_ENV: terraform_literal(SCRIPT),
            "GITLAB_BACKUP_BUCKET": self.archives.name,
            "GITLAB_CONFIG_BACKUP_BUCKET": self.config.name,
            "GITLAB_CONFIG_BACKUP_KMS_KEY_ARN": self.config_key.arn,
            "GITLAB_BACKUP_REGION": props.region,
            "GITLAB_BACKUP_DAILY_AT": props.daily_at,
        }
        self.command = start_command(props.schedule)
        self.keep_days = props.keep_days
        archives, config = self.archives.arn, self.config.arn
        # Write and read, never delete: versioning and the lifecycle decide what goes,
        # so a compromised GitLab cannot erase its own backups.
        self.task_statements = [
            statement("BackupBuckets", ["s3:GetBucketLocation", "s3:ListBucket"], [archives, config]),
            statement(
                "BackupArchives",
                ["s3:AbortMultipartUpload", "s3:GetObject", "s3:ListMultipartUploadParts", "s3:PutObject"],
                [f"{archives}/*"],
            ),
            statement(
                "ConfigBackups",
                ["s3:GetObject", "s3:PutObject"],
                [f"{config}/{CONFIG_PREFIX}*"],
            ),
            statement("UseConfigBackupKey", ["kms:Decrypt", "kms:GenerateDataKey"], [self.config_key.arn]),
        ]
