"""A request body held to a byte limit: a body of exactly the limit is taken, one byte more is 413.

werkzeug refuses a body whose Content-Length is over ``max_content_length``, but a body it reads
without one (chunked) or parses as a form fails on the first read attempted at that limit, end
of body or not: a body of exactly the limit was refused, with a message blaming something else.
So the body is read at most one byte past the limit and then measured: ``hold(request, limit)``
before any read, ``over(request)`` after it (or a werkzeug 413 raised while reading, which
``limit_of`` words with the limit itself, not werkzeug's limit one byte past it).
"""

from __future__ import annotations

from flask import Request
from werkzeug.exceptions import ClientDisconnected, RequestEntityTooLarge

from mockserver.errors import BODY_OVER_LIMIT, PayloadTooLarge, ValidationError

BODY_LIMIT = "kore_mock.body_limit"  # the request's limit, in its WSGI environ
REST_BYTES = 64 * 1024


def hold(request: Request, limit: int) -> None:
    """413 now when the Content-Length, or ``kore-mock serve``'s front (which stopped reading a
    chunked body past the route's limit), says the body is over ``limit``; otherwise the body
    is read at most one byte past it."""
    request.environ[BODY_LIMIT] = limit
    length = request.content_length
    if request.environ.get(BODY_OVER_LIMIT) or (length is not None and length > limit):
        raise too_large(limit, length)
    request.max_content_length = limit + 1


def over(request: Request) -> bool:
    """True when more than the held limit was read (a chunked body one byte past it)."""
    limit = request.environ.get(BODY_LIMIT)
    tell = getattr(request.stream, "tell", None)
    return limit is not None and tell is not None and tell() > limit


def check(request: Request) -> None:
    """Call it once the body was read: 413 when ``over(request)``; 400 when the body ended before
    its Content-Length. What the reader left (a multipart parser stops at the closing boundary,
    before the line end and any epilogue after it) is read first, so a body cut short there is
    not taken for a whole one."""
    if not over(request):
        try:
            while request.stream.read(REST_BYTES):
                pass
        except RequestEntityTooLarge:
            pass  # a chunked body one byte past its limit: over() tells
        except (ValueError, ClientDisconnected):  # gunicorn's reader / werkzeug's, cut short
            raise ValidationError(ended_early(request)) from None
        length = request.content_length  # werkzeug trusts the server to end the body at it
        if length is not None and request.stream.tell() < length:
            raise ValidationError(ended_early(request))
    if over(request):
        raise too_large(request.environ[BODY_LIMIT], request.content_length)


def ended_early(request: Request) -> str:
    """What a body that ended before its end did (read as far as it went)."""
    length = request.content_length
    if length is None:
        return "The request body ended before its last chunk"
    received = request.stream.tell()
    return f"The request body ended after {received} of its {length} bytes (Content-Length)"


def limit_of(request: Request) -> int | None:
    """The limit the request's body was held to (werkzeug's own limit when not held)."""
    return request.environ.get(BODY_LIMIT, request.max_content_length)


def too_large(limit: int, length: int | None = None) -> PayloadTooLarge:
    if length is not None and length > limit:
        return PayloadTooLarge(
            f"The request body has {length} bytes, over this server's limit of {limit} bytes"
        )
    return PayloadTooLarge(f"The request body is over this server's limit of {limit} bytes")
