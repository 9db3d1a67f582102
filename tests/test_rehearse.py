"""The parts of the rehearsal (scripts/rehearse.py) that need no moto: which resources are left
out and why, the probes that keep its lists honest, the remote-state override, the order and
targets of the steps (a recording stand-in), the step timeout and the signal handling (a shell
script standing in for terraform), the table. The rehearsal itself (`make rehearse`) applies
against moto and is run by CI after the suite."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

import scripts.rehearse as rehearse_module
from scripts.offline_plan import OVERRIDE_FILE
from scripts.rehearse import (
    DEFECT_PROBES,
    EMULATOR_DRIFT,
    REMOTE_STATE_OVERRIDE_FILE,
    TIMED_OUT,
    UNDELETABLE,
    UNSUPPORTED,
    Interrupted,
    Rehearsal,
    StepResult,
    Unsupported,
    apply_and_plan,
    classify,
    deploy_order,
    destroy_all,
    emulator_fault,
    interruptible,
    left_out,
    left_out_override,
    managed_in_state,
    moto_implements,
    prepare,
    probe_undeletable,
    probe_unsupported,
    protection_override,
    render,
    run_step,
    stale_drift,
    stale_entries,
    targets,
)

LISTED = {
    "aws_backup_selection": Unsupported("moto has no Backup CreateBackupSelection", "backup", "create_backup_selection")
}

PRODUCER = {
    "resource": {
        "aws_backup_selection": {"sel": {"plan_id": "${aws_backup_plan.plan.id}"}},
        "aws_backup_plan": {"plan": {"name": "p", "//": {"metadata": {"path": "aws_backup_selection.sel"}}}},
        "aws_cloudwatch_metric_alarm": {"alarm": {"dimensions": {"s": "${aws_backup_selection.sel.id}"}}},
        "aws_sns_topic": {"late": {"name": "t", "depends_on": ["aws_cloudwatch_metric_alarm.alarm"]}},
        "aws_s3_bucket": {"keep": {"bucket": "b", "lifecycle": {"prevent_destroy": True}}},
    },
    "locals": {"sel_id": "${aws_backup_selection.sel.id}"},
    "output": {
        "selection": {"value": "${local.sel_id}"},
        "bucket": {"value": "${aws_s3_bucket.keep.bucket}"},
    },
}

CONSUMER = {
    "data": {
        "terraform_remote_state": {
            "state-producer": {"backend": "local", "config": {"path": "terraform.producer.tfstate"}}
        }
    },
    "resource": {
        "aws_iam_policy": {
            "reads_selection": {"policy": "${data.terraform_remote_state.state-producer.outputs.selection}"},
            "reads_bucket": {"policy": "${data.terraform_remote_state.state-producer.outputs.bucket}"},
        }
    },
}


def test_left_out_is_the_closure_over_references_and_depends_on() -> None:
    out = left_out("producer", PRODUCER, {}, LISTED)
    assert out == {
        "aws_backup_selection.sel": "moto has no Backup CreateBackupSelection",
        "aws_cloudwatch_metric_alarm.alarm": "depends on aws_backup_selection.sel",
        "aws_sns_topic.late": "depends on aws_cloudwatch_metric_alarm.alarm",
        "local.sel_id": "depends on aws_backup_selection.sel",
        "output.selection": "depends on local.sel_id",
    }
    # A reference only in cdktf's "//" metadata is not a dependency.
    assert targets(PRODUCER, out) == ["aws_backup_plan.plan", "aws_s3_bucket.keep"]


def test_left_out_follows_remote_state_into_the_consumer() -> None:
    upstream = {"producer": left_out("producer", PRODUCER, {}, LISTED)}
    out = left_out("consumer", CONSUMER, upstream, LISTED)
    assert out == {"aws_iam_policy.reads_selection": "depends on producer output.selection"}
    assert targets(CONSUMER, out) == ["aws_iam_policy.reads_bucket"]


def test_deploy_order_puts_producers_first() -> None:
    manifest = {
        "stacks": {
            "hub": {"dependencies": ["tooling", "staging"]},
            "staging": {"dependencies": ["tooling", "bootstrap"]},
            "tooling": {"dependencies": ["bootstrap"]},
            "bootstrap": {"dependencies": []},
        }
    }
    assert deploy_order(manifest) == ["bootstrap", "tooling", "staging", "hub"]


def test_probe_fails_for_a_type_moto_implements_or_no_workspace_has() -> None:
    implemented = {"aws_vpc": Unsupported("pretend", "ec2", "create_vpc")}
    assert moto_implements(implemented["aws_vpc"])
    assert not moto_implements(LISTED["aws_backup_selection"])
    assert not moto_implements(Unsupported("no service", None, "create_connection"))
    stacks = {"w": {"resource": {"aws_vpc": {"v": {}}}}}
    assert probe_unsupported(stacks, implemented) == [
        "aws_vpc: moto now implements create_vpc; remove it from UNSUPPORTED in scripts/rehearse.py"
    ]
    assert stale_entries(stacks, LISTED) == ["aws_backup_selection"]
    assert probe_unsupported(stacks, LISTED) == [
        "aws_backup_selection: no workspace synthesizes it any more; remove it from UNSUPPORTED in scripts/rehearse.py"
    ]


def test_every_listed_api_is_still_missing_or_present_with_its_defect() -> None:
    missing = {rtype: entry for rtype, entry in UNSUPPORTED.items() if entry.defect is None}
    defects = {rtype: entry for rtype, entry in UNSUPPORTED.items() if entry.defect is not None}
    assert [rtype for rtype, entry in missing.items() if moto_implements(entry)] == []
    assert all(entry.reason.startswith("moto has no ") for entry in missing.values())
    # A defect is in an API moto has; its probe (run against the server) is named.
    assert [rtype for rtype, entry in defects.items() if not moto_implements(entry)] == []
    assert {entry.defect for entry in defects.values()} <= set(DEFECT_PROBES)
    assert probe_unsupported({"w": {"resource": {key: {} for key in UNSUPPORTED}}}) == []


def test_a_record_in_an_existing_zone_is_left_out_with_what_needs_it() -> None:
    stack = {
        "resource": {
            "aws_route53_record": {
                "existing": {"zone_id": "Z0123456789EXAMPLE", "name": "v"},
                "created": {"zone_id": "${aws_route53_zone.z.zone_id}", "name": "w"},
            },
            "aws_route53_zone": {"z": {"name": "example.com"}},
            "aws_acm_certificate_validation": {
                "v": {"validation_record_fqdns": ["${aws_route53_record.existing.fqdn}"]}
            },
        }
    }
    assert left_out("tooling", stack, {}, {}) == {
        "aws_route53_record.existing": "zone_id Z0123456789EXAMPLE is an existing object the emulator does not hold",
        "aws_acm_certificate_validation.v": "depends on aws_route53_record.existing",
    }


def test_protection_override_lets_destroy_remove_what_was_applied() -> None:
    assert protection_override(PRODUCER) == {
        "resource": {"aws_s3_bucket": {"keep": {"force_destroy": True, "lifecycle": {"prevent_destroy": False}}}}
    }


def test_render_shows_applied_left_out_and_second_plan() -> None:
    log = Path("x.log")
    done = Rehearsal(
        "producer",
        applied=["aws_backup_plan.plan", "aws_s3_bucket.keep"],
        excluded={
            "aws_backup_selection.sel": "moto has no Backup CreateBackupSelection",
            "output.selection": "depends on local.sel_id",
        },
        steps=[
            StepResult("init", 0, 1.2, log),
            StepResult("apply", 0, 30.4, log),
            StepResult("plan", 0, 5, log),
            StepResult("destroy", 0, 9, log),
        ],
        second_plan=[],
    )
    drift = Rehearsal(
        "consumer",
        applied=["aws_iam_policy.reads_bucket"],
        steps=[
            StepResult("init", 0, 1, log),
            StepResult("apply", 0, 2, log),
            StepResult("plan", 2, 1, log),
            StepResult("destroy", 0, 1, log),
        ],
        second_plan=["aws_iam_policy.reads_bucket: update"],
    )
    skipped = Rehearsal("tooling-gitlab", not_rehearsed="provider gitlabhq/gitlab is not available here")
    assert done.ok and not drift.ok and skipped.ok
    text = render([done, drift, skipped])
    assert text.splitlines() == [
        "== producer",
        "   steps:        init 1s  apply 30s  plan 5s  destroy 9s",
        "   applied:      2 resources",
        "   left out:     1 resources, 1 outputs/locals/data",
        f"     {'aws_backup_selection.sel':<72} moto has no Backup CreateBackupSelection",
        f"     {'output.selection':<72} depends on local.sel_id",
        "   second plan:  no changes",
        "   result:       ok",
        "== consumer",
        "   steps:        init 1s  apply 2s  plan 1s  destroy 1s",
        "   applied:      1 resources",
        "   left out:     0 resources, 0 outputs/locals/data",
        "   second plan:  1 changes (a perpetual diff: a defect)",
        "     aws_iam_policy.reads_bucket: update",
        "   result:       FAILED",
        "== tooling-gitlab",
        "   not rehearsed: provider gitlabhq/gitlab is not available here",
    ]


def _update(address: str, before: dict[str, object], after: dict[str, object]) -> dict[str, object]:
    return {
        "address": address,
        "type": address.split(".", maxsplit=1)[0],
        "change": {"actions": ["update"], "before": before, "after": after, "after_unknown": {}},
    }


def test_second_plan_changes_are_drift_only_within_the_listed_attributes() -> None:
    plan = {
        "resource_changes": [
            _update("aws_vpc_security_group_ingress_rule.a", {"description": None}, {"description": "HTTPS"}),
            _update(
                "aws_vpc_security_group_ingress_rule.b",
                {"description": None, "from_port": 80},
                {"description": "HTTP", "from_port": 443},
            ),
            _update("aws_iam_role.c", {"name": "x"}, {"name": "y"}),
            {"address": "aws_vpc.v", "type": "aws_vpc", "change": {"actions": ["no-op"]}},
        ]
    }
    defects, drift = classify(plan)
    assert drift == [
        "aws_vpc_security_group_ingress_rule.a: description "
        f"({EMULATOR_DRIFT['aws_vpc_security_group_ingress_rule'][1]})"
    ]
    assert defects == [
        "aws_vpc_security_group_ingress_rule.b: update description, from_port",
        "aws_iam_role.c: update name",
    ]


def test_a_drift_entry_no_second_plan_shows_fails_a_full_run() -> None:
    seen = Rehearsal("tooling", drift=["aws_route53_zone.z: vpc (moto ...)"])
    drift = {
        "aws_route53_zone": EMULATOR_DRIFT["aws_route53_zone"],
        "aws_backup_plan": EMULATOR_DRIFT["aws_backup_plan"],
    }
    assert stale_drift([seen], drift) == [
        "aws_backup_plan: moto now round-trips tags_all; remove it from EMULATOR_DRIFT in scripts/rehearse.py"
    ]


def test_left_out_outputs_get_a_placeholder_of_their_shape() -> None:
    excluded = left_out("producer", PRODUCER, {}, LISTED)
    stack = {**PRODUCER, "output": {**PRODUCER["output"], "selection": {"value": {"a": "${local.sel_id}", "b": ["x"]}}}}
    assert left_out_override(stack, excluded) == {
        "output": {"selection": {"value": {"a": "left-out-of-the-rehearsal", "b": ["left-out-of-the-rehearsal"]}}}
    }
    assert left_out_override(PRODUCER, {}) == {}


def test_a_workspace_with_every_resource_left_out_says_so_and_passes() -> None:
    accepter = "aws_ec2_transit_gateway_vpc_attachment_accepter.a"
    hub = Rehearsal(
        "tooling-hub-routing",
        excluded={
            accepter: "moto has no EC2 AcceptTransitGatewayVpcAttachment",
            "aws_ec2_transit_gateway_route.r": f"depends on {accepter}",
        },
        nothing_to_apply=True,
    )
    assert hub.ok and hub.skipped
    assert render([hub]).splitlines() == [
        "== tooling-hub-routing",
        "   steps:        none (every resource is left out)",
        "   applied:      0 resources",
        "   left out:     2 resources, 0 outputs/locals/data",
        f"     {'aws_ec2_transit_gateway_route.r':<72} depends on {accepter}",
        f"     {accepter:<72} moto has no EC2 AcceptTransitGatewayVpcAttachment",
        "   second plan:  not run (nothing applied)",
        "   result:       ok",
    ]


def test_consumers_read_the_rehearsed_state_with_placeholders_for_left_out_outputs(tmp_path: Path) -> None:
    source = tmp_path / "synth" / "consumer"
    source.mkdir(parents=True)
    (source / "cdk.tf.json").write_text("{}", encoding="utf-8")
    consumer = {**CONSUMER, "provider": {"aws": [{"region": "ap-northeast-1"}]}}
    producer_state = tmp_path / "rehearsal" / "producer" / "terraform.tfstate"
    excluded = left_out("producer", PRODUCER, {}, LISTED)
    directory = prepare(
        "consumer",
        source,
        tmp_path / "rehearsal",
        consumer,
        {"producer": producer_state},
        excluded={},
        producers={"producer": (PRODUCER, excluded)},
    )
    override = json.loads((directory / REMOTE_STATE_OVERRIDE_FILE).read_text(encoding="utf-8"))
    # The producer's rehearsed state, not a fixture; its left-out output (selection) has a
    # placeholder, the one it set (bucket) has none, so the real value is read.
    assert override == {
        "data": {
            "terraform_remote_state": {
                "state-producer": {
                    "backend": "local",
                    "config": {"path": str(producer_state)},
                    "defaults": {"selection": "left-out-of-the-rehearsal"},
                }
            }
        }
    }
    assert (directory / "cdk.tf.json").is_file()
    (provider,) = json.loads((directory / OVERRIDE_FILE).read_text(encoding="utf-8"))["provider"]["aws"]
    # moto answers STS and path-style S3; its 5xx fails after three tries, not 25 with backoff.
    assert {k: provider[k] for k in ("skip_credentials_validation", "s3_use_path_style", "max_retries")} == {
        "skip_credentials_validation": False,
        "s3_use_path_style": True,
        "max_retries": 3,
    }
    with pytest.raises(ValueError, match="consumer reads producer, which was not rehearsed before it"):
        prepare("consumer", source, tmp_path / "rehearsal", consumer, {}, excluded={})


def _fake_terraform(tmp_path: Path, body: str) -> Any:
    """A stand-in for the terraform binary: a shell script that writes its PID, then ``body``."""
    script = tmp_path / "terraform"
    script.write_text(f'#!/bin/sh\necho $$ > "{tmp_path}/pid"\n{body}\n', encoding="utf-8")
    script.chmod(0o755)
    return SimpleNamespace(binary=str(script))


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_a_step_past_its_timeout_fails_naming_workspace_step_and_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    directory = tmp_path / "tooling"
    directory.mkdir()
    terraform = _fake_terraform(directory, "exec sleep 30")
    monkeypatch.setitem(rehearse_module.STEP_TIMEOUT, "destroy", 1)
    started = time.monotonic()
    result = run_step(terraform, dict(os.environ), directory, "destroy", "destroy")
    assert time.monotonic() - started < 15
    assert result.returncode == TIMED_OUT
    log = directory / "destroy.log"
    assert result.error == f"tooling destroy timed out after 1s and was stopped; see {log}"
    assert f"rehearsal: error: {result.error}" in capsys.readouterr().err
    assert result.error in log.read_text(encoding="utf-8")
    assert _gone(int((directory / "pid").read_text()))
    r = Rehearsal("tooling", steps=[result])
    assert not r.ok
    assert f"   error:        {result.error}" in render([r]).splitlines()


def test_stop_child_kills_a_child_that_ignores_sigint(tmp_path: Path) -> None:
    terraform = _fake_terraform(tmp_path, "trap '' INT\nsleep 30")
    process = subprocess.Popen([terraform.binary], start_new_session=True)
    deadline = time.monotonic() + 10
    while not (tmp_path / "pid").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.2)  # past the trap
    rehearse_module.stop_child(process, grace=0.5)
    assert process.returncode == -signal.SIGKILL


def test_sigterm_stops_the_running_terraform_and_raises_interrupted(tmp_path: Path) -> None:
    directory = tmp_path / "staging"
    directory.mkdir()
    terraform = _fake_terraform(directory, "exec sleep 30")
    before = signal.getsignal(signal.SIGTERM)
    timer = threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGTERM))
    started = time.monotonic()
    with pytest.raises(Interrupted) as raised, interruptible():
        timer.start()
        run_step(terraform, dict(os.environ), directory, "apply", "apply")
    timer.join()
    assert time.monotonic() - started < 15
    assert raised.value.signum == signal.SIGTERM
    assert _gone(int((directory / "pid").read_text()))
    assert "rehearsal: interrupted (SIGTERM); terraform stopped" in (directory / "apply.log").read_text()
    assert signal.getsignal(signal.SIGTERM) is before


def test_an_interrupted_run_writes_the_partial_report_and_exits_non_zero(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "manifest.json").write_text("{}", encoding="utf-8")

    def interrupted_rehearsal(
        outdir: Path, only: Sequence[str], keep: bool, rehearsals: list[Rehearsal]
    ) -> tuple[list[Rehearsal], list[str]]:
        done = Rehearsal("bootstrap", applied=["aws_s3_bucket.state"], steps=[StepResult("apply", 0, 3, Path("a.log"))])
        rehearsals.append(done)
        rehearsals.append(Rehearsal("tooling", interrupted="SIGTERM during apply"))
        raise Interrupted(signal.SIGTERM)

    monkeypatch.setattr(rehearse_module, "rehearse", interrupted_rehearsal)
    assert rehearse_module.main(["--outdir", str(tmp_path)]) == 128 + signal.SIGTERM
    report = (tmp_path / "rehearsal" / "report.txt").read_text(encoding="utf-8")
    assert "== bootstrap" in report and "== tooling" in report
    assert "   interrupted:  SIGTERM during apply" in report
    assert report.count("result:       FAILED") == 2
    assert report.endswith("PARTIAL: interrupted by SIGTERM; later steps and workspaces did not run\n")


class _Steps:
    """Records the steps a rehearsal asks for; ``failing`` names (workspace, step) that fail."""

    def __init__(self, failing: frozenset[tuple[str, str]] = frozenset()) -> None:
        self.calls: list[tuple[str, str, tuple[str, ...]]] = []
        self.failing = failing

    def __call__(self, r: Rehearsal, name: str, *args: str) -> int:
        self.calls.append((r.workspace, name, args))
        code = 1 if (r.workspace, name) in self.failing else (2 if name == "plan" else 0)
        r.steps.append(StepResult(name, code, 1, Path(f"{name}.log")))
        return code


def test_apply_plan_and_destroy_share_the_target_list() -> None:
    r = Rehearsal("tooling", excluded={"aws_sfn_state_machine.m": "moto has no ..."})
    steps = _Steps()
    plan = {"resource_changes": [_update("aws_route53_zone.z", {"vpc": []}, {"vpc": [{"vpc_id": "v"}]})]}
    assert apply_and_plan(r, ["aws_vpc.v", "aws_subnet.s"], steps, lambda: plan)
    destroy_all([r], steps, lambda r: {"aws_vpc.v", "aws_subnet.s"})
    targets_given = ("-target=aws_vpc.v", "-target=aws_subnet.s")
    assert [(name, args[-2:]) for _, name, args in steps.calls] == [
        ("init", ("init", "-input=false")),
        ("apply", targets_given),
        ("plan", targets_given),
        ("destroy", targets_given),
    ]
    assert r.applied == ["aws_vpc.v", "aws_subnet.s"] and r.second_plan == [] and len(r.drift) == 1
    assert r.ok
    # Nothing left out: no -target at all.
    whole = Rehearsal("bootstrap")
    steps = _Steps()
    assert apply_and_plan(whole, ["aws_s3_bucket.b"], steps, lambda: {})
    assert steps.calls[1] == ("bootstrap", "apply", ("apply", "-auto-approve", "-input=false", "-parallelism=16"))


def test_every_applied_workspace_is_destroyed_in_reverse_order_after_a_failure() -> None:
    steps = _Steps(failing=frozenset({("staging", "apply"), ("tooling", "destroy")}))
    rehearsals = [Rehearsal(w) for w in ("bootstrap", "tooling", "staging", "production")]
    assert apply_and_plan(rehearsals[0], ["a.b"], steps, lambda: {})
    assert apply_and_plan(rehearsals[1], ["a.b"], steps, lambda: {})
    assert not apply_and_plan(rehearsals[2], ["a.b"], steps, lambda: {})  # the run stops here
    destroy_all(rehearsals, steps, lambda r: {"a.b"})
    # staging's apply failed part-way: it is destroyed too; production never ran; tooling's
    # failed destroy does not keep bootstrap's from running.
    assert [w for w, name, _ in steps.calls if name == "destroy"] == ["staging", "tooling", "bootstrap"]
    assert [r.ok for r in rehearsals] == [True, False, False, False]


def test_a_part_moto_cannot_delete_is_forgotten_before_the_destroy(tmp_path: Path) -> None:
    policy, fs = "aws_efs_file_system_policy.p", "aws_efs_file_system.f"
    state = tmp_path / "terraform.tfstate"
    resources = [
        {"mode": "managed", "type": "aws_efs_file_system_policy", "name": "p"},
        {"mode": "managed", "type": "aws_efs_file_system", "name": "f"},
        {"mode": "data", "type": "aws_iam_policy_document", "name": "d"},
    ]
    state.write_text(json.dumps({"resources": resources}), encoding="utf-8")
    assert managed_in_state(state) == {policy, fs}
    assert managed_in_state(tmp_path / "missing.tfstate") == set()
    r = Rehearsal("tooling", excluded={"aws_sfn_state_machine.m": "moto has no ..."}, target_args=[])
    steps = _Steps()
    assert apply_and_plan(r, [fs, policy], steps, lambda: {})
    destroy_all([r], steps, lambda r: managed_in_state(state))
    assert steps.calls[-2:] == [
        ("tooling", "forget", ("state", "rm", policy)),
        ("tooling", "destroy", ("destroy", "-auto-approve", "-input=false", "-parallelism=16", f"-target={fs}")),
    ]
    assert r.ok
    # A failed forget skips that destroy (it would wait on the missing call) and fails the workspace.
    r = Rehearsal("tooling")
    steps = _Steps(failing=frozenset({("tooling", "forget")}))
    assert apply_and_plan(r, [fs, policy], steps, lambda: {})
    destroy_all([r], steps, lambda r: managed_in_state(state))
    assert [name for _, name, _ in steps.calls][-1] == "forget" and not r.ok


class _FlakyDestroy(_Steps):
    """The first destroy fails with ``error`` in its log; the next ones succeed."""

    def __init__(self, log: Path, error: str) -> None:
        super().__init__()
        self.log, self.error, self.destroys = log, error, 0

    def __call__(self, r: Rehearsal, name: str, *args: str) -> int:
        self.calls.append((r.workspace, name, args))
        if name == "destroy":
            self.destroys += 1
            if self.destroys == 1:
                self.log.write_text(f"aws_lb.x: Destroying...\n\n{self.error}\n", encoding="utf-8")
                r.steps.append(StepResult(name, 1, 1, self.log))
                return 1
        r.steps.append(StepResult(name, 2 if name == "plan" else 0, 1, Path(f"{name}.log")))
        return r.steps[-1].returncode


def test_a_destroy_that_meets_a_listed_emulator_fault_is_retried_once_and_excused(tmp_path: Path) -> None:
    fault = (
        "Error: deleting ELBv2 Target Group (arn:aws:elasticloadbalancing:ap-northeast-1:111111111111:targetgroup/"
        "g/1): operation error Elastic Load Balancing v2: DeleteTargetGroup, https response error StatusCode: 400, "
        "api error TargetGroupNotFound: One or more target groups not found"
    )
    r = Rehearsal("tooling")
    steps = _FlakyDestroy(tmp_path / "destroy.log", fault)
    assert apply_and_plan(r, ["aws_lb.x"], steps, lambda: {})
    destroy_all([r], steps, lambda r: {"aws_lb.x"})
    assert [name for _, name, _ in steps.calls].count("destroy") == 2
    assert r.ok
    (excused,) = [s for s in r.steps if s.excused]
    assert excused.excused is not None and "not-found" in excused.excused
    assert excused.log == tmp_path / "destroy-first.log" and "TargetGroupNotFound" in excused.log.read_text()
    table = render([r])
    assert "destroy 1s RETRIED" in table and "excused:      destroy retried after an emulator fault" in table


def test_any_other_destroy_error_fails_without_a_retry(tmp_path: Path) -> None:
    r = Rehearsal("tooling")
    steps = _FlakyDestroy(tmp_path / "destroy.log", "Error: deleting S3 Bucket (b): BucketNotEmpty")
    assert apply_and_plan(r, ["aws_s3_bucket.b"], steps, lambda: {})
    destroy_all([r], steps, lambda r: {"aws_s3_bucket.b"})
    assert [name for _, name, _ in steps.calls].count("destroy") == 1
    assert not r.ok
    assert "FAILED(1)" in render([r])
    # Terraform spreads one error over several lines: they count as one.
    log = tmp_path / "egress.log"
    log.write_text(
        "aws_vpc_security_group_egress_rule.r: Destroying...\n\n"
        "Error: deleting VPC Security Group Rule (sgr-57032299b3af64a45)\n\n"
        "operation error EC2: RevokeSecurityGroupEgress, https response error\n"
        "StatusCode: 400, RequestID: x, api error\nInvalidPermission.NotFound: The specified rule does not exist\n",
        encoding="utf-8",
    )
    assert emulator_fault(log) is not None
    # A listed fault next to an unlisted error is not excused either.
    log = tmp_path / "mixed.log"
    log.write_text(
        "Error: deleting ELBv2 Target Group (arn:x): api error TargetGroupNotFound: gone\n"
        "Error: deleting S3 Bucket (b): BucketNotEmpty\n",
        encoding="utf-8",
    )
    assert emulator_fault(log) is None
    assert emulator_fault(tmp_path / "absent.log") is None


def test_undeletable_types_are_checked_like_unsupported_ones() -> None:
    assert [rtype for rtype, entry in UNDELETABLE.items() if moto_implements(entry)] == []
    assert probe_undeletable({"w": {"resource": {key: {} for key in UNDELETABLE}}}) == []
    deletable = {"aws_vpc": Unsupported("pretend", "ec2", "delete_vpc")}
    assert probe_undeletable({"w": {"resource": {"aws_vpc": {}}}}, deletable) == [
        "aws_vpc: moto now implements delete_vpc; remove it from UNDELETABLE in scripts/rehearse.py"
    ]
    assert probe_undeletable({"w": {"resource": {}}}, UNDELETABLE) == [
        "aws_efs_file_system_policy: no workspace synthesizes it any more; remove it from UNDELETABLE in "
        "scripts/rehearse.py"
    ]


def test_a_second_plan_terraform_cannot_show_fails_the_workspace_with_its_log(tmp_path: Path) -> None:
    r = Rehearsal("tooling")
    log = tmp_path / "show.log"

    def show() -> dict[str, Any]:
        raise rehearse_module.ShowFailed(f"tooling show exited with 1; see {log}", log)

    assert not apply_and_plan(r, ["aws_vpc.v"], _Steps(), show)
    assert [(s.name, s.returncode) for s in r.steps][-1] == ("show", 1)
    assert not r.ok
    assert f"   error:        tooling show exited with 1; see {log}" in render([r]).splitlines()
    assert "show 0s FAILED(1)" in render([r])


def test_show_plan_keeps_terraform_s_complaint_in_show_log(tmp_path: Path) -> None:
    fake = tmp_path / "terraform"
    fake.write_text("#!/bin/sh\necho 'Error: plan file is corrupt' >&2\nexit 1\n", encoding="utf-8")
    fake.chmod(0o755)
    with pytest.raises(rehearse_module.ShowFailed) as failed:
        rehearse_module.show_plan(SimpleNamespace(binary=str(fake)), {}, tmp_path)  # type: ignore[arg-type]
    assert str(failed.value) == f"{tmp_path.name} show exited with 1; see {tmp_path / 'show.log'}"
    assert (tmp_path / "show.log").read_text(encoding="utf-8") == "Error: plan file is corrupt\n"
    fake.write_text("#!/bin/sh\necho 'not json'\n", encoding="utf-8")
    with pytest.raises(rehearse_module.ShowFailed, match=r"show gave no JSON \(Expecting value"):
        rehearse_module.show_plan(SimpleNamespace(binary=str(fake)), {}, tmp_path)  # type: ignore[arg-type]


def test_workspaces_after_a_failed_one_are_shown_as_not_reached() -> None:
    later = Rehearsal("staging", not_reached="tooling")
    assert not later.ok and not later.skipped
    assert render([later]).splitlines() == [
        "== staging",
        "   not reached:  tooling failed before it",
        "   result:       FAILED",
    ]
    # A run that stopped early is not a full run: its drift list is not judged.
    failed = Rehearsal("tooling", steps=[StepResult("plan", 1, 1, Path("plan.log"))])
    assert rehearse_module.full_run([failed]) and not rehearse_module.full_run([failed, later])


DUPLICATE = (
    "Error: creating VPC Security Group Rule\n\n  with aws_vpc_security_group_ingress_rule.alb_443,\n"
    "operation error EC2: AuthorizeSecurityGroupIngress, https response error StatusCode: 400, "
    "api error InvalidPermission.Duplicate: the specified rule already exists\n"
)


def _failed_apply(tmp_path: Path, text: str, workspace: str = "tooling") -> Rehearsal:
    log = tmp_path / f"{workspace}-apply.log"
    log.write_text(text, encoding="utf-8")
    return Rehearsal(
        workspace,
        steps=[
            StepResult("init", 0, 1, tmp_path / "init.log"),
            StepResult("apply", 1, 9, log),
            StepResult("destroy", 0, 3, tmp_path / "destroy.log"),
        ],
    )


def test_only_an_apply_failed_on_a_listed_fault_reruns_the_whole_rehearsal(tmp_path: Path) -> None:
    done = Rehearsal("bootstrap", steps=[StepResult("apply", 0, 1, tmp_path / "a.log")])
    later = Rehearsal("staging", not_reached="tooling")
    duplicate = _failed_apply(tmp_path, DUPLICATE)
    assert rehearse_module.rerun_reason([done, duplicate, later]) == (
        "tooling apply: moto refused a security-group rule as a duplicate that the configuration holds once"
    )
    # Any other error beside it, in the same log or in another step, is a failure to look at.
    other = _failed_apply(tmp_path, DUPLICATE + "Error: creating ECS Service: InvalidParameterException\n")
    assert rehearse_module.rerun_reason([done, other]) is None
    destroy_failed = _failed_apply(tmp_path, DUPLICATE)
    destroy_failed.steps[-1] = StepResult("destroy", 1, 3, tmp_path / "destroy.log")
    assert rehearse_module.rerun_reason([destroy_failed]) is None
    plan = Rehearsal("tooling", steps=[StepResult("plan", 1, 1, _failed_apply(tmp_path, DUPLICATE).steps[1].log)])
    assert rehearse_module.rerun_reason([plan]) is None
    assert rehearse_module.rerun_reason([done]) is None


def test_a_request_the_sdk_sent_twice_is_found_in_moto_s_request_log(tmp_path: Path) -> None:
    log = tmp_path / "moto-requests.jsonl"
    rows = [
        {"at": 10.0, "ms": 4, "api": "AuthorizeSecurityGroupIngress", "status": 200, "body_sha1": "aaa"},
        {"at": 11.0, "ms": 3, "api": "AuthorizeSecurityGroupIngress", "status": 200, "body_sha1": "bbb"},
        {"at": 12.5, "ms": 2, "api": "AuthorizeSecurityGroupIngress", "status": 400, "body_sha1": "aaa"},
        {"at": 13.0, "ms": 2, "api": "AuthorizeSecurityGroupIngress", "status": 400, "body_sha1": "ccc"},
        {"at": 14.0, "ms": 1, "api": "GET /bucket", "status": 200, "body_sha1": "e"},
        {"at": 15.0, "ms": 1, "api": "GET /bucket", "status": 404, "body_sha1": "e"},
        {"at": 16.0, "ms": 1, "api": "GetSubscriptionAttributes", "status": 200, "body_sha1": "f"},
        {"at": 17.0, "ms": 1, "api": "GetSubscriptionAttributes", "status": 404, "body_sha1": "f"},
        {"at": 18.0, "ms": 1, "api": "Logs_20140328.DescribeLogGroups", "status": 200, "body_sha1": "g"},
        {"at": 19.0, "ms": 1, "api": "Logs_20140328.DescribeLogGroups", "status": 400, "body_sha1": "g"},
    ]
    log.write_text("".join(json.dumps(r) + "\n" for r in rows) + '{"at": 20', encoding="utf-8")
    assert rehearse_module.resent_requests(log) == [
        "AuthorizeSecurityGroupIngress (body aaa) answered 200 in 4 ms, "
        "then sent again 2.5 s later and refused with 400"
    ]
    assert rehearse_module.resent_requests(tmp_path / "missing.jsonl") == []


def test_main_reruns_once_after_a_listed_apply_fault_and_keeps_the_first_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "manifest.json").write_text("{}", encoding="utf-8")
    workdir = tmp_path / "rehearsal"
    runs: list[int] = []

    def flaky(
        outdir: Path, only: Sequence[str], keep: bool, rehearsals: list[Rehearsal]
    ) -> tuple[list[Rehearsal], list[str]]:
        runs.append(len(runs) + 1)
        workdir.mkdir(exist_ok=True)
        if len(runs) == 1:
            (workdir / "moto-requests.jsonl").write_text("", encoding="utf-8")
            rehearsals.append(_failed_apply(workdir, DUPLICATE))
        else:
            resent = [
                {"at": 5.0, "ms": 2, "api": "TrentService.DeleteAlias", "status": 200, "body_sha1": "d1"},
                {"at": 5.1, "ms": 3, "api": "TrentService.DeleteAlias", "status": 400, "body_sha1": "d1"},
            ]
            (workdir / "moto-requests.jsonl").write_text(
                "".join(json.dumps(r) + "\n" for r in resent), encoding="utf-8"
            )
            rehearsals.append(
                Rehearsal(
                    "tooling",
                    steps=[
                        StepResult("apply", 0, 1, workdir / "a.log"),
                        StepResult("destroy", 0, 1, workdir / "d.log"),
                    ],
                    second_plan=[],
                )
            )
        return rehearsals, []

    monkeypatch.setattr(rehearse_module, "rehearse", flaky)
    assert rehearse_module.main(["--outdir", str(tmp_path)]) == 0
    assert runs == [1, 2]
    report = (workdir / "report.txt").read_text(encoding="utf-8")
    assert "   result:       ok" in report
    assert (
        "RERUN: the first run failed on an emulator fault only (tooling apply: moto refused a security-group rule "
        f"as a duplicate that the configuration holds once); its table and logs: {tmp_path / 'rehearsal-first'}/\n"
        "  moto's request log shows no request sent twice: moto refused it on its first arrival\n"
    ) in report
    # The second run passed, and its request log still shows the delete the SDK sent again.
    assert report.endswith(
        "sent twice: TrentService.DeleteAlias (body d1) answered 200 in 2 ms, "
        "then sent again 0.1 s later and refused with 400\n"
    )
    first = (tmp_path / "rehearsal-first" / "report.txt").read_text(encoding="utf-8")
    assert "apply 9s FAILED(1)" in first and "result:       FAILED" in first

    # The same fault a second time fails the run: one rerun only.
    runs.clear()

    def always(
        outdir: Path, only: Sequence[str], keep: bool, rehearsals: list[Rehearsal]
    ) -> tuple[list[Rehearsal], list[str]]:
        runs.append(1)
        workdir.mkdir(exist_ok=True)
        rehearsals.append(_failed_apply(workdir, DUPLICATE))
        return rehearsals, []

    monkeypatch.setattr(rehearse_module, "rehearse", always)
    assert rehearse_module.main(["--outdir", str(tmp_path)]) == 1
    assert runs == [1, 1]


def test_a_python_without_moto_is_told_what_to_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    from scripts import moto_server as module

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None if name == "moto" else real(name))
    with pytest.raises(RuntimeError) as error, module.moto_server(tmp_path / "moto.log", "111111111111"):
        pass
    assert str(error.value) == (
        f"{module.sys.executable} has no moto (moto[server], requirements-dev.txt): "
        "run `make setup` and use .venv/bin/python, as `make rehearse` does"
    )
    assert not (tmp_path / "moto.log").exists()
