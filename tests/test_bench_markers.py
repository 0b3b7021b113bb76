"""``bench.profile_requests`` names the parts of a request by the frames py-spy shows: every
marker must name a function that exists today (a renamed function would report 0 % silently)."""

from __future__ import annotations

import re
import sysconfig
from pathlib import Path

import pytest

from bench.profile_requests import APP_CALL, PARTS

ROOT = Path(__file__).resolve().parent.parent
SITE = Path(sysconfig.get_paths()["purelib"])


def _files(prefix: str) -> list[Path]:
    """The source files a marker's path names: a file, or every file under a folder prefix."""
    for base in (ROOT, SITE):
        candidate = base / prefix
        if candidate.is_file():
            return [candidate]
        folder = candidate if candidate.is_dir() else candidate.parent
        if prefix.endswith("/") and folder.is_dir():
            return sorted(folder.rglob("*.py"))
        if folder.is_dir():
            found = sorted(f for f in folder.rglob("*.py") if str(f).startswith(str(candidate)))
            if found:
                return found
    return []


@pytest.mark.parametrize("part", sorted(PARTS))
def test_each_profiled_part_names_a_function_that_exists(part):
    marker = PARTS[part]
    qualified, _, prefix = marker.partition(" (")
    *owner, name = qualified.split(".")
    files = _files(prefix)
    assert files, f"{part}: no source file matches {prefix!r}"
    definition = re.compile(rf"^\s*(?:async\s+)?def {re.escape(name)}\(", re.M)
    owner_class = re.compile(rf"^\s*class \w*{re.escape(owner[0])}\b", re.M) if owner else None
    assert any(
        definition.search(text) and (owner_class is None or owner_class.search(text))
        for text in (f.read_text(errors="replace") for f in files)
    ), f"{part}: no function {qualified!r} in {prefix!r}"


def test_the_whole_app_call_is_one_of_the_parts():
    assert APP_CALL in PARTS.values()
