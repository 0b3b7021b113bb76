"""Random bytes and random JSON at the HTTP surface: never a 5xx, every refusal in Kore's
envelope, every answer as openapi.yaml documents it (the ``api`` fixture checks that)."""

from __future__ import annotations

import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import base

# psycopg_pool jitters a new connection's lifetime with the global `random` module, from its own
# thread; when that happens while Hypothesis draws an example, Hypothesis takes it for the test's
pytestmark = pytest.mark.filterwarnings(
    "ignore:Do not use the `random` module inside strategies"
    ":hypothesis.errors.HypothesisDeprecationWarning"
)
HTTP_FUZZ = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=12),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)


def assert_clean(response) -> None:
    assert response.status_code < 500, response.get_data()[:300]


@HTTP_FUZZ
@given(data=st.binary(max_size=2048), field=st.sampled_from(["result_file", "file", ""]))
def test_any_uploaded_bytes_get_a_documented_answer(api, data, field):
    response = api.call(
        "POST",
        base() + "/import-contacts",
        data={field: (io.BytesIO(data), "c.csv", "text/csv")},
        content_type="multipart/form-data",
    )
    assert_clean(response)


@HTTP_FUZZ
@given(
    body=st.binary(max_size=512),
    content_type=st.sampled_from(
        ["multipart/form-data; boundary=b", "multipart/form-data", "text/csv"]
    ),
)
def test_any_raw_import_body_gets_a_documented_answer(api, body, content_type):
    response = api.call(
        "POST",
        base() + "/import-contacts",
        data=body,
        headers={**api.headers(), "Content-Type": content_type},
    )
    assert_clean(response)


@HTTP_FUZZ
@given(
    body=json_values,
    target=st.sampled_from(
        [
            ("POST", ""),
            ("PUT", "/bulk-update"),
            ("DELETE", "/bulk-delete"),
            ("PUT", "/0123456789abcdef01234567"),
        ]
    ),
)
def test_any_json_body_gets_a_documented_answer(api, body, target):
    method, path = target
    assert_clean(api.call(method, base() + path, json=body))


@HTTP_FUZZ
@given(body=st.binary(max_size=256))
def test_any_bytes_declared_as_json_get_a_documented_answer(api, body):
    response = api.call(
        "POST", base(), data=body, headers={**api.headers(), "Content-Type": "application/json"}
    )
    assert_clean(response)
    assert response.status_code in (200, 400, 412, 413)


@HTTP_FUZZ
@given(
    query=st.dictionaries(st.sampled_from(["skip", "limit", "x"]), st.text(max_size=8), max_size=3)
)
def test_any_list_query_gets_a_documented_answer(api, query):
    response = api.call("GET", base(), query_string=query)
    assert_clean(response)
