"""The tenant profile on the control plane: GET /__mock__/profile shows each reading, PUT sets
them at run time for every worker; the settings file, a profile file and the flags set them at
start-up, in that order of strength."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from mockserver.app import create_app
from mockserver.cli import main
from mockserver.mock import mock_of
from mockserver.profile import readings
from mockserver.settings import Settings, SettingsError, from_dict, load_profile
from tests.conftest import TEST_APPS, Api
from tests.control.conftest import Control
from tests.live import call, kore_mock_serve


def by_name(body: dict) -> dict[str, dict]:
    return {reading["name"]: reading for reading in body["readings"]}


def test_the_profile_shows_every_reading_with_value_default_source_and_origin(control):
    body = control.get("/__mock__/profile").get_json()
    shown = by_name(body)
    assert list(shown) == [r.name for r in readings()]
    assert shown["validationStatus"] | {"about": ""} == {
        "name": "validationStatus",
        "value": 412,
        "default": 412,
        "values": [412, 400],
        "source": "evidenced",
        "setBy": "default",
        "about": "",
    }
    assert shown["importPolicy"]["source"] == "inferred"
    assert shown["bulkDeleteField"]["source"] == "documented"
    assert body["profile"] == {name: r["value"] for name, r in shown.items()}


def test_put_sets_the_readings_named_and_the_others_go_back_to_start_up(control, api):
    body = control.put("/__mock__/profile", json={"validationStatus": 400}).get_json()
    assert by_name(body)["validationStatus"] | {"about": ""} == {
        "name": "validationStatus",
        "value": 400,
        "default": 412,
        "values": [412, 400],
        "source": "evidenced",
        "setBy": "runtime",
        "about": "",
    }
    assert api.list(limit=101).status_code == 400
    body = control.put("/__mock__/profile", json={"scopeErrorCode": 4003}).get_json()
    assert body["profile"]["validationStatus"] == 412  # not named: back to start-up
    assert api.list(limit=101).status_code == 412
    assert control.put("/__mock__/profile", json={}).get_json()["profile"]["scopeErrorCode"] == 4002


def test_a_bad_profile_is_refused_and_changes_nothing(control):
    for change in ({"validationStatus": 401}, {"fooBar": 1}, {"importPolicy": "Skip"}):
        response = control.put("/__mock__/profile", json=change)
        assert response.status_code == 400, change
    assert control.get("/__mock__/profile").get_json()["profile"]["validationStatus"] == 412


def test_the_import_policy_of_the_settings_call_is_the_profiles_reading(control):
    control.settings(importPolicy="reject")
    shown = by_name(control.get("/__mock__/profile").get_json())
    assert (shown["importPolicy"]["value"], shown["importPolicy"]["setBy"]) == ("reject", "runtime")
    control.put("/__mock__/profile", json={"importPolicy": "skip", "deletedNumbers": "kept"})
    assert control.get("/__mock__/settings").get_json()["importPolicy"] == "skip"
    control.settings(importPolicy="reject")  # keeps the other run-time readings
    profile = control.get("/__mock__/profile").get_json()["profile"]
    assert (profile["importPolicy"], profile["deletedNumbers"]) == ("reject", "kept")


def test_reset_forgets_the_run_time_profile(control):
    control.put("/__mock__/profile", json={"notFoundStatus": 400})
    control.post("/__mock__/reset")
    assert control.get("/__mock__/profile").get_json()["profile"]["notFoundStatus"] == 404


def test_a_profile_set_on_one_worker_holds_on_every_worker(tmp_path):
    """Two app instances on one SQLite file stand for two gunicorn workers."""
    settings = Settings(db=str(tmp_path / "shared.db"), apps=TEST_APPS)
    first, second = create_app(settings), create_app(settings)
    try:
        Control(first.test_client()).put("/__mock__/profile", json={"validationStatus": 400})
        assert Api(second.test_client()).list(limit=101).status_code == 400
    finally:
        mock_of(first).close()
        mock_of(second).close()


# -- start-up ------------------------------------------------------------------------------------


def test_profile_in_the_settings_file_and_the_top_level_import_policy(tmp_path):
    settings = from_dict({"importPolicy": "reject", "profile": {"validationStatus": 400}})
    assert (settings.import_policy, settings.profile.validation_status) == ("reject", 400)
    assert (settings.origin("importPolicy"), settings.origin("scopeErrorCode")) == (
        "settings",
        "default",
    )


def test_import_policy_given_twice_differently_in_one_file_is_refused():
    with pytest.raises(SettingsError, match="importPolicy is 'reject' at the top level"):
        from_dict({"importPolicy": "reject", "profile": {"importPolicy": "skip"}})


@pytest.mark.parametrize(
    ("profile", "message"),
    [
        (
            {"validationStatus": 401},
            "profile.validationStatus: 401 is not allowed (allowed: 412, 400)",
        ),
        (
            {"deletedNumbers": "gone"},
            "profile.deletedNumbers: 'gone' is not allowed (allowed: released, kept)",
        ),
        ({"colour": "blue"}, "profile: unknown reading 'colour'"),
        ("reject", "profile: must be a mapping of readings"),
    ],
)
def test_a_bad_profile_in_the_settings_file_names_the_key_and_the_values_allowed(profile, message):
    with pytest.raises(SettingsError) as refused:
        from_dict({"profile": profile}, where="kore-mock.yaml")
    assert message in str(refused.value) and str(refused.value).startswith("kore-mock.yaml")


def test_a_profile_file_is_stronger_than_the_settings_file(tmp_path):
    file = tmp_path / "tenant.yaml"
    file.write_text("importPolicy: reject\nlistQuery: lenient\n")
    settings = load_profile(
        str(file),
        from_dict(
            {"importPolicy": "skip", "profile": {"listQuery": "strict", "scopeErrorCode": 4003}}
        ),
    )
    profile = settings.profile
    assert (profile.import_policy, profile.list_query, profile.scope_error_code) == (
        "reject",
        "lenient",
        4003,
    )
    assert (
        settings.origin("listQuery") == "profile"
        and settings.origin("scopeErrorCode") == "settings"
    )
    assert settings.with_overrides(import_policy="skip").import_policy == "skip"  # a flag wins


def test_a_bad_profile_file_names_the_file_the_key_and_the_values(tmp_path):
    file = tmp_path / "tenant.yaml"
    file.write_text("validationStatus: 422\n")
    with pytest.raises(SettingsError) as refused:
        load_profile(str(file), Settings())
    assert str(refused.value) == (
        f"{file}: profile.validationStatus: 422 is not allowed (allowed: 412, 400)"
    )


# -- kore-mock serve -----------------------------------------------------------------------------


def test_serve_refuses_a_bad_profile_before_it_starts_naming_the_key(tmp_path):
    file = tmp_path / "tenant.yaml"
    file.write_text("scopeErrorCode: 4001\n")
    for args, env in ((["--profile", str(file)], {}), ([], {"KORE_MOCK_PROFILE": str(file)})):
        result = CliRunner().invoke(main, ["serve", "--db", ":memory:", *args], env=env)
        assert result.exit_code != 0
        assert "profile.scopeErrorCode: 4001 is not allowed (allowed: 4002, 4003)" in result.output


def test_serve_with_a_profile_file_and_profile_in_the_settings_file(tmp_path):
    tenant = tmp_path / "tenant.yaml"
    tenant.write_text("importPolicy: reject\n")
    config = tmp_path / "kore-mock.yaml"
    config.write_text("profile:\n  validationStatus: 400\n  listQuery: lenient\n")
    env = {"KORE_MOCK_PROFILE": str(tenant), "KORE_MOCK_CONFIG": str(config)}
    with kore_mock_serve(
        "--db", ":memory:", "--profile", str(tenant), cwd=tmp_path, env=env
    ) as url:
        _, _, body = call(url + "/__mock__/profile")
    shown = by_name(body)
    assert {
        name: (r["value"], r["setBy"]) for name, r in shown.items() if r["setBy"] != "default"
    } == {
        "importPolicy": ("reject", "profile"),
        "validationStatus": (400, "settings"),
        "listQuery": ("lenient", "settings"),
    }


def test_the_import_policy_flag_is_stronger_than_the_profile_file(tmp_path):
    tenant = tmp_path / "tenant.yaml"
    tenant.write_text("importPolicy: reject\n")
    args = ("--db", ":memory:", "--profile", str(tenant), "--import-policy", "skip")
    with kore_mock_serve(*args, cwd=tmp_path) as url:
        _, _, body = call(url + "/__mock__/profile")
    assert (by_name(body)["importPolicy"]["value"], by_name(body)["importPolicy"]["setBy"]) == (
        "skip",
        "flag",
    )


def test_a_reading_sent_as_400_0_is_the_value_400(control, api):
    for scope in ("?scenario=job-1", ""):
        body = control.put("/__mock__/profile" + scope, json={"validationStatus": 400.0})
        assert (
            body.status_code == 200
            and repr(body.get_json()["profile"]["validationStatus"]) == "400"
        )
    assert api.list(limit=101).status_code == 400
