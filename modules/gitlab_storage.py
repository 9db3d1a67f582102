"""GitLab's data: EFS for /etc/gitlab and the repositories, S3 for object storage, and an access-log bucket."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

from cdktf import TerraformResourceLifecycle
from cdktf_cdktf_provider_aws.efs_access_point import (
    EfsAccessPoint,
    EfsAccessPointRootDirectory,
    EfsAccessPointRootDirectoryCreationInfo,
)
from cdktf_cdktf_provider_aws.efs_backup_policy import EfsBackupPolicy, EfsBackupPolicyBackupPolicy
from cdktf_cdktf_provider_aws.efs_file_system import EfsFileSystem
from cdktf_cdktf_provider_aws.efs_file_system_policy import EfsFileSystemPolicy
from cdktf_cdktf_provider_aws.efs_mount_target import EfsMountTarget
from cdktf_cdktf_provider_aws.efs_replication_configuration import (
    EfsReplicationConfiguration,
    EfsReplicationConfigurationDestination,
)
from cdktf_cdktf_provider_aws.security_group import SecurityGroup
from constructs import Construct

from modules.naming import Namer
from modules.policy import document, statement
from modules.private_bucket import PrivateBucket, PrivateBucketProps

# Directories on EFS (access point name -> root directory and container path).
# /etc/gitlab holds gitlab-secrets.json and the SSH host keys: kept on EFS, a new
# task after an image update reads the same secrets instead of generating new
# ones (the design's "500 error after an image update").
EFS_PATHS: Mapping[str, tuple[str, str]] = MappingProxyType(
    {
        "config": ("/gitlab/config", "/etc/gitlab"),
        "git-data": ("/gitlab/git-data", "/var/opt/gitlab/git-data"),
    }
)
# Object types not in S3 stay where Omnibus keeps them: uploads in
# gitlab-rails/uploads, every other type under gitlab-rails/shared
# ("Object storage", GitLab administration docs: local storage paths). Those
# are on the task's ephemeral storage, lost with every new task, so they get
# their own access point when a type is kept locally.
LOCAL_OBJECT_PATHS: Mapping[str, tuple[str, str]] = MappingProxyType(
    {
        "shared": ("/gitlab/shared", "/var/opt/gitlab/gitlab-rails/shared"),
        "uploads": ("/gitlab/uploads", "/var/opt/gitlab/gitlab-rails/uploads"),
    }
)

# Elastic Load Balancing's log-delivery account in regions older than August 2022
# ("Enable access logs for your Application Load Balancer", ELB User Guide);
# newer regions use the service principal, which is granted everywhere.
ELB_LOG_ACCOUNTS: Mapping[str, str] = MappingProxyType(
    {
        "us-east-1": "127311923021",
        "us-east-2": "033677994240",
        "us-west-1": "027434742980",
        "us-west-2": "797873946194",
        "af-south-1": "098369216593",
        "ap-east-1": "754344448648",
        "ap-south-1": "718504428378",
        "ap-northeast-1": "582318560864",
        "ap-northeast-2": "600734575887",
        "ap-northeast-3": "383597477331",
        "ap-southeast-1": "114774131450",
        "ap-southeast-2": "783225319266",
        "ap-southeast-3": "589379963580",
        "ca-central-1": "985666609251",
        "eu-central-1": "054676820928",
        "eu-west-1": "156460612806",
        "eu-west-2": "652711504416",
        "eu-west-3": "009996457667",
        "eu-south-1": "635631232127",
        "eu-north-1": "897822967062",
        "me-south-1": "076674570225",
        "sa-east-1": "507241528517",
    }
)
ALB_LOG_PREFIX = "alb"
# Elastic throughput scales with git's bursts without provisioning (and without
# burst credits, which decides the monitoring's EFS alarm).
THROUGHPUT_MODE: Final = "elastic"


@dataclass(frozen=True)
class GitLabStorageProps:
    """Inputs of ``GitLabStorage``. ``subnet_ids``: AZ -> private subnet, one mount target each."""

    namer: Namer
    account_id: str
    region: str
    vpc_id: str
    subnet_ids: Mapping[str, str]
    kms_key_arn: str
    object_types: Sequence[str]
    partition: str = "aws"
    # Object types GitLab keeps on its file system instead (not in object_types).
    local_object_types: Sequence[str] = ()
    noncurrent_version_days: int = 30
    access_log_days: int = 365
    # A read-only replica in another region (the design's EFS replication);
    # its key defaults to the AWS-managed EFS key of that region.
    replication_region: str | None = None
    replication_kms_key_arn: str | None = None
    # EFS's own daily backups into aws/efs/automatic-backup-vault ("Automatic backups",
    # EFS User Guide). Off when an AWS Backup plan selects the file system: the same
    # data would be backed up, and paid for, twice.
    automatic_backups: bool = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "subnet_ids", MappingProxyType(dict(self.subnet_ids)))
        object.__setattr__(self, "object_types", tuple(self.object_types))
        object.__setattr__(self, "local_object_types", tuple(self.local_object_types))
        if set(self.object_types) & set(self.local_object_types):
            raise ValueError("an object type is either in S3 or local, not both")


class GitLabStorage(Construct):
    """EFS (KMS, elastic throughput, a backup policy, TLS and IAM enforced by its policy,
    one access point per directory) and one private bucket per object type."""

    def __init__(self, scope: Construct, id_: str, props: GitLabStorageProps) -> None:
        super().__init__(scope, id_)
        self._efs(props)
        self.log_bucket = self._log_bucket(props)
        self.buckets: dict[str, PrivateBucket] = {}
        for object_type in props.object_types:
            self.buckets[object_type] = PrivateBucket(
                self,
                f"bucket-{object_type}",
                PrivateBucketProps(
                    name=props.namer.name("s3_bucket", props.account_id, object_type),
                    kms_key_arn=props.kms_key_arn,
                    access_log_bucket=self.log_bucket.name,
                    access_log_prefix=f"s3/{object_type}/",
                    # S3 refuses PutBucketLogging until the target grants the logging service
                    # (InvalidTargetBucketForLogging; found by `make rehearse`).
                    access_log_dependencies=(self.log_bucket.policy,),
                    noncurrent_version_days=props.noncurrent_version_days,
                ),
            )

    def _efs(self, props: GitLabStorageProps) -> None:
        namer = props.namer
        self.file_system = EfsFileSystem(
            self,
            "file-system",
            creation_token=namer.name("efs", "gitlab"),
            encrypted=True,
            kms_key_id=props.kms_key_arn,
            performance_mode="generalPurpose",
            throughput_mode=THROUGHPUT_MODE,
            tags={"Name": namer.name("tag", "gitlab")},
            lifecycle=TerraformResourceLifecycle(prevent_destroy=True),
        )
        fs_id = self.file_system.id
        self.replication = (
            EfsReplicationConfiguration(
                self,
                "replication",
                source_file_system_id=fs_id,
                destination=EfsReplicationConfigurationDestination(
                    region=props.replication_region, kms_key_id=props.replication_kms_key_arn
                ),
            )
            if props.replication_region
            else None
        )
        # Kept with status DISABLED rather than removed: deleting the resource would
        # leave the file system's policy as it was.
        EfsBackupPolicy(
            self,
            "backup-policy",
            file_system_id=fs_id,
            backup_policy=EfsBackupPolicyBackupPolicy(status="ENABLED" if props.automatic_backups else "DISABLED"),
        )
        self.security_group = SecurityGroup(
            self,
            "sg",
            name=namer.name("security_group", "efs"),
            description="GitLab EFS: NFS from the GitLab service only",
            vpc_id=props.vpc_id,
            tags={"Name": namer.name("tag", "efs")},
        )
        self.mount_targets = {
            az: EfsMountTarget(
                self, f"mount-{az}", file_system_id=fs_id, subnet_id=subnet, security_groups=[self.security_group.id]
            )
            for az, subnet in props.subnet_ids.items()
        }
        self.access_points: dict[str, EfsAccessPoint] = {}
        self.efs_paths = dict(EFS_PATHS)
        local = set(props.local_object_types)
        if local - {"uploads"}:
            self.efs_paths["shared"] = LOCAL_OBJECT_PATHS["shared"]
        if "uploads" in local:
            self.efs_paths["uploads"] = LOCAL_OBJECT_PATHS["uploads"]
        for name, (root, _) in self.efs_paths.items():
            self.access_points[name] = EfsAccessPoint(
                self,
                f"access-point-{name}",
                file_system_id=fs_id,
                # Root-owned on creation: Omnibus runs as root and chowns what
                # needs another owner (git-data to git), so no POSIX user is forced.
                root_directory=EfsAccessPointRootDirectory(
                    path=root,
                    creation_info=EfsAccessPointRootDirectoryCreationInfo(owner_uid=0, owner_gid=0, permissions="0755"),
                ),
                tags={"Name": namer.name("tag", "gitlab", name)},
            )
        fs_arn = self.file_system.arn
        account_root = f"arn:{props.partition}:iam::{props.account_id}:root"
        # With a file-system policy, NFS clients need IAM permission to mount
        # ("IAM to control file system data access", EFS User Guide): the account
        # delegates to IAM policies, and plain-text NFS is refused.
        EfsFileSystemPolicy(
            self,
            "policy",
            file_system_id=fs_id,
            policy=document(
                [
                    statement(
                        "DenyInsecureTransport",
                        ["*"],
                        [fs_arn],
                        principals={"AWS": "*"},
                        conditions={"Bool": {"aws:SecureTransport": "false"}},
                        effect="Deny",
                    ),
                    statement(
                        "MountThroughMountTargetsWithIam",
                        [
                            "elasticfilesystem:ClientMount",
                            "elasticfilesystem:ClientWrite",
                            "elasticfilesystem:ClientRootAccess",
                        ],
                        [fs_arn],
                        principals={"AWS": account_root},
                        conditions={"Bool": {"elasticfilesystem:AccessedViaMountTarget": "true"}},
                    ),
                ]
            ),
        )

    def _log_bucket(self, props: GitLabStorageProps) -> PrivateBucket:
        name = props.namer.name("s3_bucket", props.account_id, "access-logs")
        bucket_arn = f"arn:{props.partition}:s3:::{name}"
        alb_logs = f"{bucket_arn}/{ALB_LOG_PREFIX}/AWSLogs/{props.account_id}/*"
        elb_principals: dict[str, object] = {"Service": "logdelivery.elasticloadbalancing.amazonaws.com"}
        if props.region in ELB_LOG_ACCOUNTS:
            elb_principals["AWS"] = f"arn:{props.partition}:iam::{ELB_LOG_ACCOUNTS[props.region]}:root"
        return PrivateBucket(
            self,
            "access-logs",
            PrivateBucketProps(
                name=name,
                kms_key_arn=None,  # ALB and S3 server access logs support SSE-S3 only
                expiration_days=props.access_log_days,
                noncurrent_version_days=7,
                policy_statements=(
                    statement("AlbAccessLogs", ["s3:PutObject"], [alb_logs], principals=elb_principals),
                    statement(
                        "S3ServerAccessLogs",
                        ["s3:PutObject"],
                        [f"{bucket_arn}/s3/*"],
                        principals={"Service": "logging.s3.amazonaws.com"},
                        conditions={"StringEquals": {"aws:SourceAccount": props.account_id}},
                    ),
                ),
            ),
        )

    @property
    def container_paths(self) -> dict[str, str]:
        """Access point name -> path in the container."""
        return {name: path for name, (_, path) in self.efs_paths.items()}
