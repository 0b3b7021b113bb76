"""The malformed-input corpus: the worst requests QA engineers send, and what the mock answers.

Each ``Case`` is one request. ``tests/test_hostile_corpus.py`` sends every case through Flask's
test client, ``tests/test_hostile_http.py`` sends every case over real HTTP to ``kore-mock
serve`` (gunicorn), plus the ``http_only`` cases whose bytes no test client can produce (a body
shorter than its Content-Length, a header name with a space, non-ASCII header bytes...).

For each: a 4xx in Kore's envelope whose message names the problem (``says``), no contact
stored anywhere, and the next good request succeeds. A request that breaks the contract (a
value the schema does not allow) is Kore's 412 ``Validation errors/ Invalid arguments`` (the
default of the profile's ``validationStatus``); one whose body cannot be read at all is 400.

Row-level problems (a formula cell, a bad phone in an otherwise fine file) are not file errors:
they run under the ``reject`` policy (400, one error per row, nothing stored). What ``skip``
does with them (200 without those rows, ``X-Mock-Rejected-Rows``) is tested on its own.
"""

from __future__ import annotations

import codecs
import json
from dataclasses import dataclass
from typing import Any

MB = 1024 * 1024
# The limits both test servers run with (settings YAML ``limits:`` / ``Limits``).
LIMITS = {
    "maxUploadBytes": 6 * MB,
    "maxImportRows": 50,
    "maxJsonItems": 20,
    "maxJsonBytes": 64 * 1024,
}
HEADER = "firstName,lastName,salutation,cellPhoneNumber,cellPhoneCountryCode,cellPhoneExtension"
BOUNDARY = "kore-corpus-boundary"
MULTIPART = f"multipart/form-data; boundary={BOUNDARY}"
JSON = "application/json"
SOME_ID = "0123456789abcdef01234567"
INVALID = 412  # a value the contract does not allow (validationStatus, by default)

Header = tuple[str, str | bytes | None]  # a value of None removes the default header


@dataclass(frozen=True)
class Case:
    name: str
    target: str  # after .../public/{streamId}/contacts
    method: str = "POST"
    body: bytes = b""
    content_type: str | None = None
    headers: tuple[Header, ...] = ()
    status: int = 400
    says: str = ""
    policy: str = "skip"  # "reject" for row-level cases
    http_status: int | None = None  # when gunicorn answers before the app does...
    http_says: str | None = None  # ...and what it says then
    http_only: bool = False
    declared_length: int | None = None  # a Content-Length that lies (http_only)
    chunked: bool = False  # send the body chunked (http_only)
    raw_body: bytes | None = None  # bytes sent as they are after the head (http_only)

    @property
    def expected_over_http(self) -> int:
        return self.http_status or self.status

    def headers_for(self, token: str, account: str) -> list[tuple[str, str | bytes]]:
        """The request's headers: valid auth + accountId unless the case replaces them."""
        replaced = {name.lower() for name, _ in self.headers}
        found: list[tuple[str, str | bytes]] = [
            (name, value)
            for name, value in (("auth", token), ("accountId", account))
            if name.lower() not in replaced
        ]
        found += [
            (name, value.replace("{token}", token) if isinstance(value, str) else value)
            for name, value in self.headers
            if value is not None
        ]
        if self.content_type is not None:
            found.append(("Content-Type", self.content_type))
        return found


# -- builders ------------------------------------------------------------------------------


def csv(*rows: str, header: str = HEADER, newline: str = "\n") -> bytes:
    return (newline.join((header, *rows)) + newline).encode()


def multipart(*parts: tuple[str | None, str | None, bytes], boundary: str = BOUNDARY) -> bytes:
    """(field name or None, filename or None, content) -> a multipart/form-data body."""
    out = b""
    for name, filename, content in parts:
        disposition = "form-data"
        if name is not None:
            disposition += f'; name="{name}"'
        if filename is not None:
            disposition += f'; filename="{filename}"'
        out += f"--{boundary}\r\nContent-Disposition: {disposition}\r\n".encode()
        if filename is not None:
            out += b"Content-Type: text/csv\r\n"
        out += b"\r\n" + content + b"\r\n"
    return out + f"--{boundary}--\r\n".encode()


def upload(data: bytes, field: str = "result_file") -> bytes:
    return multipart((field, "contacts.csv", data))


def csv_case(name: str, data: bytes, says: str, *, status: int = 400, policy: str = "skip") -> Case:
    return Case(
        name,
        "/import-contacts",
        body=upload(data),
        content_type=MULTIPART,
        status=status,
        says=says,
        policy=policy,
    )


def row_case(name: str, row: str, says: str = "INVALID_FIELD", **kw: Any) -> Case:
    """A file whose only problem is one row: under ``reject``, 400 naming the row."""
    data = csv("ok,row,Mr,9876500001,+91,", row, **kw)
    return csv_case(name, data, says, policy="reject")


def json_case(name: str, target: str, body: bytes | Any, says: str, **kw: Any) -> Case:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    method = kw.pop("method", "POST")
    return Case(name, target, method=method, body=raw, content_type=JSON, says=says, **kw)


def person(number: str, first: str = "ann", **extra: Any) -> dict[str, Any]:
    return {
        "firstName": first,
        "lastName": "lee",
        "salutation": "Ms",
        "cellPhone": {"phoneNumber": number, "countryCode": "+91", "extension": ""},
        **extra,
    }


def good_csv(number: str) -> bytes:
    return csv(f"good,request,Mr,{number},+91,")


# -- the corpus ----------------------------------------------------------------------------

ROW = "john,doe,Mr,9876543210,+91,"
TEN_THOUSAND = ",".join(f"c{i}" for i in range(10_000))

CSV_FILES = [
    csv_case("csv_binary_with_nul_bytes", bytes(range(256)) * 64, "NUL bytes"),
    csv_case("csv_binary_high_bytes", bytes(range(0x80, 0x100)) * 64, "not valid UTF-8"),
    csv_case("csv_utf16_le_with_bom", csv(ROW).decode().encode("utf-16"), "UTF-16"),
    csv_case(
        "csv_utf16_be_with_bom",
        codecs.BOM_UTF16_BE + csv(ROW).decode().encode("utf-16-be"),
        "UTF-16",
    ),
    csv_case("csv_utf16_without_bom", csv(ROW).decode().encode("utf-16-le"), "NUL bytes"),
    csv_case("csv_utf32", csv(ROW).decode().encode("utf-32"), "UTF-32"),
    csv_case(
        "csv_latin1",
        (HEADER + "\nj\xf6rg,m\xfcller,Hr,9876543210,+49,\n").encode("latin-1"),
        "UTF-8",
    ),
    csv_case("csv_overlong_utf8_sequence", csv(ROW) + b"\xc0\xaf\n", "not valid UTF-8"),
    csv_case("csv_utf8_encoded_surrogate", csv(ROW) + b"\xed\xa0\x80\n", "not valid UTF-8"),
    csv_case("csv_only_a_bom", codecs.BOM_UTF8, "empty"),
    csv_case("csv_empty_file", b"", "empty"),
    csv_case("csv_only_blank_lines", b"\r\n \n\t\n\n", "empty"),
    csv_case("csv_header_only", HEADER.encode(), "no data rows"),
    csv_case("csv_header_only_with_bom_and_blank_lines", codecs.BOM_UTF8 + csv("", ""), "no data"),
    csv_case(
        "csv_10000_columns_none_of_them_ours",
        csv(",".join(["x"] * 10_000), header=TEN_THOUSAND),
        "missing required column",
    ),
    csv_case(
        "csv_10000_fields_in_a_row", csv(",".join(["x"] * 10_000)), "the row has 10000 fields"
    ),
    csv_case("csv_5mb_single_line", b"a" * (5 * MB), "longer than 131072 characters"),
    csv_case(
        "csv_5mb_quoted_field",
        csv('"' + "x" * (5 * MB) + '",doe,Mr,9876543210,+91,'),
        "longer than 131072 characters",
    ),
    csv_case(
        "csv_unbalanced_quotes",
        csv('"john,doe,Mr,9876543210,+91,'),
        "starts on line 2 is never closed",
    ),
    csv_case(
        "csv_stray_quote_after_quoted_field", csv('"jo"hn,doe,Mr,9876543210,+91,'), "expected"
    ),
    csv_case("csv_nul_byte_in_a_cell", csv("jo\x00hn,doe,Mr,9876543210,+91,"), "NUL bytes"),
    csv_case(
        "csv_lone_cr_splits_a_row",
        csv("john,doe,Mr,98765\r43210,+91,"),
        "the row has 4 fields",
    ),
    csv_case("csv_row_with_too_many_fields", csv(ROW + ",extra"), "the row has 7 fields"),
    csv_case("csv_row_with_too_few_fields", csv("john,doe,Mr,9876543210"), "the row has 4 fields"),
    csv_case(
        "csv_header_missing_a_column",
        csv("john,doe,Mr,9876543210,+91", header=HEADER.rsplit(",", 1)[0]),
        "missing required column(s): cellPhoneExtension",
    ),
    csv_case(
        "csv_header_names_a_column_twice", csv(ROW + ",Mrs", header=HEADER + ",salutation"), "twice"
    ),
    csv_case("csv_header_in_other_case", csv(ROW, header=HEADER.upper()), "missing required"),
    csv_case(
        "csv_over_the_row_limit",
        csv(*(f"a,b,Mr,{9000000000 + i},+91," for i in range(LIMITS["maxImportRows"] + 1))),
        "more than 50 data rows",
        status=413,
    ),
    csv_case("csv_over_the_size_limit", b"x" * (6 * MB + 1), "limit of", status=413),
]

ROW_LEVEL = [
    row_case("csv_formula_cmd_in_first_name", "=cmd|' /C calc'!A0,doe,Mr,9876543210,+91,"),
    row_case("csv_formula_plus_in_last_name", "john,+1+cmd|' /C calc'!A0,Mr,9876543210,+91,"),
    row_case("csv_formula_minus_in_first_name", "-2+3,doe,Mr,9876543210,+91,"),
    row_case("csv_formula_at_in_first_name", "@SUM(A1:A9),doe,Mr,9876543210,+91,"),
    row_case("csv_formula_after_a_tab", '"\t=1+1",doe,Mr,9876543210,+91,'),
    row_case("csv_formula_in_salutation", 'john,doe,"=HYPERLINK(""x"")",9876543210,+91,'),
    row_case("csv_formula_in_extension", "john,doe,Mr,9876543210,+91,=1+1"),
    row_case(
        "csv_mixed_line_endings_with_an_invalid_row",
        "a,b,Mr,9876500002,+91,\rc,d,Mr,98765-00003,+91,\r\ne,f,Mr,9876500004,+91,",
        "cellPhoneNumber",
    ),
    row_case("csv_letters_in_the_phone_number", "john,doe,Mr,98765ABCDE,+91,", "cellPhoneNumber"),
    row_case("csv_name_over_100_characters", "j" * 101 + ",doe,Mr,9876543210,+91,", "firstName"),
    row_case("csv_number_repeated_in_the_file", "dup,row,Mr,9876500001,+91,", "DUPLICATE_IN_FILE"),
]

MULTIPART_BODIES = [
    Case(
        "multipart_without_boundary",
        "/import-contacts",
        body=upload(csv(ROW)),
        content_type="multipart/form-data",
        says="no boundary",
    ),
    Case(
        "multipart_truncated_body",
        "/import-contacts",
        body=upload(csv(ROW))[:-40],
        content_type=MULTIPART,
        says="ends inside a part",
    ),
    Case(
        "multipart_two_result_file_parts",
        "/import-contacts",
        body=multipart(
            ("result_file", "a.csv", csv(ROW)),
            ("result_file", "b.csv", csv("jane,doe,Ms,9876543211,+91,")),
        ),
        content_type=MULTIPART,
        says="2 'result_file' parts",
    ),
    Case(
        "multipart_empty_result_file_part",
        "/import-contacts",
        body=upload(b""),
        content_type=MULTIPART,
        says="empty",
    ),
    Case(
        "multipart_wrong_field_name",
        "/import-contacts",
        body=upload(csv(ROW), field="file"),
        content_type=MULTIPART,
        says="no file part 'result_file' (found: file)",
    ),
    Case(
        "multipart_result_file_as_text_field",
        "/import-contacts",
        body=multipart(("result_file", None, csv(ROW))),
        content_type=MULTIPART,
        says="is a text field",
    ),
    Case(
        "multipart_part_without_a_name",
        "/import-contacts",
        body=multipart((None, "a.csv", csv(ROW))),
        content_type=MULTIPART,
        says="no file part",
    ),
    Case(
        "multipart_a_nameless_part_and_another_beside_the_file",  # was a 500 (None < 'b')
        "/import-contacts",
        body=multipart(("result_file", "a.csv", csv(ROW)), (None, None, b"x"), ("b", None, b"y")),
        content_type=MULTIPART,
        says="unexpected part(s) (a part without a name), 'b'; send only 'result_file'",
    ),
    Case(
        "multipart_boundary_not_in_the_body",
        "/import-contacts",
        body=upload(csv(ROW), field="result_file").replace(BOUNDARY.encode(), b"other"),
        content_type=MULTIPART,
        says="no part starts with the boundary",
    ),
    Case(
        "multipart_too_many_parts",
        "/import-contacts",
        body=multipart(*((f"f{i}", None, b"x") for i in range(1001))),
        content_type=MULTIPART,
        status=413,
        says="more than 1000 parts",
    ),
    Case(
        "multipart_sent_as_json",
        "/import-contacts",
        body=b'{"result_file": "firstName"}',
        content_type=JSON,
        status=415,
        says="multipart/form-data",
    ),
    Case(  # the vendor's curl declares JSON and sends a form; a real JSON body is no form
        "json_with_a_boundary_on_the_import_path",
        "/import-contacts",
        body=b'{"result_file": "firstName"}',
        content_type=f"application/json;charset=UTF-8; boundary={BOUNDARY}",
        status=415,
        says="send the CSV file as multipart/form-data",
    ),
    Case(
        "multipart_posted_to_the_json_create",
        "",
        body=upload(csv(ROW)),
        content_type=MULTIPART,
        status=415,
        says="application/json",
    ),
]

DEEP = 20_000  # far past Python's recursion limit, inside the 64 KB JSON limit
JSON_BODIES = [
    json_case("json_array_nested_20000_deep", "", b"[" * DEEP + b"]" * DEEP, "nested more than"),
    json_case(
        "json_object_nested_10000_deep_on_update",
        f"/{SOME_ID}",
        b'{"a":' * (DEEP // 2) + b"1" + b"}" * (DEEP // 2),
        "nested more than",
        method="PUT",
    ),
    json_case(
        "json_nested_under_ids_on_bulk_delete",
        "/bulk-delete",
        b'{"ids":' + b"[" * DEEP + b"]" * DEEP + b"}",
        "nested more than",
        method="DELETE",
    ),
    json_case("json_nested_just_over_the_depth_limit", "", b"[" * 17 + b"]" * 17, "nested more"),
    json_case(
        "json_invalid_utf8",
        "",
        json.dumps([person("9876543210")]).encode().replace(b"ann", b"\xffnn"),
        "not valid UTF-8",
    ),
    json_case("json_utf16", "", json.dumps([person("9876543210")]).encode("utf-16"), "UTF-8"),
    Case(
        "json_declared_latin1",
        "",
        body=json.dumps([person("9876543210", "j\xf6rg")], ensure_ascii=False).encode("latin-1"),
        content_type="application/json; charset=latin-1",
        status=415,
        says="must be UTF-8",
    ),
    json_case("json_not_json", "", b"firstName=john&lastName=doe", "not valid JSON"),
    json_case("json_trailing_garbage", "", b"[{}] trailing", "Extra data"),
    json_case("json_empty_body", "", b"", "required", status=INVALID),
    json_case("json_nan", "", b'[{"firstName": NaN}]', "NaN"),
    # a NUL in a string: PostgreSQL's text cannot hold it (it was a 500 there, stored on SQLite)
    json_case("json_nul_in_first_name", "", [person("9876543210", first="a\x00b")], "NUL"),
    json_case(
        "json_nul_in_extension",
        "",
        [
            {
                **person("1"),
                "cellPhone": {
                    "phoneNumber": "9876543210",
                    "countryCode": "+91",
                    "extension": "\x00",
                },
            }
        ],
        "NUL",
    ),
    json_case("json_nul_in_update", f"/{SOME_ID}", {"lastName": "q\x00"}, "NUL", method="PUT"),
    json_case(
        "json_nul_in_bulk_update",
        "/bulk-update",
        [{"id": SOME_ID, "lastName": "q\x00"}],
        "NUL",
        method="PUT",
    ),
    json_case("json_integer_of_5000_digits", "", b"[" + b"9" * 5000 + b"]", "not valid JSON"),
    json_case(
        "json_object_where_an_array_belongs", "", person("9876543210"), "array", status=INVALID
    ),
    json_case(
        "json_number_as_first_name",
        "",
        [person("9876543210", first=7)],
        "firstName",
        status=INVALID,
    ),
    json_case(
        "json_phone_number_as_integer",
        "",
        [{**person("1"), "cellPhone": {"phoneNumber": 9876543210, "countryCode": "+91"}}],
        "phoneNumber",
        status=INVALID,
    ),
    json_case(
        "json_unknown_field", "", [person("9876543210", admin=True)], "admin", status=INVALID
    ),
    json_case("json_empty_array", "", [], "less than 1 item", status=INVALID),
    json_case(  # update bodies may echo a response's fields, not just any field
        "json_unknown_field_in_update",
        f"/{SOME_ID}",
        {"firstName": "ann", "admin": True},
        "admin",
        method="PUT",
        status=INVALID,
    ),
    json_case(
        "json_unknown_field_in_bulk_update",
        "/bulk-update",
        [{"id": SOME_ID, "fullName": "ann lee", "isAdmin": True}],
        "isAdmin",
        method="PUT",
        status=INVALID,
    ),
    json_case(
        "json_update_id_naming_another_contact",
        f"/{SOME_ID}",
        {"id": "0123456789abcdef0123ffff", "firstName": "ann"},
        "names another contact",
        method="PUT",
        status=INVALID,
    ),
    json_case(
        "json_formula_in_first_name",
        "",
        [person("9876543210", first="=1+1")],
        "firstName",
        status=INVALID,
    ),
    json_case(
        "json_formula_in_update",
        f"/{SOME_ID}",
        {"lastName": "@SUM(A1)"},
        "lastName",
        method="PUT",
        status=INVALID,
    ),
    json_case(
        "json_ids_not_an_array",
        "/bulk-delete",
        {"ids": SOME_ID},
        "array",
        method="DELETE",
        status=INVALID,
    ),
    json_case(
        "json_bulk_update_item_without_id",
        "/bulk-update",
        [{"firstName": "x"}],
        "id",
        method="PUT",
        status=INVALID,
    ),
    json_case(
        "json_over_the_item_limit_on_create",
        "",
        [person(str(9000000000 + i)) for i in range(21)],
        "at most 20",
        status=413,
    ),
    json_case(
        "json_over_the_item_limit_on_bulk_update",
        "/bulk-update",
        [{"id": SOME_ID, "firstName": "x"}] * 21,
        "at most 20",
        status=413,
        method="PUT",
    ),
    json_case(
        "json_over_the_item_limit_on_bulk_delete",
        "/bulk-delete",
        {"ids": [SOME_ID] * 21},
        "at most 20",
        status=413,
        method="DELETE",
    ),
    json_case(
        "json_over_the_byte_limit",
        "",
        [person("9876543210", first="a" * 70_000)],
        "65536",
        status=413,
    ),
    Case(
        "json_sent_as_text_plain",
        "",
        body=json.dumps([person("9876543210")]).encode(),
        content_type="text/plain",
        status=415,
        says="application/json",
    ),
]

PARAMETERS = [
    Case("query_negative_skip", "?skip=-1", method="GET", says="skip", status=INVALID),
    Case("query_limit_over_100", "?limit=101", method="GET", says="limit", status=INVALID),
    Case(
        "query_skip_of_5000_digits",
        "?skip=" + "9" * 5000,
        method="GET",
        says="skip",
        status=INVALID,
        http_status=414,
        http_says="request line is longer",
    ),
    Case("query_limit_not_a_number", "?limit=ten", method="GET", says="limit", status=INVALID),
    Case(
        "path_contact_id_not_hex",
        "/not-a-contact-id",
        method="DELETE",
        says="contactId",
        status=INVALID,
    ),
    Case(
        "path_contact_id_non_ascii",
        "/%C3%A9%C3%A9%C3%A9",
        method="PUT",
        says="contactId",
        status=INVALID,
    ),
]

HEADERS = [
    Case(
        "header_auth_of_100kb",
        "",
        method="GET",
        headers=(("auth", "a" * 100_000),),
        status=401,
        says="Invalid JWT token",
        http_status=431,
        http_says="request headers are over",
    ),
    Case(
        "header_account_id_non_ascii",
        "",
        method="GET",
        headers=(("accountId", "é".encode() * 12),),
        says="accountId",
        status=INVALID,
    ),
    Case(
        "header_auth_non_ascii",
        "",
        method="GET",
        headers=(("auth", "tøkén".encode()),),
        status=401,
        says="Invalid JWT token",
    ),
    Case(
        "header_account_id_twice",
        "",
        method="GET",
        headers=(
            ("accountId", None),
            ("accountId", "63c7ebae6a2aef36de8f0001"),
            ("accountId", "a" * 24),
        ),
        says="accountId",
        status=INVALID,
    ),
    Case("header_auth_empty", "", method="GET", headers=(("auth", ""),), status=401, says="JWT"),
    Case(
        "header_token_as_bearer_authorization",
        "/import-contacts",
        body=upload(csv(ROW)),
        content_type=MULTIPART,
        headers=(("auth", None), ("Authorization", "Bearer {token}")),
        status=401,
        says="auth header is missing",
    ),
]

HTTP_ONLY = [
    Case(
        "http_request_line_over_the_limit",
        "?skip=" + "0" * 5000,
        method="GET",
        status=414,
        says="request line is longer",
        http_only=True,
    ),
    Case(
        "http_150_header_fields",
        "",
        method="GET",
        headers=tuple((f"X-Filler-{i}", "x") for i in range(150)),
        status=431,
        says="request headers are over",
        http_only=True,
    ),
    Case(  # each field within its limit: ~800 KB a connection could make the server hold
        "http_head_over_64_kib_in_all",
        "",
        method="GET",
        headers=tuple((f"X-Filler-{i}", "x" * 8000) for i in range(9)),
        status=431,
        says="65536 bytes with the request line",
        http_only=True,
    ),
    Case(
        "http_header_name_with_a_space",
        "",
        method="GET",
        headers=(("Bad Name", "x"),),
        says="is malformed or not allowed",
        http_only=True,
    ),
    Case(
        "http_nul_byte_in_a_header_value",
        "",
        method="GET",
        headers=(("X-Note", b"a\x00b"),),
        says="is malformed or not allowed",
        http_only=True,
    ),
    Case(
        "http_obsolete_header_line_folding",
        "",
        method="GET",
        headers=(("X-Note", b"a\r\n b"),),
        says="is malformed or not allowed",
        http_only=True,
    ),
    Case(
        "http_two_content_lengths",
        "",
        body=b"[]",
        content_type=JSON,
        headers=(("Content-Length", "2"), ("Content-Length", "3")),
        says="The header Content-Length is malformed or not allowed, or given twice",
        http_only=True,
    ),
    Case(
        "http_transfer_encoding_gzip",
        "",
        body=b"[]",
        content_type=JSON,
        headers=(("Transfer-Encoding", "gzip"),),
        says="The header Transfer-Encoding is malformed or not allowed",
        http_only=True,
    ),
    Case(
        "http_json_body_shorter_than_its_content_length",
        "",
        body=json.dumps([person("9876543210")]).encode()[:20],
        content_type=JSON,
        declared_length=1000,
        says="ended after 20 of its 1000 bytes",
        http_only=True,
    ),
    Case(
        "http_upload_shorter_than_its_content_length",
        "/import-contacts",
        body=upload(csv(ROW))[:200],
        content_type=MULTIPART,
        declared_length=100_000,
        says="ends inside a part",
        http_only=True,
    ),
    *(
        Case(  # the multipart parser stops at the closing boundary: it was imported, a 200
            f"http_upload_{cut}_bytes_short_of_its_content_length_after_its_closing_boundary",
            "/import-contacts",
            body=upload(csv(ROW))[:-cut],
            content_type=MULTIPART,
            declared_length=len(upload(csv(ROW))),
            says=(
                f"ended after {len(upload(csv(ROW))) - cut} of its {len(upload(csv(ROW)))} "
                "bytes (Content-Length)"
            ),
            http_only=True,
        )
        for cut in (1, 2)
    ),
    Case(
        "http_malformed_chunked_body",
        "",
        content_type=JSON,
        headers=(("Transfer-Encoding", "chunked"),),
        raw_body=b"zz\r\n[]\r\n0\r\n\r\n",
        says="chunked encoding is malformed",
        http_only=True,
    ),
    Case(
        "http_chunked_json_over_the_byte_limit",
        "",
        body=b"[" + b" " * (64 * 1024) + b"]",
        content_type=JSON,
        chunked=True,
        status=413,
        says="more than 65536 bytes",
        http_only=True,
    ),
    Case(
        "http_chunked_upload_over_the_size_limit",
        "/import-contacts",
        body=upload(b"x" * (6 * MB)),
        content_type=MULTIPART,
        chunked=True,
        status=413,
        says="limit of 6291456 bytes",
        http_only=True,
    ),
    Case(
        "http_expect_header_other_than_100_continue",
        "",
        method="GET",
        headers=(("Expect", "something-else"),),
        status=417,
        says="Expect",
        http_only=True,
    ),
]

CASES: list[Case] = [
    *CSV_FILES,
    *ROW_LEVEL,
    *MULTIPART_BODIES,
    *JSON_BODIES,
    *PARAMETERS,
    *HEADERS,
    *HTTP_ONLY,
]
