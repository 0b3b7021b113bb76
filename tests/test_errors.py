"""Every error is JSON in Kore's envelope: no HTML pages, no stack traces."""

from mockserver.mock import mock_of
from tests.conftest import base


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
