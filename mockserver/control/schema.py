"""Control-plane requests checked against control-openapi.yaml, as the vendor API's are."""

from __future__ import annotations

import functools
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from flask import Request
from openapi_core import OpenAPI
from openapi_core.contrib.flask import FlaskOpenAPIRequest
from openapi_core.unmarshalling.request.unmarshallers import (
    V31RequestParametersUnmarshaller,
    V31RequestUnmarshaller,
)

from mockserver.validation import ValidRequest, _as_api_error

CONTROL_SPEC_FILE = "control-openapi.yaml"


def control_spec_path() -> Path:
    return Path(str(resources.files("mockserver.control").joinpath(CONTROL_SPEC_FILE)))


@functools.cache
def control_spec() -> dict[str, Any]:
    with control_spec_path().open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def control_operations() -> list[tuple[str, str, str]]:
    """(path, HTTP method, operationId) for every operation of the control document."""
    return [
        (path, method.upper(), operation["operationId"])
        for path, item in control_spec()["paths"].items()
        for method, operation in item.items()
        if isinstance(operation, dict) and "operationId" in operation
    ]


class _Request(FlaskOpenAPIRequest):
    """Match the document's server whatever host or port the control plane was called on."""

    @property
    def host_url(self) -> str:
        return control_spec()["servers"][0]["url"]

    @property
    def method(self) -> str:
        method = self.request.method.lower()
        return "get" if method == "head" else method  # HEAD is GET without the body


class ControlValidator:
    def __init__(self) -> None:
        spec = OpenAPI.from_file_path(str(control_spec_path())).spec
        self._full = V31RequestUnmarshaller(spec)
        self._parameters = V31RequestParametersUnmarshaller(spec)

    def validate(self, request: Request, *, body: bool = True) -> ValidRequest:
        """Typed parameters (and JSON body) of a request, or the 400/415 it deserves.

        ``body=False`` checks parameters only, for bodies a handler reads itself (CSV files).
        """
        unmarshaller = self._full if body else self._parameters
        result = unmarshaller.unmarshal(_Request(request))
        if result.errors:
            raise _as_api_error(result.errors)
        params = result.parameters
        return ValidRequest(
            path=dict(params.path),
            query=dict(params.query),
            header=dict(params.header),
            body=getattr(result, "body", None),
        )
