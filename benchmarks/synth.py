"""Synthesis timings, each measured in a fresh Python process.

    python benchmarks/synth.py [--repeat N]

1. importing the AWS provider bindings alone (jsii loads the provider into Node);
2. synthesizing the bundled example (environments/);
3. synthesizing a generated configuration with one tooling and 20 target accounts.

Speed is measured here, never in the test suite.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENV = {**os.environ, "CHECKPOINT_DISABLE": "1", "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20"}

IMPORT_ONLY = "import cdktf, cdktf_cdktf_provider_aws.provider, cdktf_cdktf_provider_aws.vpc"


def generated_environments(directory: Path, targets: int) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    tooling = (ROOT / "environments" / "tooling.yaml").read_text(encoding="utf-8")
    (directory / "tooling.yaml").write_text(tooling, encoding="utf-8")
    for index in range(targets):
        (directory / f"target-{index:02d}.yaml").write_text(
            "role: target\n"
            f'account_id: "{500000000000 + index}"\n'
            "region: ap-northeast-1\n"
            "network:\n"
            f"  vpc_cidr: 10.{100 + index}.0.0/16\n"
            "  availability_zones: [ap-northeast-1a, ap-northeast-1c]\n",
            encoding="utf-8",
        )
    return directory


def timed(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, cwd=ROOT, env=ENV, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=1, help="runs of each measurement (median is shown)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        twenty = generated_environments(work / "environments-20", 20)
        cases = {
            "import AWS bindings": [sys.executable, "-c", IMPORT_ONLY],
            "synth bundled example": [sys.executable, "main.py", "--outdir", str(work / "out-example")],
            "synth 20 target accounts": [
                sys.executable,
                "main.py",
                "--environments",
                str(twenty),
                "--outdir",
                str(work / "out-20"),
            ],
        }
        print(f"{'measurement':<28} {'median s':>9} {'runs':>5}")
        for label, command in cases.items():
            runs = [timed(command) for _ in range(args.repeat)]
            print(f"{label:<28} {statistics.median(runs):>9.2f} {len(runs):>5}")
        print("each synth row is a whole fresh process: it includes the import of the AWS bindings (first row)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
