"""Import files that exercise the CSV reader and the duplicate-number rule (not random bytes).

Registered for the ``text/csv`` part of ``importContacts``: every generated file has a header and
rows drawn from these kinds —

- valid rows, with numbers from the small hot pool (so they are often *already stored*),
  country codes written with and without ``+``, names that need quoting;
- rows that repeat an earlier row's number (same or different names, ``1`` vs ``+1``);
- invalid rows (letters in the number, empty names, bad country codes, too long or short);
- now and then a malformed row (wrong number of fields, an unbalanced quote);

and files vary in column order, extra columns, BOM, CRLF line ends and quoting.
"""

from __future__ import annotations

import csv
import io

from hypothesis import strategies as st

from contract_tests.client import CSV_COLUMNS
from contract_tests.numbers import HOT_SIZE, NumberPool

NAME_CHARS = st.characters(
    codec="utf-8", exclude_categories=("Cs", "Cc", "Zl", "Zp"), exclude_characters="\x85"
)
NAMES = st.one_of(
    st.sampled_from(["john", "jane", "Jane", "doe", "Smith, Jr.", 'O"Neil', "Zoë", "李", " ana "]),
    st.text(NAME_CHARS, min_size=1, max_size=12),
)
SALUTATIONS = st.sampled_from(["Mr", "Mrs", "mr", "Dr", ""])
EXTENSIONS = st.sampled_from(["", "+", "91", "+91", "x12"])
INVALID_PHONES = st.sampled_from(
    [
        ("555-0123", "+1"),  # not digits only
        ("20155501ab", "+1"),
        ("", "+1"),  # missing
        ("123", "+1"),  # too short for E.164
        ("2015550123999", "+1234"),  # country code too long
        ("2015550123", "abc"),
        ("2015550123", ""),
        ("20155501230000", "+44"),  # 16 digits in all
    ]
)


@st.composite
def _row(draw: st.DrawFn, pool: NumberPool, earlier: list[list[str]]) -> list[str]:
    kind = draw(st.sampled_from(["valid"] * 6 + ["repeat"] * 2 + ["invalid"] * 2))
    first, last = draw(NAMES), draw(NAMES)
    salutation, extension = draw(SALUTATIONS), draw(EXTENSIONS)
    if kind == "repeat" and earlier:
        source = draw(st.sampled_from(earlier))
        code = source[4].lstrip("+")
        plus = draw(st.booleans())
        if draw(st.booleans()):  # identical name, or not
            first, last = source[0], source[1]
        return [first, last, salutation, source[3], f"+{code}" if plus else code, extension]
    if kind == "invalid":
        if draw(st.booleans()):
            number, code = draw(INVALID_PHONES)
        else:  # a good number, an empty name
            number, code = _hot(draw, pool)
            first = draw(st.sampled_from(["", "   "]))
        return [first, last, salutation, number, code, extension]
    number, code = _hot(draw, pool)
    return [first, last, salutation, number, code, extension]


def _hot(draw: st.DrawFn, pool: NumberPool) -> tuple[str, str]:
    number = pool.hot(draw(st.integers(0, HOT_SIZE - 1)))
    return number.national, number.code(plus=draw(st.booleans()))


@st.composite
def csv_files(draw: st.DrawFn, pool: NumberPool) -> bytes:
    rows: list[list[str]] = []
    for _ in range(draw(st.integers(1, 8))):
        rows.append(draw(_row(pool, rows)))
    order = list(range(len(CSV_COLUMNS)))
    if draw(st.booleans()):
        order = draw(st.permutations(order))
    header = [CSV_COLUMNS[i] for i in order]
    if draw(st.integers(0, 3)) == 0:
        header = [f" {name} " for name in header]
    extra = draw(st.booleans())
    if extra:
        header.append("notes")
    quoting = draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL]))
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    out = io.StringIO()
    writer = csv.writer(out, quoting=quoting, lineterminator=newline)
    writer.writerow(header)
    for row in rows:
        writer.writerow([row[i] for i in order] + (["imported by the contract suite"] * extra))
    text = out.getvalue()
    malformed = draw(st.integers(0, 9))
    if malformed == 0:
        text += "only,three,fields" + newline
    elif malformed == 1:
        text += '"unbalanced,quote' + newline
    bom = "\ufeff" if draw(st.integers(0, 4)) == 0 else ""
    return (bom + text).encode("utf-8")
