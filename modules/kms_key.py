"""A customer-managed KMS key with rotation, an alias and an explicit key policy."""

from __future__ import annotations

from dataclasses import dataclass

from cdktf import TerraformProvider, TerraformResourceLifecycle
from cdktf_cdktf_provider_aws.kms_alias import KmsAlias
from cdktf_cdktf_provider_aws.kms_key import KmsKey as AwsKmsKey
from constructs import Construct

from modules.naming import Namer
from modules.policy import Statement, document, statement


@dataclass(frozen=True)
class KmsKeyProps:
    """Inputs of ``KmsKey``.

    ``service_statements`` grant AWS services (CloudWatch Logs, …) use of the key;
    each should carry a condition that ties the grant to this account's resources.
    """

    namer: Namer
    purpose: str
    description: str
    account_id: str
    partition: str = "aws"
    service_statements: tuple[Statement, ...] = ()
    deletion_window_days: int = 30
    # Another region's (aliased) provider; None is the stack's default provider.
    provider: TerraformProvider | None = None


class KmsKey(Construct):
    """The key, protected from ``terraform destroy``: data encrypted with a deleted
    key cannot be read again."""

    def __init__(self, scope: Construct, id_: str, props: KmsKeyProps) -> None:
        super().__init__(scope, id_)
        # The account-root statement is the AWS default key policy ("Default key
        # policy", AWS KMS Developer Guide): it lets IAM policies in this account
        # grant use of the key and prevents the key from becoming unmanageable.
        administration = statement(
            "AccountAdministration",
            ["kms:*"],
            ["*"],
            principals={"AWS": f"arn:{props.partition}:iam::{props.account_id}:root"},
        )
        self.key = AwsKmsKey(
            self,
            "key",
            description=props.description,
            enable_key_rotation=True,
            deletion_window_in_days=props.deletion_window_days,
            policy=document([administration, *props.service_statements]),
            lifecycle=TerraformResourceLifecycle(prevent_destroy=True),
            provider=props.provider,
        )
        self.alias = KmsAlias(
            self,
            "alias",
            name="alias/" + props.namer.name("kms_alias", props.purpose),
            target_key_id=self.key.key_id,
            provider=props.provider,
        )

    @property
    def arn(self) -> str:
        return self.key.arn
