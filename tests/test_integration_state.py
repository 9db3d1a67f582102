"""The state backend against a real S3 and DynamoDB API (moto's server on 127.0.0.1).

One moto server for the module: the bootstrap workspace is applied to it with
Terraform, then the synthesized tooling workspace with the S3 backend
initializes and plans against what it created (assuming the account's deploy
role, as in production), and a second plan is refused while a first Terraform
process holds the state lock — with the S3 lock file and with DynamoDB.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cdktf import Testing

from config.backend import S3BackendSettings, load_backend
from scripts.moto_server import moto_server
from stacks.base import AccountStack
from tests.conftest import ROOT, Synthesis
from tests.support.moto import backend_endpoints, client, provider_endpoints
from tests.support.synth import synth_stack
from tests.support.terraform import OVERRIDE_FILE, Terraform, offline_override

pytestmark = pytest.mark.integration

# Terraform waits for lifecycle rules to read back equal three times, ten seconds
# apart; the apply takes about a minute of the budget.
APPLY_TIMEOUT = 180
STEP_TIMEOUT = 120
LOCK_WAIT = 30


@dataclass(frozen=True)
class Emulator:
    url: str
    terraform: Terraform
    workdir: Path
    backend: S3BackendSettings
    bootstrap: Path
    replan: str  # the bootstrap's second plan, right after the apply
    policy_sids: frozenset[str]  # the state bucket policy as applied

    def client(self, service: str) -> Any:
        return client(service, self.url, self.backend.region, self.terraform.env)


@pytest.fixture(scope="module")
def emulator(synthesis: Synthesis, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    workdir = tmp_path_factory.mktemp("moto")
    backend = load_backend(ROOT / "backend.tf.json.example")
    assert backend is not None
    terraform = Terraform(workdir / ".config")
    with moto_server(workdir / "moto.log", synthesis.environments.tooling.account_id) as url:
        # The bootstrap as synthesized (local state), its provider pointed at the emulator.
        directory = workdir / "bootstrap"
        shutil.copytree(synthesis.stack_dir("bootstrap"), directory)
        stack = json.loads((directory / "cdk.tf.json").read_text(encoding="utf-8"))
        override = offline_override(stack, directory / "terraform.tfstate")
        for provider in override["provider"]["aws"]:  # type: ignore[index]
            provider.update(provider_endpoints(url))
        (directory / OVERRIDE_FILE).write_text(json.dumps(override, indent=2), encoding="utf-8")
        steps = [("init", "-input=false"), ("apply", "-input=false", "-auto-approve")]
        steps.append(("plan", "-input=false", "-detailed-exitcode"))
        for args in steps:
            step = terraform.run(directory, *args, timeout=APPLY_TIMEOUT)
            assert step.returncode == 0, f"terraform {step.command}:\n{step.output[-6000:]}"
        s3 = client("s3", url, backend.region, terraform.env)
        policy = json.loads(s3.get_bucket_policy(Bucket=backend.bucket)["Policy"])
        # moto evaluates bucket policies without the request's context (aws:SecureTransport,
        # aws:PrincipalArn): each conditional Deny denies every request there. The policy
        # is checked as applied here and statement by statement in the unit tests; the
        # lock tests below need the API, not moto's partial model of IAM.
        s3.delete_bucket_policy(Bucket=backend.bucket)
        sids = frozenset(statement["Sid"] for statement in policy["Statement"])
        yield Emulator(url, terraform, workdir, backend, directory, step.output, sids)


def test_bootstrap_created_the_backend_the_example_names(emulator: Emulator) -> None:
    s3 = emulator.client("s3")
    bucket = emulator.backend.bucket
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    (rule,) = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    blocks = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    assert all(blocks.values()) and len(blocks) == 4
    logging = s3.get_bucket_logging(Bucket=bucket)["LoggingEnabled"]
    assert logging["TargetBucket"] == "gitlab-tfstate-access-logs-111111111111-ap-northeast-1"
    assert {"DenyInsecureTransport", "DenyNonKmsEncryption", "StagingWriteOwnState"} <= emulator.policy_sids
    dynamodb = emulator.client("dynamodb")
    table = dynamodb.describe_table(TableName=emulator.backend.dynamodb_table)["Table"]
    assert table["KeySchema"] == [{"AttributeName": "LockID", "KeyType": "HASH"}]
    assert table["SSEDescription"]["SSEType"] == "KMS"
    backups = dynamodb.describe_continuous_backups(TableName=emulator.backend.dynamodb_table)
    assert backups["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == (
        "ENABLED"
    )
    aliases = {a["AliasName"] for a in emulator.client("kms").list_aliases()["Aliases"]}
    assert emulator.backend.kms_key_id is not None
    assert emulator.backend.kms_key_id.split(":")[-1] in aliases
    # The bootstrap is idempotent against a real API: nothing left to change.
    assert "No changes." in emulator.replan


def workspace(emulator: Emulator, synthesis: Synthesis, name: str, variant: str, settings: dict[str, Any]) -> Path:
    """The synthesized workspace with the S3 backend that ``settings`` as backend.tf.json give it.

    The backend block comes from ``AccountStack`` itself (stacks/base.py); the rest
    is the shared synthesis, so the workspace is what ``make synth`` writes with
    that backend.tf.json. Its provider is kept offline: a plan of new resources
    calls no AWS API.
    """
    merged = {**emulator.backend.model_dump(exclude_none=True), **settings, **backend_endpoints(emulator.url)}
    backend = S3BackendSettings.model_validate({k: v for k, v in merged.items() if v is not None})
    account = synthesis.environments.accounts[name]
    stack = {**synthesis.stacks[name]}
    stack["terraform"] = {
        **stack["terraform"],
        "backend": synth_stack(AccountStack(Testing.app(), name, account, backend))["terraform"]["backend"],
    }
    directory = emulator.workdir / f"{name}-{variant}"
    directory.mkdir()
    (directory / "cdk.tf.json").write_text(json.dumps(stack, indent=2), encoding="utf-8")
    provider_only = {"provider": offline_override(stack, directory / "unused")["provider"]}
    (directory / OVERRIDE_FILE).write_text(json.dumps(provider_only, indent=2), encoding="utf-8")
    return directory


def wait_for(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + LOCK_WAIT
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} within {LOCK_WAIT}s")
        time.sleep(0.3)


@pytest.mark.parametrize(
    ("locking", "settings"),
    [
        ("S3 lock file", {"use_lockfile": True, "dynamodb_table": None}),
        ("DynamoDB", {"use_lockfile": False}),
    ],
)
def test_second_plan_is_refused_while_the_first_holds_the_lock(
    emulator: Emulator, synthesis: Synthesis, locking: str, settings: dict[str, Any]
) -> None:
    # tooling depends on no other workspace: its plan reads no other state.
    name = "tooling"
    directory = workspace(emulator, synthesis, name, "lockfile" if locking == "S3 lock file" else "dynamodb", settings)
    stack = json.loads((directory / "cdk.tf.json").read_text(encoding="utf-8"))
    backend = stack["terraform"]["backend"]["s3"]
    key = f"gitlab-on-aws/{name}.tfstate"
    assert backend["key"] == key and backend["bucket"] == emulator.backend.bucket
    assert ("dynamodb_table" in backend) is (locking == "DynamoDB")
    assert backend.get("use_lockfile", False) is (locking == "S3 lock file")
    terraform = emulator.terraform

    init = terraform.run(directory, "init", "-input=false", timeout=STEP_TIMEOUT)
    assert init.returncode == 0, init.output
    assert 'Successfully configured the backend "s3"' in init.output
    first = terraform.run(directory, "plan", "-input=false", "-lock-timeout=0s", timeout=STEP_TIMEOUT)
    assert first.returncode == 0, first.output
    assert "to add, 0 to change, 0 to destroy" in first.output

    s3, dynamodb = emulator.client("s3"), emulator.client("dynamodb")
    bucket = emulator.backend.bucket

    def held() -> bool:
        if locking == "DynamoDB":
            item = dynamodb.get_item(
                TableName=emulator.backend.dynamodb_table, Key={"LockID": {"S": f"{bucket}/{key}"}}
            )
            return "Item" in item
        return int(s3.list_objects_v2(Bucket=bucket, Prefix=f"{key}.tflock").get("KeyCount", 0)) == 1

    # `terraform console` takes the state lock and keeps it until its input ends.
    with (emulator.workdir / f"{directory.name}-console.log").open("w", encoding="utf-8") as log:
        holder = subprocess.Popen(
            [terraform.binary, "console", "-no-color"],
            cwd=directory,
            env=terraform.env,
            stdin=subprocess.PIPE,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_for(held, f"{name}: terraform console took no {locking} lock")
            if locking == "S3 lock file":
                # encrypt + kms_key_id of backend.tf.json apply to the lock file too
                head = s3.head_object(Bucket=bucket, Key=f"{key}.tflock")
                assert head["ServerSideEncryption"] == "aws:kms"
                assert head["SSEKMSKeyId"].endswith(str(emulator.backend.kms_key_id).split(":")[-1])
            second = terraform.run(directory, "plan", "-input=false", "-lock-timeout=0s", timeout=STEP_TIMEOUT)
            assert second.returncode != 0, second.output
            assert "Error acquiring the state lock" in second.output
            assert f"Path:      {bucket}/{key}" in second.output
        finally:
            assert holder.stdin is not None
            holder.stdin.close()
            try:
                holder.wait(timeout=LOCK_WAIT)
            except subprocess.TimeoutExpired:
                holder.kill()
                holder.wait(timeout=LOCK_WAIT)
    assert holder.returncode == 0
    assert not held()
    # Released: the same plan goes through again.
    again = terraform.run(directory, "plan", "-input=false", "-lock-timeout=0s", timeout=STEP_TIMEOUT)
    assert again.returncode == 0, again.output
