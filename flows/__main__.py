"""``python -m flows [--check]``: render the flow matrix into docs/network.md and the
architecture into docs/architecture.dot (and .svg when graphviz's ``dot`` is installed)
from the synthesis in cdktf.out/stacks (run ``make synth`` first; ``make diagram`` does).

With ``--check`` nothing is written; the exit status says whether the matrix holds.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from config.loader import load_environments
from flows.matrix import check, redis_port
from flows.network import FlowModelError, Network
from flows.render import accounts_of, dot, markdown, replace_section

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str]) -> int:
    stacks_dir = ROOT / "cdktf.out" / "stacks"
    if not stacks_dir.is_dir():
        print(f"no synthesis in {stacks_dir}: run `make synth` first", file=sys.stderr)
        return 2
    stacks = {
        path.name: json.loads((path / "cdk.tf.json").read_text(encoding="utf-8"))
        for path in sorted(stacks_dir.iterdir())
        if (path / "cdk.tf.json").is_file()
    }
    environments = load_environments(ROOT / "environments", display_root=ROOT)
    tooling = environments.tooling.name
    redis = redis_port(environments)
    try:
        network = Network(stacks)
        checked, resolved = check(network, tooling, redis)
    except FlowModelError as error:
        print(f"flows: {error}", file=sys.stderr)
        return 2
    failures = [row for row in checked if not row.ok] + [row for row in resolved if not row.ok]
    if "--check" not in argv:
        doc = ROOT / "docs" / "network.md"
        doc.write_text(replace_section(doc.read_text(encoding="utf-8"), markdown(checked, resolved)), encoding="utf-8")
        dot_file = ROOT / "docs" / "architecture.dot"
        dot_file.write_text(dot(network, checked, accounts_of(network)), encoding="utf-8")
        print(f"wrote {doc.relative_to(ROOT)} and {dot_file.relative_to(ROOT)}")
        binary = shutil.which("dot")
        if binary:
            svg = dot_file.with_suffix(".svg")
            subprocess.run([binary, "-Tsvg", "-o", str(svg), str(dot_file)], check=True)
            print(f"wrote {svg.relative_to(ROOT)}")
        else:
            print("graphviz's `dot` is not installed: docs/architecture.svg not rendered", file=sys.stderr)
    for row in failures:
        print(f"FAILS: {row}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
