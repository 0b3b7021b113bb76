"""A remote host seen as a WSGI app: every request of the suite is forwarded over HTTP from here.

Keeping one choke point for both targets means the in-process mock and a real host get exactly the
same requests, and the throttle, the 429 back-off and the ledger of created contacts see all of
them — schemathesis' auth probes included.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import quote, urlsplit

import requests
from pyrate_limiter import Duration, Limiter, Rate

from contract_tests.interrupts import stopping

log = logging.getLogger("contract_tests")

HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailers",
    "transfer-encoding",
    "upgrade",
    "content-encoding",  # requests hands over the decoded body
    "content-length",
}
MAX_RETRY_AFTER = 60.0
RETRIES_ON_429 = 3


class HttpGateway:
    """Forwards WSGI requests to ``base_url``: throttled, retrying 429 after ``Retry-After``."""

    def __init__(self, base_url: str, *, rate_per_minute: int, timeout: float = 30.0) -> None:
        parts = urlsplit(base_url)
        self.origin = f"{parts.scheme}://{parts.netloc}"
        self.timeout = timeout
        self.limiter = Limiter(Rate(rate_per_minute, Duration.MINUTE)) if rate_per_minute else None
        self.waited_on_429 = 0.0
        self._local = threading.local()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        method = environ["REQUEST_METHOD"]
        path = environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")
        url = self.origin + quote(path.encode("latin-1"), safe="/:@!$&'()*+,;=-._~%")
        if environ.get("QUERY_STRING"):
            url += "?" + environ["QUERY_STRING"]
        length = environ.get("CONTENT_LENGTH") or ""
        body = environ["wsgi.input"].read(int(length)) if length.isdigit() else b""
        response = self._send(method, url, _headers(environ), body)
        headers = [
            (name, value)
            for name, value in response.raw.headers.items()
            if name.lower() not in HOP_BY_HOP
        ]
        headers.append(("Content-Length", str(len(response.content))))
        start_response(f"{response.status_code} {response.reason or ''}".strip(), headers)
        return [response.content]

    def _send(self, method: str, url: str, headers: dict[str, str], body: bytes) -> Any:
        for attempt in range(RETRIES_ON_429 + 1):
            if self.limiter is not None:
                self.limiter.try_acquire("kore")
            response = self._session().request(
                method,
                url,
                headers=headers,
                data=body or None,
                allow_redirects=False,
                timeout=self.timeout,
            )
            if response.status_code != 429 or attempt == RETRIES_ON_429 or stopping():
                return response
            wait = _retry_after(response.headers.get("Retry-After"))
            log.warning(
                "429 from the host; waiting %.0f s before retrying %s %s", wait, method, url
            )
            self.waited_on_429 += wait
            time.sleep(wait)
        raise AssertionError("unreachable")

    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
        return session


def _headers(environ: dict[str, Any]) -> dict[str, str]:
    headers = {
        key[5:].replace("_", "-").title(): value
        for key, value in environ.items()
        if key.startswith("HTTP_") and key not in ("HTTP_HOST", "HTTP_CONTENT_LENGTH")
    }
    if environ.get("CONTENT_TYPE"):
        headers["Content-Type"] = environ["CONTENT_TYPE"]
    return headers


def _retry_after(value: str | None) -> float:
    try:
        return max(0.0, min(MAX_RETRY_AFTER, float(value or MAX_RETRY_AFTER)))
    except ValueError:
        return MAX_RETRY_AFTER
