"""Property-based fuzzing of the domain's input readers: whatever bytes or values arrive, the CSV
reader, the phone rules and the item rules either accept them (and then the result holds the
documented invariants) or refuse them with their own validation error — never anything else."""

from __future__ import annotations

import csv
import io
import re
import string

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mockserver.contacts.csv_rows import (
    COLUMNS,
    LENIENT_OPTIONAL,
    CsvColumns,
    CsvFileError,
    read_columns,
    read_contacts,
)
from mockserver.contacts.model import InvalidField
from mockserver.contacts.phone import normalise, normalise_many
from mockserver.contacts.rules import Candidate, ItemRules, split
from mockserver.spec import items_check

FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
E164 = re.compile(r"\+[0-9]{8,15}")
FORMULA_START = tuple("=+-@")
# a formula character or whitespace as JSON Schema (ECMA-262) regexes know it
UNSAFE_START = re.compile(
    "[=+\\-@\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]"
)

# Characters that matter to a CSV reader, plus some that matter to people.
CSV_SPECIALS = ',"\r\n\t \x00\ufeff\u2028\x1c=+-@'
cells = st.text(alphabet=st.characters(codec="utf-8") | st.sampled_from(CSV_SPECIALS), max_size=12)
header_names = st.sampled_from([*COLUMNS, " firstName ", "FIRSTNAME", "note", ""])


@st.composite
def csv_like(draw: st.DrawFn) -> bytes:
    """Text that is often almost a valid import file, in an often-wrong encoding."""
    header = draw(
        st.one_of(
            st.just(list(COLUMNS)),
            st.permutations(COLUMNS).map(list),
            st.lists(header_names, max_size=8),
        )
    )
    width = st.integers(0, len(header) + 2)
    rows = draw(
        st.lists(width.flatmap(lambda n: st.lists(cells, min_size=n, max_size=n)), max_size=6)
    )
    newline = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    text = newline.join(",".join(row) for row in [header, *rows])
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "latin-1", "cp1252"]))
    return text.encode(encoding, errors="replace")


def assert_read_or_refused(data: bytes, max_rows: int) -> None:
    try:
        rows = read_contacts(data, max_rows=max_rows)
    except CsvFileError as exc:
        assert exc.msg
        return
    assert 1 <= len(rows) <= max_rows
    assert [r.row for r in rows] == list(range(1, len(rows) + 1))
    for row in rows:
        item = row.item
        assert set(item) == {"firstName", "lastName", "salutation", "cellPhone"}
        assert set(item["cellPhone"]) == {"phoneNumber", "countryCode", "extension"}
        values = [
            item["firstName"],
            item["lastName"],
            item["salutation"],
            *item["cellPhone"].values(),
        ]
        assert all(isinstance(v, str) and v == v.strip() and "\x00" not in v for v in values)


@FUZZ
@given(data=st.binary(max_size=4096), max_rows=st.integers(1, 5))
def test_csv_reader_on_arbitrary_bytes_reads_or_refuses(data, max_rows):
    assert_read_or_refused(data, max_rows)


def assert_columns_as_rows(data: bytes, max_rows: int, optional: frozenset[str]) -> None:
    """The file read column by column holds what the row reader reads, or the same error."""
    read = {"max_rows": max_rows, "optional": optional}
    try:
        rows = [(r.row, r.item) for r in read_contacts(data, **read)]
    except CsvFileError as exc:
        try:
            read_columns(data, **read)
        except CsvFileError as same:
            assert (same.msg, same.too_large) == (exc.msg, exc.too_large)
        else:
            raise AssertionError("read by columns, refused by rows") from None
        return
    assert read_columns(data, **read).numbered_items() == rows


@st.composite
def regular_files(draw: st.DrawFn) -> bytes:
    """Files a spreadsheet writes: every record as wide as the header, padded cells; the
    columns ``requiredFields: lenient`` lets a file leave out are sometimes left out."""
    left_out = draw(st.sets(st.sampled_from(sorted(LENIENT_OPTIONAL))))
    header = draw(st.permutations([*(c for c in COLUMNS if c not in left_out), "note"]))
    text = cells.filter(lambda cell: "\x00" not in cell)  # a NUL refuses the whole file
    padded = st.tuples(st.sampled_from(["", " ", "\t"]), text, st.sampled_from(["", " "]))
    width = len(header)
    rows = draw(st.lists(st.lists(padded.map("".join), min_size=width, max_size=width), max_size=6))
    out = io.StringIO()
    csv.writer(out).writerows([header, *rows])
    return out.getvalue().encode()


optional_columns = st.sampled_from([frozenset(), LENIENT_OPTIONAL])


@FUZZ
@given(data=regular_files() | csv_like(), max_rows=st.integers(1, 5), optional=optional_columns)
def test_a_file_read_by_columns_holds_what_it_holds_read_by_rows(data, max_rows, optional):
    assert_columns_as_rows(data, max_rows, optional)


@FUZZ
@given(data=regular_files(), max_rows=st.integers(1, 5))
def test_a_file_without_its_optional_columns_read_by_columns_as_by_rows(data, max_rows):
    assert_columns_as_rows(data, max_rows, LENIENT_OPTIONAL)


@FUZZ
@given(data=st.binary(max_size=2048), max_rows=st.integers(1, 5), optional=optional_columns)
def test_arbitrary_bytes_read_by_columns_as_by_rows(data, max_rows, optional):
    assert_columns_as_rows(data, max_rows, optional)


@FUZZ
@given(data=csv_like(), max_rows=st.integers(1, 5))
def test_csv_reader_on_almost_valid_files_reads_or_refuses(data, max_rows):
    assert_read_or_refused(data, max_rows)


safe_text = st.text(alphabet=string.ascii_letters + " ,\"'\n-=", min_size=1, max_size=15).filter(
    lambda s: s.strip() == s and s[0] not in FORMULA_START
)


@FUZZ
@given(
    rows=st.lists(
        st.tuples(safe_text, safe_text, safe_text, st.from_regex(r"[0-9]{5,12}", fullmatch=True)),
        min_size=1,
        max_size=8,
    )
)
def test_any_file_a_csv_writer_produces_is_read_back_exactly(rows):
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for first, last, salutation, number in rows:
        writer.writerow([first, last, salutation, number, "+91", "+"])
    read = read_contacts(out.getvalue().encode(), max_rows=len(rows))
    assert [(r.item["firstName"], r.item["lastName"], r.item["salutation"]) for r in read] == [
        (first, last, salutation) for first, last, salutation, _ in rows
    ]
    assert [r.item["cellPhone"]["phoneNumber"] for r in read] == [row[3] for row in rows]


phone_text = st.text(alphabet=st.characters(codec="utf-8") | st.sampled_from("+0123456789 -"))


@FUZZ
@given(number=phone_text, country_code=phone_text, extension=st.text(max_size=12))
def test_phone_normalisation_gives_an_e164_key_or_invalid_phone(number, country_code, extension):
    try:
        phone = normalise(number, country_code, extension)
    except InvalidField as exc:
        assert exc.field in ("phoneNumber", "countryCode") and exc.msg
        return
    assert E164.fullmatch(phone.number_key)
    assert phone.number_key == phone.country_code + number
    assert phone.country_code == "+" + country_code.lstrip("+")
    assert phone.extension == extension


digits_or_not = st.from_regex(r"[0-9]{3,14}", fullmatch=True) | phone_text
codes_or_not = st.sampled_from(["+1", "1", "+91", "91", "+358", "358"]) | phone_text


@FUZZ
@given(phones=st.lists(st.tuples(digits_or_not, codes_or_not, st.text(max_size=4)), max_size=4))
def test_many_phones_at_once_as_each_one_alone(phones):
    """All accepted, and then the same phones, or None when any one is refused."""
    alone = []
    for number, code, extension in phones:
        try:
            alone.append(normalise(number, code, extension))
        except InvalidField:
            alone = None
            break
    numbers, codes, extensions = ([p[i] for p in phones] for i in range(3))
    many = normalise_many(numbers, codes, extensions)
    assert many == (alone if phones else None)


RULES = ItemRules(items_check("ContactInput"))


@FUZZ
@given(
    rows=st.lists(
        st.tuples(cells, cells, cells, digits_or_not, codes_or_not, cells), min_size=1, max_size=6
    )
)
def test_a_files_rows_checked_by_columns_as_one_by_one(rows):
    """Column candidates are the rows' candidates, and the same rows refused for the same
    field and reason."""
    columns = CsvColumns(*(list(column) for column in zip(*rows, strict=True)))
    passed, refused = split(RULES.candidates(columns.numbered_items()))
    by_columns, refused_by_columns = RULES.column_candidates(columns)
    assert by_columns == passed
    assert [(row, e.field, e.msg) for row, e in refused_by_columns] == [
        (row, e.field, e.msg) for row, e in refused
    ]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
FIELDS = ["firstName", "lastName", "salutation", "cellPhone"]
PHONE_FIELDS = ["phoneNumber", "countryCode", "extension"]


@st.composite
def almost_valid_items(draw: st.DrawFn) -> dict:
    item = {
        "firstName": "ann",
        "lastName": "lee",
        "salutation": "Ms",
        "cellPhone": {"phoneNumber": "9876543210", "countryCode": "+91", "extension": "+"},
    }
    for _ in range(draw(st.integers(1, 3))):
        if draw(st.booleans()) and isinstance(item["cellPhone"], dict):
            item["cellPhone"][draw(st.sampled_from(PHONE_FIELDS))] = draw(json_values | phone_text)
        else:
            item[draw(st.sampled_from([*FIELDS, "extra"]))] = draw(json_values | cells)
    return item


def assert_candidate_or_invalid(item: object) -> None:
    [(row, candidate)] = RULES.candidates([(1, item)])
    assert row == 1
    if isinstance(candidate, InvalidField):
        assert candidate.field and candidate.msg
        return
    assert isinstance(candidate, Candidate)
    assert E164.fullmatch(candidate.phone.number_key)
    for name in (candidate.first_name, candidate.last_name):
        assert 1 <= len(name) <= 100 and not UNSAFE_START.match(name)
    assert not UNSAFE_START.match(candidate.salutation)


@FUZZ
@given(item=json_values)
def test_item_rules_on_any_json_value_give_a_candidate_or_invalid_item(item):
    assert_candidate_or_invalid(item)


@FUZZ
@given(item=almost_valid_items())
def test_item_rules_on_almost_valid_items_give_a_candidate_or_invalid_item(item):
    assert_candidate_or_invalid(item)
