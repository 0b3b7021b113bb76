"""Two answers compared: what must differ between hosts is normalised, the rest is reported."""

from __future__ import annotations

from mockserver.shadow.compare import MAX_DIFFERENCES, Answer, compare
from mockserver.shadow.ids import IdMap

ACCOUNT, STREAM = "63c7ebae6a2aef36de8f0001", "st-1"


def contact(contact_id: str, number: str = "+12015550100", **fields) -> dict:
    return {
        "status": "ACTIVE",
        "firstName": "Ada",
        "lastName": "Lovelace",
        "fullName": "Ada Lovelace",
        "cellPhone": {"phoneNumber": number, "countryCode": "+1", "extension": ""},
        "accountId": ACCOUNT,
        "orgId": f"o-{contact_id}",
        "instanceBotId": STREAM,
        "createdBy": f"u-{contact_id}",
        "createdByAId": f"a-{contact_id}",
        "createdAt": f"2024-01-0{contact_id[-1]}T00:00:00.000Z",
        "updatedAt": "2024-01-01T00:00:00.000Z",
        "id": contact_id,
        **fields,
    }


def answer(status: int, body, **extra) -> Answer:
    return Answer(status, body, account_id=ACCOUNT, stream_id=STREAM, **extra)


def paths(differences) -> list[str]:
    return [d.path for d in differences]


def test_ids_timestamps_and_audit_ids_never_differ():
    ids = IdMap([("a" * 24, "b" * 24)])
    upstream = answer(200, [contact("a" * 24)])
    mock = answer(200, [contact("b" * 24)])
    assert compare("createContacts", upstream, mock, ids.to_reference) == []


def test_a_field_of_another_value_is_reported_with_its_path():
    upstream = answer(200, {"results": [contact("a" * 24)], "totalResults": 1})
    mock = answer(200, {"results": [contact("a" * 24, lastName="Byron")], "totalResults": 1})
    (difference,) = compare("listContacts", upstream, mock)
    assert difference.path == "body.results[0].lastName"
    assert (difference.upstream, difference.mock) == ("Lovelace", "Byron")


def test_a_field_only_one_host_sends_is_reported_as_absent_on_the_other():
    upstream = answer(200, contact("a" * 24))
    mock = answer(200, contact("a" * 24, updatedBy="u-x"))
    (difference,) = compare("deleteContact", upstream, mock)
    assert difference.path == "body.updatedBy"
    assert (difference.upstream, difference.mock) == ("<absent>", "<audit id>")


def test_a_save_reports_the_number_of_contacts_created():
    upstream = answer(200, [contact("a" * 24), contact("c" * 24, "+12015550101")])
    mock = answer(200, [contact("a" * 24)])
    differences = compare("importContacts", upstream, mock)
    assert paths(differences) == ["created"]
    assert (differences[0].upstream, differences[0].mock) == (2, 1)


def test_per_row_refusals_are_compared_but_not_the_wording_of_messages():
    def refused(reason: str, msg: str) -> dict:
        row = {"msg": msg, "code": 400, "row": 2, "reason": reason, "number": "+12015550100"}
        return {"errors": [row]}

    same = compare(
        "importContacts",
        answer(400, refused("DUPLICATE_IN_FILE", "Row 2 repeats row 1")),
        answer(400, refused("DUPLICATE_IN_FILE", "Zeile 2 wiederholt Zeile 1")),
    )
    assert same == []
    other = compare(
        "importContacts",
        answer(400, refused("DUPLICATE_IN_FILE", "x")),
        answer(400, refused("DUPLICATE_EXISTING", "x")),
    )
    assert paths(other) == ["body.errors[0].reason"]


def test_a_different_number_of_refused_rows_or_failed_records_is_a_difference():
    """(A refused import whose tenant named two rows and the mock one read as alike.)"""

    def row(number: int) -> dict:
        return {"msg": "x", "code": 400, "row": number, "reason": "DUPLICATE_IN_FILE"}

    two, one = {"errors": [row(2), row(5)]}, {"errors": [row(2)]}
    (difference,) = compare("importContacts", answer(400, two), answer(400, one))
    assert (difference.path, difference.upstream, difference.mock) == ("body.errors.length", 2, 1)
    failed = {"totalRequested": 2, "successful": 0, "failed": 2, "successfulRecords": []}
    upstream = {**failed, "failedRecords": [{"id": "a" * 24}, {"id": "c" * 24}]}
    mock = {**failed, "failed": 1, "failedRecords": [{"id": "a" * 24}]}
    assert "body.failedRecords.length" in paths(
        compare("bulkUpdateContacts", answer(200, upstream), answer(200, mock))
    )


def test_rejected_row_counts_are_compared_when_both_hosts_send_them():
    upstream = answer(200, [], rejected_rows=2)
    assert paths(compare("importContacts", upstream, answer(200, [], rejected_rows=1))) == [
        "refused"
    ]
    assert compare("importContacts", upstream, answer(200, [])) == []


def test_an_error_outside_the_envelope_is_an_envelope_difference():
    upstream = answer(404, {"errors": [{"msg": "not found", "code": 404}]})
    mock = answer(404, {"message": "not found"})
    differences = compare("deleteContact", upstream, mock)
    assert paths(differences) == ["envelope"]
    assert differences[0].upstream == "Kore's error envelope"


def test_a_different_status_and_body_shape_are_both_reported():
    upstream = answer(400, {"errors": [{"msg": "x", "code": 400}]})
    mock = answer(200, [contact("a" * 24)])
    differences = compare("importContacts", upstream, mock)
    assert paths(differences) == ["status", "created", "body"]
    assert differences[2].upstream == "an error envelope (1 error(s), code 400)"
    assert differences[2].mock == "an array of 1"


def test_the_account_and_stream_each_host_was_addressed_with_never_differ():
    upstream = Answer(200, contact("a" * 24), account_id=ACCOUNT, stream_id=STREAM)
    body = contact("a" * 24, accountId="b" * 24, instanceBotId="st-2")
    mock = Answer(200, body, account_id="b" * 24, stream_id="st-2")
    assert compare("updateContact", upstream, mock) == []


def test_a_huge_answer_reports_a_bounded_number_of_differences():
    upstream = answer(200, {"results": [contact("a" * 24, firstName=f"A{i}") for i in range(500)]})
    mock = answer(200, {"results": [contact("a" * 24, firstName=f"B{i}") for i in range(500)]})
    differences = compare("listContacts", upstream, mock)
    assert len(differences) == MAX_DIFFERENCES + 1
    assert differences[-1].path == "..."


def test_a_recording_without_the_body_compares_status_and_counts_only():
    upstream = Answer(200, None, body_known=False, created=2)
    assert compare("importContacts", upstream, answer(200, [contact("a" * 24)]))[0].path == (
        "created"
    )
    same = Answer(200, None, body_known=False)
    assert compare("listContacts", same, answer(200, {"results": []})) == []


def test_the_holder_a_refusal_names_is_compared_as_the_reference_hosts_id():
    def refused(holder: str) -> dict:
        row = {
            "msg": "taken",
            "code": 400,
            "row": 1,
            "reason": "DUPLICATE_EXISTING",
            "number": "+12015550100",
            "holderId": holder,
        }
        return {"errors": [row]}

    ids = IdMap([("a" * 24, "b" * 24)])
    upstream = answer(400, refused("a" * 24))
    mock = answer(400, refused("b" * 24))
    assert compare("createContacts", upstream, mock, ids.to_reference) == []
