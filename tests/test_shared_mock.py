"""kore_mock(url=...): a share of a running server, with the in-process fixture's surface."""

from __future__ import annotations

import json
import uuid

import pytest
import requests

from mockserver.app import create_app
from mockserver.settings import Settings
from mockserver.testing import kore_mock
from tests.conftest import csv_file, person
from tests.live import call, free_port, threaded_server


@pytest.fixture
def server(tmp_path):
    app = create_app(Settings(db=str(tmp_path / "shared.db")))
    with threaded_server(app) as url:
        yield url
    app.extensions["kore_mock"].store.close()


def test_a_share_has_its_own_namespace_data_and_journal(server):
    with kore_mock(url=server) as one, kore_mock(url=server) as two:
        assert one.stream_id != two.stream_id and one.scenario != two.scenario
        one.seed([person("ann", "a", "9876543210")])
        two.seed(csv_file("bob,b,Mr,9876543210,+91,"))  # the same number: another namespace
        assert [c["fullName"] for c in one.contacts()] == ["ann a"]
        assert [c["fullName"] for c in two.contacts()] == ["bob b"]
        answer = requests.post(
            one.contacts_url,
            headers=one.headers(),
            json=[person("cid", "c", "9876543210"), person("dan", "d", "9123456780")],
            timeout=10,
        )
        assert answer.status_code == 200 and len(answer.json()) == 1
        assert [r["reason"] for r in one.rejected_rows()] == ["DUPLICATE_EXISTING"]
        assert two.journal() == [] and len(one.journal(operation="createContacts")) == 1
    # both cleaned up after themselves
    assert call(server + "/__mock__/namespaces")[2] == {"namespaces": []}
    assert call(server + "/__mock__/scopes")[2] == {"scopes": []}


def test_a_shares_import_policy_and_faults_are_its_own(server):
    with kore_mock(url=server, import_policy="reject") as one, kore_mock(url=server) as two:
        one.seed([person("ann", "a", "9876543210")])
        two.seed([person("ann", "a", "9876543210")])
        again = [person("bob", "b", "9876543210")]
        assert requests.post(one.contacts_url, headers=one.headers(), json=again).status_code == 400
        assert requests.post(two.contacts_url, headers=two.headers(), json=again).status_code == 200
        two.set_fault("listContacts", errorStatus=500)
        assert requests.get(two.contacts_url, headers=two.headers()).status_code == 500
        assert requests.get(one.contacts_url, headers=one.headers()).status_code == 200
        two.clear_faults()
        assert requests.get(two.contacts_url, headers=two.headers()).status_code == 200
        with pytest.raises(ValueError, match="errorStatus"):
            two.set_fault("listContacts", errorRate=0.5)
        with pytest.raises(ValueError, match="no operation"):
            two.set_fault("deleteEverything", errorStatus=500)


def test_a_shares_profile_is_its_own(server):
    invalid = [{"firstName": "a", "lastName": "b", "cellPhone": {"phoneNumber": "9876543210"}}]
    with (
        kore_mock(url=server, profile={"validationStatus": 400}) as one,
        kore_mock(url=server) as two,
    ):
        assert one.profile()["validationStatus"] == 400 and two.profile()["validationStatus"] == 412
        answer = requests.post(one.contacts_url, headers=one.headers(), json=invalid, timeout=10)
        assert answer.status_code == 400
        answer = requests.post(two.contacts_url, headers=two.headers(), json=invalid, timeout=10)
        assert answer.status_code == 412
        assert two.set_profile({"notFoundStatus": 400})["notFoundStatus"] == 400
        assert one.profile()["notFoundStatus"] == 404
        with pytest.raises(ValueError, match="validationStatus"):
            two.set_profile({"validationStatus": 401})
    assert call(server + "/__mock__/profile")[2]["profile"]["validationStatus"] == 412
    assert call(server + "/__mock__/scopes")[2] == {"scopes": []}


@pytest.mark.parametrize("own", [True, False], ids=["own mock", "share"])
def test_reset_keeps_what_the_mock_started_with_on_its_own_mock_and_on_a_share(server, own):
    """On a share, reset() dropped the marker's import policy and profile (they are its scopes),
    which an own mock keeps (they are its start-up settings): a test passed on one, not the
    other. Faults set later go in both."""
    options = {"import_policy": "reject", "profile": {"validationStatus": 400}}
    with kore_mock(**options) if own else kore_mock(url=server, **options) as mock:
        mock.set_fault("listContacts", errorStatus=500)
        mock.reset()
        assert requests.get(mock.contacts_url, headers=mock.headers()).status_code == 200
        assert mock.profile()["validationStatus"] == 400
        assert mock.profile()["importPolicy"] == "reject"
        mock.seed([person("ann", "a", "9876543210")])
        again = [person("bob", "b", "9876543210")]
        answer = requests.post(mock.contacts_url, headers=mock.headers(), json=again)
        assert answer.status_code == 400, answer.text


def test_a_share_needs_an_app_for_every_stream(tmp_path):
    from mockserver.settings import App

    narrow = App("cs-narrow", "a-secret-of-32-or-more-characters-xx", "a" * 24, streams=("st-1",))
    app = create_app(Settings(db=str(tmp_path / "x.db"), apps=(narrow,)))
    try:
        with (
            threaded_server(app) as url,
            pytest.raises(RuntimeError, match="every stream"),
            kore_mock(url=url),
        ):
            pass
    finally:
        app.extensions["kore_mock"].store.close()


def test_a_share_refuses_what_only_an_own_server_has(server):
    with (
        pytest.raises(ValueError, match="shared server's own"),
        kore_mock(url=server, stream_id="st-mine"),
    ):
        pass


def test_a_share_mints_tokens_with_extra_claims_like_its_own_mock(server):
    with kore_mock(url=server) as kore:
        expired = kore.mint_token(exp=1)
        answer = requests.get(kore.contacts_url, headers=kore.headers(expired), timeout=10)
        assert answer.status_code == 401
        fresh = kore.mint_token(ttl=60, sub="someone-else")
        answer = requests.get(kore.contacts_url, headers=kore.headers(fresh), timeout=10)
        assert answer.status_code == 200


def test_reset_on_a_share_empties_its_journal_and_rejected_rows(server):
    with kore_mock(url=server) as kore:
        duplicate = csv_file("a,b,Mr,9123456780,+91,", "c,d,Mr,9123456780,+91,")
        answer = requests.post(
            kore.contacts_url + "/import-contacts",
            headers=kore.headers(),
            files={"result_file": ("c.csv", duplicate, "text/csv")},
            timeout=10,
        )
        assert answer.status_code == 200
        assert [r["reason"] for r in kore.rejected_rows()] == ["DUPLICATE_IN_FILE"]
        assert len(kore.journal()) == 1
        kore.reset()
        assert (kore.contacts(), kore.journal(), kore.rejected_rows()) == ([], [], [])
        # what comes after the reset is there, and only that
        requests.get(kore.contacts_url, headers=kore.headers(), timeout=10)
        assert [e["operation"] for e in kore.journal()] == ["listContacts"]
        assert kore.rejected_rows() == []


def test_a_stream_a_share_seeded_is_emptied_on_reset_and_at_the_end(server):
    other = f"st-second-{uuid.uuid4()}"
    for _ in range(2):  # the second run does not meet the first one's contacts
        with kore_mock(url=server) as kore:
            kore.seed(csv_file("john,doe,Mr,2025550143,+1,"), stream_id=other)
            assert [c["fullName"] for c in kore.contacts(stream_id=other)] == ["john doe"]
            kore.reset()
            assert kore.contacts(stream_id=other) == []
            kore.seed([person("jack", "roe", "2025550143", "+1")], stream_id=other)
        assert call(server + "/__mock__/namespaces")[2] == {"namespaces": []}


def test_a_partly_refused_seed_on_a_share_says_the_others_were_stored(server):
    with kore_mock(url=server) as kore:
        rows = csv_file("a,b,Mr,9876543210,+91,", "c,d,Mr,9876543210,+91,")
        with pytest.raises(ValueError, match=r"refused 1 item\(s\) and stored the other 1"):
            kore.seed(rows)
        assert [c["firstName"] for c in kore.contacts()] == ["a"]
        with pytest.raises(ValueError, match=r"refused 1 item\(s\) and stored none"):
            kore.seed([person("e", "f", "9876543210")])


def test_an_unreachable_shared_server_names_the_pytest_option():
    nowhere = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(RuntimeError) as raised, kore_mock(url=nowhere):
        pass
    message = str(raised.value)
    assert "cannot reach" in message and "KORE_MOCK_URL" not in message
    assert "--kore-mock-url" in message and "KORE_MOCK_SHARED_URL" in message


@pytest.mark.parametrize("own", [True, False], ids=["own mock", "share"])
def test_a_mock_used_after_its_block_ended_says_so(server, own):
    """(On a share its calls still reached the server and what they set stayed there, in no
    one's namespace; in-process a sqlite error from inside the store.)"""
    with kore_mock(url=None if own else server) as kore:
        pass
    for call_it in (
        kore.contacts,
        kore.clear_faults,
        lambda: kore.seed([person("a", "b", "2025550143", "+1")]),
    ):
        with pytest.raises(RuntimeError, match="has ended with its test or with-block"):
            call_it()
    if not own:
        assert call(server + "/__mock__/namespaces")[2] == {"namespaces": []}


@pytest.mark.parametrize("own", [True, False], ids=["own mock", "share"])
def test_a_seed_of_more_than_a_thousand_returns_every_contact_and_counts_right(server, own):
    """(A share returned the first 1,000 of 1,500 and said it refused 1,000 of 1,200.)"""
    rows = [person(f"n{i}", "x", f"20255{i:05d}", "+1") for i in range(1500)]
    with kore_mock(url=None if own else server) as kore:
        assert len(kore.seed(rows[:1200])) == 1200
        with pytest.raises(ValueError, match=r"refused 1200 item\(s\) and stored the other 300"):
            kore.seed(rows)
        assert len(kore.contacts()) == 1500


def test_a_share_refuses_a_stream_id_that_is_not_one_and_still_cleans_up(server):
    """(A refused stream was kept to be reset at the end: the teardown failed on it, and the
    share's own contacts and faults stayed on the server.)"""
    with kore_mock(url=server) as kore:
        kore.seed([person("a", "b", "2025550143", "+1")])
        kore.set_fault("*", errorStatus=503)
        with pytest.raises(ValueError, match="'nope' is not a stream id"):
            kore.seed([person("c", "d", "2025550144", "+1")], stream_id="nope")
        assert len(kore.seed([person("e", "f", "2025550145", "+1")], stream_id="")) == 1
        assert len(kore.contacts()) == 2  # "" is the share's own stream
    assert call(server + "/__mock__/namespaces")[2] == {"namespaces": []}
    assert call(server + "/__mock__/scopes")[2]["scopes"] == []


@pytest.mark.parametrize("own", [True, False], ids=["own mock", "share"])
def test_both_kinds_refuse_and_answer_the_same_calls_the_same_way(server, own):
    """(The same call returned [] on one kind and raised a RuntimeError on the other: seed([]),
    an empty CSV, a stream that is not one, a journal filter the control plane refuses.)"""
    with kore_mock(url=None if own else server) as kore:
        assert kore.seed([]) == []
        with pytest.raises(ValueError, match="empty"):
            kore.seed(b"")
        with pytest.raises(ValueError, match="'nope' is not a stream id"):
            kore.seed([person("a", "b", "2025550143", "+1")], stream_id="nope")
        for bad, said in (
            ({"operation": "nope"}, "no operation 'nope'"),
            ({"status": 600}, "not an HTTP status"),
            ({"limit": 0}, "not a number of entries from 1 to 1000"),
            ({"limit": 5000}, "not a number of entries from 1 to 1000"),
        ):
            with pytest.raises(ValueError, match=said):
                kore.journal(**bad)
        assert (kore.scenario is None) == own
        assert kore.contacts() == []


@pytest.mark.parametrize("own", [True, False], ids=["own mock", "share"])
def test_a_journal_entry_has_the_same_keys_on_both_kinds(server, own):
    """(A share's entries had no request or response; an own mock's had them.)"""
    with kore_mock(url=None if own else server) as kore:
        sent = [person("ann", "a", "2025550143", "+1")]
        requests.post(kore.contacts_url, headers=kore.headers(), json=sent, timeout=10)
        [entry] = kore.journal(operation="createContacts", status=200, limit=1)
        assert json.loads(entry["request"]["bodyText"]) == sent
        assert entry["response"]["headers"] and entry["operation"] == "createContacts"
        assert {"id", "at", "method", "path", "status", "report"} <= set(entry)


def test_the_journal_list_gives_bodies_when_asked(server):
    with kore_mock(url=server) as kore:
        requests.get(kore.contacts_url, headers=kore.headers(), timeout=10)
    [plain] = call(server + "/__mock__/journal")[2]["entries"]
    [full] = call(server + "/__mock__/journal?bodies=true")[2]["entries"]
    assert "request" not in plain and "response" not in plain
    assert full == call(server + f"/__mock__/journal/{full['id']}")[2]


def test_a_share_names_what_it_was_given_that_is_the_servers_own(server):
    with (
        pytest.raises(ValueError, match=r"^apps given, but") as raised,
        kore_mock(url=server, apps=[]),
    ):
        pass
    assert "leave them out" in str(raised.value)


def test_an_own_mock_refuses_an_empty_app_list_and_an_unused_admin_token():
    with pytest.raises(ValueError, match="apps is empty"), kore_mock(apps=[]):
        pass
    with (
        pytest.raises(ValueError, match="admin_token is a shared server's"),
        kore_mock(admin_token="x" * 32),
    ):
        pass
    with pytest.raises(ValueError, match="import_policy must be"), kore_mock(import_policy=""):
        pass


def test_a_proxy_in_the_way_is_named_when_the_shared_server_cannot_be_reached(monkeypatch):
    """(With http_proxy set, urllib went through the proxy to 127.0.0.1 too, and the message
    said only that the server could not be reached.)"""
    monkeypatch.setenv("http_proxy", f"http://127.0.0.1:{free_port()}")
    monkeypatch.delenv("no_proxy", raising=False)
    monkeypatch.delenv("NO_PROXY", raising=False)
    with pytest.raises(RuntimeError) as raised, kore_mock(url=f"http://127.0.0.1:{free_port()}"):
        pass
    message = str(raised.value)
    assert "through the proxy http://127.0.0.1:" in message and "no_proxy" in message
    assert message.count("127.0.0.1:") == 2  # the server's URL once, the proxy's once
