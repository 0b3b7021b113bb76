"""multipart/form-data bodies read strictly, for every handler that takes a file part (the
vendor API's import, the control plane's seed): a malformed or truncated body is a 400 that
says what is wrong with it, not an empty form ("no file part"); the parts besides the file are
named in the refusal."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import Request
from werkzeug.datastructures import FileStorage
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.formparser import FormDataParser

from mockserver import body_limit
from mockserver.errors import PayloadTooLarge, ValidationError

NAMELESS = "(a part without a name)"


class Malformed(ValidationError):
    """A multipart body werkzeug's parser could not read to its end."""


class _StrictFormParser(FormDataParser):
    """werkzeug's parser, but a malformed or truncated body is an error, not an empty form."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **{**kwargs, "silent": False})


def file_parts(request: Request, names: tuple[str, ...]) -> list[FileStorage]:
    """The file parts called one of ``names``, in that order (``Malformed``, 413 otherwise)."""
    request.form_data_parser_class = _StrictFormParser
    try:
        return [part for name in names for part in request.files.getlist(name)]
    except ValueError as exc:
        raise Malformed(f"The multipart body is malformed: {_malformed(exc)}") from None
    except RequestEntityTooLarge:
        if request.content_length is None:  # a chunked body past the limit it is held to
            raise body_limit.too_large(body_limit.limit_of(request)) from None
        raise PayloadTooLarge(  # its length is within the limit: the form parser's own limits
            f"The multipart body has more than {request.max_form_parts} parts or a text "
            f"field over {request.max_form_memory_size} bytes"
        ) from None


_PARSER_STATES = {  # werkzeug's parser state when the body ran out -> what the client did wrong
    "State.PREAMBLE": "no part starts with the boundary given in the Content-Type",
    "State.PART": "a part's headers are cut off",
    "State.DATA": "it ends inside a part (truncated, or the closing boundary is missing)",
}


def _malformed(error: ValueError) -> str:
    text = str(error)
    return next((why for state, why in _PARSER_STATES.items() if state in text), text)


def refuse_other_parts(request: Request, expected: Iterable[str], send_only: str) -> None:
    """``ValidationError`` naming the parts of ``request``'s form other than ``expected``, if
    any (``send_only``: what the refusal asks for instead). werkzeug keys a part whose
    Content-Disposition has no name (or one it cannot read, such as ``name="a\\"``) as None:
    it is named as such, not sorted with the others (a 500)."""
    names = (set(request.files) | set(request.form)) - set(expected)
    quoted = [repr(name) for name in sorted(name for name in names if name is not None)]
    if None in names:
        quoted.insert(0, NAMELESS)
    if quoted:
        raise ValidationError(
            f"The multipart body has unexpected part(s) {', '.join(quoted)}; send only {send_only}"
        )
