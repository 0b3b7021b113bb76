"""Snapshots: save -> reset -> load gives back the same state on both backends and from one to
the other; a bad or truncated snapshot is refused with a clear error and changes nothing."""

from __future__ import annotations

import copy
import json
import re
import sqlite3
from collections.abc import Iterator
from typing import Any

import pytest

from mockserver.app import create_app
from mockserver.auth import mint_token
from mockserver.mock import mock_of
from mockserver.settings import App, Limits, Settings
from mockserver.store.base import ContentsRefused
from tests.conftest import ACCOUNT, OTHER_STREAM, STREAM, TEST_APPS, Api, base, person
from tests.control.conftest import NS_PATH, Control

OTHER_NS_PATH = f"/__mock__/namespaces/{ACCOUNT}/{OTHER_STREAM}"
NEW_APP = {
    "clientId": "cs-added-at-run-time",
    "accountId": ACCOUNT,
    "clientSecret": "a-secret-added-at-run-time-of-32-chars",
}


def build_state(control: Control, api: Api) -> None:
    """A state with everything a snapshot must carry."""
    control.seed([person("ann", "one", "9876543210"), person("ann", "two", "9876543210")],
                 legacy=True)  # fmt: skip
    created = api.create([person("bob", "b", "9123456780"), person("cid", "c", "9988776655")])
    api.delete(created.get_json()[0]["id"])  # an INACTIVE contact
    api.create([person("dan", "d", "9012345678")], stream=OTHER_STREAM)
    api.create([person("eve", "e", "9876543210")])  # refused: a legacy holder has the number
    assert control.post("/__mock__/apps", json=NEW_APP).status_code == 201
    control.set_fault("updateContact", errorStatus=503, errorRate=0.5)
    control.set_fault("*", latencyLogNormal={"medianMs": 1, "sigma": 0.1})
    assert control.put("/__mock__/profile", json={"notFoundStatus": 400}).status_code == 200
    control.settings(importPolicy="reject", rateLimit={"enabled": True, "perMinute": 500})
    scoped = control.put("/__mock__/profile?scenario=job-a", json={"validationStatus": 400})
    assert scoped.status_code == 200
    control.put("/__mock__/faults/listContacts?scenario=job-a", json={"errorStatus": 502})


def observe(control: Control) -> dict[str, Any]:
    """Everything a user can see of the state through the control plane."""
    entries = control.get("/__mock__/journal?limit=1000").get_json()["entries"]
    return {
        "namespaces": control.get("/__mock__/namespaces").get_json(),
        "export": [control.get(ns + "/export").get_json() for ns in (NS_PATH, OTHER_NS_PATH)],
        "csv": control.get(NS_PATH + "/export?format=csv").get_data(),
        "all": control.get(NS_PATH + "/contacts?status=ALL&limit=500").get_json(),
        "apps": control.get("/__mock__/apps?secrets=true").get_json(),
        "faults": control.get("/__mock__/faults").get_json(),
        "settings": control.get("/__mock__/settings").get_json(),
        "profile": control.get("/__mock__/profile").get_json(),
        "scoped profile": control.get("/__mock__/profile?scenario=job-a").get_json(),
        "scopes": control.get("/__mock__/scopes").get_json(),
        "journal": entries,
        "journal count": control.verify().get_json()["count"],
    }


def save(control: Control, journal: bool = True) -> bytes:
    response = control.get("/__mock__/snapshot" + ("?journal=true" if journal else ""))
    assert response.status_code == 200
    return response.get_data()


def load(control: Control, body: bytes, query: str = "") -> Any:
    return control.put("/__mock__/snapshot" + query, data=body, content_type="application/json")


def test_save_reset_load_gives_back_the_same_state(control, api):
    build_state(control, api)
    before = observe(control)
    assert before["journal count"] == 4 and len(before["apps"]["apps"]) == len(TEST_APPS) + 1
    body = save(control)
    control.post("/__mock__/reset")
    assert observe(control) != before
    answer = load(control, body).get_json()
    assert answer["contacts"] == 5 and answer["journal"] == before["journal count"]
    assert observe(control) == before
    # the loaded state works: the added app signs in, the legacy number stays blocked
    added = App.from_dict(NEW_APP)
    refused = api.as_app(added).create([person("fay", "f", "9876543210")])
    assert refused.status_code == 400  # policy reject: the held number refuses the request
    assert api.as_app(added).list().get_json()["totalResults"] == 3


def test_a_snapshot_lists_what_it_holds(control, api):
    build_state(control, api)
    document = json.loads(save(control))
    assert document["kind"] == "kore-mock-snapshot" and document["version"] == 1
    assert document["counts"] == {"contacts": 5, "journal": len(document["journal"])}
    statuses = sorted(c["status"] for c in document["contacts"])
    assert statuses == ["ACTIVE"] * 4 + ["INACTIVE"]
    assert sorted(c["dupSlot"] for c in document["contacts"] if c["firstName"] == "ann") == [0, 1]
    state = document["state"]
    assert state["profile"]["importPolicy"] == "reject" and state["rateLimit"]["perMinute"] == 500
    assert {"clientSecret"} <= set(state["apps"][-1]) and set(state["faults"]) == {
        "updateContact",
        "*",
    }
    assert "journal" not in json.loads(save(control, journal=False))


def test_load_without_the_journal_starts_with_an_empty_one(control, api):
    build_state(control, api)
    body = save(control)
    assert load(control, body, "?journal=false").get_json()["journal"] == 0
    assert control.verify().get_json()["count"] == 0
    without = save(control, journal=False)
    refused = load(control, without, "?journal=true")
    assert (
        refused.status_code == 400 and "holds no journal" in refused.get_json()["errors"][0]["msg"]
    )


def test_a_snapshot_journal_longer_than_journal_size_loads_its_newest_entries(
    control, api, tmp_path
):
    for _ in range(6):
        api.list()
    body = save(control)
    small = create_app(Settings(db=str(tmp_path / "small.db"), apps=TEST_APPS, journal_size=3))
    try:
        target = Control(small.test_client())
        assert load(target, body).get_json()["journal"] == 3
        ids = [e["id"] for e in target.get("/__mock__/journal").get_json()["entries"]]
        assert ids == [6, 5, 4]  # the newest three
    finally:
        mock_of(small).close()


def test_a_snapshot_loads_into_a_server_with_other_start_up_apps(control, api, db_url, tmp_path):
    build_state(control, api)
    body = save(control)
    other = create_app(Settings(db=str(tmp_path / "other.db")))  # the development app only
    try:
        target = Control(other.test_client())
        assert load(target, body).status_code == 200
        assert observe(target) == observe(control)
    finally:
        other.extensions["kore_mock"].store.close()


def test_a_snapshot_of_apps_at_the_settings_files_bounds_loads_back_into_its_server(tmp_path):
    """The settings file takes apps as the control plane and the snapshot do (a clientId or a
    name over 200 characters was taken; the server's own snapshot was then refused)."""
    from mockserver.settings import from_dict

    longest = {"clientId": "c" * 200, "name": "n" * 200, "clientSecret": "s" * 500}
    settings = from_dict({"apps": [{**NEW_APP, **longest}]}).with_overrides(
        db=str(tmp_path / "bounds.db")
    )
    server = create_app(settings)
    try:
        control = Control(server.test_client())
        body = save(control)
        assert control.post("/__mock__/reset").status_code == 200
        answer = load(control, body)
        assert answer.status_code == 200, answer.get_json()
        assert control.delete("/__mock__/apps/" + "c" * 200).status_code == 200
    finally:
        server.extensions["kore_mock"].store.close()


def test_a_snapshot_brings_its_profile_into_a_server_started_with_another(control, api, tmp_path):
    build_state(control, api)
    body = save(control)
    start_up = Settings(db=str(tmp_path / "other.db"))
    start_up = start_up.with_profile(
        start_up.profile.with_readings({"validationStatus": 400, "notFoundStatus": 400}),
        "settings",
        ["validationStatus", "notFoundStatus"],
    )
    other = create_app(start_up)
    try:
        target = Control(other.test_client())
        assert load(target, body).status_code == 200
        mine, theirs = (observe(c)["profile"] for c in (control, target))
        assert theirs["profile"] == mine["profile"]  # the same profile in force
        set_by = {reading["name"]: reading["setBy"] for reading in theirs["readings"]}
        # 412 differs from that server's start-up 400; notFoundStatus 400 is its own already
        assert (set_by["validationStatus"], set_by["notFoundStatus"]) == ("runtime", "settings")
        assert set_by["importPolicy"] == "runtime"
        target.post("/__mock__/reset")  # back to that server's own start-up profile
        assert target.get("/__mock__/profile").get_json()["profile"]["validationStatus"] == 400
    finally:
        other.extensions["kore_mock"].store.close()


def test_an_older_snapshot_with_a_top_level_import_policy_loads_into_the_profile(control, api):
    build_state(control, api)
    document = json.loads(save(control))
    state = document["state"]
    del state["profile"]
    state["importPolicy"] = "reject"
    state["scopes"]["scenario:job-a"]["readings"] = {"importPolicy": "reject"}
    control.post("/__mock__/reset")
    assert load(control, json.dumps(document).encode()).status_code == 200
    assert control.get("/__mock__/settings").get_json()["importPolicy"] == "reject"
    scoped = control.get("/__mock__/profile?scenario=job-a").get_json()["scoped"]
    assert scoped == {"importPolicy": "reject"}


@pytest.fixture
def sqlite_and_postgres(postgres, tmp_path) -> Iterator[tuple[Any, Any]]:
    url = postgres.new_database()
    apps = [create_app(Settings(db=str(tmp_path / "a.db"), apps=TEST_APPS)),
            create_app(Settings(db=url, apps=TEST_APPS))]  # fmt: skip
    yield tuple(apps)
    for app in apps:
        app.extensions["kore_mock"].store.close()
    postgres.drop_database(url)


@pytest.mark.parametrize("direction", ["sqlite to postgresql", "postgresql to sqlite"])
def test_a_snapshot_moves_between_backends(sqlite_and_postgres, direction):
    source, target = sqlite_and_postgres
    if direction.startswith("postgresql"):
        source, target = target, source
    control = Control(source.test_client())
    build_state(control, Api(source.test_client()))
    before = observe(control)
    target_control = Control(target.test_client())
    assert load(target_control, save(control)).status_code == 200
    assert observe(target_control) == before
    # and the journal goes on after the loaded entries
    Api(target.test_client()).list()
    entries = target_control.get("/__mock__/journal?limit=1").get_json()["entries"]
    assert entries[0]["id"] == max(e["id"] for e in before["journal"]) + 1


def truncated(body: bytes) -> bytes:
    return body[: len(body) // 2]


def edited(body: bytes, change) -> bytes:
    document = json.loads(body)
    change(document)
    return json.dumps(document).encode()


def _two_holders(doc: dict[str, Any]) -> None:
    doc["contacts"][1]["dupSlot"] = 0  # both legacy holders at slot 0


def _short_secret(doc: dict[str, Any]) -> None:
    doc["state"]["apps"][0]["clientSecret"] = "short"


BAD = {
    "cut in half": (truncated, "not valid JSON (is the file complete?)"),
    "empty": (lambda b: b"", "not valid JSON"),
    "not a snapshot": (lambda b: b'{"contacts": []}', "not a kore-mock snapshot"),
    "a newer format": (
        lambda b: edited(b, lambda d: d.update(version=2)),
        "format 2, newer than this kore-mock reads (1)",
    ),
    "a contact left out": (
        lambda b: edited(b, lambda d: d["contacts"].pop()),
        "declares 5 contacts but holds 4",
    ),
    "a bad field": (
        lambda b: edited(b, lambda d: d["contacts"][2].update(status="GONE")),
        "snapshot.contacts[2].status",
    ),
    "an unknown field": (
        lambda b: edited(b, lambda d: d["contacts"][0].update(colour="blue")),
        "snapshot.contacts[0]",
    ),
    "two ACTIVE holders at one slot": (lambda b: edited(b, _two_holders), "at dupSlot 0"),
    "a repeated id": (
        lambda b: edited(b, lambda d: d["contacts"][3].update(id=d["contacts"][2]["id"])),
        "contact ids repeat",
    ),
    "an app with a short secret": (lambda b: edited(b, _short_secret), "clientSecret"),
    "a fault that does nothing": (
        lambda b: edited(b, lambda d: d["state"]["faults"].update(listContacts={"errorRate": 1})),
        "snapshot.state.faults.listContacts",
    ),
    # one would silently replace the other (a namespace's account id is folded)
    "one namespace scope in two spellings": (
        lambda b: edited(b, _one_scope_twice),
        "another scope names the same",
    ),
}


def _one_scope_twice(doc: dict[str, Any]) -> None:
    scope = {"faults": {"listContacts": {"errorStatus": 503}}}
    doc["state"].setdefault("scopes", {}).update(
        {f"namespace:{ACCOUNT}/{STREAM}": scope, f"namespace:{ACCOUNT.upper()}/{STREAM}": scope}
    )


@pytest.mark.parametrize("case", BAD)
def test_a_bad_snapshot_is_refused_with_a_clear_error_and_changes_nothing(control, api, case):
    build_state(control, api)
    body = save(control)
    spoil, message = BAD[case]
    control.post("/__mock__/reset")
    api.create([person("zed", "z", "9000000001")])
    before = observe(control)
    response = load(control, spoil(body))
    assert response.status_code == 400
    assert message in response.get_json()["errors"][0]["msg"]
    assert observe(control) == before


def test_a_snapshot_has_its_own_size_limit(db_url, tmp_path):
    limits = Limits(max_upload_bytes=1000, max_snapshot_bytes=20_000)
    app = create_app(Settings(db=db_url, apps=TEST_APPS, limits=limits))
    try:
        control, api = Control(app.test_client()), Api(app.test_client())
        api.create([person(f"p{i}", "q", f"98000000{i:02d}") for i in range(10)])
        body = save(control)
        assert 1000 < len(body) < 20_000  # over the upload limit, under the snapshot limit
        assert load(control, body).status_code == 200
        padded = body[:-1] + b"," + b" " * 20_000 + b"}"
        assert load(control, padded).status_code == 413
    finally:
        app.extensions["kore_mock"].store.close()


def test_a_snapshot_must_be_sent_as_json(control):
    response = control.put("/__mock__/snapshot", data=b"x", content_type="text/plain")
    assert response.status_code == 415


def test_the_store_replaces_all_or_nothing(app, api):
    api.create([person("ann", "a", "9876543210")])
    store = app.extensions["kore_mock"].store
    before = store.contents(with_journal=True)
    row = before.contacts[0]
    broken = copy.deepcopy(before)
    broken.contacts.extend([row, row])  # the same id three times
    with pytest.raises(ContentsRefused):
        store.replace_contents(broken)
    assert store.contents(with_journal=True) == before


def test_a_token_of_a_loaded_app_works_and_one_of_an_app_it_removed_does_not(control, api):
    control.post("/__mock__/apps", json=NEW_APP)
    body = save(control)
    control.post("/__mock__/reset")
    added = App.from_dict(NEW_APP)
    assert api.as_app(added).list().status_code == 401
    load(control, body)
    assert api.as_app(added).list().status_code == 200
    document = json.loads(body)
    document["state"]["apps"] = [
        a for a in document["state"]["apps"] if a["clientId"] != "cs-added-at-run-time"
    ]
    load(control, json.dumps(document).encode())
    token = mint_token(added)
    assert (
        api.client.get(
            "/agentassist/api/v1/public/" + STREAM + "/contacts",
            headers={"auth": token, "accountId": ACCOUNT},
        ).status_code
        == 401
    )


DIGITS_APP = {
    "clientId": "cs-digits",
    "accountId": "123456789",  # the create page's sample account id
    "clientSecret": "a-secret-of-an-app-whose-account-id-is-digits",
}


def test_a_snapshot_of_an_account_id_that_is_not_hex_loads_back(control, api):
    assert control.post("/__mock__/apps", json=DIGITS_APP).status_code == 201
    digits = api.as_app(App.from_dict(DIGITS_APP))
    assert digits.create([person("ann", "a", "9876543210")]).status_code == 200
    scope = f"?accountId=123456789&streamId={STREAM}"
    fault = control.put("/__mock__/faults/deleteContact" + scope, json={"errorStatus": 502})
    assert fault.status_code == 200
    before = control.get("/__mock__/scopes").get_json()
    body = save(control)
    control.post("/__mock__/reset")
    answer = load(control, body)
    assert answer.status_code == 200, answer.get_json()
    assert digits.list().get_json()["totalResults"] == 1
    assert control.get("/__mock__/scopes").get_json() == before


def _set(where: str, value: Any):
    """An edit of one field of a saved snapshot: ``contacts.0.dupSlot`` = value."""

    def change(document: dict[str, Any]) -> None:
        *path, last = where.split(".")
        target = document
        for part in path:
            target = target[int(part)] if part.isdigit() else target[part]
        target[last] = value

    return change


def refused(control: Control, api: Api, change) -> str:
    """The error a snapshot with ``change`` gets; the state it was sent to stays as it was."""
    build_state(control, api)
    body = save(control)
    before = observe(control)
    response = load(control, edited(body, change))
    assert response.status_code == 400, response.get_data()
    assert observe(control) == before
    return response.get_json()["errors"][0]["msg"]


TOO_LARGE = {
    "dupSlot over a 32-bit column": ("contacts.0.dupSlot", 2**31, "contacts[0].dupSlot"),
    "dupSlot over 64 bits": ("contacts.0.dupSlot", 2**63, "contacts[0].dupSlot"),
    "dupSlot read as a float": ("contacts.0.dupSlot", 10**30, "contacts[0].dupSlot"),
    "journal id over 64 bits": ("journal.0.id", 2**63, "journal[0].id"),
    "journal id read as a float": ("journal.0.id", 2**70, "journal[0].id"),
    "journal status not an HTTP status": ("journal.0.entry.status", 2**31, "entry.status"),
    "journal status over 64 bits": ("journal.0.entry.status", 2**70, "entry.status"),
    "journal scenario not text": ("journal.0.entry.scenario", 7, "entry.scenario"),
    "journal namespace not an object": ("journal.0.entry.namespace", 7, "entry.namespace"),
}


@pytest.mark.parametrize("case", TOO_LARGE)
def test_an_integer_too_large_for_its_column_is_a_400_naming_the_field(control, api, case):
    where, value, named = TOO_LARGE[case]
    message = refused(control, api, _set(where, value))
    assert f"snapshot.{where.split('.')[0]}[0]" in message and named in message


# a journal entry of any shape loaded: GET /__mock__/journal then broke its contract, the CLI's
# journal table died on it, and its export was no recording replay reads
NOT_AN_ENTRY = {
    "a method that is not text": ("journal.0.entry.method", [1], "entry.method"),
    "an empty method": ("journal.0.entry.method", "", "entry.method"),
    "a path that is an object": ("journal.0.entry.path", {"a": 1}, "entry.path"),
    "a path not starting with /": ("journal.0.entry.path", "contacts", "entry.path"),
    "an instant that is no instant": ("journal.0.entry.at", "not-a-time", "entry.at"),
    "a latency that is text": ("journal.0.entry.latencyMs", "slow", "entry.latencyMs"),
    "a negative latency": ("journal.0.entry.latencyMs", -1, "entry.latencyMs"),
    "a query that is a number": ("journal.0.entry.query", 5, "entry.query"),
    "an operation openapi.yaml lacks": ("journal.0.entry.operation", "bogusOp", "entry.operation"),
    "a scenario no header names": ("journal.0.entry.scenario", "a b", "entry.scenario"),
    "a namespace without its stream": (
        "journal.0.entry.namespace",
        {"accountId": ACCOUNT},
        "entry.namespace",
    ),
    "a caller that is a number": ("journal.0.entry.caller", 7, "entry.caller"),
    "a refused count that is text": ("journal.0.entry.rejectedCount", "1", "entry.rejectedCount"),
    "a fault that is text": ("journal.0.entry.fault", "slow", "entry.fault"),
    "a request that is a list": ("journal.0.entry.request", [], "entry.request"),
}


@pytest.mark.parametrize("case", NOT_AN_ENTRY)
def test_a_journal_entry_the_journal_could_not_have_written_is_refused(control, api, case):
    where, value, named = NOT_AN_ENTRY[case]
    message = refused(control, api, _set(where, value))
    assert "snapshot.journal[0]" in message and named in message


def test_a_journal_entry_without_its_method_is_refused(control, api):
    message = refused(control, api, lambda document: document["journal"][0]["entry"].pop("method"))
    assert "snapshot.journal[0].entry" in message and "method" in message


@pytest.mark.parametrize(
    ("version", "named"),
    [
        (2, "format 2, newer than this kore-mock reads (1)"),
        (10**20, "format 1e+20, newer than this kore-mock reads (1)"),  # read as 1e20: loaded
        (1e308, "format 1e+308, newer than this kore-mock reads (1)"),
        (1.5, "snapshot.version"),
        (0, "snapshot.version"),
        ("1", "snapshot.version"),
    ],
)
def test_a_format_version_this_kore_mock_does_not_read_is_refused(control, api, version, named):
    assert named in refused(control, api, _set("version", version))


def test_integers_written_with_a_fraction_of_zero_load_as_integers(control, api):
    build_state(control, api)
    document = json.loads(save(control))
    slots = [c["dupSlot"] for c in document["contacts"]]
    ids = [e["id"] for e in document["journal"]]
    body = json.dumps(document)
    for name in ("dupSlot", "id", "status"):  # 1 -> 1.0: still an integer to JSON Schema
        body = re.sub(rf'("{name}": )(\d+)', r"\1\2.0", body)
    assert '"dupSlot": 1.0' in body
    control.post("/__mock__/reset")
    assert load(control, body.encode()).status_code == 200
    again = json.loads(save(control))
    assert [c["dupSlot"] for c in again["contacts"]] == slots
    assert [e["id"] for e in again["journal"]] == ids
    assert all(type(e["entry"]["status"]) is int for e in again["journal"])


def test_faults_and_readings_written_with_a_fraction_of_zero_load_and_work_as_integers(
    control, api
):
    # a fault's 503.0 loaded as a float: every faulted call was a 500 with a traceback
    build_state(control, api)
    document = json.loads(save(control))
    state = document["state"]
    state["faults"] = {
        "createContacts": {"errorStatus": 503.0, "latencyMs": 1.0},
        "listContacts": {"trickle": {"totalMs": 10.0, "chunks": 2.0}},
    }
    state["rateLimit"] = {"enabled": False, "perMinute": 500.0}
    state["profile"]["validationStatus"] = 400.0
    scoped = state["scopes"]["scenario:job-a"]
    scoped["faults"] = {"updateContact": {"errorStatus": 502.0}}
    scoped["readings"] = {
        "profile": {"notFoundStatus": 400.0},
        "rateLimit": {"enabled": True, "perMinute": 7.0},
    }
    document["version"] = 1.0
    document["counts"] = {name: float(count) for name, count in document["counts"].items()}
    control.post("/__mock__/reset")
    assert load(control, json.dumps(document).encode()).status_code == 200
    again = json.loads(save(control))["state"]
    assert repr(again["faults"]["createContacts"]["errorStatus"]) == "503"
    assert repr(again["faults"]["listContacts"]["trickle"]) == "{'totalMs': 10, 'chunks': 2}"
    assert repr(again["rateLimit"]["perMinute"]) == "500"
    assert repr(again["profile"]["validationStatus"]) == "400"
    assert repr(again["scopes"]["scenario:job-a"]["faults"]["updateContact"]["errorStatus"]) == (
        "502"
    )
    assert repr(again["scopes"]["scenario:job-a"]["readings"]) == (
        "{'profile': {'notFoundStatus': 400}, 'rateLimit': {'enabled': True, 'perMinute': 7}}"
    )
    created = api.client.post(base(), headers=api.headers(), json=[person("g", "g", "9111111111")])
    assert created.status_code == 503
    assert created.get_json()["errors"][0]["msg"] == "Injected fault: HTTP 503"
    assert api.client.get(base(), headers=api.headers()).status_code == 200  # trickled
    statuses = [e["status"] for e in control.get("/__mock__/journal?limit=2").get_json()["entries"]]
    assert statuses == [200, 503]


@pytest.mark.parametrize("saved_at", ["yesterday", "2026-02-30T10:00:00Z", ""])
def test_a_snapshot_saved_at_no_instant_is_refused(control, api, saved_at):
    # control-openapi.yaml's Instant says the handler checks it: "yesterday" loaded
    message = refused(control, api, _set("savedAt", saved_at))
    assert (
        message
        == f"snapshot.savedAt: {saved_at!r} is not an ISO-8601 instant (e.g. 2024-05-01T12:00:00Z)"
    )


def test_a_snapshot_saved_at_any_iso_8601_instant_loads(control, api):
    build_state(control, api)
    body = edited(save(control), _set("savedAt", "2024-05-01T12:00:00+05:30"))
    assert load(control, body).status_code == 200


UNSTORABLE = {
    "a number key that is not a number": ("contacts.0.phoneNumber", "abc", "phoneNumber"),
    "a number key without its +": ("contacts.0.phoneNumber", "919876543210", "phoneNumber"),
    "a number key of 16 digits": ("contacts.0.phoneNumber", "+9198765432101234", "phoneNumber"),
    "a number key of another country code": (
        "contacts.0.phoneNumber",
        "+449876543210",
        "does not start with its countryCode",
    ),
    "a country code without its +": ("contacts.0.countryCode", "91", "countryCode"),
    "a country code of 4 digits": ("contacts.0.countryCode", "+9198", "countryCode"),
    "a first name that is a formula": ("contacts.0.firstName", "=cmd|' /C calc'!A0", "firstName"),
    "a last name starting with a tab": ("contacts.0.lastName", "\tdoe", "lastName"),
    "an empty first name": ("contacts.0.firstName", "", "firstName"),
    "a first name of 101 characters": ("contacts.0.firstName", "a" * 101, "firstName"),
    "a salutation that is a formula": ("contacts.0.salutation", "@SUM(A1)", "salutation"),
    "an extension that is a formula": ("contacts.0.extension", "=1+1", "extension"),
    "a name with a NUL": ("contacts.0.firstName", "a\x00b", "contacts[0].firstName"),
    "an org id with a NUL": ("contacts.0.orgId", "o-\x00", "contacts[0].orgId"),
    "an instant that is no instant": ("contacts.0.createdAt", "9999-99-99T99:99:99Z", "createdAt"),
    "an instant without milliseconds": (
        "contacts.0.updatedAt",
        "2026-12-07T02:19:46Z",
        "updatedAt",
    ),
    "an instant with an offset": (
        "contacts.0.createdAt",
        "2026-12-07T02:19:46.603+01:00",
        "createdAt",
    ),
    "a day not in the calendar": ("contacts.0.createdAt", "2026-02-30T02:19:46.603Z", "createdAt"),
    "a journal operation with a NUL": (
        "journal.0.entry.operation",
        "list\x00",
        "journal[0].entry.operation",
    ),
}


@pytest.mark.parametrize("case", UNSTORABLE)
def test_a_contact_the_vendor_api_could_not_have_stored_is_refused(control, api, case):
    where, value, named = UNSTORABLE[case]
    assert named in refused(control, api, _set(where, value))


def test_a_snapshot_of_data_older_kore_mock_versions_stored_still_loads(control, api):
    """Legacy duplicates (a number held twice, slots 0 and 1), a country code with a leading 0
    (taken before kore-mock refused one), empty salutation and extension, and a journal entry
    whose request held a NUL (refused, and journaled as sent)."""
    build_state(control, api)
    document = json.loads(save(control))
    held = [c for c in document["contacts"] if c["firstName"] == "ann"]
    assert sorted(c["dupSlot"] for c in held) == [0, 1]
    assert held[0]["phoneNumber"] == held[1]["phoneNumber"]
    old = document["contacts"][-1]
    old.update(countryCode="+01", phoneNumber="+01" + old["phoneNumber"][3:], salutation="")
    old["extension"] = ""
    document["journal"][0]["entry"]["path"] = "/agentassist/\x00"
    document["journal"][0]["entry"]["request"] = {"bodyText": "a\x00b"}
    control.post("/__mock__/reset")
    answer = load(control, json.dumps(document).encode())
    assert answer.status_code == 200, answer.get_json()
    assert json.loads(save(control))["contacts"] == document["contacts"]


def test_a_loaded_snapshot_never_gives_a_journal_id_again(control, api):
    """PostgreSQL restarted its ids at the snapshot's newest entry: an id given after the save
    (or any, after a load without the journal) was given again; SQLite did not."""
    build_state(control, api)
    body = save(control)
    after_save = int(api.list().headers["X-Mock-Journal-Id"])
    for query in ("", "?journal=false"):
        assert load(control, body, query).status_code == 200
        given = int(api.list().headers["X-Mock-Journal-Id"])
        assert given > after_save, query
        after_save = given


def test_a_request_with_a_nul_in_its_stream_is_journaled_and_the_snapshot_loads_back(control, api):
    """A malformed stream names no namespace in its entry: PostgreSQL's text refused the NUL
    (the entry was lost), and SQLite kept it where a snapshot's check refuses it."""
    answer = api.client.get("/agentassist/api/v1/public/st-a%00b/contacts", headers=api.headers())
    assert answer.status_code == 401
    entry = api.client.get(f"/__mock__/journal/{answer.headers['X-Mock-Journal-Id']}").get_json()
    assert entry["namespace"] is None and entry["status"] == 401
    assert load(control, save(control)).status_code == 200


def test_a_snapshot_refusal_of_a_pattern_says_it_in_the_contracts_words(control, api):
    # it quoted the regular expression where the contract words the rule (x-refusal)
    message = refused(control, api, _set("contacts.0.firstName", "=cmd|' /C calc'!A0"))
    assert message == (
        "snapshot.contacts[0].firstName: \"=cmd|' /C calc'!A0\" must not start with =, +, -, @ "
        "or whitespace (a formula in a spreadsheet)"
    )


def test_a_snapshot_of_a_contact_an_older_version_stored_with_a_nul_says_it_will_not_load(
    tmp_path,
):
    """Saved as stored, it was refused by the load of the same server without a word at save."""
    app = create_app(Settings(db=str(tmp_path / "nul.db"), apps=TEST_APPS))
    control = Control(app.test_client())
    try:
        control.seed([person("ann", "a", "9876543210"), person("bob", "b", "9876543211")])
        with sqlite3.connect(tmp_path / "nul.db") as db:  # as SQLite took it over JSON before
            db.execute("UPDATE contacts SET last_name = 'b' || char(0) WHERE first_name = 'bob'")
        saved = control.get("/__mock__/snapshot")
        document = json.loads(saved.get_data())
        index = next(i for i, c in enumerate(document["contacts"]) if c["firstName"] == "bob")
        assert document["contacts"][index]["lastName"] == "b\x00"  # a copy of the store
        assert saved.headers["X-Mock-Snapshot"].endswith(
            f"; unloadable=1; first=contacts[{index}].lastName"
        )
        loaded = load(control, saved.get_data())
        assert loaded.status_code == 400
        assert loaded.get_json()["errors"][0]["msg"] == (
            f"snapshot.contacts[{index}].lastName holds a NUL character (\\u0000); no field "
            "takes one (an older kore-mock stored some on SQLite: remove it from the file, or "
            "update or delete that contact and save again)"
        )
    finally:
        mock_of(app).close()


def test_an_account_id_in_upper_case_loads_into_the_namespace_every_request_names(control, api):
    # it loaded into a namespace no request could reach (every path folds the account id), beside
    # a contact of the same number, and resetting "it" reset the other one
    assert api.create([person("ann", "a", "9876543210")]).status_code == 200
    assert (
        control.put(
            f"/__mock__/faults/createContacts?accountId={api.account}&streamId={STREAM}",
            json={"errorStatus": 503},
        ).status_code
        == 200
    )
    document = json.loads(save(control))
    document["contacts"][0]["accountId"] = api.account.upper()
    [key] = document["state"]["scopes"]
    scopes = document["state"]["scopes"]
    scopes[key.replace(api.account, api.account.upper())] = scopes.pop(key)
    control.post("/__mock__/reset")
    assert load(control, json.dumps(document).encode()).status_code == 200
    assert api.list().get_json()["totalResults"] == 1
    assert api.create([person("bob", "b", "9876543211")]).status_code == 503  # its fault
    [namespace] = control.get("/__mock__/namespaces").get_json()["namespaces"]
    assert namespace["accountId"] == api.account


def test_an_upper_case_account_id_that_repeats_a_number_of_its_namespace_is_refused(control, api):
    assert api.create([person("ann", "a", "9876543210")]).status_code == 200
    document = json.loads(save(control))
    twin = {**document["contacts"][0], "id": "f" * 24, "accountId": api.account.upper()}
    document["contacts"].append(twin)
    document["counts"]["contacts"] = 2
    answer = load(control, json.dumps(document).encode())
    assert answer.status_code == 400
    assert "two ACTIVE contacts of" in answer.get_json()["errors"][0]["msg"]
