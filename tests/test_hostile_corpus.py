"""The malformed-input corpus (tests/hostile/corpus.py) through Flask's test client: every case
is refused with a 4xx in Kore's envelope naming the problem, stores nothing, and the next good
request succeeds. The same corpus goes over real HTTP in test_hostile_http.py."""

from __future__ import annotations

from typing import Any

import pytest

from mockserver.mock import mock_of
from mockserver.settings import Limits, Settings
from tests.conftest import STREAM, TEST_APPS, Api, base
from tests.hostile.corpus import CASES, LIMITS, ROW_LEVEL, Case, good_csv

IN_PROCESS = [case for case in CASES if not case.http_only]


def corpus_limits() -> Limits:
    return Limits(
        max_upload_bytes=LIMITS["maxUploadBytes"],
        max_import_rows=LIMITS["maxImportRows"],
        max_json_items=LIMITS["maxJsonItems"],
        max_json_bytes=LIMITS["maxJsonBytes"],
    )


@pytest.fixture
def settings() -> Settings:
    return Settings(db=":memory:", apps=TEST_APPS, limits=corpus_limits())


def stored(app: Any) -> int:
    return sum(n["active"] + n["inactive"] for n in mock_of(app).store.namespaces())


def send(api: Api, case: Case) -> Any:
    headers = [
        (name, value.decode("latin-1") if isinstance(value, bytes) else value)
        for name, value in case.headers_for(api.token, api.account)
    ]
    return api.call(case.method, base() + case.target, headers=headers, data=case.body)


def test_the_corpus_has_at_least_40_cases_with_unique_names():
    names = [case.name for case in CASES]
    assert len(names) >= 40
    assert len(set(names)) == len(names)


@pytest.mark.parametrize("case", IN_PROCESS, ids=lambda case: case.name)
def test_hostile_request_is_refused_cleanly_and_stores_nothing(api, app, case):
    mock_of(app).runtime.set_import_policy(case.policy)

    response = send(api, case)  # the answer is checked against openapi.yaml by api.call

    assert 400 <= response.status_code < 500
    assert response.status_code == case.status, response.get_data()[:500]
    messages = " | ".join(str(e) for e in response.get_json()["errors"])
    assert case.says in messages
    assert "Traceback" not in messages
    assert stored(app) == 0

    after = api.import_csv(good_csv("9811100001"))
    assert after.status_code == 200
    assert len(after.get_json()) == 1


@pytest.mark.parametrize("case", ROW_LEVEL, ids=lambda case: case.name)
def test_under_skip_a_bad_row_is_left_out_counted_and_reported(api, app, case):
    response = send(api, case)
    assert response.status_code == 200
    created = {c["cellPhone"]["phoneNumber"] for c in response.get_json()}
    assert "+919876500001" in created  # the file's good first row
    refused = int(response.headers["X-Mock-Rejected-Rows"])
    assert refused >= 1
    report = api.journal(response.headers["X-Mock-Journal-Id"])["report"]
    assert len(report) == refused
    assert case.says in " ".join(f"{r['reason']} {r.get('field', '')}" for r in report)
    assert stored(app) == len(created)
    assert set(api.all_numbers(STREAM)) == created


def test_formula_cells_never_reach_the_store(api):
    response = api.create(
        [
            {
                "firstName": value,
                "lastName": "x",
                "salutation": "",
                "cellPhone": {"phoneNumber": "9876543210", "countryCode": "+91", "extension": ""},
            }
            for value in ("=1+1", "+1", "-1", "@A1", "\t=1", "\r=1", " x")
        ]
    )
    assert response.status_code == 412
    assert api.list().get_json()["totalResults"] == 0


def test_extension_plus_and_names_with_inner_formula_characters_are_fine(api):
    response = api.create(
        [
            {
                "firstName": "Anne-Marie",
                "lastName": "O'Neil=Smith",
                "salutation": "Dr.",
                "cellPhone": {"phoneNumber": "9876543210", "countryCode": "+91", "extension": "+"},
            }
        ]
    )
    assert response.status_code == 200
    assert response.get_json()[0]["cellPhone"]["extension"] == "+"


def test_mixed_line_endings_are_rows_like_any_other(api):
    data = (
        b"firstName,lastName,salutation,cellPhoneNumber,cellPhoneCountryCode,"
        b"cellPhoneExtension\r\na,b,Mr,9876500002,+91,\rc,d,Mr,9876500003,+91,\ne,f,Mr,9876500004,"
        b"+91,\r\n"
    )
    response = api.import_csv(data)
    assert response.status_code == 200
    assert len(response.get_json()) == 3


def test_ten_thousand_columns_with_ours_among_them_import_like_extra_columns(api):
    extra = [f"x{i}" for i in range(9_994)]
    header = ",".join(
        [
            "firstName",
            "lastName",
            "salutation",
            "cellPhoneNumber",
            "cellPhoneCountryCode",
            "cellPhoneExtension",
            *extra,
        ]
    )
    row = ",".join(["ann", "lee", "Ms", "9876543210", "+91", "", *["v"] * len(extra)])
    response = api.import_csv(f"{header}\n{row}\n".encode())
    assert response.status_code == 200
    assert len(response.get_json()) == 1


def test_content_type_with_junk_parameters_is_read_as_its_media_type(api):
    response = api.call(
        "POST",
        base(),
        headers={**api.headers(), "Content-Type": "application/json; ;;=; x"},
        data=b"[]",
    )
    assert response.status_code == 412
    assert "less than 1 item" in response.get_json()["errors"][1]["msg"]


def test_skip_beyond_64_bits_is_the_validation_error_not_an_echo(api):
    response = api.list(skip=10**30)
    assert response.status_code == 412
    assert str(10**30) not in response.get_data(as_text=True)
