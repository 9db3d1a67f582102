"""AWS sessions: the caller's credentials, or a role assumed in the target account."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import boto3
import botocore.exceptions


class AwsError(Exception):
    pass


@dataclass
class Aws:
    session: boto3.Session
    region: str
    # service -> endpoint URL; empty in production (tests point services at local emulators).
    endpoints: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def for_account(cls, region: str, role_arn: str | None, endpoints: Mapping[str, str] | None = None) -> Aws:
        base = cls(boto3.Session(region_name=region), region, endpoints or {})
        if role_arn is None:
            return base
        try:
            credentials = base.client("sts").assume_role(RoleArn=role_arn, RoleSessionName="codecommit-migration")[
                "Credentials"
            ]
        except botocore.exceptions.BotoCoreError as error:
            raise AwsError(f"assuming {role_arn}: {error}") from None
        except botocore.exceptions.ClientError as error:
            raise AwsError(f"assuming {role_arn}: {error.response['Error']['Message']}") from None
        session = boto3.Session(
            aws_access_key_id=credentials["AccessKeyId"],
            aws_secret_access_key=credentials["SecretAccessKey"],
            aws_session_token=credentials["SessionToken"],
            region_name=region,
        )
        return cls(session, region, base.endpoints)

    def client(self, service: str) -> Any:
        return self.session.client(service, region_name=self.region, endpoint_url=self.endpoints.get(service))

    def git_env(self) -> dict[str, str]:
        """The session's credentials for git-remote-codecommit (boto3 in the git child process)."""
        credentials = self.session.get_credentials()
        if credentials is None:
            return {}
        frozen = credentials.get_frozen_credentials()
        env = {"AWS_ACCESS_KEY_ID": frozen.access_key, "AWS_SECRET_ACCESS_KEY": frozen.secret_key}
        if frozen.token:
            env["AWS_SESSION_TOKEN"] = frozen.token
        return env


def error_code(error: botocore.exceptions.ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def paginate(call: Any, key: str, **kwargs: Any) -> list[Any]:
    """Follow ``nextToken`` (CodeCommit, CodePipeline and CodeBuild all use it)."""
    items: list[Any] = []
    token = None
    while True:
        page = call(**kwargs, **({"nextToken": token} if token else {}))
        items += page.get(key, [])
        token = page.get("nextToken")
        if not token:
            return items
