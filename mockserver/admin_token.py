"""The admin token of ``kore-mock serve``, and where a token file keeps it.

In a container every caller is remote, so a control plane for loopback callers only is out of
reach from the host. The image therefore sets a token file (``KORE_MOCK_ADMIN_TOKEN_FILE``, in
its volume): when no admin token is given (``--admin-token``, ``KORE_MOCK_ADMIN_TOKEN``,
``adminToken``), the server takes the one in the file, or generates one into it on the first
start and prints it once. When a token is given, the server writes it to the file. Either way
the file holds the token in force, so the control verbs (and the image's health check) run on
the same machine find it without being told. The control plane is never open without a token.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from mockserver.settings import Settings, SettingsError, check_admin_token

TOKEN_BYTES = 24  # 32 URL-safe characters
WRITABLE_HINT = (
    "in the container image, a host directory mounted on /data must be writable by uid 10001"
)


@dataclass(frozen=True)
class AdminToken:
    token: str | None
    origin: str  # "none", "given", "file", "generated"
    file: str | None = None

    def banner_line(self) -> str:
        """What ``serve`` prints about it; the token itself only when it was just made up."""
        where = f" (kept in {self.file})" if self.file else ""
        if self.origin == "generated":
            return f"  admin      {self.token}    generated{where}: send it in X-Mock-Admin-Token"
        if self.origin == "file":
            return f"  admin      token in {self.file}: send it in X-Mock-Admin-Token"
        if self.origin == "given":
            return f"  admin      the control plane needs X-Mock-Admin-Token{where}"
        return "  admin      no token: the control plane answers loopback callers only"


def resolve(settings: Settings) -> AdminToken:
    """The token ``serve`` runs with; reads, generates or writes the token file as needed."""
    path = settings.admin_token_file
    if settings.admin_token:
        if path:
            _keep(Path(path), settings.admin_token)
        return AdminToken(settings.admin_token, "given", path)
    if not path:
        return AdminToken(None, "none")
    existing = read_file(path)
    if existing:
        return AdminToken(existing, "file", path)
    token = secrets.token_urlsafe(TOKEN_BYTES)
    if not _create(Path(path), token):
        existing = read_file(path)
        if existing:  # another server on the same volume was faster
            return AdminToken(existing, "file", path)
        _keep(Path(path), token)  # an empty file is no token
    return AdminToken(token, "generated", path)


def read_file(path: str) -> str | None:
    """The token in ``path`` (surrounding whitespace dropped); None if there is none.
    ``SettingsError`` if it is one no HTTP client can send (a line end inside, say)."""
    try:
        token = Path(path).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise SettingsError(f"cannot read the admin token file {path}: {exc}") from None
    return check_admin_token(token, f"the admin token in {path}") if token else None


def _create(path: Path, token: str) -> bool:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    except OSError as exc:
        raise SettingsError(
            f"cannot create the admin token file {path}: {exc.strerror} ({WRITABLE_HINT})"
        ) from None
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(token + "\n")
    return True


def _keep(path: Path, token: str) -> None:
    held = read_file(str(path))
    if held == token:
        return  # e.g. a read-only secret mounted there
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    except OSError as exc:
        if held:
            raise SettingsError(
                f"the admin token file {path} holds another token and cannot be written "
                f"({exc.strerror}); give one token only"
            ) from None
        raise SettingsError(
            f"cannot write the admin token file {path}: {exc.strerror} ({WRITABLE_HINT})"
        ) from None
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(token + "\n")
