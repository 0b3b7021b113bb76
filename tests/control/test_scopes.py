"""Scopes: faults and readings for one scenario (X-Mock-Scenario), one app, or one namespace;
the unscoped ones apply to everyone as before. The journal records the scenario."""

from __future__ import annotations

import json
import sqlite3

import pytest

from mockserver.store import open_store
from mockserver.store.base import JournalFilter
from mockserver.store.sqlite import MIGRATIONS
from tests.conftest import ACCOUNT, ONE_STREAM_APP, OTHER_STREAM, STREAM, base, person

A = {"X-Mock-Scenario": "job-a"}
B = {"X-Mock-Scenario": "job-b"}


def create(api, number: str, headers=None, stream: str = STREAM, app=None):
    caller = api if app is None else api.as_app(app)
    return caller.client.post(
        base(stream),
        headers={**caller.headers(), **(headers or {})},
        json=[person("a", "b", number)],
    )


def test_a_fault_for_a_scenario_hits_only_its_requests(control, api):
    assert control.put(
        "/__mock__/faults/createContacts?scenario=job-a", json={"errorStatus": 503}
    ).get_json() == {"errorStatus": 503, "errorRate": 1}
    assert create(api, "9876543210", A).status_code == 503
    assert create(api, "9876543211", B).status_code == 200
    assert create(api, "9876543212").status_code == 200
    assert control.get("/__mock__/faults").get_json() == {
        "faults": {},
        "scoped": [
            {
                "scope": {"scenario": "job-a"},
                "faults": {"createContacts": {"errorStatus": 503, "errorRate": 1}},
            }
        ],
    }
    entries = control.get("/__mock__/journal?scenario=job-a").get_json()["entries"]
    assert [(e["status"], e["scenario"]) for e in entries] == [(503, "job-a")]
    assert entries[0]["fault"] == {"errorStatus": 503, "scope": {"scenario": "job-a"}}
    assert control.verify(scenario="job-b", count=1).status_code == 200
    assert control.verify(count=3).status_code == 200  # no scenario filter: all of them


def test_a_fault_for_a_namespace_hits_only_that_stream(control, api):
    control.put(
        f"/__mock__/faults/*?accountId={ACCOUNT}&streamId={OTHER_STREAM}", json={"errorStatus": 500}
    )
    assert create(api, "9876543210", stream=OTHER_STREAM).status_code == 500
    assert create(api, "9876543210").status_code == 200
    assert api.client.get(base(OTHER_STREAM), headers=api.headers()).status_code == 500  # '*'


def test_a_fault_for_an_app_hits_only_requests_with_its_valid_token(control, api):
    control.put(
        f"/__mock__/faults/listContacts?clientId={ONE_STREAM_APP.client_id}",
        json={"errorStatus": 502},
    )
    mine = api.as_app(ONE_STREAM_APP)
    assert mine.client.get(base(OTHER_STREAM), headers=mine.headers()).status_code == 502
    assert api.client.get(base(OTHER_STREAM), headers=api.headers()).status_code == 200
    forged = {**mine.headers(), "auth": mine.token[:-3] + "xyz"}  # its appId, a bad signature
    assert api.client.get(base(OTHER_STREAM), headers=forged).status_code == 401


def test_the_most_specific_scope_wins_and_unscoped_faults_still_apply(control, api):
    control.set_fault("createContacts", errorStatus=500)  # everyone
    control.put("/__mock__/faults/*?scenario=job-a", json={"errorStatus": 418})
    assert create(api, "9876543210", A).status_code == 418  # its scenario's '*' comes first
    assert create(api, "9876543210", B).status_code == 500  # job-b has no fault: everyone's
    assert api.client.get(base(), headers={**api.headers(), **B}).status_code == 200


def test_a_rate_limit_for_a_scenario_counts_its_requests_apart(control, api):
    answer = control.patch(
        "/__mock__/settings?scenario=job-a", json={"rateLimit": {"enabled": True, "perMinute": 2}}
    ).get_json()
    assert answer["rateLimit"] == {"enabled": True, "perMinute": 2}
    assert answer["scope"] == {"scenario": "job-a"}
    assert control.get("/__mock__/settings").get_json()["rateLimit"]["enabled"] is False
    statuses = [
        api.client.get(base(), headers={**api.headers(), **A}).status_code for _ in range(3)
    ]
    assert statuses == [200, 200, 429]
    assert all(api.client.get(base(), headers=api.headers()).status_code == 200 for _ in range(4))


def test_in_a_scope_an_operations_own_fault_wins_over_every_operations(control, api):
    control.put("/__mock__/faults/%2A?scenario=job-a", json={"errorStatus": 503})
    own = {"errorStatus": 502, "errorMessage": "own"}
    control.put("/__mock__/faults/listContacts?scenario=job-a", json=own)
    answer = api.client.get(base(), headers={**api.headers(), **A})
    assert answer.status_code == 502 and answer.get_json()["errors"][0]["msg"] == "own"
    created = api.client.post(base(), headers={**api.headers(), **A}, json=[])
    assert created.status_code == 503  # the other operations meet the scope's *


def test_two_scenarios_rate_limits_count_each_its_own_requests(control, api):
    """(The scopes' counts apart were only seen with one scoped limit: a shared counter passed.)"""
    for scenario in ("job-a", "job-b"):
        limit = {"rateLimit": {"enabled": True, "perMinute": 2}}
        assert (
            control.patch(f"/__mock__/settings?scenario={scenario}", json=limit).status_code == 200
        )
    control.settings(rateLimit={"enabled": True, "perMinute": 2})  # everyone's, counted apart too

    def statuses(extra: dict[str, str], count: int) -> list[int]:
        headers = {**api.headers(), **extra}
        return [api.client.get(base(), headers=headers).status_code for _ in range(count)]

    assert statuses(A, 2) == [200, 200]
    assert statuses(B, 3) == [200, 200, 429]
    assert statuses({}, 3) == [200, 200, 429]
    assert statuses(A, 1) == [429]


def test_an_import_policy_for_a_scenario(control, api):
    control.patch("/__mock__/settings?scenario=job-a", json={"importPolicy": "reject"})
    assert create(api, "9876543210").status_code == 200
    assert create(api, "9876543210", A).status_code == 400  # the held number: reject
    assert create(api, "9876543210", B).status_code == 200  # skip: left out, 200
    scoped = control.get("/__mock__/settings?scenario=job-a").get_json()
    assert scoped["importPolicy"] == "reject"
    assert control.get("/__mock__/settings?scenario=job-b").get_json()["importPolicy"] == "skip"


def test_scopes_are_listed_forgotten_and_reset(control, api):
    control.put("/__mock__/faults/createContacts?scenario=job-a", json={"errorStatus": 503})
    control.patch("/__mock__/settings?scenario=job-b", json={"importPolicy": "reject"})
    listed = control.get("/__mock__/scopes").get_json()["scopes"]
    assert [s["scope"] for s in listed] == [{"scenario": "job-a"}, {"scenario": "job-b"}]
    assert listed[1]["readings"] == {"profile": {"importPolicy": "reject"}}
    assert control.delete("/__mock__/scopes?scenario=job-a").get_json() == {"forgotten": 1}
    assert create(api, "9876543210", A).status_code == 200
    assert control.delete("/__mock__/faults/createContacts?scenario=job-a").status_code == 404
    control.post("/__mock__/reset")
    assert control.get("/__mock__/scopes").get_json() == {"scopes": []}


def test_clearing_one_scopes_faults_leaves_the_others(control, api):
    control.put("/__mock__/faults/createContacts?scenario=job-a", json={"errorStatus": 503})
    control.put("/__mock__/faults/createContacts?scenario=job-b", json={"errorStatus": 504})
    control.set_fault("listContacts", errorStatus=500)
    control.delete("/__mock__/faults?scenario=job-a")
    assert create(api, "9876543210", A).status_code == 200
    assert create(api, "9876543211", B).status_code == 504
    control.delete("/__mock__/faults")  # every fault, every scope's too
    assert create(api, "9876543212", B).status_code == 200
    assert api.list().status_code == 200


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("scenario=a&clientId=b", "Name one scope"),
        (f"accountId={ACCOUNT}", "needs both accountId and streamId"),
        ("scenario=" + "x" * 101, "scenario"),
        ("scenario=no%20spaces", "scenario"),
    ],
)
def test_a_bad_scope_is_refused(control, query, message):
    response = control.put(f"/__mock__/faults/createContacts?{query}", json={"errorStatus": 503})
    assert response.status_code == 400
    assert message in response.get_json()["errors"][0]["msg"]
    assert control.get("/__mock__/scopes").get_json() == {"scopes": []}


def test_a_malformed_scenario_header_is_ignored(control, api):
    control.put("/__mock__/faults/createContacts?scenario=job-a", json={"errorStatus": 503})
    assert create(api, "9876543210", {"X-Mock-Scenario": "job a!"}).status_code == 200
    entry = control.get("/__mock__/journal?limit=1").get_json()["entries"][0]
    assert "scenario" not in entry


def test_a_snapshot_carries_the_scopes(control, api):
    control.put("/__mock__/faults/createContacts?scenario=job-a", json={"errorStatus": 503})
    control.patch(f"/__mock__/settings?clientId={ONE_STREAM_APP.client_id}",
                  json={"importPolicy": "reject"})  # fmt: skip
    create(api, "9876543210", A)
    body = control.get("/__mock__/snapshot?journal=true").get_data()
    before = control.get("/__mock__/scopes").get_json()
    control.post("/__mock__/reset")
    assert (
        control.put("/__mock__/snapshot", data=body, content_type="application/json").status_code
        == 200
    )
    assert control.get("/__mock__/scopes").get_json() == before
    assert control.verify(scenario="job-a", count=1).status_code == 200
    assert create(api, "9876543211", A).status_code == 503


def test_the_cli_journal_filters_on_a_scenario(app, api):
    from click.testing import CliRunner

    from mockserver.cli import main
    from tests.live import threaded_server

    create(api, "9876543210", A)
    create(api, "9876543211", B)
    with threaded_server(app) as url:
        result = CliRunner().invoke(
            main, ["journal", "--url", url, "--scenario", "job-a", "--count", "1"]
        )
        listed = CliRunner().invoke(
            main, ["journal", "--url", url, "--scenario", "job-b", "--json"]
        )
    assert result.exit_code == 0 and "OK: 1 matching" in result.output
    assert [e["scenario"] for e in json.loads(listed.output)] == ["job-b"]


def test_the_journal_export_and_the_cli_keep_to_a_scenario_or_a_namespace(app, api, control):
    """A shared server's journal exported for one job holds that job's requests only (the
    export once ignored the scenario and namespace filters and wrote every entry)."""
    from click.testing import CliRunner

    from mockserver.cli import main
    from tests.live import threaded_server

    create(api, "9876543210", A)
    create(api, "9876543211", B)
    create(api, "9876543212", stream=OTHER_STREAM)

    def exported(query: str) -> list[str]:
        text = control.get("/__mock__/journal/export?" + query).get_data(as_text=True)
        return [json.loads(line)["request"]["path"] for line in text.splitlines()]

    assert exported("scenario=job-a") == [base()]
    assert exported(f"accountId={ACCOUNT}&streamId={OTHER_STREAM}") == [base(OTHER_STREAM)]
    assert len(exported("")) == 3
    assert control.get(f"/__mock__/journal/export?accountId={ACCOUNT}").status_code == 400
    with threaded_server(app) as url:
        runner = CliRunner()
        to_file = runner.invoke(
            main, ["journal", "--url", url, "--scenario", "job-b", "--export", "-"]
        )
        in_stream = runner.invoke(
            main,
            ["journal", "--url", url, "--account", ACCOUNT, "--stream", OTHER_STREAM, "--json"],
        )
        counted = runner.invoke(
            main,
            ["journal", "--url", url, "--account", ACCOUNT, "--stream", STREAM, "--count", "2"],
        )
        half = runner.invoke(main, ["journal", "--url", url, "--account", ACCOUNT])
    sent = [json.loads(line)["request"]["headers"] for line in to_file.output.splitlines()]
    assert [{k.lower(): v for k, v in h.items()}["x-mock-scenario"] for h in sent] == ["job-b"]
    assert [e["namespace"]["streamId"] for e in json.loads(in_stream.output)] == [OTHER_STREAM]
    assert counted.exit_code == 0 and "OK: 2 matching" in counted.output
    assert half.exit_code == 2 and "--account and --stream" in half.output


def test_a_store_of_schema_2_gains_the_journal_scenario(tmp_path):
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)")
    for statements in MIGRATIONS[:2]:
        for statement in statements:
            conn.execute(statement)
    conn.execute("INSERT INTO meta VALUES ('schema_version', '2')")
    conn.execute(
        "INSERT INTO journal (at, operation, status, entry) VALUES"
        " ('2026-01-01T00:00:00.000Z', 'listContacts', 200, '{\"at\": \"x\", \"status\": 200}')"
    )
    conn.commit()
    conn.close()
    store = open_store(str(path))
    try:
        assert store.journal_count() == 1
        assert store.journal_count(JournalFilter(scenario="job-a")) == 0
        store.journal_add(
            {"at": "2026-01-01T00:00:01.000Z", "status": 200, "scenario": "job-a"}, keep=10
        )
        assert store.journal_count(JournalFilter(scenario="job-a")) == 1
    finally:
        store.close()


# -- the tenant profile, scoped -------------------------------------------------------------

INVALID = [{"firstName": "a", "lastName": "b", "cellPhone": {"phoneNumber": "9876543210"}}]


def post_invalid(api, headers=None, stream: str = STREAM):
    """A create without salutation and extension: refused with the profile's validationStatus."""
    return api.client.post(base(stream), headers={**api.headers(), **(headers or {})}, json=INVALID)


def test_a_profile_for_a_scenario_answers_only_its_requests_that_way(control, api):
    answer = control.put("/__mock__/profile?scenario=job-a", json={"validationStatus": 400})
    state = answer.get_json()
    assert state["scope"] == {"scenario": "job-a"} and state["scoped"] == {"validationStatus": 400}
    assert state["profile"]["validationStatus"] == 400
    set_by = {reading["name"]: reading["setBy"] for reading in state["readings"]}
    assert set_by["validationStatus"] == "runtime" and set_by["notFoundStatus"] == "default"
    assert control.get("/__mock__/profile").get_json()["profile"]["validationStatus"] == 412
    assert post_invalid(api, A).status_code == 400
    assert post_invalid(api, B).status_code == 412
    assert post_invalid(api).status_code == 412
    entries = control.get("/__mock__/journal?scenario=job-a").get_json()["entries"]
    assert [(e["status"], e["scenario"]) for e in entries] == [(400, "job-a")]


def test_a_scopes_profile_lies_over_everyones_and_goes_with_an_empty_put(control, api):
    control.put("/__mock__/profile?scenario=job-a", json={"validationStatus": 400})
    control.put("/__mock__/profile", json={"notFoundStatus": 400})  # everyone's
    scoped = control.get("/__mock__/profile?scenario=job-a").get_json()["profile"]
    assert (scoped["validationStatus"], scoped["notFoundStatus"]) == (400, 400)
    control.put("/__mock__/profile", json={})  # everyone's back to start-up; job-a's stays
    assert post_invalid(api, A).status_code == 400
    listed = control.get("/__mock__/scopes").get_json()["scopes"]
    assert listed == [
        {
            "scope": {"scenario": "job-a"},
            "faults": {},
            "readings": {"profile": {"validationStatus": 400}},
        }
    ]
    assert control.put("/__mock__/profile?scenario=job-a", json={}).get_json()["scoped"] == {}
    assert post_invalid(api, A).status_code == 412
    assert control.get("/__mock__/scopes").get_json() == {"scopes": []}


def test_a_profile_for_a_namespace_and_the_import_policy_is_one_of_its_readings(control, api):
    ns = f"accountId={ACCOUNT}&streamId={OTHER_STREAM}"
    control.put(f"/__mock__/profile?{ns}", json={"validationStatus": 400})
    assert post_invalid(api, stream=OTHER_STREAM).status_code == 400
    assert post_invalid(api, A, stream=OTHER_STREAM).status_code == 400  # a scenario sets none
    assert post_invalid(api).status_code == 412
    control.patch(f"/__mock__/settings?{ns}", json={"importPolicy": "reject"})
    profile = control.get(f"/__mock__/profile?{ns}").get_json()
    assert profile["scoped"] == {"validationStatus": 400, "importPolicy": "reject"}
    assert control.get("/__mock__/settings").get_json()["importPolicy"] == "skip"


def test_a_bad_scoped_profile_is_refused_and_changes_nothing(control, api):
    for body in ({"validationStatus": 401}, {"noSuchReading": 1}):
        refused = control.put("/__mock__/profile?scenario=job-a", json=body)
        assert refused.status_code == 400, refused.get_json()
    both = control.put("/__mock__/profile?scenario=job-a&clientId=x", json={})
    assert both.status_code == 400 and "Name one scope" in both.get_json()["errors"][0]["msg"]
    assert control.get("/__mock__/scopes").get_json() == {"scopes": []}


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/__mock__/settings"),
        ("GET", "/__mock__/profile"),
        ("GET", "/__mock__/faults"),
        ("DELETE", "/__mock__/faults"),
    ],
)
@pytest.mark.parametrize("query", ["scenario=a&clientId=b", "scenario=-bad"])
def test_two_scopes_or_a_malformed_one_is_a_400_the_contract_lists(control, method, path, query):
    """These 400s were answered but not in control-openapi.yaml (the control fixture checks
    every answer against it)."""
    response = control.call(method, f"{path}?{query}")
    assert response.status_code == 400, response.get_json()


def test_a_scoped_profiles_readings_list_shows_the_scopes_values(control):
    state = control.put(
        "/__mock__/profile?scenario=job-a", json={"validationStatus": 400}
    ).get_json()
    value = {reading["name"]: reading["value"] for reading in state["readings"]}
    assert value["validationStatus"] == 400 == state["profile"]["validationStatus"]
    again = control.get("/__mock__/profile?scenario=job-a").get_json()
    assert {r["name"]: r["value"] for r in again["readings"]}["validationStatus"] == 400
    everyone = control.get("/__mock__/profile").get_json()
    assert {r["name"]: r["value"] for r in everyone["readings"]}["validationStatus"] == 412
