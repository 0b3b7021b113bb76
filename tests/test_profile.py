"""The tenant profile as data: every reading, its values and default, and what a bad one says."""

from __future__ import annotations

import pytest

from mockserver.profile import DEFAULT, DOCUMENTED, EVIDENCED, INFERRED, Profile, ProfileError
from mockserver.profile import readings as all_readings

EVERY_VALUE = [(r.name, v) for r in all_readings() for v in r.values]


def test_the_readings_the_issue_names_exist_with_their_defaults():
    defaults = DEFAULT.to_mapping()
    assert {
        "importPolicy": "skip",
        "validationStatus": 412,
        "scopeErrorCode": 4002,
        "duplicateCreateStatus": 400,
        "duplicateUpdateStatus": 409,
        "requiredFields": "documented",
        "updateBodies": "partial",
        "listQuery": "strict",
        "rateLimitScope": "account",
        "deletedNumbers": "released",
        "bulkDeleteField": "ids",
    }.items() <= defaults.items()


def test_every_reading_has_two_or_more_values_a_source_and_a_description():
    for reading in all_readings():
        assert len(reading.values) >= 2 and reading.default == reading.values[0], reading
        assert reading.source in (DOCUMENTED, EVIDENCED, INFERRED), reading
        assert reading.about, reading


@pytest.mark.parametrize(("name", "value"), EVERY_VALUE, ids=[f"{n}={v}" for n, v in EVERY_VALUE])
def test_each_value_of_each_reading_is_taken(name, value):
    profile = Profile.from_mapping({name: value})
    assert profile.get(name) == value
    assert {k: v for k, v in profile.to_mapping().items() if k != name} == {
        k: v for k, v in DEFAULT.to_mapping().items() if k != name
    }


def test_status_values_may_be_written_as_text():
    assert Profile.from_mapping({"validationStatus": "400"}).validation_status == 400


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (
            {"validationStatus": 401},
            "profile.validationStatus: 401 is not allowed (allowed: 412, 400)",
        ),
        (
            {"importPolicy": "Skip"},
            "profile.importPolicy: 'Skip' is not allowed (allowed: skip, reject)",
        ),
        ({"scopeErrorCode": True}, "profile.scopeErrorCode: True is not allowed"),
        ({"fooBar": 1}, "profile: unknown reading 'fooBar' (readings: accountIdFormat,"),
        (["importPolicy"], "profile: must be a mapping of readings"),
    ],
)
def test_a_bad_profile_is_refused_naming_the_key_and_the_values_allowed(raw, message):
    with pytest.raises(ProfileError) as refused:
        Profile.from_mapping(raw)
    assert str(refused.value).startswith(message)


def test_changing_readings_keeps_the_others():
    strict = Profile.from_mapping({"importPolicy": "reject"})
    changed = strict.with_readings({"validationStatus": 400})
    assert (changed.import_policy, changed.validation_status) == ("reject", 400)


def test_the_contracts_describe_the_readings_as_profile_py_defines_them():
    from mockserver.profile import ACCOUNT_ID_FORMATS
    from mockserver.spec import CONTROL, VENDOR

    account = VENDOR.document["components"]["parameters"]["AccountId"]["schema"]["pattern"]
    assert account == f"^{ACCOUNT_ID_FORMATS['any']}$"
    control = CONTROL.document["components"]["schemas"]["ProfileValues"]["properties"]
    assert {name: schema["enum"] for name, schema in control.items()} == {
        r.name: list(r.values) for r in all_readings()
    }


def test_the_document_as_a_profile_reads_it_changes_only_what_the_readings_say():
    from mockserver.profile import document_for
    from mockserver.spec import VENDOR

    assert document_for(DEFAULT) is VENDOR.document
    lenient = document_for(Profile.from_mapping({"requiredFields": "lenient"}))
    schemas = lenient["components"]["schemas"]
    assert "salutation" not in schemas["ContactInput"]["required"]
    assert "extension" not in schemas["CellPhoneInput"]["required"]
    assert "salutation" in VENDOR.document["components"]["schemas"]["ContactInput"]["required"]
    by_id = document_for(Profile.from_mapping({"bulkDeleteField": "id"}))
    body = by_id["paths"]["/agentassist/api/v1/public/{streamId}/contacts/bulk-delete"]
    schema = body["delete"]["requestBody"]["content"]["application/json"]["schema"]
    assert (list(schema["properties"]), schema["required"]) == (["id"], ["id"])


def test_a_settings_files_import_policy_is_in_force_over_any_base(tmp_path):
    """A base's defaults (the proxy's store in memory) do not hide what the file says (its
    import policy was lost once: the base's own kept it at skip)."""
    from mockserver.settings import Settings, load

    path = tmp_path / "k.yaml"
    path.write_text("importPolicy: reject\nprofile: {notFoundStatus: 400}\n")
    for base in (None, Settings(db=":memory:")):
        settings = load(str(path), base)
        assert settings.import_policy == "reject"
        assert settings.profile.get("importPolicy") == "reject"
        assert settings.profile.get("notFoundStatus") == 400
    assert load(str(path), Settings(db=":memory:")).db == ":memory:"
    assert load(str(path)).db == "kore-mock.db"
