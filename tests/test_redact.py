"""Credentials a client puts in the wrong place never reach the request journal."""

import pytest

from mockserver.redact import redacted, redacted_query
from mockserver.shadow.wire import redacted_headers
from tests.conftest import base

JWT = "eyJhbGciOiJIUzI1NiJ9.eyJhcHBJZCI6ImNzIn0.c2lnbmF0dXJl"


def test_credential_named_query_parameters_are_redacted():
    raw = b"skip=0&auth=abc&Client_Secret=xyz&token=&limit=5&password=p%20w"
    assert redacted_query(raw) == (
        "skip=0&auth=REDACTED&Client_Secret=REDACTED&token=REDACTED&limit=5&password=REDACTED"
    )


def test_a_jwt_is_redacted_under_any_name_and_anywhere_in_an_entry():
    assert redacted_query(f"note={JWT}&skip=1".encode()) == "note=REDACTED&skip=1"
    entry = {"errors": [{"msg": f"accountId: value: '{JWT}' does not match"}], "status": 400}
    assert JWT not in str(redacted(entry))
    assert redacted(entry)["status"] == 400


def test_ordinary_queries_are_kept_as_they_are():
    assert redacted_query(b"skip=10&limit=100") == "skip=10&limit=100"
    assert redacted_query(b"") == ""


def test_a_redacted_copy_leaves_the_entry_it_was_made_from_as_it_was():
    entry = {"report": [{"cells": ["Ada", JWT]}], "errors": [], "status": 400}
    shown = redacted(entry)
    assert shown["report"][0]["cells"] == ["Ada", "REDACTED"]
    assert entry["report"][0]["cells"] == ["Ada", JWT]  # the answer's own report is untouched
    assert redacted({"status": 200, "path": "/a"}) == {"status": 200, "path": "/a"}


def test_an_entry_without_a_jwt_is_the_entry_itself():
    entry = {"status": 200, "report": [{"cells": ["Ada", "Lovelace"]}], "latencyMs": 0.5}
    assert redacted(entry) is entry


def test_a_jwt_beside_values_json_cannot_hold_is_redacted_too():
    # a set, a non-string key, an integer over 64 bits: the entry is walked value by value
    entry = {"ids": {1, 2}, 7: f"token {JWT}", "skip": 2**70, "note": JWT}
    shown = redacted(entry)
    assert shown[7] == "token REDACTED" and shown["note"] == "REDACTED"
    assert shown["ids"] == {1, 2} and shown["skip"] == 2**70


QUERY_CREDENTIALS = [
    "auth",
    "authorization",
    "token",
    "access_token",
    "jwt",
    "secret",
    "clientSecret",
    "client_secret",
    "password",
    "client%5Fsecret",
    "Access_Token",
]
CREDENTIAL_HEADERS = [
    "auth",
    "Authorization",
    "Cookie",
    "Set-Cookie",
    "X-Mock-Admin-Token",
    "X-Api-Key",
]


@pytest.mark.parametrize("name", QUERY_CREDENTIALS)
def test_every_credential_named_query_parameter_is_redacted(name):
    assert redacted_query(f"limit=5&{name}=opaque-1&skip=0".encode()) == (
        f"limit=5&{name}=REDACTED&skip=0"
    )


@pytest.mark.parametrize("name", CREDENTIAL_HEADERS)
def test_every_credential_header_is_redacted(name):
    shown = redacted_headers(((name, "opaque-1"), ("accountId", "63c7ebae6a2aef36de8f0001")))
    assert "opaque-1" not in str(shown)
    assert shown["accountId"] == "63c7ebae6a2aef36de8f0001"


def test_opaque_credentials_sent_in_the_wrong_place_never_reach_the_journal(api):
    """Not JWTs (no eyJ to spot): only their names say they are credentials."""
    query = "?access_token=opaque-1&secret=opaque-2&limit=5"
    headers = api.headers(Cookie="session=opaque-3", **{"X-Api-Key": "opaque-4"})
    response = api.call("GET", base() + query, headers=headers)
    entry = api.journal(response.headers["X-Mock-Journal-Id"])
    assert entry["query"] == "access_token=REDACTED&secret=REDACTED&limit=5"
    assert not [s for s in ("opaque-1", "opaque-2", "opaque-3", "opaque-4") if s in str(entry)]
