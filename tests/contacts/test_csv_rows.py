import codecs

import pytest

from mockserver.contacts.csv_rows import CsvFileError, read_contacts
from tests.conftest import HEADER, csv_file


def read(data: bytes, max_rows: int = 1000):
    return read_contacts(data, max_rows=max_rows)


def test_rows_become_items_shaped_like_json_requests():
    rows = read(csv_file("john,doe,Mr,9876543210,+91,+"))
    assert len(rows) == 1
    assert rows[0].row == 1
    assert rows[0].item == {
        "firstName": "john",
        "lastName": "doe",
        "salutation": "Mr",
        "cellPhone": {"phoneNumber": "9876543210", "countryCode": "+91", "extension": "+"},
    }


def test_columns_in_any_order_with_spaces_and_extra_columns():
    header = (
        " cellPhoneExtension , note,cellPhoneCountryCode,cellPhoneNumber,salutation,"
        "lastName,firstName"
    )
    rows = read(csv_file("x,hello,91,9876543210,Mrs,doe,jane", header=header))
    assert rows[0].item["firstName"] == "jane"
    assert rows[0].item["cellPhone"] == {
        "phoneNumber": "9876543210",
        "countryCode": "91",
        "extension": "x",
    }


def test_bom_crlf_and_quoted_fields():
    data = codecs.BOM_UTF8 + (HEADER + '\r\n"Doe, John","O""Neil",Mr,9876543210,+91,\r\n').encode()
    rows = read(data)
    assert rows[0].item["firstName"] == "Doe, John"
    assert rows[0].item["lastName"] == 'O"Neil'


def test_quoted_newline_keeps_row_numbers_by_record():
    rows = read(csv_file('"multi\nline",doe,Mr,9876543210,+91,', "b,c,Mr,9876543211,+91,"))
    assert [r.row for r in rows] == [1, 2]
    assert rows[1].line == 4


@pytest.mark.parametrize("blank", ["", "   ", "\t"])
def test_blank_lines_are_skipped(blank):
    rows = read(csv_file("a,b,Mr,9876543210,+91,", blank, "c,d,Mr,9876543211,+91,"))
    assert [r.row for r in rows] == [1, 2]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (codecs.BOM_UTF8, "empty"),
        (HEADER.encode() + b"\n", "no data rows"),
        (b"firstName,lastName,cellPhoneNumber\na,b,1\n", "missing required column(s): salutation"),
        ((HEADER + "\nj\xf6rg,doe,Mr,9876543210,+91,\n").encode("latin-1"), "not valid UTF-8"),
        # where, as a person finds it (it said "byte 88" of the file, and nothing for a NUL)
        (
            (HEADER + "\na,b,Mr,1,+91,\nj\xf6rg,doe,Mr,9876543210,+91,\n").encode("latin-1"),
            "line 3, byte 2",
        ),
        (csv_file("a,b,Mr,98765\x0043210,+91,"), "NUL bytes (first at line 2, byte 13)"),
        # a spreadsheet's export with another separator: the columns are there, in one field
        (HEADER.replace(",", ";").encode() + b"\na;b;Mr;1;+91;\n", "not semicolons"),
        (HEADER.replace(",", "\t").encode() + b"\na\tb\tMr\t1\t+91\t\n", "not tabs"),
        (csv_file("a,b,Mr,9876543210,+91"), "the row has 5 fields, the header has 6"),
        (csv_file("a,b,Mr,9876543210,+91,,extra"), "the row has 7 fields"),
        (csv_file('"a,b,Mr,9876543210,+91,'), "malformed"),
        (csv_file("a,b,Mr,1,+91,", header=HEADER + ",firstName"), "twice"),
        (b"\n" + csv_file("a,b,Mr,9876543210,+91,"), "first line is blank"),
        (b"  \r\n" + csv_file("a,b,Mr,9876543210,+91,"), "first line is blank"),
    ],
)
def test_unusable_files_are_refused_whole(data, message):
    with pytest.raises(CsvFileError) as info:
        read(data)
    assert message in info.value.msg
    assert not info.value.too_large


def test_too_many_rows_is_a_limit_error():
    data = csv_file(*(f"a,b,Mr,98765432{i:02d},+91," for i in range(5)))
    with pytest.raises(CsvFileError) as info:
        read(data, max_rows=4)
    assert info.value.too_large
    assert "more than 4" in info.value.msg


def test_a_quote_never_closed_is_named_on_the_line_it_opens():
    # it was "malformed at line 1001: unexpected end of data", the file's last line
    rows = ["a,b,Mr,9876543210,+91,", "\"O'Brien,c,Mr,9876543211,+91,"]
    rows += [f"n{i},m,Mr,98765{i:05d},+91," for i in range(20, 120)]
    with pytest.raises(CsvFileError) as refused:
        read(csv_file(*rows))
    assert str(refused.value).startswith(
        "The CSV file is malformed: the quoted field that starts on line 3 is never closed"
    )


def test_a_header_name_with_a_character_that_does_not_show_is_named_as_such():
    # "missing required column(s): firstName" with a column that reads firstName right there
    header = HEADER.replace("firstName", "first\u200bName", 1)
    with pytest.raises(CsvFileError) as refused:
        read(csv_file("a,b,Mr,9876543210,+91,", header=header))
    assert str(refused.value).endswith(
        '; the header has "first\\u200bName", with characters that do not show'
    )
