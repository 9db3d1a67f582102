"""Reading the user's files safely: every way a file can be unreadable is one Problem.

``main.py`` reads ``environments/*.yaml`` and ``backend.tf.json`` through these
functions only, so a file that is not UTF-8, not a regular file (a directory
with a ``.yaml`` name, a FIFO, a dangling or looping symbolic link), too large,
nested absurdly deep, or a YAML file with a duplicate key or an alias becomes a
message with the file, what is wrong and a hint, never a traceback and never a
silently dropped setting.
"""

from __future__ import annotations

import errno
import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml
from yaml.events import AliasEvent
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from config.errors import Problem

# An account file is a few kilobytes; a megabyte is far beyond any real one and
# keeps a runaway (or hostile) file from exhausting memory before it is parsed.
MAX_BYTES = 1024 * 1024
# The deepest real setting is about six levels down; 32 leaves room and stays far
# from Python's recursion limit in the YAML composer and the JSON decoder.
MAX_DEPTH = 32


class _Refused(Exception):
    """A problem found while composing YAML, with its line."""

    def __init__(self, message: str, hint: str, line: int) -> None:
        super().__init__(message)
        self.message, self.hint, self.line = message, hint, line


def _not_a_file(path: Path) -> tuple[str, str] | None:
    """(what, hint) when ``path`` is not a regular file of a sensible size."""
    try:
        info = path.stat()
    except OSError as error:
        if error.errno == errno.ELOOP:
            return "a symbolic link that loops back on itself", "point the link at a real file, or remove it"
        if path.is_symlink():
            return (
                f"a symbolic link to '{path.readlink()}', which does not exist",
                "point the link at an existing file, or remove it",
            )
        return f"cannot be read: {error.strerror}", "check that the file exists and is readable"
    if stat.S_ISDIR(info.st_mode):
        return "a directory, not a file", "remove or rename the directory; only regular files are read here"
    if not stat.S_ISREG(info.st_mode):
        return "not a regular file (a device, socket or pipe)", "replace it with a regular file holding the settings"
    too_large = (
        f"{info.st_size} bytes, more than the {MAX_BYTES} bytes a configuration file may have",
        "a configuration file is a few kilobytes; check that this is the file you meant",
    )
    return too_large if info.st_size > MAX_BYTES else None


def _decode(raw: bytes) -> tuple[str, str] | str:
    """The text of ``raw``, or (what, hint) when it is not UTF-8 text."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        return (
            f"not UTF-8 text: byte 0x{raw[error.start]:02x} on line {line} cannot be decoded",
            "save the file as UTF-8 (plain text); convert it with e.g. iconv -f latin1 -t utf-8",
        )
    if "\0" in text:
        return "contains NUL characters: not a text file", "replace it with a plain-text settings file"
    return text.removeprefix("\ufeff")


def read_text(path: Path, display: str) -> tuple[str | None, list[Problem]]:
    """The UTF-8 text of ``path``, or the one problem that keeps it from being read."""
    refused = _not_a_file(path)
    if refused is None:
        try:
            result = _decode(path.read_bytes())
        except OSError as error:
            result = (f"cannot be read: {error.strerror}", "check the file's permissions")
        if isinstance(result, str):
            return result, []
        refused = result
    return None, [Problem(display, "", *refused)]


class _Loader(yaml.SafeLoader):
    """SafeLoader that refuses aliases (YAML bombs) and nesting beyond MAX_DEPTH."""

    _depth = 0

    def compose_node(self, parent: Node | None, index: int) -> Node | None:
        if self.check_event(AliasEvent):  # type: ignore[no-untyped-call]
            event = self.peek_event()  # type: ignore[no-untyped-call]
            raise _Refused(
                f"YAML alias *{event.anchor} on line {event.start_mark.line + 1}: aliases are not supported",
                "write the value out in full; an alias makes one setting silently follow another",
                event.start_mark.line + 1,
            )
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                line = self.peek_event().start_mark.line + 1  # type: ignore[no-untyped-call]
                raise _Refused(
                    f"nested more than {MAX_DEPTH} levels deep (line {line})",
                    "no setting is that deep; check the brackets and indentation",
                    line,
                )
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def _duplicates(loader: _Loader, node: Node, field: str) -> Iterator[tuple[str, str, int, int]]:
    """(field, key, first line, second line) of every key repeated in a mapping, at every level."""
    if isinstance(node, MappingNode):
        seen: dict[Any, int] = {}
        for key_node, value_node in node.value:
            key: Any = None
            if isinstance(key_node, ScalarNode):
                key = loader.construct_object(key_node)  # type: ignore[no-untyped-call]
                line = key_node.start_mark.line + 1
                try:
                    if key in seen:
                        yield field, str(key), seen[key], line
                    else:
                        seen[key] = line
                except TypeError:  # unhashable: the constructor reports it
                    key = None
            child = f"{field}.{key}" if field else str(key)
            yield from _duplicates(loader, value_node, child if key is not None else field)
    elif isinstance(node, SequenceNode):
        for index, item in enumerate(node.value):
            yield from _duplicates(loader, item, f"{field}[{index}]")


def parse_yaml(text: str, display: str) -> tuple[Any, list[Problem]]:
    """The document in ``text``; duplicate keys, aliases, deep nesting and syntax errors as Problems."""
    loader = _Loader(text)
    loader.name = display
    try:
        node = loader.get_single_node()
        if node is None:
            return None, []
        duplicates = [
            Problem(
                display,
                f"{field}.{key}" if field else key,
                f"'{key}' is set twice, on lines {first} and {second}; YAML would silently keep only the last",
                "keep one of them: merge the two or rename one",
            )
            for field, key, first, second in _duplicates(loader, node, "")
        ]
        if duplicates:
            return None, duplicates
        return loader.construct_document(node), []  # type: ignore[no-untyped-call]
    except _Refused as refused:
        return None, [Problem(display, "", refused.message, refused.hint)]
    except yaml.YAMLError as error:
        return None, [Problem(display, "", f"not valid YAML: {error}", "fix the YAML syntax")]
    except RecursionError:
        return None, [Problem(display, "", "nested too deeply to read", "check the brackets and indentation")]
    finally:
        loader.dispose()  # type: ignore[no-untyped-call]


def _depth(value: Any) -> int:
    """Nesting depth of decoded JSON, without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        deepest = max(deepest, level)
        if isinstance(item, dict):
            stack.extend((child, level + 1) for child in item.values())
        elif isinstance(item, list):
            stack.extend((child, level + 1) for child in item)
    return deepest


def parse_json(text: str, display: str) -> tuple[Any, list[Problem]]:
    """The JSON value in ``text``; syntax errors, duplicate keys and deep nesting as Problems."""
    repeated: list[str] = []

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key, value in items:
            if key in result:
                repeated.append(key)
            result[key] = value
        return result

    try:
        data = json.loads(text, object_pairs_hook=pairs)
    except json.JSONDecodeError as error:
        return None, [Problem(display, "", f"not valid JSON: {error}", "fix the JSON syntax")]
    except RecursionError:
        return None, [Problem(display, "", "nested too deeply to read", "check the brackets")]
    if _depth(data) > MAX_DEPTH:
        return None, [
            Problem(
                display, "", f"nested more than {MAX_DEPTH} levels deep", "no setting is that deep; check the brackets"
            )
        ]
    if repeated:
        return None, [
            Problem(
                display,
                "",
                f"'{key}' is set twice in one object; JSON readers would silently keep only the last",
                "keep one of them",
            )
            for key in dict.fromkeys(repeated)
        ]
    return data, []


def display_path(path: Path, root: Path | None = None) -> str:
    """``path`` as the user would type it from ``root`` (default: the current directory)."""
    return os.path.relpath(path, root if root is not None else Path.cwd())
