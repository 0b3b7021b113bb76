"""Whether a text can be the address of a server to call: a kore-mock (the control verbs, the
pytest plugin) or a host (the contract suite, fidelity, replay, the proxy's upstream)."""

from __future__ import annotations

import urllib.parse


def url_problem(url: str) -> str | None:
    """Why ``url`` cannot be a kore-mock's address (a scheme but http/https, a user and password,
    a line end copied with it...); None if it can be."""
    for char in url:
        if char.isspace() or not char.isprintable():
            name = {"\n": "a newline", "\r": "a carriage return", " ": "a space", "\t": "a tab"}
            return f"it holds {name.get(char) or f'the character U+{ord(char):04X}'}"
    scheme, slashes, _ = url.partition("://")
    if not slashes:
        return "it does not start with http:// or https://"
    if scheme.lower() not in ("http", "https"):
        return f"it starts with {scheme}://, not http:// or https://"
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError as exc:  # an unclosed IPv6 bracket
        return f"it is not a URL ({exc})"
    if "@" in parts.netloc:
        return "it holds a user name or password (user:password@): credentials have options"
    if not parts.hostname:
        return "it names no host"
    try:
        parts.hostname.encode("idna")
    except UnicodeError:  # what resolving it would raise, as a traceback
        return "its host name is not one: a part of it is empty or longer than 63 characters"
    try:
        parts.port  # noqa: B018 - a port that is not a number 0-65535 raises
    except ValueError:
        return "its port is not a number from 0 to 65535"
    if parts.query or parts.fragment or "?" in url or "#" in url:
        return "it holds a query or a fragment (?... or #...): give the server's address alone"
    return None
