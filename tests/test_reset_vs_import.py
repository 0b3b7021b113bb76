"""A whole-store reset and an import at the same time, on both backends: the import is wholly
before the reset or wholly after it — never an import that saw the old contacts (and refused
their numbers) whose new contacts then outlive the reset.

SQLite orders them by its write lock (BEGIN IMMEDIATE); PostgreSQL by its store lock (every
contact writer holds it shared, a whole-store reset exclusively, see store/postgres.py).
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

from mockserver.mock import mock_of
from tests.conftest import STREAM, Api, csv_file, person

HELD = [f"98110{n:05d}" for n in range(200)]  # stored before the import
NEW = [f"98220{n:05d}" for n in range(200)]  # only in the import


def import_file() -> bytes:
    return csv_file(*(f"imp,r{i},Mr,{d},+91," for i, d in enumerate(HELD + NEW)))


def seed(api: Api) -> None:
    for start in range(0, len(HELD), 100):
        chunk = HELD[start : start + 100]
        assert api.create([person("old", "c", d) for d in chunk]).status_code == 200


def stored_numbers(api: Api) -> set[str]:
    return {n.removeprefix("+91") for n in api.all_numbers(STREAM)}


def reset(client: Any) -> int:
    response = client.post("/__mock__/reset")
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["removedContacts"]


@contextmanager
def slow_inserts(app: Any, inside: threading.Event):
    """Every contact write of the app pauses inside its transaction, before it inserts: after
    it has read who holds its numbers, the moment a reset must not slip into."""
    store = mock_of(app).store
    original = store.write

    @contextmanager
    def write(ns: Any):
        with original(ns) as tx:
            insert = tx.insert

            def paused_insert(*args: Any, **kw: Any) -> None:
                inside.set()
                time.sleep(0.5)
                insert(*args, **kw)

            tx.insert = paused_insert
            yield tx

    store.write = write
    try:
        yield
    finally:
        store.write = original


def test_a_reset_during_an_import_waits_for_it_and_removes_all_of_it(app, api):
    seed(api)
    inside = threading.Event()
    importer, resetter = Api(app.test_client()), app.test_client()
    with slow_inserts(app, inside), ThreadPoolExecutor(2) as pool:
        imported = pool.submit(importer.import_csv, import_file())
        assert inside.wait(30), "the import never reached its insert"
        removed = pool.submit(reset, resetter)  # while the import is inside its transaction
        answer, removed = imported.result(60), removed.result(60)

    # the import saw the old contacts: their numbers refused, the new ones created ...
    assert answer.status_code == 200
    assert int(answer.headers["X-Mock-Rejected-Rows"]) == len(HELD)
    assert sorted(c["cellPhone"]["phoneNumber"] for c in answer.get_json()) == sorted(
        f"+91{d}" for d in NEW
    )
    # ... so it was wholly before the reset, which removed it all: nothing of it is left
    assert removed == len(HELD) + len(NEW)
    assert stored_numbers(api) == set()


def test_imports_racing_resets_are_each_wholly_before_or_wholly_after_one(app, api):
    for _ in range(4):
        seed(api)
        importer, resetter = Api(app.test_client()), app.test_client()
        with ThreadPoolExecutor(2) as pool:
            imported = pool.submit(importer.import_csv, import_file())
            time.sleep(0.01)
            reset_done = pool.submit(reset, resetter)
            answer = imported.result(60)
            reset_done.result(60)
        assert answer.status_code == 200
        refused = int(answer.headers["X-Mock-Rejected-Rows"])
        left = stored_numbers(api)
        if refused == len(HELD):  # it ran before the reset: the reset took everything
            assert left == set(), f"{len(left)} contacts of an import before the reset survived"
        else:  # it ran after the reset: nothing was held, all of it is there
            assert refused == 0, f"{refused} rows refused, yet the import ran after the reset"
            assert left == set(HELD + NEW)
        reset(resetter)
