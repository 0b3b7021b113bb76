"""Apps at run time: list (secrets only when asked), add, remove, rotate a secret."""

from __future__ import annotations

from urllib.parse import quote

from mockserver.auth import mint_token
from mockserver.mock import mock_of
from mockserver.runtime import APPS_KEY
from mockserver.settings import DEV_APP, App
from tests.conftest import ACCOUNT, OTHER_ACCOUNT

NEW_APP = {"clientId": "cs-ci-pipeline", "accountId": ACCOUNT, "streams": ["*"]}


def as_app(api, body):
    return api.as_app(App.from_dict({k: v for k, v in body.items() if k != "name"}))


def test_apps_are_listed_without_secrets_unless_asked(control):
    apps = control.get("/__mock__/apps").get_json()["apps"]
    assert DEV_APP.client_id in [a["clientId"] for a in apps]
    assert all("clientSecret" not in a for a in apps)
    with_secrets = control.get("/__mock__/apps?secrets=true").get_json()["apps"]
    assert with_secrets[0]["clientSecret"] == DEV_APP.client_secret


def test_added_app_gets_a_generated_secret_that_signs_valid_tokens(control, api):
    response = control.post("/__mock__/apps", json=NEW_APP)
    assert response.status_code == 201
    body = response.get_json()
    assert len(body["clientSecret"]) >= 32 and body["scopes"] == ["Configuration"]
    assert as_app(api, body).list().status_code == 200


def test_added_app_keeps_a_given_secret_and_scopes(control, api):
    secret = "x" * 40
    body = control.post(
        "/__mock__/apps", json={**NEW_APP, "clientSecret": secret, "scopes": ["Analytics"]}
    ).get_json()
    assert body["clientSecret"] == secret
    response = as_app(api, body).list()
    assert response.status_code == 401
    assert response.get_json()["errors"][0]["msg"] == "Permission denied. Scope is incorrect!"


def test_adding_an_existing_client_id_is_a_conflict(control):
    control.post("/__mock__/apps", json=NEW_APP)
    response = control.post("/__mock__/apps", json={**NEW_APP, "accountId": OTHER_ACCOUNT})
    assert response.status_code == 409
    assert len(control.get("/__mock__/apps").get_json()["apps"]) == 5


def test_adding_an_app_with_bad_fields_is_a_400(control):
    assert control.post("/__mock__/apps", json={"clientId": "x"}).status_code == 400
    bad_stream = {**NEW_APP, "streams": ["not-a-stream"]}
    response = control.post("/__mock__/apps", json=bad_stream)
    assert response.status_code == 400 and "stream id" in response.get_json()["errors"][0]["msg"]
    short = control.post("/__mock__/apps", json={**NEW_APP, "clientSecret": "short"})
    assert short.status_code == 400


def test_an_app_its_own_path_could_not_reach_is_refused(control):
    """An app named "team/qa" was stored and could then be neither removed nor rotated."""
    apps = control.get("/__mock__/apps").get_json()["apps"]
    for client_id in ("team/qa", "/", ".", "..", " padded", "padded ", "tab\t"):
        response = control.post("/__mock__/apps", json={**NEW_APP, "clientId": client_id})
        assert response.status_code == 400, client_id
        msg = response.get_json()["errors"][0]["msg"]
        assert "must not hold a /, be . or .., or start or end with white space" in msg, msg
    assert control.get("/__mock__/apps").get_json()["apps"] == apps
    for client_id in ("team.qa", "a b", "x", "...", ".x", "-", "cs-ü"):
        response = control.post("/__mock__/apps", json={**NEW_APP, "clientId": client_id})
        assert response.status_code == 201, (client_id, response.get_json())
        assert control.delete(f"/__mock__/apps/{quote(client_id)}").status_code == 200


def test_an_app_an_older_version_stored_by_looser_rules_keeps_the_server_answering(app, api):
    """Read back through today's input checks, it made every request a 500."""
    older = {**DEV_APP.to_dict(with_secret=True), "clientId": "team/qa", "name": "n" * 300}
    store = mock_of(app).store
    store.set_state(APPS_KEY, [DEV_APP.to_dict(with_secret=True), older])
    listed = app.test_client().get("/__mock__/apps").get_json()["apps"]
    assert [a["clientId"] for a in listed] == [DEV_APP.client_id, "team/qa"]
    assert api.list().status_code == 200


def test_removed_app_can_no_longer_call_the_api(control, api):
    body = control.post("/__mock__/apps", json=NEW_APP).get_json()
    caller = as_app(api, body)
    assert caller.list().status_code == 200
    removed = control.delete("/__mock__/apps/cs-ci-pipeline").get_json()
    assert removed["clientId"] == "cs-ci-pipeline" and "clientSecret" not in removed
    assert caller.list().status_code == 401
    assert control.delete("/__mock__/apps/cs-ci-pipeline").status_code == 404


def test_rotated_secret_is_returned_and_old_tokens_stop_working(control, api):
    old_token_api = api.as_app(DEV_APP)
    rotated = control.post(f"/__mock__/apps/{DEV_APP.client_id}/rotate-secret").get_json()
    assert rotated["clientSecret"] != DEV_APP.client_secret
    assert old_token_api.list().status_code == 401
    new_app = App.from_dict({k: v for k, v in rotated.items() if k != "name"})
    assert api.as_app(new_app).list().status_code == 200
    assert mint_token(new_app) != mint_token(DEV_APP)


def test_a_token_used_before_its_apps_secret_rotates_stops_working_after_it(control, api):
    """(A token checked once is remembered: the rotation must still end it, and so must the
    app's removal.)"""
    added = control.post(
        "/__mock__/apps", json={"clientId": "cs-used", "accountId": ACCOUNT, "streams": ["*"]}
    ).get_json()
    used = api.as_app(App.from_dict({k: v for k, v in added.items() if k != "name"}))
    assert used.list().status_code == 200 and api.list().status_code == 200
    control.post(f"/__mock__/apps/{DEV_APP.client_id}/rotate-secret")
    assert api.list().status_code == 401
    assert control.delete("/__mock__/apps/cs-used").status_code == 200
    assert used.list().status_code == 401


def test_an_app_with_an_upper_case_account_id_is_served_in_either_spelling(control, api):
    upper = ACCOUNT.upper()
    added = control.post(
        "/__mock__/apps", json={"clientId": "cs-upper", "accountId": upper, "streams": ["*"]}
    ).get_json()
    app = App.from_dict({k: v for k, v in added.items() if k != "name"})
    for spelling in (upper, ACCOUNT):
        assert api.as_app(app, spelling).list().status_code == 200, spelling


def test_rotate_to_a_given_secret_and_of_an_unknown_app(control):
    secret = "y" * 32
    body = control.post(
        f"/__mock__/apps/{DEV_APP.client_id}/rotate-secret", json={"clientSecret": secret}
    ).get_json()
    assert body["clientSecret"] == secret
    assert control.post("/__mock__/apps/nobody/rotate-secret").status_code == 404
    short = control.post(
        f"/__mock__/apps/{DEV_APP.client_id}/rotate-secret", json={"clientSecret": "short"}
    )
    assert short.status_code == 400


def test_under_account_id_format_object_id_an_app_of_another_account_form_is_refused(control):
    # its every request would be refused 412 (README: the reading covers apps' account ids)
    assert control.put("/__mock__/profile", json={"accountIdFormat": "objectId"}).status_code == 200
    refused = control.post("/__mock__/apps", json={"clientId": "cs-short", "accountId": "123"})
    assert (
        refused.status_code == 400 and "accountIdFormat" in refused.get_json()["errors"][0]["msg"]
    )
    hex_account = {"clientId": "cs-hex", "accountId": OTHER_ACCOUNT}
    assert control.post("/__mock__/apps", json=hex_account).status_code == 201


def test_account_id_format_object_id_is_refused_while_an_app_of_another_form_exists(control):
    # every request of that app would have been 412 from then on
    assert control.post("/__mock__/apps", json={"clientId": "cs-short", "accountId": "123"})
    refused = control.put("/__mock__/profile", json={"accountIdFormat": "objectId"})
    assert refused.status_code == 400
    assert "cs-short" in refused.get_json()["errors"][0]["msg"]
    assert control.get("/__mock__/profile").get_json()["profile"]["accountIdFormat"] == "any"
    assert control.delete("/__mock__/apps/cs-short").status_code == 200
    assert control.put("/__mock__/profile", json={"accountIdFormat": "objectId"}).status_code == 200


OLDER_IDS = ["team/qa", "..", " padded", "padded "]  # ids POST /apps took before ClientIdValue


def store_older_apps(app) -> None:
    older = [
        {**DEV_APP.to_dict(with_secret=True), "clientId": client_id} for client_id in OLDER_IDS
    ]
    mock_of(app).store.set_state(APPS_KEY, [DEV_APP.to_dict(with_secret=True), *older])


def test_an_app_an_older_version_stored_with_an_id_no_path_could_name_can_be_removed(app, control):
    """DELETE /__mock__/apps/team%2Fqa was a 404: the app could not be removed but by a reset."""
    store_older_apps(app)
    for client_id in OLDER_IDS:
        path = "/__mock__/apps/" + quote(client_id, safe="").replace(".", "%2E")
        removed = control.delete(path)
        assert removed.status_code == 200, (client_id, removed.get_json())
        assert removed.get_json()["clientId"] == client_id
    listed = control.get("/__mock__/apps").get_json()["apps"]
    assert [a["clientId"] for a in listed] == [DEV_APP.client_id]
    assert control.delete("/__mock__/apps/no%2Fsuch").status_code == 404


def test_a_snapshot_of_apps_an_older_version_stored_loads_back(app, control):
    """The server's own snapshot was refused: its apps met today's input rules no more."""
    store_older_apps(app)
    saved = control.get("/__mock__/snapshot")
    assert saved.status_code == 200
    control.post("/__mock__/reset")
    loaded = control.put(
        "/__mock__/snapshot", data=saved.get_data(), content_type="application/json"
    )
    assert loaded.status_code == 200, loaded.get_json()
    listed = control.get("/__mock__/apps").get_json()["apps"]
    assert [a["clientId"] for a in listed] == [DEV_APP.client_id, *OLDER_IDS]


def test_a_delete_of_the_rotation_path_is_405_not_an_unknown_app(control):
    """Removing an app takes any id, one holding / too (older versions stored such ids): the
    rotation's own path stays a POST, as control-openapi.yaml has it."""
    response = control.client.delete("/__mock__/apps/cs-test/rotate-secret")  # not in the spec
    assert response.status_code == 405 and response.headers["Allow"] == "POST"
