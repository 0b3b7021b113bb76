"""Pairing the contacts two hosts created for one request, and translating later requests."""

from __future__ import annotations

from mockserver.shadow.ids import IdMap


def saved(contact_id: str, number: str) -> dict:
    return {"id": contact_id, "cellPhone": {"phoneNumber": number}}


def test_contacts_are_paired_by_number_whatever_order_the_hosts_answer_in():
    ids = IdMap()
    missing, extra = ids.learn(
        [saved("a1", "+1"), saved("a2", "+2"), saved("a3", "+3")],
        [saved("b2", "+2"), saved("b1", "+1"), saved("b4", "+4")],
    )
    assert ids.to_other("a1") == "b1" and ids.to_other("a2") == "b2"
    assert ids.to_reference("b2") == "a2"
    assert [c["id"] for c in missing] == ["a3"] and [c["id"] for c in extra] == ["b4"]


def test_a_request_addresses_the_other_hosts_contact():
    reference, other = "a" * 24, "b" * 24
    ids = IdMap([(reference, other)])
    assert ids.path_to_other(f"/x/st-1/contacts/{reference}") == f"/x/st-1/contacts/{other}"
    assert ids.body_to_other({"ids": [reference, "0" * 24]}) == {"ids": [other, "0" * 24]}
    assert ids.body_to_other([{"id": reference, "firstName": "Ada"}]) == [
        {"id": other, "firstName": "Ada"}
    ]


def test_unpaired_ids_stay_as_they_are():
    ids = IdMap()
    never_issued = "00000000" + "1" * 16
    assert ids.path_to_other(f"/c/{never_issued}") == f"/c/{never_issued}"
    assert ids.to_reference(never_issued) == never_issued
