"""A small HTTP client of the control plane, for the CLI verbs that drive a running server."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

DEFAULT_URL = "http://127.0.0.1:8080"
ADMIN_HEADER = "X-Mock-Admin-Token"
TIMEOUT_SECONDS = 300  # a seed of 200,000 rows takes a while


class ControlError(Exception):
    """The call failed; the message says why in words a script's user can act on."""

    def __init__(self, msg: str, status: int | None = None, body: Any = None) -> None:
        super().__init__(msg)
        self.status = status
        self.body = body


class ControlClient:
    def __init__(self, url: str = DEFAULT_URL, admin_token: str | None = None) -> None:
        self.url = url.rstrip("/")
        self.admin_token = admin_token

    def call(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        data: bytes | None = None,
        content_type: str | None = None,
    ) -> Any:
        """The parsed JSON (or text) answer of a 2xx; ``ControlError`` otherwise."""
        headers = {"Accept": "application/json"}
        if self.admin_token:
            headers[ADMIN_HEADER] = self.admin_token
        if json_body is not None:
            data, content_type = json.dumps(json_body).encode(), "application/json"
        if content_type:
            headers["Content-Type"] = content_type
        request = urllib.request.Request(self.url + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
                return _parse(response.read(), response.headers.get_content_type())
        except urllib.error.HTTPError as error:
            body = _parse(error.read(), error.headers.get_content_type())
            raise ControlError(_explain(error.code, body), error.code, body) from None
        except urllib.error.URLError as error:
            raise ControlError(
                f"cannot reach kore-mock at {self.url} ({error.reason}); is `kore-mock serve` "
                "running there? (--url or KORE_MOCK_URL)"
            ) from None
        except (TimeoutError, ConnectionError) as error:
            raise ControlError(f"kore-mock at {self.url} did not answer: {error}") from None


def _parse(raw: bytes, content_type: str) -> Any:
    text = raw.decode("utf-8", errors="replace")
    if content_type == "application/json":
        try:
            return json.loads(text)
        except ValueError:
            return text
    return text


def _explain(status: int, body: Any) -> str:
    try:
        msg = "; ".join(e["msg"] for e in body["errors"])
    except (TypeError, KeyError):
        msg = str(body)[:200] or "no details"
    if status == 403:
        msg += " (give the server's admin token with --admin-token or KORE_MOCK_ADMIN_TOKEN)"
    return f"HTTP {status}: {msg}"
