"""The test suite's wall time next to the sum of its parts, measured in one run.

    python benchmarks/suite.py [pytest arguments]

Runs the suite once (as ``make test`` does, plus the timing plugin
``benchmarks/suite_timing.py``) and prints:

- the wall time of the run and the sum of every test's setup, call and teardown;
- the critical path: the session fixtures everything else waits for (the one
  synthesis, the Terraform init/validate/plan of every workspace, the checkov scan),
  each with its own setup time;
- the slowest test modules.

A wall time well below the sum means the independent Terraform and checkov steps
ran concurrently. Speed is measured here, never in the suite.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The fixtures that every Terraform or policy test waits for, in the order they run.
CRITICAL_PATH = ("synthesis", "terraform_runs", "checkov_result")


def main(argv: list[str]) -> int:
    with tempfile.TemporaryDirectory() as scratch:
        timing = Path(scratch) / "timing.json"
        env = {
            **os.environ,
            "SUITE_TIMING_FILE": str(timing),
            "CHECKPOINT_DISABLE": "1",
            "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
        }
        started = time.perf_counter()
        run = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "benchmarks.suite_timing", *argv],
            cwd=ROOT,
            env=env,
            check=False,
        )
        outside = time.perf_counter() - started
        if not timing.exists():
            print(f"the suite wrote no timing (exit {run.returncode})", file=sys.stderr)
            return 2
        data = json.loads(timing.read_text(encoding="utf-8"))
    tests: dict[str, float] = data["tests"]
    fixtures: dict[str, float] = data["session_fixtures"]
    by_module: dict[str, float] = defaultdict(float)
    for node, seconds in tests.items():
        by_module[node.split("::")[0]] += seconds
    print(f"\nsuite: {len(tests)} tests, exit {data['exit_status']}")
    print(f"{'wall time (pytest process)':<44}{data['wall_seconds']:>9.1f} s")
    print(f"{'wall time (with interpreter start)':<44}{outside:>9.1f} s")
    print(f"{'sum of test setup + call + teardown':<44}{sum(tests.values()):>9.1f} s")
    print("\ncritical path (session fixtures, each its own setup time):")
    for name in CRITICAL_PATH:
        print(f"  {name:<42}{fixtures.get(name, 0.0):>9.1f} s")
    print(f"  {'total':<42}{sum(fixtures.get(name, 0.0) for name in CRITICAL_PATH):>9.1f} s")
    print("\nslowest modules (sum of their tests, shared fixture setup counted once, where first used):")
    for module, seconds in sorted(by_module.items(), key=lambda item: -item[1])[:10]:
        print(f"  {module:<60}{seconds:>8.1f} s")
    return run.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
