"""Run the app under gunicorn, a production WSGI server (threads, and worker processes)."""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import Any

from gunicorn.app.base import BaseApplication

from mockserver.memory import one_malloc_arena
from mockserver.runtime import RUNTIME_ORIGIN, Runtime, stored_changes
from mockserver.settings import Settings, SettingsError
from mockserver.store import open_store

# What gunicorn reads before the app sees a request (its defaults, stated): over them the client
# gets 414 / 431 in Kore's envelope (``http_worker``).
LIMIT_REQUEST_LINE = 4094  # bytes of "METHOD /path?query HTTP/1.1"
LIMIT_REQUEST_FIELDS = 100  # header fields
LIMIT_REQUEST_FIELD_SIZE = 8190  # bytes of one header field, its CRLF counted (gunicorn)
# A stop (SIGTERM) gives requests under way this long, then ends them: under docker's and
# podman's default stop timeout (10 s, then SIGKILL), so the server exits by itself, status 0.
GRACEFUL_SECONDS = 8


class _Gunicorn(BaseApplication):
    def __init__(self, settings: Settings, options: dict[str, Any]) -> None:
        self.settings = settings
        self.options = options
        self.built: list[Any] = []  # the app of this worker process
        super().__init__()

    def load_config(self) -> None:
        built = self.built

        def worker_exit(server: Any, worker: Any) -> None:
            """A worker that stops cleanly closes its store (SQLite: its journal's log is
            drained into the table, so a clean stop leaves every entry where any kore-mock
            reads it)."""
            from mockserver.mock import mock_of

            for app in built:
                mock_of(app).close()

        for key, value in {**self.options, "worker_exit": worker_exit}.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        from mockserver.app import create_app

        self.built.append(create_app(self.settings))
        return self.built[-1]


class CannotListen(SettingsError):
    """The address to serve on cannot be bound (in use, or not an address of this machine)."""


def check_listen(host: str, port: int) -> None:
    """Bind ``host:port`` once, as gunicorn will (``SO_REUSEADDR``), and let go: one clear
    error instead of gunicorn retrying for seconds and logging each failed attempt."""
    try:  # getaddrinfo raises for a host that does not resolve, bind for an address in use
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind(address)
    except OSError as exc:
        raise CannotListen(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None


def run(settings: Settings, *, banner: Callable[[str, Settings], None]) -> None:
    """Serve ``settings``; ``banner(url, serving)`` is told the URL once the server listens,
    with the settings as it serves them: the profile readings a store kept from an earlier run
    (set through the control plane) over the start-up ones."""
    check_listen(settings.host, settings.port)
    one_malloc_arena()  # before any thread starts; the workers inherit it
    store = open_store(settings.db)  # create / migrate the schema once, before any worker
    try:
        store.journal_keep(settings.journal_size)  # a smaller journalSize holds from the start
        stored = stored_changes(store.all_state())
        runtime = Runtime(settings, store)
        serving = settings.with_profile(
            runtime.profile(), RUNTIME_ORIGIN, runtime.changed_readings()
        )
        cramped = store.connection_room(settings.workers)
    finally:
        store.close()
    host = bracketed(settings.host)

    def ready(server: Any) -> None:
        banner(f"http://{reachable_host(settings.host)}:{_bound_port(server, settings)}", serving)
        if stored:
            print(stored_note(stored), flush=True)
        if cramped:
            print(f"  note       {cramped}", flush=True)

    options = {
        **gunicorn_options(settings.workers),
        "bind": f"{host}:{settings.port}",
        "accesslog": None,
        "errorlog": "-",
        "loglevel": "warning",
        "when_ready": ready,
    }
    _Gunicorn(settings, options).run()


WILDCARD_HOSTS = {"0.0.0.0": "127.0.0.1", "::": "[::1]"}  # bound to every address: call this


def reachable_host(host: str) -> str:
    """``host`` as the banner's URLs show it: one can call, not a wildcard to bind (0.0.0.0,
    the container image's: the machine's own loopback address instead)."""
    return WILDCARD_HOSTS.get(host) or bracketed(host)


def bracketed(host: str) -> str:
    """``host`` as a URL or a bind address writes it: an IPv6 address in brackets."""
    return f"[{host}]" if ":" in host else host


def stored_note(stored: list[str]) -> str:
    """The banner's word on run-time changes kept in the store from an earlier run."""
    return (
        "  note       this store keeps run-time changes made through the control plane "
        f"({', '.join(stored)}):\n"
        "             they are in force over the settings file and flags; `kore-mock reset`\n"
        "             (POST /__mock__/reset) brings back the start-up settings"
    )


def gunicorn_options(workers: int) -> dict[str, Any]:
    """How kore-mock runs under gunicorn (the benchmarks serve their floor the same way)."""
    return {
        "workers": workers,
        "worker_class": "mockserver.http_worker.EnvelopeWorker",  # gthread, errors as JSON
        "limit_request_line": LIMIT_REQUEST_LINE,
        "limit_request_fields": LIMIT_REQUEST_FIELDS,
        "limit_request_field_size": LIMIT_REQUEST_FIELD_SIZE,
        "threads": 4,
        "timeout": 300,
        "graceful_timeout": GRACEFUL_SECONDS,
        "keepalive": 5,
        # no control socket for gunicornc: kore-mock has its control plane, and gunicorn's
        # default path ($HOME/.gunicorn/gunicorn.ctl; the image's $HOME is its volume /data) is
        # one per user, taken over by the last server started on it
        "control_socket_disable": True,
    }


def _bound_port(server: Any, settings: Settings) -> int:
    try:
        return server.LISTENERS[0].sock.getsockname()[1]
    except (AttributeError, IndexError, OSError):
        return settings.port
