"""Where the GitLab CE image comes from: an ECR repository, or an ECR pull-through cache of Docker Hub."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Literal

from cdktf import TerraformResourceLifecycle
from cdktf_cdktf_provider_aws.ecr_lifecycle_policy import EcrLifecyclePolicy
from cdktf_cdktf_provider_aws.ecr_pull_through_cache_rule import EcrPullThroughCacheRule
from cdktf_cdktf_provider_aws.ecr_registry_scanning_configuration import (
    EcrRegistryScanningConfiguration,
    EcrRegistryScanningConfigurationRule,
    EcrRegistryScanningConfigurationRuleRepositoryFilter,
)
from cdktf_cdktf_provider_aws.ecr_repository import (
    EcrRepository,
    EcrRepositoryEncryptionConfiguration,
    EcrRepositoryImageScanningConfiguration,
)
from cdktf_cdktf_provider_aws.ecr_repository_creation_template import (
    EcrRepositoryCreationTemplate,
    EcrRepositoryCreationTemplateEncryptionConfiguration,
)
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from constructs import Construct

from modules.naming import Namer
from modules.policy import arn, document, service_trust, statement

DOCKER_HUB = "registry-1.docker.io"
UPSTREAM_REPOSITORY = "gitlab/gitlab-ce"
# The log router beside GitLab (modules/gitlab_service.py): AWS for Fluent Bit, the
# image the ECS Developer Guide names for FireLens, on Docker Hub as amazon/... and
# on public ECR as public.ecr.aws/aws-observability/...; pinned like GitLab's tag.
LOG_ROUTER_UPSTREAM_REPOSITORY = "amazon/aws-for-fluent-bit"
LOG_ROUTER_TAG = "2.32.2.20240425"


@dataclass(frozen=True)
class GitLabImageProps:
    """Inputs of ``GitLabImage``. ``credential_arn`` is required for ``pull_through_cache``."""

    namer: Namer
    account_id: str
    region: str
    kms_key_arn: str
    tag: str
    partition: str = "aws"
    source: Literal["repository", "pull_through_cache"] = "repository"
    credential_arn: str | None = None
    scanning: Literal["enhanced", "basic"] = "enhanced"
    keep_tagged_images: int = 10
    expire_untagged_days: int = 7
    log_router_tag: str = LOG_ROUTER_TAG


def lifecycle_policy(keep_tagged: int, untagged_days: int) -> str:
    """Expire untagged images after some days, keep the newest tagged ones."""
    rules = [
        {
            "rulePriority": 1,
            "description": f"expire untagged images after {untagged_days} days",
            "selection": {
                "tagStatus": "untagged",
                "countType": "sinceImagePushed",
                "countUnit": "days",
                "countNumber": untagged_days,
            },
            "action": {"type": "expire"},
        },
        {
            "rulePriority": 2,
            "description": f"keep the last {keep_tagged} tagged images",
            "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": keep_tagged},
            "action": {"type": "expire"},
        },
    ]
    return json.dumps({"rules": rules}, sort_keys=True)


class GitLabImage(Construct):
    """``image`` is the URI the task definition uses, ``log_router_image`` the Fluent
    Bit sidecar's (same source, same protections); ``repository_arns`` what the
    execution role may pull from; ``pull_actions`` extra actions it needs (the
    pull-through cache imports upstream images on the first pull)."""

    def __init__(self, scope: Construct, id_: str, props: GitLabImageProps) -> None:
        super().__init__(scope, id_)
        registry = f"{props.account_id}.dkr.ecr.{props.region}.amazonaws.com"
        policy = lifecycle_policy(props.keep_tagged_images, props.expire_untagged_days)
        self.repository: EcrRepository | None = None
        self.log_router_repository: EcrRepository | None = None
        self.pull_through_rule: EcrPullThroughCacheRule | None = None
        if props.source == "repository":
            name = props.namer.name("ecr", "gitlab-ce")
            self.repository = EcrRepository(
                self,
                "repository",
                name=name,
                # Security Hub ECR.2: tags cannot be overwritten, so a pinned tag is one image.
                image_tag_mutability="IMMUTABLE",
                encryption_configuration=[
                    EcrRepositoryEncryptionConfiguration(encryption_type="KMS", kms_key=props.kms_key_arn)
                ],
                image_scanning_configuration=EcrRepositoryImageScanningConfiguration(scan_on_push=True),
                force_delete=False,
                lifecycle=TerraformResourceLifecycle(prevent_destroy=True),
            )
            EcrLifecyclePolicy(self, "lifecycle", repository=self.repository.name, policy=policy)
            self.repository_name = name
            self.image = f"{self.repository.repository_url}:{props.tag}"
            router_name = props.namer.name("ecr", "aws-for-fluent-bit")
            # Filled like GitLab's repository: docs/runbooks.md, "The log router's image".
            self.log_router_repository = EcrRepository(
                self,
                "log-router-repository",
                name=router_name,
                image_tag_mutability="IMMUTABLE",
                encryption_configuration=[
                    EcrRepositoryEncryptionConfiguration(encryption_type="KMS", kms_key=props.kms_key_arn)
                ],
                image_scanning_configuration=EcrRepositoryImageScanningConfiguration(scan_on_push=True),
                force_delete=False,
            )
            EcrLifecyclePolicy(self, "log-router-lifecycle", repository=self.log_router_repository.name, policy=policy)
            self.log_router_image = f"{self.log_router_repository.repository_url}:{props.log_router_tag}"
            self.repository_arns: list[str] = [self.repository.arn, self.log_router_repository.arn]
            self.pull_actions: list[str] = []
            scan_filters = [name, router_name]
        else:
            assert props.credential_arn, "configuration requires a credential for pull_through_cache"
            prefix = props.namer.name("ecr_cache_prefix", "docker-hub")
            self.pull_through_rule = EcrPullThroughCacheRule(
                self,
                "pull-through-cache",
                ecr_repository_prefix=prefix,
                upstream_registry_url=DOCKER_HUB,
                credential_arn=props.credential_arn,
            )
            self._creation_template(props, prefix, policy)
            self.repository_name = f"{prefix}/{UPSTREAM_REPOSITORY}"
            self.image = f"{registry}/{self.repository_name}:{props.tag}"
            self.log_router_image = f"{registry}/{prefix}/{LOG_ROUTER_UPSTREAM_REPOSITORY}:{props.log_router_tag}"
            self.repository_arns = [
                arn(props.partition, "ecr", props.region, props.account_id, f"repository/{prefix}/*")
            ]
            # The first pull of a tag creates the cached repository and imports
            # the image ("Pull through cache rules", ECR User Guide, IAM permissions).
            self.pull_actions = ["ecr:BatchImportUpstreamImage", "ecr:CreateRepository"]
            scan_filters = [f"{prefix}/*"]
        EcrRegistryScanningConfiguration(
            self,
            "scanning",
            scan_type="ENHANCED" if props.scanning == "enhanced" else "BASIC",
            rule=[
                EcrRegistryScanningConfigurationRule(
                    scan_frequency="CONTINUOUS_SCAN" if props.scanning == "enhanced" else "SCAN_ON_PUSH",
                    repository_filter=[
                        EcrRegistryScanningConfigurationRuleRepositoryFilter(filter=scan, filter_type="WILDCARD")
                        for scan in scan_filters
                    ],
                )
            ],
        )

    def _creation_template(self, props: GitLabImageProps, prefix: str, policy: str) -> None:
        """Cached repositories get the same protections as a repository of our own."""
        # A template that encrypts with a customer key needs a role ECR assumes to
        # create the repository ("Repository creation templates", ECR User Guide).
        role = IamRole(
            self,
            "creation-template-role",
            name=props.namer.name("iam_role", "ecr-creation-template"),
            assume_role_policy=service_trust("ecr.amazonaws.com", props.account_id),
        )
        repositories = arn(props.partition, "ecr", props.region, props.account_id, f"repository/{prefix}/*")
        IamRolePolicy(
            self,
            "creation-template-policy",
            name="create-cached-repositories",
            role=role.id,
            policy=document(
                [
                    statement(
                        "CreateCachedRepositories",
                        ["ecr:CreateRepository", "ecr:PutLifecyclePolicy", "ecr:TagResource"],
                        [repositories],
                    ),
                    statement(
                        "EncryptWithTheImageKey",
                        ["kms:CreateGrant", "kms:DescribeKey", "kms:GenerateDataKey*", "kms:Decrypt"],
                        [props.kms_key_arn],
                    ),
                ]
            ),
        )
        EcrRepositoryCreationTemplate(
            self,
            "creation-template",
            prefix=prefix,
            applied_for=["PULL_THROUGH_CACHE"],
            description="GitLab CE cached from Docker Hub: immutable, encrypted, expiring",
            image_tag_mutability="IMMUTABLE",
            encryption_configuration=[
                EcrRepositoryCreationTemplateEncryptionConfiguration(encryption_type="KMS", kms_key=props.kms_key_arn)
            ],
            lifecycle_policy=policy,
            custom_role_arn=role.arn,
        )
