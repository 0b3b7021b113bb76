"""The client under test talks to a real HTTP server: the `kore_mock` fixture of kore-mock."""

from pathlib import Path

import pytest
from contacts_client import ContactsClient

CSV = """firstName,lastName,salutation,cellPhoneNumber,cellPhoneCountryCode,cellPhoneExtension
john,doe,Mr,2025550143,+1,
jane,doe,Mrs,2025550144,+1,
jack,roe,Mr,2025550143,+1,
"""


@pytest.fixture
def client(kore_mock):
    return ContactsClient(
        kore_mock.base_url, kore_mock.stream_id, kore_mock.account_id, kore_mock.token
    )


@pytest.fixture
def csv_file(tmp_path) -> Path:
    path = tmp_path / "contacts.csv"
    path.write_text(CSV)
    return path


def test_import_creates_contacts_and_the_duplicate_is_refused(client, csv_file, kore_mock):
    result = client.import_csv(csv_file)
    assert [c["fullName"] for c in result.created] == ["john doe", "jane doe"]
    assert result.refused == 1
    [refused] = kore_mock.rejected_rows()
    assert refused["row"] == 3 and refused["reason"] == "DUPLICATE_IN_FILE"


def test_phone_book_lists_every_page(client, kore_mock):
    kore_mock.seed(
        [
            {
                "firstName": f"p{i}",
                "lastName": "x",
                "cellPhone": {"phoneNumber": f"20255501{i:02d}", "countryCode": "+1"},
            }
            for i in range(50)
        ]
    )
    assert len(client.phone_book()) == 50


def test_each_test_starts_with_an_empty_phone_book(client):
    assert client.phone_book() == {}


@pytest.mark.kore_mock(import_policy="reject")
def test_strict_server_refuses_the_whole_file(client, csv_file):
    with pytest.raises(Exception, match="400"):
        client.import_csv(csv_file)
    assert client.phone_book() == {}
