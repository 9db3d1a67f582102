"""A CodeBuild project that copies one pinned GitLab CE tag from Docker Hub into the ECR
repository: no workstation, digest-verified, refusing a missing tag and an overwrite."""

from __future__ import annotations

import json
from dataclasses import dataclass

from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from cdktf_cdktf_provider_aws.codebuild_project import (
    CodebuildProject,
    CodebuildProjectArtifacts,
    CodebuildProjectEnvironment,
    CodebuildProjectEnvironmentEnvironmentVariable,
    CodebuildProjectLogsConfig,
    CodebuildProjectLogsConfigCloudwatchLogs,
    CodebuildProjectSource,
)
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from constructs import Construct

from modules.kms_key import KmsKey, KmsKeyProps
from modules.naming import Namer
from modules.policy import arn, document, logs_key_statement, service_trust, statement

SOURCE_IMAGE = "docker.io/gitlab/gitlab-ce"
# Omnibus CE tags as GitLab publishes them on Docker Hub ("Install GitLab in a Docker
# container", GitLab docs): <major>.<minor>.<patch>-ce.<n>; "latest" and "rc" tags are refused.
TAG_PATTERN = r"^[0-9]+\.[0-9]+\.[0-9]+-ce\.[0-9]+$"
# Ubuntu-based CodeBuild image; skopeo comes from Ubuntu's archive at install time
# ("Docker images provided by CodeBuild", CodeBuild User Guide).
BUILD_IMAGE = "aws/codebuild/standard:7.0"
# Push actions on one repository ("Pushing an image", Amazon ECR User Guide), plus the
# lookups the build makes before and after; GetAuthorizationToken takes no resource.
PUSH_ACTIONS = (
    "ecr:BatchCheckLayerAvailability",
    "ecr:BatchGetImage",
    "ecr:CompleteLayerUpload",
    "ecr:DescribeImages",
    "ecr:InitiateLayerUpload",
    "ecr:PutImage",
    "ecr:UploadLayerPart",
)


def buildspec() -> str:
    """The build's steps. JSON is YAML, which CodeBuild reads; no ``${`` appears, so
    Terraform leaves the shell variables alone."""
    commands = [
        # Refuse before anything is copied.
        'test -n "$TAG" || { echo "refusing: set TAG (e.g. 19.7.0-ce.0)"; exit 1; }',
        f'echo "$TAG" | grep -Eq \'{TAG_PATTERN}\' || {{ echo "refusing: $TAG is not a pinned CE tag"; exit 1; }}',
        'if aws ecr describe-images --repository-name "$REPOSITORY_NAME" --image-ids imageTag="$TAG" >/dev/null 2>&1;'
        ' then echo "refusing: $REPOSITORY_NAME:$TAG exists and tags are immutable"; exit 1; fi',
        # The digest of the tag's manifest (list) as Docker Hub serves it; a missing tag fails here.
        'skopeo inspect --raw "docker://$SOURCE_IMAGE:$TAG" > manifest.json'
        ' || { echo "refusing: $SOURCE_IMAGE:$TAG does not exist"; exit 1; }',
        'SOURCE_DIGEST="sha256:$(sha256sum manifest.json | cut -d" " -f1)"',
        'echo "source digest $SOURCE_DIGEST"',
        'if [ -n "$DIGEST" ] && [ "$DIGEST" != "$SOURCE_DIGEST" ];'
        ' then echo "refusing: Docker Hub serves $SOURCE_DIGEST, not the expected $DIGEST"; exit 1; fi',
        # By digest, every platform, byte for byte: the digest in ECR is the one read above.
        'skopeo copy --all --preserve-digests --dest-creds "AWS:$(aws ecr get-login-password)"'
        ' "docker://$SOURCE_IMAGE@$SOURCE_DIGEST" "docker://$REPOSITORY_URI:$TAG"',
        'PUSHED=$(aws ecr describe-images --repository-name "$REPOSITORY_NAME" --image-ids imageTag="$TAG"'
        " --query 'imageDetails[0].imageDigest' --output text)",
        'test "$PUSHED" = "$SOURCE_DIGEST" || { echo "digest mismatch: ECR has $PUSHED"; exit 1; }',
        'echo "copied $SOURCE_IMAGE:$TAG to $REPOSITORY_URI:$TAG ($PUSHED)"',
    ]
    spec = {
        "version": "0.2",
        "env": {"shell": "bash"},
        "phases": {
            "install": {"commands": ["apt-get update -qq", "apt-get install -y -qq skopeo"]},
            "build": {"commands": commands},
        },
    }
    return json.dumps(spec, indent=2)


@dataclass(frozen=True)
class ImageCopyProps:
    """Inputs of ``ImageCopy``: the ECR repository (name, URL, ARN) it pushes to, and
    the key that encrypts the project's build data."""

    namer: Namer
    account_id: str
    region: str
    repository_name: str
    repository_url: str
    repository_arn: str
    kms_key_arn: str
    partition: str = "aws"
    log_retention_days: int = 365
    timeout_minutes: int = 60


class ImageCopy(Construct):
    """``project`` is started with ``TAG`` (and optionally ``DIGEST``) set per build."""

    def __init__(self, scope: Construct, id_: str, props: ImageCopyProps) -> None:
        super().__init__(scope, id_)
        namer = props.namer
        name = namer.name("default", "gitlab-image-copy")
        log_name = namer.path("log_group", "gitlab-image-copy")
        log_arn = arn(props.partition, "logs", props.region, props.account_id, f"log-group:{log_name}")
        logs_key = KmsKey(
            self,
            "logs-key",
            KmsKeyProps(
                namer=namer,
                purpose="gitlab-image-copy-logs",
                description=f"GitLab image copy logs of {namer.prefix}-{namer.workspace}",
                account_id=props.account_id,
                partition=props.partition,
                service_statements=(
                    logs_key_statement("CloudWatchLogsForTheImageCopyLogGroup", props.region, log_arn),
                ),
            ),
        )
        self.log_group = CloudwatchLogGroup(
            self, "log-group", name=log_name, retention_in_days=props.log_retention_days, kms_key_id=logs_key.arn
        )
        self.role = IamRole(
            self,
            "role",
            name=namer.name("iam_role", "gitlab-image-copy"),
            assume_role_policy=service_trust("codebuild.amazonaws.com", props.account_id),
        )
        IamRolePolicy(
            self,
            "role-policy",
            name="copy-gitlab-image",
            role=self.role.id,
            policy=document(
                [
                    statement("EcrSignIn", ["ecr:GetAuthorizationToken"], ["*"]),
                    statement("PushToTheGitLabRepository", list(PUSH_ACTIONS), [props.repository_arn]),
                    statement("OwnBuildLogs", ["logs:CreateLogStream", "logs:PutLogEvents"], [f"{log_arn}:*"]),
                    # The project's encryption key ("Data encryption", CodeBuild User Guide).
                    statement(
                        "EncryptBuildData",
                        ["kms:Decrypt", "kms:GenerateDataKey*"],
                        [props.kms_key_arn],
                        conditions={"StringEquals": {"kms:ViaService": f"codebuild.{props.region}.amazonaws.com"}},
                    ),
                ]
            ),
        )
        # No vpc_config: the build needs Docker Hub, and the tooling VPC has no internet
        # route (only VPC endpoints); CodeBuild's own network reaches both Docker Hub and ECR.
        self.project = CodebuildProject(
            self,
            "project",
            name=name,
            description=f"Copy one pinned {SOURCE_IMAGE} tag into {props.repository_name}, digest-verified",
            service_role=self.role.arn,
            encryption_key=props.kms_key_arn,
            build_timeout=props.timeout_minutes,
            queued_timeout=60,
            concurrent_build_limit=1,
            artifacts=CodebuildProjectArtifacts(type="NO_ARTIFACTS"),
            source=CodebuildProjectSource(type="NO_SOURCE", buildspec=buildspec()),
            environment=CodebuildProjectEnvironment(
                compute_type="BUILD_GENERAL1_SMALL",
                image=BUILD_IMAGE,
                type="LINUX_CONTAINER",
                image_pull_credentials_type="CODEBUILD",
                privileged_mode=False,  # skopeo needs no Docker daemon
                environment_variable=[
                    CodebuildProjectEnvironmentEnvironmentVariable(name=key, value=value, type="PLAINTEXT")
                    for key, value in (
                        ("SOURCE_IMAGE", SOURCE_IMAGE),
                        ("REPOSITORY_NAME", props.repository_name),
                        ("REPOSITORY_URI", props.repository_url),
                        ("TAG", ""),
                        ("DIGEST", ""),
                    )
                ],
            ),
            logs_config=CodebuildProjectLogsConfig(
                cloudwatch_logs=CodebuildProjectLogsConfigCloudwatchLogs(status="ENABLED", group_name=log_name)
            ),
            depends_on=[self.log_group],
        )
