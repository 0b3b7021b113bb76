"""openapi.yaml's patterns mean the same to every reader of the contract.

JSON Schema patterns are ECMA-262 regexes, but the mock checks them with Python's `re` (and Rust's
`regex` for CSV rows), and the three disagree on what `\\s` matches: Python counts `\\x1c`-`\\x1f`
and `\\x85` as white space, ECMA-262 counts the BOM, Rust neither. A pattern that says `\\s` must
name those characters too, or a client generating data from the spec sends values the mock refuses
(the contract suite found exactly that).
"""

import re

import jsonschema_rs
import pytest

from mockserver.control.schema import ecma_anchored
from mockserver.spec import CONTROL, VENDOR

DISPUTED = r"\x1c-\x1f\x85\ufeff"


def patterns(value, where=""):
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "pattern" and isinstance(item, str):
                yield where, item
            else:
                yield from patterns(item, f"{where}/{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from patterns(item, f"{where}/{index}")


@pytest.mark.parametrize("spec", [VENDOR, CONTROL], ids=["vendor", "control"])
def test_white_space_in_patterns_means_the_same_in_every_regex_dialect(spec):
    for where, pattern in patterns(spec.document):
        if re.search(r"\\[sS]", pattern):
            assert DISPUTED in pattern, f"{where}: {pattern!r} leaves {DISPUTED} to the dialect"


PROBES = [
    "st-abc",
    "st-abc\n",
    "acc1\n",
    "cs-1",
    "cs-1\n",
    "..",
    "..\n",
    "+91\n",
    "+919876543210\n",
    "2024-05-01T12:00:00.000Z\n",
    "\n",
    "a$",
    "$\n",
]
SYNTHETIC = [r"^a\$$", r"^[$]+$", r"^[^\]$]+$", r"^a$|^b$"]


@pytest.mark.parametrize("spec", [VENDOR, CONTROL], ids=["vendor", "control"])
def test_the_control_plane_reads_every_pattern_as_the_vendor_validator_does(spec):
    """openapi-core checks the control plane with Python's re, whose "$" also matches before a
    final line feed: "st-abc\\n" met ^st-[A-Za-z0-9-]{1,100}$. jsonschema-rs (ECMA-262) does not."""
    found = {pattern for _, pattern in patterns(spec.document)}
    for pattern in sorted(found) + SYNTHETIC:
        ecma = jsonschema_rs.validator_for({"type": "string", "pattern": pattern})
        for probe in [*PROBES, pattern.strip("^$")]:
            expected = ecma.is_valid(probe)
            assert bool(ecma_anchored(pattern).search(probe)) == expected, (pattern, probe)
