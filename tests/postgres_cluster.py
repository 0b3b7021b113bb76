"""A throwaway PostgreSQL server for the tests: ``initdb`` + ``pg_ctl`` in a temp dir.

The server listens on a unix socket in that dir only (no TCP port to collide with). PostgreSQL
refuses to run as root, so as root (CI) it runs as the ``postgres`` user through ``runuser``.
``fsync`` is off: the tests kill the mock server, never PostgreSQL or the machine, so a committed
transaction is safe in the OS cache; ``synchronous_commit`` stays on.

Each test gets a new database, copied from a template that already holds the schema.
``KORE_MOCK_TEST_POSTGRES=postgresql://user@host/db`` uses an existing server instead (the user
needs CREATEDB); the test databases are dropped at the end.
"""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path

import psycopg

from mockserver.store import open_store

EXTERNAL_ENV = "KORE_MOCK_TEST_POSTGRES"
SERVER_OPTIONS = (
    "-c fsync=off -c full_page_writes=off -c max_connections=300 -c shared_buffers=64MB"
    " -c listen_addresses=''"
)
COMMAND_TIMEOUT = 60


class ClusterUnavailable(RuntimeError):
    """No PostgreSQL server could be had; the message says why and what to install."""


class PostgresCluster:
    def __init__(
        self, admin_url: str, data_dir: Path | None = None, run_as: list[str] | None = None
    ):
        self.admin_url = admin_url
        self.data_dir = data_dir
        self.run_as = run_as or []
        self.prefix = f"kore_mock_test_{uuid.uuid4().hex[:8]}"
        self.template = f"{self.prefix}_template"
        self._numbers = itertools.count(1)
        self._created: list[str] = []
        self._admin = psycopg.connect(admin_url, autocommit=True)
        self._create(self.template, "template0")
        open_store(self.url(self.template)).close()  # the schema, once

    def url(self, database: str) -> str:
        head, sep, query = self.admin_url.partition("?")
        return f"{head.rsplit('/', 1)[0]}/{database}{sep}{query}"

    def new_database(self, *, empty: bool = False) -> str:
        """The URL of a new database: with the schema, or (``empty``) without any table."""
        name = f"{self.prefix}_{next(self._numbers)}"
        self._create(name, "template0" if empty else self.template)
        return self.url(name)

    def icu_database(self, locale: str) -> str:
        """The URL of a new empty database whose collation is ICU's for ``locale`` (en-US, as
        a cloud PostgreSQL may be set up: it sorts a_b before a-b, st-a before st-B)."""
        name = f"{self.prefix}_{next(self._numbers)}"
        self._admin.execute(
            f'CREATE DATABASE "{name}" TEMPLATE template0'
            f" LOCALE_PROVIDER icu ICU_LOCALE '{locale}' LOCALE 'C.UTF-8'"
        )
        self._created.append(name)
        return self.url(name)

    def drop_database(self, url: str) -> None:
        name = url.partition("?")[0].rsplit("/", 1)[1]
        self._admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self._created.remove(name)

    def _create(self, name: str, template: str) -> None:
        self._admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        self._created.append(name)

    def stop(self) -> None:
        if self.data_dir is None:
            for name in reversed(self._created):
                self._admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self._admin.close()
        if self.data_dir is not None:
            _run(
                [
                    *self.run_as,
                    _binary("pg_ctl"),
                    "-D",
                    str(self.data_dir),
                    "-m",
                    "immediate",
                    "stop",
                ],
                cwd=self.data_dir.parent,
            )
            shutil.rmtree(self.data_dir.parent, ignore_errors=True)


def start_cluster() -> PostgresCluster:
    """An external server (``KORE_MOCK_TEST_POSTGRES``) or a new throwaway one."""
    external = os.environ.get(EXTERNAL_ENV)
    if external:
        try:
            return PostgresCluster(external)
        except psycopg.Error as exc:
            raise ClusterUnavailable(f"{EXTERNAL_ENV}={external}: {exc}") from None
    return _throwaway_cluster()


def _throwaway_cluster() -> PostgresCluster:
    run_as: list[str] = []
    home = Path(tempfile.mkdtemp(prefix="kore-mock-pg-"))
    if os.geteuid() == 0:
        try:
            user = pwd.getpwnam("postgres")
        except KeyError:
            raise ClusterUnavailable(
                "running as root and there is no 'postgres' user to run the server as "
                "(apt-get install postgresql creates it)"
            ) from None
        os.chown(home, user.pw_uid, user.pw_gid)
        run_as = ["runuser", "-u", "postgres", "--"]
    data = home / "data"
    try:
        _run(
            [
                *run_as,
                _binary("initdb"),
                "-D",
                str(data),
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-locale",
                "--no-sync",
            ],
            cwd=home,
        )
        _run(
            [
                *run_as,
                _binary("pg_ctl"),
                "-D",
                str(data),
                "-l",
                str(home / "server.log"),
                "-w",
                "-t",
                str(COMMAND_TIMEOUT),
                "-o",
                f"{SERVER_OPTIONS} -c unix_socket_directories='{home}'",
                "start",
            ],
            cwd=home,
        )
    except ClusterUnavailable:
        log = home / "server.log"
        tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
        shutil.rmtree(home, ignore_errors=True)
        raise ClusterUnavailable(f"could not start PostgreSQL in {home}\n{tail}") from None
    try:
        return PostgresCluster(f"postgresql://postgres@/postgres?host={home}", data, run_as)
    except psycopg.Error as exc:
        _run([*run_as, _binary("pg_ctl"), "-D", str(data), "-m", "immediate", "stop"], cwd=home)
        shutil.rmtree(home, ignore_errors=True)
        raise ClusterUnavailable(f"PostgreSQL started but is not usable: {exc}") from None


def _binary(name: str) -> str:
    """Debian keeps the server programs in /usr/lib/postgresql/<version>/bin, off the PATH."""
    found = sorted(
        glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0,
    )
    if found:
        return found[-1]
    on_path = shutil.which(name)
    if on_path:
        return on_path
    raise ClusterUnavailable(
        f"{name} not found (on Debian/Ubuntu: apt-get install postgresql), or set "
        f"{EXTERNAL_ENV} to a server the tests may create databases on"
    )


def _run(command: list[str], cwd: Path) -> None:
    try:
        result = subprocess.run(
            command,
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=COMMAND_TIMEOUT,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ClusterUnavailable(f"{' '.join(command)}: {exc}") from None
    if result.returncode != 0:
        raise ClusterUnavailable(
            f"{' '.join(command)} exited {result.returncode}: {result.stderr or result.stdout}"
        )
