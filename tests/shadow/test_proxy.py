"""The shadowing proxy in front of a stand-in tenant (``kore-mock serve`` on loopback)."""

from __future__ import annotations

import json

import requests

from mockserver.auth import mint_token
from mockserver.settings import App, Settings
from mockserver.shadow.mirror import Mirror
from mockserver.shadow.wire import HttpRequest, HttpResponse
from tests.live import kore_mock_serve
from tests.shadow.conftest import (
    API,
    Tenant,
    all_seven,
    divergent_settings,
    fictitious,
    person,
    shadow,
    shadowing,
)

ACCOUNT = "63c7ebae6a2aef36de8f0001"


def test_an_import_with_a_duplicate_row_differs_in_status_in_front_of_a_divergent_host(
    divergent_host,
):
    with shadowing(divergent_host) as (url, _):
        tenant = Tenant(url)
        number = fictitious()
        answer = tenant.import_rows(("Ada", "Lovelace", *number), ("Grace", "Hopper", *number))
        assert answer.status_code == 400  # the caller gets the host's answer (policy reject)
        report = shadow(url)
    assert report["exchanges"] == 1 and report["differing"] == 1
    item = report["items"][0]
    assert item["operation"] == "importContacts"
    assert item["upstream"] == {"status": 400} and item["mock"]["status"] == 200
    by_path = {d["path"]: d for d in item["differences"]}
    assert by_path["status"]["upstream"] == 400 and by_path["status"]["mock"] == 200
    assert by_path["created"]["upstream"] == 0 and by_path["created"]["mock"] == 1
    assert isinstance(item["journalId"], int)


def test_all_seven_operations_show_no_difference_when_the_host_reads_alike(default_host):
    with shadowing(default_host) as (url, _):
        all_seven(Tenant(url))
        report = shadow(url)
    assert report["exchanges"] == 8
    assert report["differing"] == 0, json.dumps(report["items"], indent=1)
    operations = {i["operation"] for i in report["items"]}
    assert operations == {
        "createContacts",
        "importContacts",
        "listContacts",
        "updateContact",
        "bulkUpdateContacts",
        "deleteContact",
        "bulkDeleteContacts",
    }


def test_the_caller_gets_the_upstream_answer_byte_for_byte(default_host):
    direct = Tenant(default_host)
    assert direct.create(person("Ada", "Lovelace", fictitious())).status_code == 200
    with shadowing(default_host) as (url, _):
        through = Tenant(url, stream=direct.stream)
        proxied = through.list(limit=5)
    straight = direct.list(limit=5)
    assert proxied.status_code == straight.status_code == 200
    assert proxied.content == straight.content
    assert proxied.headers["Content-Type"] == straight.headers["Content-Type"]


def test_a_request_the_upstream_refuses_with_401_is_not_applied_to_the_mock(default_host):
    stranger = App("cs-stranger", "s" * 40, "63c7ebae6a2aef36de8f0001")
    with shadowing(default_host) as (url, _):
        tenant = Tenant(url, token=mint_token(stranger))
        assert tenant.create(person("Eve", "Intruder", fictitious())).status_code == 401
        report = shadow(url)
        journal = requests.get(url + "/__mock__/journal", timeout=5).json()["entries"]
    item = report["items"][0]
    assert item["upstream"] == {"status": 401}
    assert item["mock"] == {"status": 401, "applied": False} and item["differences"] == []
    assert journal == []  # the mock never saw it


def test_a_request_the_upstream_rate_limited_with_429_is_not_applied_to_the_mock():
    mirror = Mirror(Settings(db=":memory:"))
    try:
        body = json.dumps([person("Ada", "Lovelace", fictitious())]).encode()
        headers = (("accountId", ACCOUNT), ("auth", "x.y.z"), ("Content-Type", "application/json"))
        sent = HttpRequest("POST", f"{API}/st-1/contacts", headers=headers, body=body)
        limited = {"errors": [{"msg": "You've exceeded the per-minute rate limit.", "code": 429}]}
        json_type = (("Content-Type", "application/json"),)
        shadowed = mirror.apply(sent, HttpResponse(429, json_type, json.dumps(limited).encode()))
        assert not shadowed.applied and shadowed.differences == []
        assert shadowed.note == "the host rate-limited it (429)"
        assert mirror.app.test_client().get("/__mock__/journal").get_json()["entries"] == []
    finally:
        mirror.close()


def test_a_head_request_gets_the_upstreams_content_length(default_host):
    direct = Tenant(default_host)
    straight = direct.http.head(direct.base, headers=direct.headers(), timeout=10)
    with shadowing(default_host) as (url, _):
        through = Tenant(url, stream=direct.stream)
        proxied = through.http.head(through.base, headers=through.headers(), timeout=10)
    assert proxied.status_code == straight.status_code == 200
    assert int(straight.headers["Content-Length"]) > 0
    assert proxied.headers["Content-Length"] == straight.headers["Content-Length"]
    assert proxied.content == b""


def test_the_mirror_follows_the_host_after_they_part(divergent_host):
    """The import the host refused whole left the mock with contacts; the mirror drops them,
    so later exchanges compare equal again."""
    with shadowing(divergent_host) as (url, _):
        tenant = Tenant(url)
        number = fictitious()
        tenant.import_rows(("Ada", "Lovelace", *number), ("Grace", "Hopper", *number))
        created = tenant.create(person("Alan", "Turing", fictitious()))
        listed = tenant.list()
        report = shadow(url)
    assert created.status_code == listed.status_code == 200
    assert listed.json()["totalResults"] == 1
    assert [i["operation"] for i in report["items"]] == [
        "listContacts",
        "createContacts",
        "importContacts",
    ]
    assert report["differing"] == 1  # the import only


def test_a_mock_reading_as_the_host_does_shows_no_difference(divergent_host):
    with shadowing(divergent_host, divergent_settings()) as (url, _):
        tenant = Tenant(url)
        number = fictitious()
        tenant.import_rows(("Ada", "Lovelace", *number), ("Grace", "Hopper", *number))
        all_seven(tenant)
        report = shadow(url)
    assert report["exchanges"] == 9 and report["differing"] == 0, report["items"]


def test_shadow_lists_only_differing_exchanges_when_asked(divergent_host):
    with shadowing(divergent_host) as (url, _):
        tenant = Tenant(url)
        number = fictitious()
        tenant.list()
        tenant.import_rows(("Ada", "Lovelace", *number), ("Grace", "Hopper", *number))
        differing = shadow(url, differing="true")
    assert differing["exchanges"] == 2 and differing["differing"] == 1
    assert [i["operation"] for i in differing["items"]] == ["importContacts"]


def test_an_upstream_that_does_not_answer_is_a_502_in_the_envelope():
    with shadowing("http://127.0.0.1:9") as (url, _):
        answer = Tenant(url).list()
        report = shadow(url)
    assert answer.status_code == 502
    assert answer.json()["errors"][0]["code"] == 502
    assert report["items"][0]["upstream"] == {"status": 0}
    assert report["items"][0]["mock"]["applied"] is False


def test_the_control_plane_of_the_proxy_is_its_mock_and_never_reaches_the_upstream(default_host):
    with shadowing(default_host) as (url, _):
        tenant = Tenant(url)
        tenant.create(person("Ada", "Lovelace", fictitious()))
        namespaces = requests.get(url + "/__mock__/namespaces", timeout=5).json()
        reset = requests.post(url + "/__mock__/reset", timeout=5)
        after = shadow(url)
    streams = [n["streamId"] for n in namespaces["namespaces"]]
    assert streams == [tenant.stream]  # the mirror's state, not the host's other tests
    assert reset.status_code == 200 and after["exchanges"] == 0


def test_an_update_the_host_refused_is_undone_in_the_mirror(tmp_path):
    with kore_mock_serve("--db", ":memory:", cwd=tmp_path) as host, shadowing(host) as (url, _):
        tenant = Tenant(url)
        first, second = (
            c["id"]
            for c in tenant.create(
                person("Ada", "Lovelace", fictitious()), person("Alan", "Turing", fictitious())
            ).json()
        )
        for operation in ("updateContact", "bulkUpdateContacts"):
            fault = {"errorStatus": 412, "errorMessage": "Validation errors/ Invalid arguments"}
            requests.put(f"{host}/__mock__/faults/{operation}", json=fault, timeout=5)
        assert tenant.update(first, {"firstName": "Augusta"}).status_code == 412
        assert tenant.bulk_update({"id": second, "lastName": "M"}).status_code == 412
        requests.delete(f"{host}/__mock__/faults", timeout=5)
        listed = tenant.list()
        report = shadow(url)
    assert [c["firstName"] for c in listed.json()["results"]] == ["Ada", "Alan"]
    updates, listing = report["items"][1:3][::-1], report["items"][0]
    assert [i["operation"] for i in updates] == ["updateContact", "bulkUpdateContacts"]
    assert all(i["differences"][0]["path"] == "status" for i in updates)
    assert "undone" in updates[0]["note"] and "undone" in updates[1]["note"]
    assert listing["operation"] == "listContacts" and listing["differences"] == []


def test_a_chunked_request_reaches_the_mirror_whole_and_shows_no_difference(default_host):
    """(The mirror got the client's Transfer-Encoding: chunked over a body already read whole,
    read nothing and answered 412 "the request body is required": a false difference, and a
    contact the host holds missing from the mirror.)"""
    with shadowing(default_host) as (url, _):
        tenant = Tenant(url)
        body = json.dumps([person("Ada", "Lovelace", fictitious())]).encode()
        headers = tenant.headers(**{"Content-Type": "application/json"})
        answer = tenant.http.post(tenant.base, data=iter([body]), headers=headers)  # chunked
        assert answer.request.headers["Transfer-Encoding"] == "chunked"
        assert answer.status_code == 200, answer.text
        assert tenant.list().json()["totalResults"] == 1
        report = shadow(url)
    assert report["exchanges"] == 2 and report["differing"] == 0, report["items"]
    assert report["items"][-1]["mock"] == {"status": 200, "applied": True}
