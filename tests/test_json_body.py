"""JSON bodies are read strictly (mockserver/json_body.py): nesting is bounded at MAX_DEPTH."""

from __future__ import annotations

import pytest

from mockserver.json_body import MAX_DEPTH, JsonBodyError, loads


@pytest.mark.parametrize("as_text", [False, True])
def test_a_body_nested_to_the_limit_is_read_and_one_level_more_is_refused(as_text):
    def nested(depth: int) -> bytes | str:
        body = b"[" * depth + b"]" * depth
        return body.decode() if as_text else body

    assert loads(nested(MAX_DEPTH)) is not None
    with pytest.raises(JsonBodyError, match="nested more than"):
        loads(nested(MAX_DEPTH + 1))
    with pytest.raises(JsonBodyError, match="nested more than"):
        loads(b'[{"a": ' * (MAX_DEPTH // 2 + 1) + b"1" + b"}]" * (MAX_DEPTH // 2 + 1))


def test_brackets_inside_strings_are_not_nesting():
    name = "[{" * (2 * MAX_DEPTH)
    assert loads(f'[{{"firstName": "{name}", "cellPhone": {{"phoneNumber": "1"}}}}]'.encode()) == [
        {"firstName": name, "cellPhone": {"phoneNumber": "1"}}
    ]


# half of a UTF-16 surrogate pair, as a JSON escape: Python's own parser reads it, UTF-8 cannot
LONE_SURROGATES = ["\\ud800", "\\udfff", "x\\ud83d"]


@pytest.mark.parametrize("escape", LONE_SURROGATES)
def test_a_lone_surrogate_escape_is_refused_as_unreadable_json(escape):
    with pytest.raises(JsonBodyError, match="surrogate pair"):
        loads(f'[{{"firstName": "{escape}"}}]'.encode())
    with pytest.raises(JsonBodyError, match="surrogate pair"):
        loads(f'{{"{escape}": 1}}')


def test_a_whole_surrogate_pair_is_one_character():
    assert loads(b'["\\ud83d\\ude00"]') == ["\U0001f600"]


@pytest.mark.parametrize(
    "body",
    [
        b'[{"firstName": "a\\u0000b"}]',
        '{"a\\u0000": 1}',  # a key too
        b'[{"n": 1e999999}, "\\u0000"]',  # on the slow path (the number is out of orjson's range)
    ],
)
def test_a_nul_in_a_string_is_refused(body):
    with pytest.raises(JsonBodyError, match="NUL character"):
        loads(body)


def test_an_escaped_backslash_before_u0000_is_text_not_a_nul():
    assert loads(b'["\\\\u0000"]') == ["\\u0000"]


@pytest.mark.parametrize("body", [b"\xef\xbb\xbf[]", "\ufeff[]"])
def test_a_byte_order_mark_is_refused_saying_so(body):
    # Python's words told an HTTP client to "decode using utf-8-sig"
    with pytest.raises(JsonBodyError) as refused:
        loads(body)
    assert refused.value.msg == (
        "The JSON body starts with a byte order mark (U+FEFF); send UTF-8 without one"
    )
