"""openapi.yaml's patterns mean the same to every reader of the contract.

JSON Schema patterns are ECMA-262 regexes, but the mock checks them with Python's `re` (and Rust's
`regex` for CSV rows), and the three disagree on what `\\s` matches: Python counts `\\x1c`-`\\x1f`
and `\\x85` as white space, ECMA-262 counts the BOM, Rust neither. A pattern that says `\\s` must
name those characters too, or a client generating data from the spec sends values the mock refuses
(the contract suite found exactly that).
"""

import re

import pytest

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
