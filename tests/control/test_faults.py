"""Faults per operation: latency, error status at a rate, a dropped connection."""

from __future__ import annotations

import io
import time

import pytest

from tests.conftest import base, csv_file, person
from tests.spec_check import assert_envelope

DATA = csv_file("a,b,Mr,9876543210,+91,")


def raw_import(api, data=DATA):
    """An import through the test client, not checked against openapi.yaml (faults need not be)."""
    return api.client.post(
        base() + "/import-contacts",
        headers=api.headers(),
        data={"result_file": (io.BytesIO(data), "contacts.csv", "text/csv")},
        content_type="multipart/form-data",
    )


def test_fault_on_import_hits_the_next_import_and_not_the_other_operations(control, api):
    body = control.set_fault(
        "importContacts", errorStatus=503, errorMessage="Service down"
    ).get_json()
    assert body == {"errorStatus": 503, "errorRate": 1, "errorMessage": "Service down"}
    response = raw_import(api)
    assert response.status_code == 503
    assert response.get_json() == {"errors": [{"msg": "Service down", "code": 503}]}
    assert api.list().get_json()["totalResults"] == 0  # nothing was imported
    assert api.create([person("a", "b", "9876543210")]).status_code == 200
    assert api.list().status_code == 200
    entry = control.get("/__mock__/journal?operation=importContacts").get_json()["entries"][0]
    assert entry["status"] == 503 and entry["fault"] == {"errorStatus": 503}
    assert entry["caller"] == api.app.client_id  # the app, though the view never ran


def test_a_faulted_request_without_a_valid_token_is_journaled_without_a_caller(control, api):
    control.set_fault("listContacts", errorStatus=503)
    assert api.client.get(base(), headers={**api.headers(), "auth": "forged"}).status_code == 503
    assert control.get("/__mock__/journal?limit=1").get_json()["entries"][0]["caller"] is None


def test_fault_without_a_message_says_it_was_injected(control, api):
    control.set_fault("listContacts", errorStatus=500)
    response = api.client.get(base(), headers=api.headers())
    assert response.status_code == 500
    assert_envelope(response.get_json())
    assert "Injected fault" in response.get_json()["errors"][0]["msg"]


def test_fixed_latency_delays_the_operation_and_is_journaled(control, api):
    control.set_fault("listContacts", latencyMs=150)
    started = time.perf_counter()
    assert api.list().status_code == 200
    assert time.perf_counter() - started >= 0.15  # a lower bound: a busy machine only adds
    entry = control.get("/__mock__/journal?limit=1").get_json()["entries"][0]
    assert entry["fault"] == {"latencyMs": 150} and entry["latencyMs"] >= 150
    assert api.create([person("a", "b", "9876543210")]).status_code == 200
    entry = control.get("/__mock__/journal?limit=1").get_json()["entries"][0]
    assert entry["operation"] == "createContacts" and "fault" not in entry  # not delayed


def test_random_latency_stays_between_its_bounds(control, api):
    control.set_fault("listContacts", latencyMs=1, latencyMaxMs=30)
    for _ in range(8):
        api.list()
    delays = [
        e["fault"]["latencyMs"] for e in control.get("/__mock__/journal").get_json()["entries"]
    ]
    assert len(delays) == 8 and all(1 <= d <= 30 for d in delays)
    assert len(set(delays)) > 1


def test_error_rate_zero_never_fails_and_one_always_fails(control, api):
    control.set_fault("listContacts", errorStatus=502, errorRate=0)
    assert all(api.list().status_code == 200 for _ in range(5))
    control.set_fault("listContacts", errorStatus=502, errorRate=1)
    assert all(api.client.get(base(), headers=api.headers()).status_code == 502 for _ in range(5))


def test_error_rate_fails_about_that_share_of_calls(control, api):
    control.set_fault("listContacts", errorStatus=503, errorRate=0.5)
    statuses = [api.client.get(base(), headers=api.headers()).status_code for _ in range(200)]
    assert 50 <= statuses.count(503) <= 150  # binomial(200, 0.5): outside is ~1e-12 likely


def test_fault_for_every_operation_yields_to_an_operation_s_own(control, api):
    control.put("/__mock__/faults/%2A", json={"errorStatus": 500})
    control.set_fault("listContacts", latencyMs=1)
    assert api.list().status_code == 200
    assert raw_import(api).status_code == 500
    faults = control.get("/__mock__/faults").get_json()["faults"]
    assert set(faults) == {"*", "listContacts"}


def test_dropped_connection_sends_no_response(control, api):
    control.set_fault("listContacts", dropConnection=True)
    with pytest.raises(ConnectionError):  # the test client has no socket: the body aborts
        api.client.get(base(), headers=api.headers())
    entry = control.get("/__mock__/journal").get_json()["entries"][0]
    assert entry["status"] == 0 and entry["fault"] == {"dropConnection": True}
    assert control.verify(status=0, count=1).status_code == 200


def test_a_drop_rate_of_zero_drops_nothing_and_one_drops_every_call(control, api):
    control.set_fault("listContacts", dropConnection=True, dropRate=0)
    assert all(api.list().status_code == 200 for _ in range(5))
    control.set_fault("listContacts", dropConnection=True, dropRate=1)
    for _ in range(3):
        with pytest.raises(ConnectionError):
            api.client.get(base(), headers=api.headers())


def test_faults_are_switched_off_one_by_one_or_all(control, api):
    control.set_fault("listContacts", errorStatus=500)
    control.set_fault("createContacts", errorStatus=500)
    left = control.delete("/__mock__/faults/listContacts").get_json()
    assert set(left["faults"]) == {"createContacts"}
    assert api.list().status_code == 200
    assert control.delete("/__mock__/faults/listContacts").status_code == 404
    assert control.delete("/__mock__/faults").get_json() == {"faults": {}}
    assert api.create([person("a", "b", "9876543210")]).status_code == 200


@pytest.mark.parametrize(
    "fault",
    [
        {},
        {"latencyMs": 0},
        {"latencyMs": 100, "latencyMaxMs": 10},
        {"errorStatus": 200},
        {"errorStatus": 500, "errorRate": 1.5},
        {"errorRate": 0.5},
        {"dropRate": 0.5},
        {"latencyMs": 60001},
        {"latencyMs": 1, "colour": "red"},
    ],
)
def test_bad_faults_are_refused(control, fault):
    response = control.set_fault("listContacts", **fault)
    assert response.status_code == 400
    assert control.get("/__mock__/faults").get_json()["faults"] == {}


def test_fault_for_an_unknown_operation_is_refused(control):
    assert control.set_fault("getContact", errorStatus=500).status_code == 400


def test_control_plane_is_never_faulted(control):
    control.put("/__mock__/faults/%2A", json={"errorStatus": 500, "dropConnection": True})
    assert control.get("/__mock__/health").status_code == 200


def test_unknown_paths_are_not_faulted(control, api):
    control.put("/__mock__/faults/%2A", json={"errorStatus": 500})
    assert api.client.get("/nowhere", headers=api.headers()).status_code == 404


@pytest.mark.parametrize("scope", ["", "?scenario=job-1"])
def test_an_error_status_sent_as_503_0_is_injected_as_503_and_journaled(control, api, scope):
    # JSON does not tell 503 from 503.0, nor does the schema: it was stored as a float, and
    # every faulted call answered 500 (a traceback) and was not journaled
    fault = control.set_fault("createContacts" + scope, errorStatus=503.0, latencyMs=1.0)
    assert fault.get_data(as_text=True) == '{"latencyMs":1,"errorStatus":503,"errorRate":1.0}'
    headers = {**api.headers(), "X-Mock-Scenario": "job-1"}
    response = api.client.post(base(), headers=headers, json=[person("a", "b", "9876543210")])
    assert response.status_code == 503
    assert response.get_json()["errors"][0]["msg"] == "Injected fault: HTTP 503"
    entry = control.get("/__mock__/journal?limit=1").get_json()["entries"][0]
    assert (entry["operation"], entry["status"]) == ("createContacts", 503)


def test_a_fault_stored_with_float_integers_by_an_older_version_is_served(app, api):
    """A store written before the control plane took 503.0 as 503 may hold it: it was a 500."""
    from mockserver.mock import mock_of

    store = mock_of(app).store
    store.update_state(
        "faults",
        lambda _: {
            "listContacts": {"errorStatus": 503.0, "trickle": {"totalMs": 1.0, "chunks": 2.0}}
        },
    )
    response = api.client.get(base(), headers=api.headers())
    assert response.status_code == 503, response.get_data()
    assert_envelope(response.get_json())


def test_a_fault_for_an_unknown_operation_names_the_operations_there_are(control):
    """(It said "'nope' is not valid under any of the given schemas".)"""
    response = control.set_fault("nope", errorStatus=503)
    assert response.status_code == 400
    assert_envelope(response.get_json())
    msg = response.get_json()["errors"][0]["msg"]
    assert msg.endswith(
        'operation: value: "nope" is neither * nor an operationId: importContacts, '
        "createContacts, listContacts, updateContact, bulkUpdateContacts, deleteContact, "
        "bulkDeleteContacts"
    )
