"""docs/first-deployment.md (one ordered path, linked first from the README) and
docs/troubleshooting.md: complete, in order, and pointing at sections that exist."""

from __future__ import annotations

import re

import pytest

from tests.conftest import ROOT

WALKTHROUGH = "docs/first-deployment.md"
TROUBLESHOOTING = "docs/troubleshooting.md"
# The order of the brief: nothing to a push that starts a pipeline.
STEPS = [
    "Prerequisites and placeholders",
    "Deploy roles",
    "Bootstrap and state",
    "VPN certificates",
    "The image",
    "SMTP",
    "Tooling",
    "Targets, phase one",
    "Hub routing",
    "VPN client",
    "First sign-in",
    "GitLab settings",
    "The CodeConnections handshake",
    "Targets, phase two",
    "A test push",
]
# `docs/x.md, "Heading"` or `(docs/x.md, "Heading", "Another")`
REFERENCE = re.compile(r"(docs/[\w.-]+\.md),((?:\s*\"[^\"]+\",?)+)")


def text(doc: str) -> str:
    return (ROOT / doc).read_text(encoding="utf-8")


def headings(doc: str) -> list[str]:
    return [line.lstrip("#").strip() for line in text(doc).splitlines() if line.startswith("#")]


def test_the_steps_are_all_there_in_order() -> None:
    numbered = [h for h in headings(WALKTHROUGH) if re.match(r"\d+\. ", h)]
    assert numbered == [f"{n}. {title}" for n, title in enumerate(STEPS, 1)]


def test_every_step_says_what_success_looks_like() -> None:
    sections = re.split(r"^## \d+\. .*$", text(WALKTHROUGH), flags=re.MULTILINE)[1:]
    assert len(sections) == len(STEPS)
    for title, body in zip(STEPS, sections, strict=True):
        assert "Success" in body, f"{title}: no success criterion"
        assert "```sh" in body or "docs/" in body, f"{title}: neither a command nor the page that has it"


def test_the_readme_links_the_walkthrough_first() -> None:
    links = re.findall(r"\]\((docs/[\w.-]+\.md)", text("README.md"))
    assert links[:2] == [WALKTHROUGH, TROUBLESHOOTING]


@pytest.mark.parametrize("doc", [WALKTHROUGH, TROUBLESHOOTING, "docs/deploy-roles.md"])
def test_named_sections_exist(doc: str) -> None:
    prose = " ".join(text(doc).split())
    found = REFERENCE.findall(prose)
    assert found or doc == "docs/deploy-roles.md"
    for target, titles in found:
        assert (ROOT / target).is_file(), target
        for title in re.findall(r"\"([^\"]+)\"", titles):
            assert any(h.startswith(title) for h in headings(target)), f"{doc}: {target} has no section {title!r}"
