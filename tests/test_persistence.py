"""Data in a SQLite file or a PostgreSQL database survives a restart of the app."""

from mockserver.app import create_app
from mockserver.mock import mock_of
from mockserver.settings import Settings
from tests.conftest import TEST_APPS, Api, person


def test_restart_on_the_same_database_finds_the_data(db_url):
    settings = Settings(db=db_url, apps=TEST_APPS)
    first = create_app(settings)
    created = Api(first.test_client()).create([person("john", "doe", "9876543210")]).get_json()
    mock_of(first).close()

    second = create_app(settings)
    api = Api(second.test_client())
    assert [c["id"] for c in api.list().get_json()["results"]] == [created[0]["id"]]
    assert api.create([person("x", "y", "9876543210")]).get_json() == []  # still held
    mock_of(second).close()


def test_memory_store_starts_empty_each_time():
    for _ in range(2):
        app = create_app(Settings(db=":memory:", apps=TEST_APPS))
        api = Api(app.test_client())
        assert api.list().get_json()["totalResults"] == 0
        api.create([person("john", "doe", "9876543210")])
