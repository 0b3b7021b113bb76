"""List: ACTIVE contacts only, oldest first, documented paging fields."""

import pytest

from tests.conftest import person


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
