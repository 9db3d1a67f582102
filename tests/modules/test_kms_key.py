"""KmsKey construct: rotation, alias, explicit policy, protected from destroy."""

from __future__ import annotations

from cdktf import TerraformStack, Testing

from modules.kms_key import KmsKey, KmsKeyProps
from modules.naming import Namer
from modules.policy import statement
from tests.support.synth import only, policy, synth_stack


def test_key_policy_alias_rotation_and_protection() -> None:
    app = Testing.app()
    scope = TerraformStack(app, "test")
    grant = statement("UseBySns", ["kms:Decrypt"], ["*"], principals={"Service": "sns.amazonaws.com"})
    KmsKey(
        scope,
        "key",
        KmsKeyProps(
            namer=Namer("acme", "ops"),
            purpose="alarms",
            description="alarm topic",
            account_id="123456789012",
            partition="aws-us-gov",
            service_statements=(grant,),
        ),
    )
    stack = synth_stack(scope)
    key = only(stack, "aws_kms_key")
    assert key["enable_key_rotation"] is True
    assert key["deletion_window_in_days"] == 30
    assert key["lifecycle"] == {"prevent_destroy": True}
    statements = policy(key)["Statement"]
    assert statements[0]["Principal"] == {"AWS": "arn:aws-us-gov:iam::123456789012:root"}
    assert statements[1]["Sid"] == "UseBySns"
    alias = only(stack, "aws_kms_alias")
    assert alias["name"] == "alias/acme-ops-alarms"
    assert alias["target_key_id"].startswith("${aws_kms_key.")
