"""CSV bytes -> contact items in the JSON request shape (a pure function).

File-level problems (encoding, header, structure, limits) raise ``CsvFileError``: they make the
whole file unusable. Cell values are not judged here; ``rules`` does that, for CSV rows and JSON
items alike.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import json
import sys
from typing import Any, NamedTuple

from mockserver.contacts.model import new_tuple

COLUMNS = (
    "firstName",
    "lastName",
    "salutation",
    "cellPhoneNumber",
    "cellPhoneCountryCode",
    "cellPhoneExtension",
)

# The columns the reading requiredFields: lenient lets a file leave out (read as empty cells).
LENIENT_OPTIONAL = frozenset({"salutation", "cellPhoneExtension"})

# Item field (JSON path) -> CSV column, to name the column a rejected row got wrong.
FIELD_TO_COLUMN = {
    "firstName": "firstName",
    "lastName": "lastName",
    "salutation": "salutation",
    "cellPhone.phoneNumber": "cellPhoneNumber",
    "cellPhone.countryCode": "cellPhoneCountryCode",
    "cellPhone.extension": "cellPhoneExtension",
    "cellPhone": "cellPhoneNumber",
}


_UTF16_32_BOMS = (
    codecs.BOM_UTF32_LE,
    codecs.BOM_UTF32_BE,
    codecs.BOM_UTF16_LE,
    codecs.BOM_UTF16_BE,
)


class CsvFileError(ValueError):
    """The file as a whole cannot be read; ``too_large`` marks a limit (HTTP 413)."""

    def __init__(self, msg: str, *, too_large: bool = False) -> None:
        super().__init__(msg)
        self.msg = msg
        self.too_large = too_large


class CsvColumns(NamedTuple):
    """An import file's data rows column by column, in ``COLUMNS`` order (data row i at index
    i - 1); the cells of an optional column the file leaves out read as empty."""

    first_name: list[str]
    last_name: list[str]
    salutation: list[str]
    number: list[str]
    country_code: list[str]
    extension: list[str]

    def items(self) -> list[dict[str, Any]]:
        """Each row as an item, as ``read_contacts`` gives them."""
        return list(itertools.starmap(item, zip(*self, strict=True)))

    def numbered_items(self) -> list[tuple[int, dict[str, Any]]]:
        """(data row number, item) of each row."""
        return list(enumerate(self.items(), 1))


def item(
    first: str, last: str, salutation: str, number: str, code: str, extension: str
) -> dict[str, Any]:
    """A row's cells (stripped) as an item shaped like a JSON create request."""
    return {
        "firstName": first,
        "lastName": last,
        "salutation": salutation,
        "cellPhone": {"phoneNumber": number, "countryCode": code, "extension": extension},
    }


class CsvRow(NamedTuple):
    row: int  # data row number, the first data row is 1
    line: int  # line of the file the row ends on
    item: dict[str, Any]


def read_contacts(
    data: bytes, *, max_rows: int, optional: frozenset[str] = frozenset()
) -> list[CsvRow]:
    """Parse an import file into items shaped like a JSON create request; the ``optional``
    columns may be missing from the header (their cells read as empty)."""
    text = _decode(data)
    if not text.strip():
        raise CsvFileError("The CSV file is empty")
    reader = _Records(csv.reader(io.StringIO(text, newline=""), strict=True))
    try:
        header = next(reader)
        positions = _column_positions(header, optional)
        rows = _read_rows(reader, positions, len(header), max_rows)
    except csv.Error as exc:
        if str(exc) == "unexpected end of data":  # a quote opened and never closed
            raise CsvFileError(
                f"The CSV file is malformed: the quoted field that starts on line {reader.began} "
                f"is never closed (its quote runs to the end of the file, line {reader.line_num})"
            ) from None
        raise CsvFileError(
            f"The CSV file is malformed at line {reader.line_num}: {_csv_problem(exc)}"
        ) from None
    if not rows:
        raise CsvFileError("The CSV file has a header but no data rows")
    return rows


def read_columns(
    data: bytes, *, max_rows: int, optional: frozenset[str] = frozenset()
) -> CsvColumns:
    """``read_contacts`` column by column: a regular file (every record as wide as the header,
    within ``max_rows``) is split into columns by whole-column passes, with no object per row
    (a 100,000-row import); anything else is read row by row, whose error it raises."""
    reader = csv.reader(io.StringIO(_decode(data), newline=""), strict=True)
    try:
        header = next(reader, [])
        positions = _column_positions(header, optional)
        # one record past the limit tells; islice stops at sys.maxsize at most (no list is
        # longer), and maxImportRows may be 2^63-1: max_rows + 1 was a ValueError, a 500
        records = list(itertools.islice(reader, min(max_rows + 1, sys.maxsize)))
    except (csv.Error, CsvFileError):
        records = []
    if not records or len(records) > max_rows or set(map(len, records)) != {len(header)}:
        # blank lines, ragged rows, too many rows, a broken file: the row reader says which
        return _columns_of(read_contacts(data, max_rows=max_rows, optional=optional))
    cells = list(zip(*records, strict=True))
    empty = [""] * len(records)
    return CsvColumns(
        *(
            empty if (at := positions[column]) is None else list(map(str.strip, cells[at]))
            for column in COLUMNS
        )
    )


def _columns_of(rows: list[CsvRow]) -> CsvColumns:
    """Rows read one by one (blank lines skipped) as columns."""
    phones = [r.item["cellPhone"] for r in rows]
    return CsvColumns(
        *([r.item[k] for r in rows] for k in ("firstName", "lastName", "salutation")),
        *([p[k] for p in phones] for k in ("phoneNumber", "countryCode", "extension")),
    )


class _Records:
    """A csv reader that knows the line its current record began on (a quote never closed
    reads to the end of the file, where the reader's own line number then points)."""

    def __init__(self, reader: Any) -> None:
        self._reader = reader
        self.began = 1

    def __iter__(self) -> _Records:
        return self

    def __next__(self) -> list[str]:
        self.began = self._reader.line_num + 1
        return next(self._reader)

    @property
    def line_num(self) -> int:
        return self._reader.line_num


def _csv_problem(error: csv.Error) -> str:
    if "field larger than field limit" in str(error):
        return f"a field is longer than {csv.field_size_limit()} characters"
    return str(error)


def _decode(data: bytes) -> str:
    if data.startswith(_UTF16_32_BOMS):
        raise CsvFileError("The CSV file is UTF-16 or UTF-32 text; save it as UTF-8")
    nul = data.find(b"\x00")
    if nul >= 0:
        raise CsvFileError(
            f"The CSV file contains NUL bytes (first at {_place(data, nul)}); it must be UTF-8 text"
        )
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        bad = data[exc.start : exc.start + 1]
        raise CsvFileError(
            f"The CSV file is not valid UTF-8: byte {bad!r} at {_place(data, exc.start)} "
            "(save it as UTF-8, not Latin-1 or Windows-1252)"
        ) from None


def _place(data: bytes, offset: int) -> str:
    """Where byte ``offset`` of a file is, as a person finds it: its line, and its byte."""
    line = data.count(b"\n", 0, offset) + 1
    column = offset - data.rfind(b"\n", 0, offset)  # 1 for the line's first byte
    return f"line {line}, byte {column}"


def _column_positions(header: list[str], optional: frozenset[str]) -> dict[str, int | None]:
    names = [name.strip() for name in header]
    if not any(names):
        raise CsvFileError(
            "The CSV file's first line is blank; the header (" + ", ".join(COLUMNS) + ") must "
            "be its first line"
        )
    positions: dict[str, int | None] = {}
    for index, name in enumerate(names):
        if name in COLUMNS:
            if name in positions:
                raise CsvFileError(f"The CSV header names column {name!r} twice")
            positions[name] = index
    missing = [column for column in COLUMNS if column not in positions]
    for column in missing:
        if column in optional:
            positions[column] = None
    missing = [column for column in missing if column not in optional]
    if missing:
        raise CsvFileError(
            "The CSV header is missing required column(s): "
            + ", ".join(missing)
            + " (expected: "
            + ",".join(COLUMNS)
            + ")"
            + _delimiter_hint(header)
            + _near_misses(names, missing)
        )
    return positions


def _near_misses(names: list[str], missing: list[str]) -> str:
    """Header cells that are a missing column's name but for characters one cannot see (a
    zero-width space, a no-break space, a byte order mark: a copy from a web page brings them)."""
    found = [
        json.dumps(name)
        for name in names
        if "".join(c for c in name if c.isprintable() and not c.isspace()) in missing
        and name not in missing
    ]
    if not found:
        return ""
    return "; the header has " + ", ".join(found) + ", with characters that do not show"


def _delimiter_hint(header: list[str]) -> str:
    """A word on a header that is one field holding the column names split by another
    character (a spreadsheet's export with ``;`` or a tab, or a ``sep=;`` line)."""
    if len(header) != 1:
        return ""
    for delimiter, name in ((";", "semicolons"), ("\t", "tabs"), ("|", "bars")):
        if delimiter in header[0]:
            return f"; the header is one field: columns must be separated by commas, not {name}"
    return ""


def _read_rows(
    reader: Any, positions: dict[str, int | None], width: int, max_rows: int
) -> list[CsvRow]:
    first, last, salutation, number, code, extension = (positions[c] for c in COLUMNS)
    assert first is not None and last is not None and number is not None and code is not None
    rows: list[CsvRow] = []
    for fields in reader:
        if not fields or (len(fields) == 1 and not fields[0].strip()):
            continue  # blank line
        if len(fields) != width:
            raise CsvFileError(
                f"The CSV file is malformed at line {reader.line_num}: "
                f"the row has {len(fields)} fields, the header has {width}"
            )
        if len(rows) >= max_rows:
            raise CsvFileError(
                f"The CSV file has more than {max_rows} data rows, the limit of this server",
                too_large=True,
            )
        rows.append(
            new_tuple(
                CsvRow,
                (
                    len(rows) + 1,
                    reader.line_num,
                    item(
                        fields[first].strip(),
                        fields[last].strip(),
                        "" if salutation is None else fields[salutation].strip(),
                        fields[number].strip(),
                        fields[code].strip(),
                        "" if extension is None else fields[extension].strip(),
                    ),
                ),
            )
        )
    return rows
