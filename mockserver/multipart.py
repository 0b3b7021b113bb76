"""What a multipart/form-data body holds besides the parts a route reads: the vendor API's import
and the control plane's seed refuse such a body, naming the parts."""

from __future__ import annotations

from collections.abc import Iterable

from flask import Request

NAMELESS = "(a part without a name)"


def unexpected_parts(request: Request, expected: Iterable[str]) -> str:
    """The parts of ``request``'s form other than ``expected``, quoted for a message; empty
    when there are none. werkzeug keys a part whose Content-Disposition has no name (or one it
    cannot read, such as ``name="a\\"``) as None: it is named as such, not sorted with the
    others (a 500)."""
    names = (set(request.files) | set(request.form)) - set(expected)
    quoted = [repr(name) for name in sorted(name for name in names if name is not None)]
    if None in names:
        quoted.insert(0, NAMELESS)
    return ", ".join(quoted)
