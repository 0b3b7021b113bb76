"""The shadowing proxy: every request goes to the upstream host, whose answer goes back to the
caller unchanged; the same request is applied to the proxy's own mock (``Mirror``) and the two
answers are compared. Differences are kept per exchange (``ShadowLog``, ``GET /__mock__/shadow``)
and, with ``--record FILE``, every exchange is appended to a recording (``recording``).

Paths under ``/__mock__`` are the proxy mock's own control plane (its journal is the mirror's,
its console shows the mirrored contacts); they never reach the upstream.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson
from werkzeug.wsgi import get_input_stream

from mockserver.contacts.model import now_iso
from mockserver.errors import BODY_OVER_LIMIT, envelope
from mockserver.mock import mock_of
from mockserver.shadow.mirror import CONTACTS_PATH, Mirror, Shadowed
from mockserver.shadow.recording import RecordingWriter, exchange
from mockserver.shadow.upstream import Upstream, UpstreamError
from mockserver.shadow.wire import HttpRequest, HttpResponse, forwardable

log = logging.getLogger("kore_mock.shadow")

CONTROL_PREFIX = "/__mock__"
MAX_BODY_BYTES = 64 * 1024 * 1024  # what the proxy buffers of one request (to send it twice)
DEFAULT_KEEP = 10_000  # exchanges kept in the shadow log


class ShadowLog:
    """The newest ``keep`` exchanges with their differences; counts over the whole session.

    It is the proxy mock's ``shadow`` (``mock.ShadowSource``): the control plane shows it at
    ``GET /__mock__/shadow``, and a full reset (``POST /__mock__/reset``) clears it, together
    with the ids paired with the upstream's (``on_clear``)."""

    def __init__(
        self,
        upstream: str = "",
        keep: int = DEFAULT_KEEP,
        on_clear: Callable[[], None] = lambda: None,
    ) -> None:
        self.upstream = upstream
        self._on_clear = on_clear
        self._lock = threading.Lock()
        self._items: deque[dict[str, Any]] = deque(maxlen=keep)
        self.exchanges = 0
        self.differing = 0

    def add(self, sent: HttpRequest, shadowed: Shadowed) -> dict[str, Any]:
        with self._lock:
            self.exchanges += 1
            self.differing += bool(shadowed.differences)
            item = shadow_item(self.exchanges, sent, shadowed)
            self._items.append(item)
            return item

    def view(self, *, differing: bool | None = None, limit: int = 100) -> dict[str, Any]:
        """``{"exchanges", "differing", "items"}``, items newest first."""
        with self._lock:
            items = [
                i
                for i in reversed(self._items)
                if differing is None or bool(i["differences"]) == differing
            ][:limit]
            return {"exchanges": self.exchanges, "differing": self.differing, "items": items}

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self.exchanges = self.differing = 0
        self._on_clear()


def shadow_item(seq: int, sent: HttpRequest, shadowed: Shadowed) -> dict[str, Any]:
    item: dict[str, Any] = {
        "seq": seq,
        "at": now_iso(),
        "journalId": shadowed.journal_id,
        "operation": shadowed.operation,
        "method": sent.method,
        "path": sent.target(),
        "upstream": {"status": shadowed.upstream.status},
        "mock": {"status": shadowed.mock_status, "applied": shadowed.applied},
        "differences": [d.to_wire() for d in shadowed.differences],
    }
    if shadowed.note:
        item["note"] = shadowed.note
    return item


@dataclass
class ShadowProxy:
    """The WSGI app of ``kore-mock proxy``."""

    upstream: Upstream
    mirror: Mirror
    recorder: RecordingWriter | None = None
    max_body: int = MAX_BODY_BYTES
    keep: int = DEFAULT_KEEP
    log: ShadowLog = field(init=False)

    def __post_init__(self) -> None:
        self.log = ShadowLog(self.upstream.url, self.keep, on_clear=self.mirror.ids.clear)
        mock_of(self.mirror.app).shadow = self.log

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        path = environ.get("PATH_INFO", "")
        if path == CONTROL_PREFIX or path.startswith(CONTROL_PREFIX + "/"):
            return self.mirror.app(environ, start_response)  # its own control plane
        if environ.get("RAW_URI") == "*":  # OPTIONS *: asks the server it is sent to, the proxy
            return self.mirror.app(environ, start_response)  # (RFC 9112 3.2.4), as serve answers
        too_large = f"The proxy forwards bodies of up to {self.max_body} bytes; nothing was sent"
        if environ.get(BODY_OVER_LIMIT):  # its HTTP front stopped reading it: never sent cut
            return _error(start_response, 413, too_large)
        try:
            body = get_input_stream(environ, max_content_length=None).read(self.max_body + 1)
        except (ValueError, OSError):  # a chunked body the front could not frame
            msg = (
                "The request body could not be read (malformed chunked encoding); nothing was sent"
            )
            return _error(start_response, 400, msg)
        if len(body) > self.max_body:
            return _error(start_response, 413, too_large)
        sent = HttpRequest.from_environ(environ, body)
        try:
            answer = self.upstream.send(sent)
        except UpstreamError as exc:
            log.warning("%s", exc)
            if CONTACTS_PATH.fullmatch(sent.path):
                self._keep(sent, HttpResponse(0, (), b"", "no answer"))
            return _error(start_response, 502, f"kore-mock proxy: {exc}")
        if CONTACTS_PATH.fullmatch(sent.path):
            self._keep(sent, answer)
        headers = forwardable(answer.headers)
        if sent.method == "HEAD" and answer.header("Content-Length"):
            headers.append(("Content-Length", answer.header("Content-Length") or "0"))
        else:
            headers.append(("Content-Length", str(len(answer.body))))
        start_response(answer.status_line, headers)
        return [answer.body]

    def _keep(self, sent: HttpRequest, answer: HttpResponse) -> None:
        """Shadow one exchange: apply it to the mirror, compare, log, record."""
        try:
            shadowed = self.mirror.apply(sent, answer)
        except Exception as exc:  # the caller gets the upstream's answer whatever happens here
            log.exception("the mirror failed on %s %s", sent.method, sent.path)
            shadowed = Shadowed(None, answer, None, note=f"the mirror failed: {exc}")
        item = self.log.add(sent, shadowed)
        if self.recorder is None:
            return
        mock = None
        if shadowed.mock is not None:
            mock = {"status": shadowed.mock.status, "journalId": shadowed.journal_id}
        self.recorder.write(
            exchange(
                item["seq"],
                shadowed.operation,
                sent,
                answer,
                source="upstream",
                mock=mock,
                differences=item["differences"],
                at=item["at"],
            )
        )

    def close(self) -> None:
        self.mirror.close()
        self.upstream.close()
        if self.recorder is not None:
            self.recorder.close()


def _json(start_response: Callable[..., Any], status: int, body: Any) -> list[bytes]:
    payload = orjson.dumps(body)
    start_response(
        f"{status} {_REASONS.get(status, '')}".strip(),
        [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))],
    )
    return [payload]


def _error(start_response: Callable[..., Any], status: int, msg: str) -> list[bytes]:
    return _json(start_response, status, envelope([{"msg": msg}], status))


_REASONS = {200: "OK", 400: "Bad Request", 413: "Payload Too Large", 502: "Bad Gateway"}
# threads of the proxy's one worker: a request waits on the upstream for up to its --timeout,
# and its own control plane (health, the shadow log, the console) must answer meanwhile
PROXY_THREADS = 32


def run_proxy(
    make_proxy: Callable[[], ShadowProxy], host: str, port: int, *, banner: Callable[[str], None]
) -> None:
    """Serve the proxy under gunicorn: one worker process (the mirror and the log of exchanges
    live in it, built there by ``make_proxy``), four threads."""
    from gunicorn.app.base import BaseApplication

    from mockserver.server import bracketed, gunicorn_options, reachable_host
    from mockserver.settings import Limits, Settings

    bind_host = bracketed(host)
    built: list[ShadowProxy] = []

    def load() -> ShadowProxy:
        built.append(make_proxy())
        return built[-1]

    def worker_exit(server: Any, worker: Any) -> None:
        for proxy in built:
            proxy.close()

    class _Server(BaseApplication):
        # what the worker's HTTP front reads of a body: as much as the proxy forwards
        settings = Settings(
            limits=Limits(
                max_upload_bytes=MAX_BODY_BYTES,
                max_json_bytes=MAX_BODY_BYTES,
                max_snapshot_bytes=MAX_BODY_BYTES,
            )
        )

        def load_config(self) -> None:
            options = {
                **gunicorn_options(1),
                "threads": PROXY_THREADS,
                "bind": f"{bind_host}:{port}",
                "accesslog": None,
                "errorlog": "-",
                "loglevel": "warning",
                "when_ready": lambda server: banner(
                    f"http://{reachable_host(host)}:{_port(server, port)}"
                ),
                "worker_exit": worker_exit,
            }
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self) -> Any:
            return load()

    _Server().run()


def _port(server: Any, default: int) -> int:
    try:
        return server.LISTENERS[0].sock.getsockname()[1]
    except (AttributeError, IndexError, OSError):
        return default
