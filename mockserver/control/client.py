"""A small HTTP client of the control plane, for the CLI verbs that drive a running server."""

from __future__ import annotations

import http.client
import io
import json
import os
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, NamedTuple, Protocol

from mockserver.control import ADMIN_HEADER, SERVER_HEADER
from mockserver.settings import admin_token_problem, is_service_link
from mockserver.urls import url_problem

DEFAULT_URL = "http://127.0.0.1:8080"
PORT_ENV = "KORE_MOCK_PORT"  # the port `kore-mock serve` listens on (the container image's too)
TIMEOUT_SECONDS = 300  # a seed of 200,000 rows takes a while
CHUNK_BYTES = 64 * 1024
URL_HINT = "--url or KORE_MOCK_URL"  # the CLI verbs' option and env


class Progress(Protocol):
    """What the client reports to (``mockserver.progress.Progress``)."""

    server_work: str

    def advance(self, n: int) -> None: ...
    def set_total(self, total: int | None) -> None: ...
    def begin_wait(self, what: str) -> None: ...
    def end_wait(self) -> None: ...


class RawAnswer(NamedTuple):
    """A 2xx answer as it came (``call(..., raw=True)``)."""

    body: bytes
    headers: Any


class ControlError(Exception):
    """The call failed; the message says why in words a script's user can act on."""

    def __init__(self, msg: str, status: int | None = None, body: Any = None) -> None:
        super().__init__(msg)
        self.status = status
        self.body = body


class ControlClient:
    def __init__(
        self,
        url: str = DEFAULT_URL,
        admin_token: str | None = None,
        *,
        url_hint: str = URL_HINT,
        timeout: float = TIMEOUT_SECONDS,
    ) -> None:
        """``url_hint``: where the URL is set, for the "cannot reach" message; ``timeout``:
        seconds an answer may take."""
        self.url = url.rstrip("/")
        self.admin_token = admin_token
        self.url_hint = url_hint
        self.timeout = timeout

    def call(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        data: bytes | None = None,
        content_type: str | None = None,
        progress: Progress | None = None,
        raw: bool = False,
        timeout: float | None = None,
    ) -> Any:
        """The parsed JSON (or text) answer of a 2xx; ``ControlError`` otherwise.

        With ``progress``: the bytes sent and then the wait for the answer (a call with a body),
        or the wait and then the bytes received (a call without). ``raw``: a ``RawAnswer``,
        the body's bytes as they came and the headers. ``timeout``: this call's, over the
        client's.
        """
        problem = url_problem(self.url)
        if problem:
            raise ControlError(
                f"{self.url!r} is not a URL kore-mock can be reached at: {problem} "
                f"({self.url_hint})"
            )
        headers = {"Accept": "application/json"}
        if self.admin_token:
            problem = admin_token_problem(self.admin_token)
            if problem:  # http.client would raise it from deep inside, as a traceback
                raise ControlError(f"the admin token cannot be sent in {ADMIN_HEADER}: {problem}")
            headers[ADMIN_HEADER] = self.admin_token
        if json_body is not None:
            data, content_type = json.dumps(json_body).encode(), "application/json"
        if content_type:
            headers["Content-Type"] = content_type
        body: Any = data
        if progress is not None:
            if data is not None:
                headers["Content-Length"] = str(len(data))
                body = _Upload(data, progress)
            else:
                progress.begin_wait(progress.server_work)
        try:
            request = urllib.request.Request(
                self.url + path, data=body, method=method, headers=headers
            )
        except ValueError as error:  # no http:// or https://
            raise ControlError(
                f"{self.url} is not a URL kore-mock can be reached at ({error})"
            ) from None
        try:
            with urllib.request.urlopen(request, timeout=timeout or self.timeout) as response:
                received = _download(response, progress if data is None else None)
                if SERVER_HEADER not in response.headers:
                    raise ControlError(
                        self._not_kore_mock(response.status, response, received), response.status
                    )
                if raw:
                    return RawAnswer(received, response.headers)
                return _parse(received, response.headers.get_content_type())
        except urllib.error.HTTPError as error:
            body = _parse(error.read(), error.headers.get_content_type())
            raise ControlError(_explain(error.code, body), error.code, body) from None
        except urllib.error.URLError as error:
            raise ControlError(
                f"cannot reach kore-mock at {self.url}{proxy_note(self.url)} ({error.reason}); "
                f"is `kore-mock serve` running there? ({self.url_hint})"
            ) from None
        except (TimeoutError, ConnectionError) as error:
            raise ControlError(
                f"kore-mock at {self.url}{proxy_note(self.url)} did not answer: {error}"
            ) from None
        except http.client.HTTPException as error:  # a URL with a space; an answer not HTTP
            said = " ".join(str(error).split())  # a status line read whole keeps its CRLF
            raise ControlError(
                f"cannot talk to kore-mock at {self.url} ({type(error).__name__}: {said})"
            ) from None

    def _not_kore_mock(self, status: int, response: Any, received: bytes) -> str:
        kind = response.headers.get_content_type()
        text = " ".join(received[:200].decode("utf-8", "replace").split())
        return (
            f"{self.url}{proxy_note(self.url)} answered, but not as a kore-mock (HTTP {status}, "
            f"{kind}, no "
            f"{SERVER_HEADER} header): {text or 'an empty body'}; is the URL ({self.url_hint}) "
            "the address of `kore-mock serve`?"
        )


def proxy_note(url: str) -> str:
    """`` through the proxy ... (http_proxy; ...)`` when urllib sends requests to ``url``
    through a proxy from the environment (loopback addresses too, unless ``no_proxy`` names
    them), else ``""``: a proxy that cannot reach the server looks like a server that is down."""
    parts = urllib.parse.urlsplit(url)
    proxy = urllib.request.getproxies().get(parts.scheme)
    host = parts.hostname or ""
    if not proxy or urllib.request.proxy_bypass(host):
        return ""
    shown = urllib.parse.urlsplit(proxy)
    if shown.password is not None:  # not its credentials
        proxy = shown._replace(netloc="***@" + shown.netloc.rpartition("@")[2]).geturl()
    return (
        f" through the proxy {proxy} ({parts.scheme}_proxy; add {host} to no_proxy to reach "
        "it directly)"
    )


def default_url() -> str:
    """The CLI verbs' URL when none is given: ``http://127.0.0.1:$KORE_MOCK_PORT`` when that
    variable is set (as ``serve`` reads it: in a container moved with ``-e KORE_MOCK_PORT``),
    else ``DEFAULT_URL``."""
    port = os.environ.get(PORT_ENV, "").strip()
    return f"http://127.0.0.1:{port}" if port and not is_service_link(port) else DEFAULT_URL


class _Upload(io.RawIOBase):
    """A request body that reports what http.client has read of it; at its end, the wait."""

    def __init__(self, data: bytes, progress: Progress) -> None:
        self._data = memoryview(data)
        self._at = 0
        self._progress = progress

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        end = len(self._data) if size is None or size < 0 else self._at + size
        chunk = bytes(self._data[self._at : end])
        self._at += len(chunk)
        if chunk:
            self._progress.advance(len(chunk))
        else:
            self._progress.begin_wait(f"sent; {self._progress.server_work}")
        return chunk


def _download(response: Any, progress: Progress | None) -> bytes:
    """The answer's body; with ``progress`` (a call without a body), counted as it arrives."""
    if progress is None:
        return response.read()
    progress.end_wait()
    length = response.headers.get("Content-Length")
    progress.set_total(int(length) if length and length.isdigit() else None)
    parts = []
    while chunk := response.read(CHUNK_BYTES):
        parts.append(chunk)
        progress.advance(len(chunk))
    return b"".join(parts)


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
    except (TypeError, KeyError):  # not kore-mock's envelope: another server's page, on one line
        text = " ".join(str(body).split())
        cut = text[:120] + ("..." if len(text) > 120 else "")
        msg = f"not a kore-mock answer: {cut}" if text else "no details"
    if status == 403:
        msg += (
            " (give the server's admin token: the env KORE_MOCK_ADMIN_TOKEN or the file"
            " KORE_MOCK_ADMIN_TOKEN_FILE names, kore-mock's --admin-token, or pytest's"
            " --kore-mock-admin-token)"
        )
    return f"HTTP {status}: {msg}"
