"""`make synth` reuses cdktf.out/ only while every input of the synthesis is unchanged.

main.py's content hash covers the code, cdktf.json, environments/, backend.tf.json
and the pins; each input changed alone must ask for a new synthesis (never a stale
output), and a recorded digest with no manifest is not reused either.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from main import INPUT_DIRS, INPUT_FILES, INPUTS_DIGEST_FILE, inputs_digest, up_to_date
from tests.conftest import ROOT


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    for name in INPUT_FILES:
        shutil.copy(ROOT / name, tmp_path / name)
    for directory in (*INPUT_DIRS, "environments", "migration"):
        shutil.copytree(ROOT / directory, tmp_path / directory, ignore=shutil.ignore_patterns("__pycache__"))
    return tmp_path


def digest(root: Path) -> str:
    return inputs_digest(root, root / "environments", root / "backend.tf.json")


def synthesized(root: Path) -> Path:
    outdir = root / "cdktf.out"
    outdir.mkdir()
    (outdir / "manifest.json").write_text("{}", encoding="utf-8")
    (outdir / INPUTS_DIGEST_FILE).write_text(digest(root) + "\n", encoding="utf-8")
    return outdir


@pytest.mark.parametrize(
    "path",
    [
        "main.py",
        "cdktf.json",
        "requirements.txt",
        "requirements-dev.txt",
        "package-lock.json",
        "config/model.py",
        "modules/network.py",
        "stacks/base.py",
        "environments/staging.yaml",
        "environments/schema.json",
        "migration/staging.yaml",
    ],
)
def test_changing_any_one_input_asks_for_a_new_synthesis(tree: Path, path: str) -> None:
    outdir = synthesized(tree)
    assert up_to_date(outdir, digest(tree)) is None
    with (tree / path).open("a", encoding="utf-8") as handle:
        handle.write("\n")
    assert up_to_date(outdir, digest(tree)) == "inputs changed since the last synthesis"


def test_new_removed_and_backend_files_change_the_digest(tree: Path) -> None:
    before = digest(tree)
    (tree / "backend.tf.json").write_text("{}", encoding="utf-8")
    with_backend = digest(tree)
    assert with_backend != before
    (tree / "environments" / "fourth.yaml").write_text("role: target\n", encoding="utf-8")
    with_fourth = digest(tree)
    assert with_fourth != with_backend
    (tree / "modules" / "new_construct.py").write_text("", encoding="utf-8")
    assert digest(tree) != with_fourth
    (tree / "modules" / "new_construct.py").unlink()
    assert digest(tree) == with_fourth  # deterministic: same inputs, same digest


def test_a_missing_digest_or_manifest_is_never_reused(tree: Path) -> None:
    outdir = synthesized(tree)
    (outdir / "manifest.json").unlink()
    assert up_to_date(outdir, digest(tree)) == f"{outdir}/manifest.json is missing"
    (outdir / INPUTS_DIGEST_FILE).unlink()
    assert up_to_date(outdir, digest(tree)) == f"{outdir}/{INPUTS_DIGEST_FILE} is missing"


def test_make_synth_records_the_digest_only_after_a_successful_synthesis() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    recipe = makefile.split("\nsynth: setup\n", 1)[1].split("\n\n", 1)[0]
    assert recipe.index("main.py --up-to-date") < recipe.index("rm -f cdktf.out/inputs.sha256")
    assert recipe.index("rm -f cdktf.out/inputs.sha256") < recipe.index("cdktf synth &&")
    assert recipe.index("cdktf synth &&") < recipe.index("> cdktf.out/inputs.sha256")
