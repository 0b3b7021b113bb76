"""JSON request bodies, read strictly: UTF-8 only, no NaN/Infinity, nesting depth bounded.

``validation`` parses every JSON body here, exactly once. A body that cannot be read raises
``JsonBodyError`` (an ``ApiError``): a clean 400 in Kore's envelope instead of a
``RecursionError`` or a ``UnicodeDecodeError`` escaping as a 500. Kore's own API (Express' JSON
parser) refuses the same bodies: other charsets, invalid UTF-8, and non-JSON constants.
"""

from __future__ import annotations

import json
from typing import Any

import orjson

from mockserver.errors import UnsupportedMediaType, ValidationError

# The deepest documented body is [{"cellPhone": {...}}] (3 levels); leave room, refuse bombs.
MAX_DEPTH = 16
UTF8_CHARSETS = {"utf-8", "utf8"}
MAX_ECHO_CHARS = 120


class JsonBodyError(ValidationError):
    """The body is not a JSON document this server reads."""


def is_integer(value: Any) -> bool:
    """A JSON integer as Python reads it: an ``int``, but not ``True`` or ``False``."""
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value: Any) -> bool:
    """A JSON number as Python reads it: an ``int`` or a ``float``, but not a ``bool``."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def check_charset(charset: str | None) -> None:
    """Only UTF-8 JSON is read (RFC 8259); any other declared charset is 415."""
    if charset is not None and charset.strip().strip('"').lower() not in UTF8_CHARSETS:
        raise UnsupportedMediaType(
            f"JSON bodies must be UTF-8; the Content-Type declares charset {charset[:40]!r}"
        )


def loads(value: bytes | str, **_parameters: str) -> Any:
    """Parse one JSON request body strictly."""
    try:
        document = orjson.loads(value)  # fast, and as strict as the reading below
    except orjson.JSONDecodeError:
        return _loads_slowly(value)  # says precisely what is wrong (or reads huge integers)
    if nests_too_deep(value, document):
        raise _too_deep()
    _refuse_nul(value, document)
    return document


def _loads_slowly(value: bytes | str) -> Any:
    if isinstance(value, bytes):
        try:
            text = value.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise JsonBodyError(
                f"The JSON body is not valid UTF-8 (byte {exc.start}: "
                f"{value[exc.start : exc.start + 1]!r})"
            ) from None
    else:
        text = value
    if text.startswith("\ufeff"):  # Python's words would tell the client to decode utf-8-sig
        raise JsonBodyError(
            "The JSON body starts with a byte order mark (U+FEFF); send UTF-8 without one"
        )
    try:
        document = json.loads(text, parse_constant=_refuse_constant)
    except RecursionError:
        raise _too_deep() from None
    except json.JSONDecodeError as exc:
        raise JsonBodyError(
            f"The JSON body is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None
    except ValueError as exc:  # e.g. an integer literal over Python's digit limit
        detail = str(exc)[:MAX_ECHO_CHARS]
        raise JsonBodyError(f"The JSON body is not valid JSON: {detail}") from None
    if nests_too_deep(text, document):
        raise _too_deep()
    _refuse_lone_surrogates(document)
    _refuse_nul(value, document)
    return document


def _refuse_nul(text: bytes | str, document: Any) -> None:
    """A NUL (``\u0000``) in a string: PostgreSQL's text cannot hold one (a 500 there), a CSV
    import refuses the byte, and no name or number has one. The text is looked at first; the
    document is walked only when it has the escape (``\\u0000`` is a backslash, not a NUL)."""
    escape = "\\u0000" if isinstance(text, str) else b"\\u0000"
    if escape in text and any("\x00" in string for string in strings(document)):
        raise JsonBodyError(
            "The JSON body holds a NUL character (\\u0000) in a string; no field takes one"
        )


def strings(document: Any) -> Any:
    """Every string of the document, keys included (iterative)."""
    stack = [document]
    while stack:
        value = stack.pop()
        if isinstance(value, str):
            yield value
        elif isinstance(value, dict):
            yield from value
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)


def _refuse_lone_surrogates(document: Any) -> None:
    """A ``\\uD800``-style escape of half a UTF-16 pair names no character: Python's parser
    lets it through (orjson does not), and no UTF-8 text — the store, the journal, an answer —
    can hold it."""
    try:
        json.dumps(document, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError as exc:
        code = ord(exc.object[exc.start])
        raise JsonBodyError(
            f"The JSON body is not valid JSON: the escape \\u{code:04x} is half of a UTF-16"
            " surrogate pair without its other half"
        ) from None


def nests_too_deep(text: bytes | str, document: Any) -> bool:
    """Whether ``document``, parsed from ``text``, nests arrays/objects deeper than MAX_DEPTH.
    The text is looked at first: with no more ``[`` and ``{`` than the limit, no document can
    nest deeper (one contact's body has 3), and it is not walked."""
    if isinstance(text, str):
        openings = text.count("[") + text.count("{")
    else:
        openings = text.count(b"[") + text.count(b"{")
    return openings > MAX_DEPTH and depth_exceeds(document, MAX_DEPTH)


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def _too_deep() -> JsonBodyError:
    return JsonBodyError(
        f"The JSON body is nested more than {MAX_DEPTH} levels deep; this API's bodies have 3"
    )


def depth_exceeds(document: Any, limit: int) -> bool:
    """True when arrays/objects nest deeper than ``limit`` (iterative: no recursion)."""
    stack = [(document, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            children = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False
