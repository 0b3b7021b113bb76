"""Data saved before the rule may hold duplicates; they stay and still block new saves."""

import pytest

from mockserver.contacts.model import Caller, Namespace
from mockserver.mock import mock_of
from tests.conftest import ACCOUNT, STREAM, person

NS = Namespace(ACCOUNT, STREAM)


@pytest.fixture
def legacy(app):
    service = mock_of(app).service
    outcome = service.seed(
        NS,
        Caller.for_app("seed"),
        [person("old", "one", "9876543210"), person("old", "two", "9876543210")],
        legacy_duplicates=True,
    )
    return [c.id for c in outcome.created]


def test_legacy_duplicates_are_listed_both(api, legacy):
    assert api.all_numbers() == ["+919876543210", "+919876543210"]


def test_new_save_of_a_legacy_number_is_refused(api, legacy):
    assert api.create([person("new", "one", "9876543210")]).get_json() == []


def test_update_keeping_the_legacy_number_is_allowed(api, legacy):
    response = api.update(legacy[1], {"firstName": "renamed"})
    assert response.status_code == 200


def test_deleting_one_legacy_holder_still_blocks_the_number(api, legacy):
    api.delete(legacy[0])
    assert api.create([person("new", "one", "9876543210")]).get_json() == []
    api.delete(legacy[1])
    assert len(api.create([person("new", "one", "9876543210")]).get_json()) == 1


def test_moving_a_legacy_holder_to_a_new_number_keeps_the_old_one_blocked(api, legacy):
    moved = api.update(
        legacy[0], {"cellPhone": {"phoneNumber": "9876543299", "countryCode": "+91"}}
    )
    assert moved.status_code == 200
    assert api.create([person("new", "one", "9876543210")]).get_json() == []
