"""The request journal: filters, per-row reports, verify, clear — and its bound."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from mockserver.app import create_app
from mockserver.contacts.model import now_iso
from mockserver.mock import mock_of
from mockserver.settings import Settings
from tests.conftest import STREAM, TEST_APPS, Api, base, csv_file, person
from tests.control.conftest import Control


def test_every_api_request_is_journaled_with_its_caller_and_latency(control, api):
    response = api.create([person("a", "b", "9876543210")])
    entry = control.get(f"/__mock__/journal/{response.headers['X-Mock-Journal-Id']}").get_json()
    assert entry["method"] == "POST" and entry["operation"] == "createContacts"
    assert entry["status"] == 200 and entry["caller"] == api.app.client_id
    assert entry["latencyMs"] >= 0 and entry["namespace"]["accountId"] == api.account


def test_journal_of_an_import_has_the_per_row_report(control, api):
    response = api.import_csv(csv_file("a,b,Mr,9876543210,+91,", "c,d,Mr,9876543210,+91,"))
    entry = control.get(f"/__mock__/journal/{response.headers['X-Mock-Journal-Id']}").get_json()
    assert entry["rejectedCount"] == 1
    assert entry["report"] == [
        {
            "row": 2,
            "reason": "DUPLICATE_IN_FILE",
            "field": "cellPhoneNumber",
            "number": "+919876543210",
            "msg": "Row 2: phone number +919876543210 repeats row 1",
        }
    ]


def test_journal_filters_by_operation_status_and_time(control, api):
    api.list()
    api.create([person("a", "b", "9876543210")])
    api.delete("0" * 24)
    middle = now_iso()
    time.sleep(0.002)
    api.list()
    by_op = control.get("/__mock__/journal?operation=listContacts").get_json()["entries"]
    assert [e["operation"] for e in by_op] == ["listContacts", "listContacts"]
    assert by_op[0]["id"] > by_op[1]["id"]  # newest first
    not_found = control.get("/__mock__/journal?status=404").get_json()["entries"]
    assert [e["operation"] for e in not_found] == ["deleteContact"]
    since = control.get(f"/__mock__/journal?since={middle}").get_json()["entries"]
    assert len(since) == 1
    until = control.get(f"/__mock__/journal?until={middle}&limit=2").get_json()["entries"]
    assert [e["operation"] for e in until] == ["deleteContact", "createContacts"]


def test_journal_pages_back_with_before_id_whatever_was_answered_since(control, api):
    for _ in range(5):
        api.list()
    first = control.get("/__mock__/journal?limit=2").get_json()["entries"]
    api.create([person("a", "b", "9876543210")])  # a new entry does not shift the next page
    after = first[-1]["id"]
    second = control.get(f"/__mock__/journal?limit=2&beforeId={after}").get_json()["entries"]
    assert [e["id"] for e in second] == [after - 1, after - 2]
    rest = control.get(f"/__mock__/journal?beforeId={second[-1]['id']}&operation=listContacts")
    assert [e["id"] for e in rest.get_json()["entries"]] == [after - 3]
    assert control.get("/__mock__/journal?beforeId=0").status_code == 400


def test_journal_time_filters_accept_offsets(control, api):
    api.list()
    assert control.get("/__mock__/journal?since=2000-01-01T02:00:00%2B02:00").get_json()["entries"]
    assert not control.get("/__mock__/journal?until=2000-01-01").get_json()["entries"]


def test_journal_refuses_bad_filters(control):
    for query in ("status=abc", "limit=0", "limit=1001", "operation=getContact", "since=yesterday"):
        assert control.get(f"/__mock__/journal?{query}").status_code == 400, query
    assert control.get("/__mock__/journal/999").status_code == 404
    yesterday = control.get("/__mock__/journal?since=yesterday").get_json()["errors"][0]["msg"]
    assert "is not an ISO-8601 instant" in yesterday  # it was "'yesterday' is too short"


@pytest.mark.parametrize(
    "query", ["since=0001-01-01T00:00:00%2B14:00", "until=9999-12-31T23:59:59-14:00"]
)
def test_a_time_filter_outside_the_years_1_to_9999_in_utc_is_400_not_500(control, query):
    for path in ("/__mock__/journal", "/__mock__/journal/export"):
        response = control.get(f"{path}?{query}")
        assert response.status_code == 400, path
        assert "year" in response.get_json()["errors"][0]["msg"]
    value = query.partition("=")[2].replace("%2B", "+")
    verify = control.verify(**{query.partition("=")[0]: value})
    assert verify.status_code == 400


def test_verify_counts_matching_requests(control, api):
    api.list()
    api.list()
    api.create([person("a", "b", "9876543210")])
    assert control.verify(operation="listContacts").get_json() == {"count": 2, "verified": True}
    met = control.verify(operation="createContacts", status=200, count=1).get_json()
    assert met == {"count": 1, "verified": True, "expectation": "exactly 1"}
    assert control.verify(atLeast=3, atMost=3).status_code == 200


def test_verify_count_fails_when_more_requests_match_than_expected(control, api):
    api.list()
    api.list()
    more = control.verify(operation="listContacts", count=1)
    assert more.status_code == 406
    assert "Expected exactly 1 matching request(s), found 2" in more.get_json()["errors"][0]["msg"]


def test_since_and_until_include_an_entry_at_the_instant_itself(control, api):
    api.list()
    [entry] = control.get("/__mock__/journal").get_json()["entries"]
    for bound in ("since", "until"):
        listed = control.get(f"/__mock__/journal?{bound}={entry['at']}").get_json()["entries"]
        assert [e["id"] for e in listed] == [entry["id"]], bound
        assert control.verify(**{bound: entry["at"], "count": 1}).status_code == 200, bound


def test_the_status_filter_matches_that_status_only(control, api):
    api.list()  # 200
    api.client.get(base(), headers={"accountId": api.account})  # 401: no token
    api.delete("0" * 24)  # 404
    for status in (200, 401, 404):
        listed = control.get(f"/__mock__/journal?status={status}").get_json()["entries"]
        assert [e["status"] for e in listed] == [status]
        assert control.verify(status=status, count=1).status_code == 200


WRONG_CALLS = [
    ("GET", "/bulk-delete", 405),  # a wrong method on an operation's path
    ("GET", "/6b16bd3d0210ae75bc950cfb", 405),
    ("PATCH", "", 405),
    ("GET", "/a/b", 404),  # no operation's path
    ("OPTIONS", "", 200),
]


def test_a_scenarios_wrong_paths_and_methods_are_counted_in_its_scenario_and_namespace(
    control, api
):
    # a client that counts its calls and verifies them by scenario or namespace came up short:
    # a 404 or 405 was journaled without either
    headers = api.headers(**{"X-Mock-Scenario": "wrong-calls"})
    for method, path, status in WRONG_CALLS:
        response = api.client.open(base() + path, method=method, headers=headers)
        assert response.status_code == status, (method, path)
    api.call("GET", base() + "?limit=1", headers=headers)
    every_call = len(WRONG_CALLS) + 1
    assert control.verify(scenario="wrong-calls", count=every_call).status_code == 200
    in_namespace = control.verify(accountId=api.account, streamId=STREAM, count=every_call)
    assert in_namespace.status_code == 200, in_namespace.get_json()


def test_verify_answers_406_when_the_count_is_not_met(control, api):
    api.list()
    response = control.verify(operation="importContacts", atLeast=1)
    assert response.status_code == 406
    error = response.get_json()["errors"][0]
    assert error["msg"] == "Expected at least 1 matching request(s), found 0"
    assert error["count"] == 0
    assert control.verify(operation="listContacts", atMost=0).status_code == 406


def test_verify_refuses_unknown_fields(control):
    assert control.verify(opertion="listContacts").status_code == 400


def test_clearing_the_journal_forgets_every_entry(control, api):
    api.list()
    assert control.delete("/__mock__/journal").get_json() == {"cleared": True}
    assert control.verify(count=0).status_code == 200


def test_control_plane_calls_are_not_journaled(control):
    control.get("/__mock__/health")
    assert control.get("/__mock__/journal").get_json()["entries"] == []


def _rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux /proc")
def test_journal_stays_bounded_over_100000_requests(tmp_path):
    """300 requests through HTTP and 99,700 more entries written the way they are (journal_add),
    with a journal of 2,000: the row count stays at the bound and memory stops growing."""
    keep = 2000
    app = create_app(Settings(db=":memory:", apps=TEST_APPS, journal_size=keep))
    store = mock_of(app).store
    api = Api(app.test_client())
    try:
        for _ in range(300):
            response = api.client.get(base(), headers=api.headers())
            assert response.status_code == 200
        template = store.journal_query(limit=1)[0]
        template.pop("id")
        for _ in range(9700):  # warm up: the journal is full, SQLite's pages are allocated
            store.journal_add(template, keep=keep)
        before = _rss_kib()
        for _ in range(90_000):
            store.journal_add(template, keep=keep)
        grown = _rss_kib() - before
        assert store.journal_count() == keep
        assert Control(app.test_client()).verify(count=keep).status_code == 200
        assert grown < 8 * 1024, f"RSS grew by {grown} KiB over 90,000 journal entries"
    finally:
        store.close()


def test_verify_counts_sent_as_1_0_are_counts(control, api):
    api.list()
    met = control.verify(status=200.0, count=1.0, atLeast=1.0, atMost=1.0).get_json()
    assert met["expectation"] == "exactly 1 and at least 1 and at most 1"
    missed = control.verify(count=2.0).get_json()["errors"][0]["msg"]
    assert missed == "Expected exactly 2 matching request(s), found 1"


@contextmanager
def memory_mock(**settings: Any) -> Iterator[tuple[Control, Api]]:
    """A control client and an API client of a fresh in-memory mock with ``settings``."""
    app = create_app(Settings(db=":memory:", apps=TEST_APPS, **settings))
    try:
        yield Control(app.test_client()), Api(app.test_client())
    finally:
        mock_of(app).close()


def test_an_entry_the_journal_no_longer_keeps_is_404_by_its_id_too():
    """The listing shows the newest journalSize entries; `journal --id` of an older one is gone
    as well, not found in rows the store has not trimmed yet."""
    with memory_mock(journal_size=3) as (control, api):
        for _ in range(6):
            api.list()
        entries = control.get("/__mock__/journal").get_json()["entries"]
        assert [e["id"] for e in entries] == [6, 5, 4]
        assert control.get("/__mock__/journal/4").status_code == 200
        assert control.get("/__mock__/journal/1").status_code == 404


def test_ids_go_on_after_a_journal_clear_on_a_memory_store():
    """A cleared journal never gives an id again (a client that remembered entry 2, or a shared
    fixture's mark, would read another request under it)."""
    with memory_mock() as (control, api):
        api.list()
        api.list()
        assert control.delete("/__mock__/journal").status_code == 200
        api.list()
        assert [e["id"] for e in control.get("/__mock__/journal").get_json()["entries"]] == [3]


def test_a_snapshot_with_the_journal_holds_only_the_entries_the_journal_keeps():
    with memory_mock(journal_size=3) as (control, api):
        for _ in range(6):
            api.list()
        saved = control.get("/__mock__/snapshot?journal=true").get_json()
        assert saved["counts"]["journal"] == 3
        assert [e["id"] for e in saved["journal"]] == [4, 5, 6]
