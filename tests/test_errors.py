"""Every error is JSON in Kore's envelope: no HTML pages, no stack traces."""

import json

from mockserver.mock import mock_of
from tests.conftest import ACCOUNT, STREAM, base, person


def test_unknown_path_is_404_envelope(api):
    response = api.call("GET", "/agentassist/api/v1/public/st-1/nothing-here")
    assert response.status_code == 404
    assert response.get_json()["errors"][0]["code"] == 404


def test_root_is_404_envelope(api):
    assert api.call("GET", "/").status_code == 404


def test_wrong_method_is_405_with_allow(api):
    response = api.call("PATCH", base())
    assert response.status_code == 405
    assert response.get_json() == {"errors": [{"msg": "Method Not Allowed", "code": 405}]}
    assert set(response.headers["Allow"].replace(" ", "").split(",")) >= {"GET", "POST"}


def test_unexpected_failure_is_500_envelope_without_traceback(api, app, monkeypatch):
    def explode(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(mock_of(app).service, "list", explode)
    response = api.call("GET", base())
    assert response.status_code == 500
    text = response.get_data(as_text=True)
    assert "secret internals" not in text and "Traceback" not in text


def test_a_malformed_stream_id_is_invalid_sdk_credentials_as_kores_platform_answers(api):
    response = api.call("GET", "/agentassist/api/v1/public/not-a-stream/contacts")
    assert response.status_code == 401
    assert response.get_json()["errors"][0] == {"msg": "Invalid SDK credentials", "code": 4002}


def test_half_a_surrogate_pair_in_a_json_body_is_a_400_envelope_and_stores_nothing(api, client):
    """``"\\ud800"`` is valid JSON syntax naming no character: a 400 like any unreadable body
    (it once reached the schema check and answered 500), on every path that reads JSON."""
    contact = api.create([person("a", "b", "9876543210")]).get_json()[0]
    broken = json.dumps(person("x", "b", "9876543211")).replace('"x"', '"x\\ud800"')
    requests = [
        ("POST", base(), f"[{broken}]"),
        ("PUT", f"{base()}/{contact['id']}", '{"lastName": "\\udfff"}'),
        ("PUT", base() + "/bulk-update", f'[{{"id": "{contact["id"]}", "lastName": "\\udfff"}}]'),
        ("DELETE", base() + "/bulk-delete", '{"ids": ["\\ud800"]}'),
        ("POST", base(), '[{"\\ud800": 1}]'),
    ]
    for method, path, body in requests:
        response = api.call(method, path, data=body, content_type="application/json")
        assert response.status_code == 400, (method, path, response.get_data())
        assert "surrogate pair" in response.get_json()["errors"][0]["msg"]
    seeded = client.post(
        f"/__mock__/namespaces/{ACCOUNT}/{STREAM}/seed",
        data=f'{{"contacts": [{broken}]}}',
        content_type="application/json",
    )
    assert seeded.status_code == 400 and "errors" in seeded.get_json()
    assert api.list().get_json()["results"] == [contact]


def test_another_http_error_keeps_its_own_status_in_the_envelope(client):
    """A console file asked for a range past its end: werkzeug's 416, in Kore's envelope,
    with its status in both places (it was a 400 only if the status were dropped)."""
    response = client.get("/__mock__/ui/static/console.css", headers={"Range": "bytes=99999999-"})
    assert response.status_code == 416
    [error] = response.get_json()["errors"]
    assert error["code"] == 416 and "range" in error["msg"]
