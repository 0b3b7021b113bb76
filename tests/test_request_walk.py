"""ARCHITECTURE.md's walk of one import request, observed: which of the mock's modules run, in
which order of first use. ``app.py`` only wires (no request code runs there) and the vendor path
never passes through ``control/``."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import mockserver
from tests.conftest import base, csv_file

PACKAGE_DIR = Path(mockserver.__file__).parent


def modules_run_by(call) -> list[str]:
    """The mockserver modules whose functions run during ``call()``, in order of first use."""
    seen: list[str] = []

    def profile(frame, event, arg):
        if event != "call":
            return
        path = Path(frame.f_code.co_filename)
        if PACKAGE_DIR in path.parents:
            name = path.relative_to(PACKAGE_DIR).as_posix()
            if name not in seen:
                seen.append(name)

    sys.setprofile(profile)
    try:
        call()
    finally:
        sys.setprofile(None)
    return seen


def test_an_import_request_walks_down_the_layers_and_never_through_control(api):
    data = {"result_file": (io.BytesIO(csv_file("ann,lee,,9876543210,+91,")), "c.csv")}
    walk = modules_run_by(
        lambda: api.client.post(base() + "/import-contacts", data=data, headers=api.headers())
    )
    assert "app.py" not in walk
    assert not [name for name in walk if name.startswith("control/")], walk
    steps = [
        "api/dispatch.py",
        "journal.py",
        "api/routes.py",
        "api/hooks.py",
        "auth.py",
        "validation.py",
        "api/handlers.py",
        "contacts/service.py",
        "contacts/csv_rows.py",
        "contacts/rules.py",
        "responses.py",
    ]
    assert [name for name in walk if name in steps] == steps, walk
    assert any(name.startswith("store/") for name in walk)
