"""One definition of "in CI" (``mockserver.ci``), and every conftest uses it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mockserver.ci import hypothesis_profile, in_ci

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("true", True),
        ("TRUE", True),
        ("1", True),
        ("yes", True),
        (" on ", True),
        ("false", False),
        ("0", False),
        ("", False),
        ("no", False),
    ],
)
def test_ci_true_and_ci_1_both_mean_ci_and_false_or_0_do_not(value, expected):
    assert in_ci({"CI": value}) is expected
    assert hypothesis_profile({"CI": value}) == ("ci" if expected else "default")


def test_without_ci_set_it_is_not_ci():
    assert in_ci({}) is False


def test_no_conftest_reads_the_ci_variable_itself():
    conftests = [p for p in ROOT.rglob("conftest.py") if ".venv" not in p.parts]
    assert len(conftests) >= 4
    reading = re.compile(r"""environ(\.get)?\s*[\(\[]\s*["']CI["']|getenv\(\s*["']CI["']""")
    assert [str(p) for p in conftests if reading.search(p.read_text())] == []
