"""checkov's terraform_plan scan of every workspace, against the committed exceptions."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import CheckovResult
from tests.support.checkov import Exception_, Finding, judge, load_exceptions


def test_checkov_scanned_every_plan(checkov_result: CheckovResult) -> None:
    assert checkov_result.passed > 0, checkov_result.log


def test_no_failed_check_without_a_written_reason(
    checkov_result: CheckovResult, checkov_exceptions: list[Exception_]
) -> None:
    unexplained, _ = judge(checkov_result.findings, checkov_exceptions)
    assert not unexplained, "fix these or add them with a reason to tests/checkov_exceptions.yaml:\n" + "\n".join(
        map(str, unexplained)
    )


def test_no_exception_outlives_its_finding(checkov_result: CheckovResult, checkov_exceptions: list[Exception_]) -> None:
    _, stale = judge(checkov_result.findings, checkov_exceptions)
    assert not stale, "remove from tests/checkov_exceptions.yaml:\n" + "\n".join(
        f"{e.check_id} {e.resource}" for e in stale
    )


def test_judge_and_reasons(tmp_path: Path) -> None:
    finding = Finding("tooling", "CKV_AWS_1", "aws_s3_bucket.logs_ABC", "x")
    covered = Exception_("CKV_AWS_1", "aws_s3_bucket.logs_*", "the access-log bucket cannot log to itself")
    unused = Exception_("CKV_AWS_2", "aws_vpc.*", "a reason that is long enough")
    assert judge([finding], [covered, unused]) == ([], [unused])
    assert judge([finding], []) == ([finding], [])
    path = tmp_path / "exceptions.yaml"
    path.write_text("CKV_AWS_1:\n  aws_s3_bucket.x: ok\n", encoding="utf-8")
    with pytest.raises(ValueError, match="write why"):
        load_exceptions(path)
