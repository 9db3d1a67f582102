"""A pytest plugin that records where one run of the suite spends its time.

Loaded by ``benchmarks/suite.py`` (``-p benchmarks.suite_timing``), never by the suite
itself. It writes, at the end of the run, a JSON file (``SUITE_TIMING_FILE``) with the
wall time, the setup time of every session fixture (the shared synthesis, the
Terraform runs, the checkov scan: the suite's critical path, since every test that
needs them waits for them) and the duration of every test phase.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest

_START = time.perf_counter()
_FIXTURES: dict[str, float] = {}
_TESTS: dict[str, float] = {}


@pytest.hookimpl(hookwrapper=True)
def pytest_fixture_setup(
    fixturedef: pytest.FixtureDef[Any], request: pytest.FixtureRequest
) -> Generator[None, None, None]:
    started = time.perf_counter()
    yield
    if fixturedef.scope == "session":
        # Its own time: pytest sets up the fixtures it requests before this hook runs.
        _FIXTURES[fixturedef.argname] = time.perf_counter() - started


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    _TESTS[report.nodeid] = _TESTS.get(report.nodeid, 0.0) + report.duration


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    target = os.environ.get("SUITE_TIMING_FILE")
    if not target:
        return
    Path(target).write_text(
        json.dumps(
            {
                "wall_seconds": time.perf_counter() - _START,
                "exit_status": int(exitstatus),
                "session_fixtures": _FIXTURES,
                "tests": _TESTS,
            },
            indent=2,
        ),
        encoding="utf-8",
    )
