"""Check any response against openapi.yaml with openapi-core (used by every HTTP test)."""

from __future__ import annotations

import json
import re
from functools import cache
from typing import Any

from openapi_core import OpenAPI
from openapi_core.testing import MockRequest, MockResponse

from mockserver.spec import VENDOR


def default_server_url() -> str:
    """The document's first server with every variable at its default."""
    server = VENDOR.document["servers"][0]
    url = server["url"]
    for name, variable in server.get("variables", {}).items():
        url = url.replace("{" + name + "}", variable["default"])
    return url


@cache
def _openapi() -> OpenAPI:
    return OpenAPI.from_file_path(str(VENDOR.path))


@cache
def _templates() -> list[tuple[re.Pattern[str], str, set[str]]]:
    found = []
    for template, item in VENDOR.document["paths"].items():
        regex = re.compile("^" + re.sub(r"\{[^/]+\}", "[^/]+", template) + "$")
        methods = {m.upper() for m in item if m != "parameters"}
        found.append((regex, template, methods))
    # literal segments (bulk-update) before templates ({contactId}), as the server routes them
    found.sort(key=lambda t: t[1].count("{"))
    return found


def check_response(
    method: str, path: str, status: int, headers: dict[str, str], body: bytes
) -> None:
    """Raise AssertionError unless the response is what openapi.yaml documents."""
    content_type = headers.get("Content-Type", "")
    assert content_type.startswith("application/json"), (status, content_type, body[:200])
    parsed = json.loads(body)
    if status >= 400:
        assert_envelope(parsed)
    template = next(
        (t for regex, t, methods in _templates() if regex.match(path) and method in methods),
        None,
    )
    if template is None:  # unknown path or method: only the envelope can be checked
        assert status in (404, 405), (method, path, status)
        return
    request = MockRequest(
        default_server_url(), method, path, path_pattern=template, content_type=content_type
    )
    response = MockResponse(body, status_code=status, headers=headers, content_type=content_type)
    _openapi().validate_response(request, response)


def assert_envelope(body: Any) -> None:
    assert isinstance(body, dict) and set(body) == {"errors"}, body
    assert isinstance(body["errors"], list) and body["errors"], body
    for entry in body["errors"]:
        assert isinstance(entry.get("msg"), str) and entry["msg"], entry
        assert isinstance(entry.get("code"), int), entry
