"""List: ACTIVE contacts only, oldest first, documented paging fields."""

import pytest

from tests.conftest import base, person


@pytest.fixture
def twelve(api):
    created = api.create([person(f"p{i}", "x", str(9000000000 + i)) for i in range(12)]).get_json()
    return [c["id"] for c in created]


def test_default_page_is_ten_oldest_first(api, twelve):
    page = api.list().get_json()
    assert [c["id"] for c in page["results"]] == twelve[:10]
    assert page | {"results": None} == {
        "results": None,
        "skip": 0,
        "limit": 10,
        "hasMore": True,
        "totalPages": 2,
        "totalResults": 12,
    }


def test_last_page_has_no_more(api, twelve):
    page = api.list(skip=10, limit=5).get_json()
    assert [c["id"] for c in page["results"]] == twelve[10:]
    assert page["hasMore"] is False and page["totalPages"] == 3


def test_skip_past_the_end_is_an_empty_page(api, twelve):
    page = api.list(skip=50).get_json()
    assert page["results"] == [] and page["hasMore"] is False and page["totalResults"] == 12


def test_deleted_contacts_are_not_listed(api, twelve):
    api.delete(twelve[0])
    page = api.list(limit=100).get_json()
    assert twelve[0] not in [c["id"] for c in page["results"]]
    assert page["totalResults"] == 11


def test_empty_stream_lists_nothing(api):
    assert api.list().get_json() == {
        "results": [],
        "skip": 0,
        "limit": 10,
        "hasMore": False,
        "totalPages": 0,
        "totalResults": 0,
    }


@pytest.mark.parametrize("query", [{"limit": 0}, {"limit": 101}, {"skip": -1}, {"limit": "ten"}])
def test_bad_paging_values_are_kores_validation_error(api, query):
    response = api.list(**query)
    assert response.status_code == 412
    assert response.get_json()["errors"][0] == {
        "msg": "Validation errors/ Invalid arguments",
        "code": 412,
    }


INT64_MAX = 2**63 - 1
BEYOND_64_BITS = [str(INT64_MAX + 1), "9" * 40, "-" + "9" * 40, "9" * 5000]


@pytest.mark.parametrize("value", BEYOND_64_BITS, ids=["2^63", "40 nines", "-40 nines", "5000"])
@pytest.mark.parametrize("name", ["skip", "limit"])
def test_paging_values_beyond_64_bits_are_the_validation_error_and_never_echoed(api, name, value):
    response = api.list(**{name: value})
    assert response.status_code == 412
    kore, finding = response.get_json()["errors"]
    assert kore == {"msg": "Validation errors/ Invalid arguments", "code": 412}
    assert finding["msg"].startswith(f"query.{name}: ")
    assert value.lstrip("-") not in response.get_data(as_text=True)


@pytest.mark.parametrize("query", ["skip=1&skip=-1", "limit=2&limit=500", "skip=1&skip=1"])
def test_a_paging_value_given_twice_is_the_validation_error(api, query):
    """Express (Kore's server) reads a repeated name as an array, which is no integer; the mock
    once took the first value and ignored the other."""
    response = api.call("GET", f"{base()}?{query}")
    assert response.status_code == 412
    assert "is not of type" in response.get_json()["errors"][1]["msg"]


def test_a_repeated_value_beyond_64_bits_is_not_echoed_either(api):
    response = api.call("GET", f"{base()}?skip=1&skip={'9' * 30}")
    assert response.status_code == 412 and "9" * 30 not in response.get_data(as_text=True)


def test_the_largest_64_bit_skip_is_an_empty_page(api, twelve):
    page = api.list(skip=INT64_MAX).get_json()
    assert page["results"] == [] and page["skip"] == INT64_MAX and page["totalResults"] == 12
