"""A control-plane client whose every answer is checked against control-openapi.yaml."""

from __future__ import annotations

import io
import json
import re
from functools import cache
from typing import Any

import pytest
from openapi_core import OpenAPI
from openapi_core.testing import MockRequest, MockResponse

from mockserver.spec import CONTROL
from tests.conftest import ACCOUNT, STREAM
from tests.spec_check import assert_envelope

SERVER = CONTROL.document["servers"][0]["url"]


@cache
def _openapi() -> OpenAPI:
    return OpenAPI.from_file_path(str(CONTROL.path))


@cache
def _templates() -> list[tuple[re.Pattern[str], str, str]]:
    found = [
        (re.compile("^" + re.sub(r"\{[^/]+\}", "[^/]+", path) + "$"), path, method)
        for path, method, _ in CONTROL.operations()
    ]
    found.sort(key=lambda t: t[1].count("{"))  # literal segments first, as Flask routes them
    return found


def check_control_response(method: str, path: str, response: Any) -> None:
    """AssertionError unless the answer is what control-openapi.yaml documents."""
    content_type = response.headers.get("Content-Type", "")
    if response.status_code >= 400:
        assert content_type.startswith("application/json"), (response.status_code, content_type)
        assert_envelope(json.loads(response.get_data()))
    template = next(
        (t for regex, t, m in _templates() if regex.match(path) and m == method.upper()), None
    )
    assert template is not None, f"{method} {path} is not in control-openapi.yaml"
    request = MockRequest(SERVER, method.lower(), path, path_pattern=template)
    text = content_type.startswith("text/")  # openapi-core reads only JSON from bytes
    mock_response = MockResponse(
        response.get_data(as_text=text),
        status_code=response.status_code,
        headers=dict(response.headers),
        content_type=content_type.split(";")[0],
    )
    _openapi().validate_response(request, mock_response)


NS_PATH = f"/__mock__/namespaces/{ACCOUNT}/{STREAM}"


class Control:
    """The control plane through Flask's test client (loopback unless told otherwise)."""

    def __init__(self, client: Any, remote_addr: str = "127.0.0.1", token: str | None = None):
        self.client = client
        self.remote_addr = remote_addr
        self.token = token

    def call(self, method: str, path: str, **kw: Any) -> Any:
        headers = kw.pop("headers", {})
        if self.token is not None:
            headers["X-Mock-Admin-Token"] = self.token
        response = self.client.open(
            path,
            method=method,
            headers=headers,
            environ_base={"REMOTE_ADDR": self.remote_addr},
            **kw,
        )
        check_control_response(method, path.split("?")[0], response)
        return response

    def get(self, path: str, **kw: Any) -> Any:
        return self.call("GET", path, **kw)

    def post(self, path: str, **kw: Any) -> Any:
        return self.call("POST", path, **kw)

    def put(self, path: str, **kw: Any) -> Any:
        return self.call("PUT", path, **kw)

    def patch(self, path: str, **kw: Any) -> Any:
        return self.call("PATCH", path, **kw)

    def delete(self, path: str, **kw: Any) -> Any:
        return self.call("DELETE", path, **kw)

    # helpers named after what a QA engineer does

    def seed(self, contacts: list[dict[str, Any]], *, legacy: bool = False, ns: str = NS_PATH):
        body = {"contacts": contacts, "legacyDuplicates": legacy}
        return self.post(ns + "/seed", json=body)

    def seed_csv(self, data: bytes, *, legacy: bool = False, ns: str = NS_PATH):
        query = "?legacyDuplicates=true" if legacy else ""
        return self.post(
            ns + "/seed" + query,
            data={"file": (io.BytesIO(data), "contacts.csv", "text/csv")},
            content_type="multipart/form-data",
        )

    def set_fault(self, operation: str, **fault: Any):
        return self.put(f"/__mock__/faults/{operation}", json=fault)

    def settings(self, **change: Any):
        return self.patch("/__mock__/settings", json=change)

    def verify(self, **body: Any):
        return self.post("/__mock__/journal/verify", json=body)


@pytest.fixture
def control(client: Any) -> Control:
    return Control(client)
