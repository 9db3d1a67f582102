"""Anything a user can put in environments/ or backend.tf.json is one problem, never a traceback."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

import main
from config.reading import MAX_BYTES, MAX_DEPTH
from tests.conftest import EXAMPLE


def _not_utf8(path: Path) -> None:
    path.write_bytes(b"role: target\nregion: T\xe9ky\xf4\n")


def _directory(path: Path) -> None:
    path.mkdir()


def _dangling(path: Path) -> None:
    path.symlink_to("nowhere.yaml")


def _loop(path: Path) -> None:
    path.symlink_to(path.name)


def _fifo(path: Path) -> None:
    os.mkfifo(path)


def _deep_yaml(path: Path) -> None:
    path.write_text("role: " + "[" * 5000 + "]" * 5000 + "\n", encoding="utf-8")


def _alias_bomb(path: Path) -> None:
    rows = ['a: &a ["x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    for a, b in zip("abcdefgh", "bcdefghi", strict=True):
        rows.append(f"{b}: &{b} [" + ", ".join([f"*{a}"] * 9) + "]")
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")


def _huge(path: Path) -> None:
    path.write_text("# padding\n" * (MAX_BYTES // 10 + 1), encoding="utf-8")


def _nul(path: Path) -> None:
    path.write_bytes(b"role: target\0\n")


CASES: dict[str, tuple[Callable[[Path], None], str]] = {
    "not-utf8": (
        _not_utf8,
        "not UTF-8 text: byte 0xe9 on line 2 cannot be decoded\n"
        "    hint: save the file as UTF-8 (plain text); convert it with e.g. iconv -f latin1 -t utf-8",
    ),
    "directory": (
        _directory,
        "a directory, not a file\n    hint: remove or rename the directory; only regular files are read here",
    ),
    "dangling": (
        _dangling,
        "a symbolic link to 'nowhere.yaml', which does not exist\n"
        "    hint: point the link at an existing file, or remove it",
    ),
    "loop": (
        _loop,
        "a symbolic link that loops back on itself\n    hint: point the link at a real file, or remove it",
    ),
    "fifo": (
        _fifo,
        "not a regular file (a device, socket or pipe)\n    hint: replace it with a regular file holding the settings",
    ),
    "deep": (
        _deep_yaml,
        f"nested more than {MAX_DEPTH} levels deep (line 1)\n"
        "    hint: no setting is that deep; check the brackets and indentation",
    ),
    "alias-bomb": (
        _alias_bomb,
        "YAML alias *a on line 2: aliases are not supported\n"
        "    hint: write the value out in full; an alias makes one setting silently follow another",
    ),
    "huge": (
        _huge,
        f"{(MAX_BYTES // 10 + 1) * 10} bytes, more than the {MAX_BYTES} bytes a configuration file may have\n"
        "    hint: a configuration file is a few kilobytes; check that this is the file you meant",
    ),
    "nul": (
        _nul,
        "contains NUL characters: not a text file\n    hint: replace it with a plain-text settings file",
    ),
}


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the example, with the current directory at its root as a user's would be."""
    shutil.copytree(EXAMPLE, tmp_path / "environments")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main.main(["--environments", "environments", "--backend", "backend.tf.json", "--outdir", "out", *args])
    return code, capsys.readouterr().err


@pytest.mark.parametrize("check", [True, False], ids=["check", "synth"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_unreadable_account_files_are_one_problem(
    workdir: Path, capsys: pytest.CaptureFixture[str], case: str, check: bool
) -> None:
    make, expected = CASES[case]
    make(workdir / "environments" / "broken.yaml")
    code, err = run(capsys, *(["--check"] if check else []))
    assert code == 2
    assert err.startswith("1 configuration problem found:\n")
    assert f"- environments/broken.yaml: {expected}\n" in err
    assert "Traceback" not in err
    assert not (workdir / "out").exists()


@pytest.mark.parametrize("case", ["not-utf8", "directory", "dangling", "loop", "fifo", "huge", "nul"])
def test_unreadable_backend_file_is_one_problem(workdir: Path, capsys: pytest.CaptureFixture[str], case: str) -> None:
    make, expected = CASES[case]
    make(workdir / "backend.tf.json")
    code, err = run(capsys)
    assert code == 2
    assert f"- backend.tf.json: {expected}\n" in err
    assert not (workdir / "out").exists()


def test_hostile_json_in_the_backend_file(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (workdir / "backend.tf.json").write_text('{"terraform": ' + "[" * 100000 + "]" * 100000 + "}", encoding="utf-8")
    code, err = run(capsys, "--check")
    assert code == 2
    assert "- backend.tf.json: nested too deeply to read\n    hint: check the brackets\n" in err
    (workdir / "backend.tf.json").write_text('{"terraform": ' + "[" * 40 + "]" * 40 + "}", encoding="utf-8")
    code, err = run(capsys, "--check")
    assert f"- backend.tf.json: nested more than {MAX_DEPTH} levels deep\n" in err


def test_duplicate_json_keys_in_the_backend_file(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (workdir / "backend.tf.json").write_text(
        '{"terraform": {"backend": {"s3": {"bucket": "a-bucket", "bucket": "b-bucket"}}}}', encoding="utf-8"
    )
    code, err = run(capsys, "--check")
    assert code == 2
    assert (
        "- backend.tf.json: 'bucket' is set twice in one object; JSON readers would silently keep only the last\n"
        "    hint: keep one of them\n"
    ) in err


def test_environments_that_is_a_file_or_missing(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shutil.rmtree(workdir / "environments")
    code, err = run(capsys, "--check")
    assert code == 2
    assert "- environments: no account files (*.yaml) found\n    hint: add one file per AWS account\n" in err
    (workdir / "environments").write_text("role: tooling\n", encoding="utf-8")
    code, err = run(capsys, "--check")
    assert code == 2
    assert "- environments: not a directory\n" in err


def test_inputs_digest_survives_unreadable_entries(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for case in ("directory", "dangling", "loop", "fifo"):
        CASES[case][0](workdir / "environments" / f"{case}.yaml")
    (workdir / "environments" / "again").symlink_to("..")
    assert main.main(["--environments", "environments", "--backend", "backend.tf.json", "--inputs-digest"]) == 0
    assert len(capsys.readouterr().out.strip()) == 64


DUPLICATED = """\
role: target
account_id: "222222222222"
region: ap-northeast-1
network:
  vpc_cidr: 10.20.0.0/16
  availability_zones: [ap-northeast-1a, ap-northeast-1c]
delivery:
  pipelines:
    webapp:
      repository: delivery/webapp
      build: {buildspec: buildspec.yml}
    webapp:
      repository: delivery/other
      build: {buildspec: buildspec.yml, buildspec: other.yml}
region: us-east-1
"""


def test_duplicate_keys_are_refused_at_every_level(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (workdir / "environments" / "staging.yaml").write_text(DUPLICATED, encoding="utf-8")
    code, err = run(capsys, "--check")
    assert code == 2
    hint = "    hint: keep one of them: merge the two or rename one\n"
    last = "YAML would silently keep only the last\n"
    assert err.startswith("3 configuration problems found:\n")
    assert f"- environments/staging.yaml: region: 'region' is set twice, on lines 3 and 15; {last}{hint}" in err
    assert (
        "- environments/staging.yaml: delivery.pipelines.webapp: 'webapp' is set twice, on lines 9 and 12; "
        f"{last}{hint}"
    ) in err
    assert (
        "- environments/staging.yaml: delivery.pipelines.webapp.build.buildspec: 'buildspec' is set twice, "
        f"on lines 14 and 14; {last}{hint}"
    ) in err


def test_write_schema_into_a_missing_directory(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main.main(["--environments", "missing", "--write-schema"]) == 2
    assert capsys.readouterr().err == (
        "1 configuration problem found:\n"
        "- missing/schema.json: cannot be written: No such file or directory\n"
        "    hint: point --environments at the directory of account files\n"
    )
