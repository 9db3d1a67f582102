"""Reading synthesized Terraform JSON in assertions."""

from __future__ import annotations

import json
from typing import Any

from cdktf import TerraformStack, Testing

Stack = dict[str, Any]


def synth_stack(stack: TerraformStack) -> Stack:
    """``Testing.synth`` of one stack, parsed."""
    return json.loads(Testing.synth(stack))  # type: ignore[no-any-return]


def resources(stack: Stack, resource_type: str) -> dict[str, dict[str, Any]]:
    """Resources of one type, keyed by their Terraform name."""
    return dict(stack.get("resource", {}).get(resource_type, {}))


def only(stack: Stack, resource_type: str) -> dict[str, Any]:
    found = resources(stack, resource_type)
    assert len(found) == 1, f"expected one {resource_type}, found {sorted(found)}"
    return next(iter(found.values()))


def _at(name: str, body: dict[str, Any], path_suffix: str) -> bool:
    metadata = body.get("//", {}).get("metadata")
    if metadata:  # app synthesis records the construct path
        return str(metadata["path"]).endswith("/" + path_suffix)
    # Testing.synth omits it; the logical ID is the path joined by "_" plus a hash,
    # leaving out a component its parent's name already ends with (bucket/bucket).
    parts: list[str] = []
    for part in path_suffix.split("/"):
        if not parts or not parts[-1].lower().endswith(part.lower()):
            parts.append(part)
    return ("_" + name.rsplit("_", 1)[0]).endswith("_" + "_".join(parts))


def name_at(stack: Stack, resource_type: str, path_suffix: str) -> str:
    """The Terraform name of the resource whose construct path ends with ``path_suffix``."""
    found = [name for name, body in resources(stack, resource_type).items() if _at(name, body, path_suffix)]
    assert len(found) == 1, f"expected one {resource_type} at */{path_suffix}, found {found}"
    return found[0]


def by_path(stack: Stack, resource_type: str, path_suffix: str) -> dict[str, Any]:
    """The resource whose construct path ends with ``path_suffix``."""
    return resources(stack, resource_type)[name_at(stack, resource_type, path_suffix)]


def address(stack: Stack, resource_type: str, path_suffix: str) -> str:
    """The Terraform address (``type.name``) of the resource at a construct path."""
    return f"{resource_type}.{name_at(stack, resource_type, path_suffix)}"


def policy(body: dict[str, Any], key: str = "policy") -> dict[str, Any]:
    """A JSON policy attribute, parsed."""
    return json.loads(body[key])  # type: ignore[no-any-return]


def ref(stack: Stack, resource_type: str, path_suffix: str, attribute: str) -> str:
    """The interpolation that refers to an attribute of the resource at a construct path."""
    return f"${{{address(stack, resource_type, path_suffix)}.{attribute}}}"
