"""The duplicate-number rule, scenario by scenario, through the documented API only.

"Saving contacts through the public API allows duplicate names with different numbers but prevents
the same number from being associated with different or identical names." (Kore.ai docs)

The docs do not say how a refused save answers, so every scenario holds under every reading of
the tenant profile: ``200`` with the refused rows left out (``importPolicy: skip``) or a refusal
of the whole request (*reject*: 400, or 409 / 412 per ``duplicateCreateStatus``); an update onto
a taken number 409, 400 or 412 (``duplicateUpdateStatus``); a deleted contact's number released
or kept (``deletedNumbers``). What is asserted is the outcome — never two ACTIVE holders of a
number, exactly the right rows refused — and which reading the host showed is recorded
(``observed``; with a stated profile, a different one fails).

Numbers are fresh fictitious ones (``contract_tests.numbers``): ``+1`` stands
in for ``91`` vs ``+91``, the same country-code rule in a range no subscriber can hold.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest

from contract_tests.client import KoreClient, Reply, Saved, contact, csv_file
from contract_tests.namespace import Baseline, assert_numbers_distinct
from contract_tests.numbers import Number
from contract_tests.observed import Observations
from contract_tests.run import current
from contract_tests.target import Target


@pytest.fixture(autouse=True)
def _invariant_after(kore: KoreClient, baseline: Baseline):
    yield
    assert_numbers_distinct(kore, baseline)


@pytest.fixture
def fresh(target: Target):
    return target.numbers.fresh


def holders(kore: KoreClient, number: Number) -> list[dict[str, Any]]:
    """The ACTIVE contacts holding ``number``."""
    return [c for c in kore.list_active() if c["cellPhone"]["phoneNumber"] == number.key]


def observed() -> Observations:
    """The run's record of which readings the host showed."""
    return current().observed


def saw_save(saved: Saved) -> None:
    """Record the import policy, and the status of a refused save, a scenario's answer shows."""
    if saved.refused_whole_request:
        observed().saw("importPolicy", "reject", saved.reply.describe())
        observed().saw("duplicateCreateStatus", saved.reply.status, saved.reply.describe())
    else:
        observed().saw("importPolicy", "skip", saved.reply.describe())


def whole(saved: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """An update body with every field (valid under both readings of ``updateBodies``)."""
    body = {
        "firstName": saved["firstName"],
        "lastName": saved["lastName"],
        "salutation": saved["salutation"],
    }
    return body | changes


def created_one(kore: KoreClient, reply: Reply) -> dict[str, Any]:
    saved = kore.saved(reply)
    assert reply.status == 200 and len(saved.created) == 1, (
        f"a valid contact with a fresh number must be created: {reply.describe()}"
    )
    return saved.created[0]


def assert_refused(saved: Saved) -> None:
    assert saved.created == [], (
        f"the number is taken, yet contacts were created: {saved.reply.describe()}"
    )
    saw_save(saved)


def test_same_number_with_a_different_name_is_refused(kore, fresh):
    number = fresh()
    first = created_one(kore, kore.create([contact("Ada", "Lovelace", number.cell_phone())]))
    assert_refused(kore.saved(kore.create([contact("Grace", "Hopper", number.cell_phone())])))
    assert [c["id"] for c in holders(kore, number)] == [first["id"]]


def test_same_number_with_an_identical_name_is_refused(kore, fresh):
    number = fresh()
    first = created_one(kore, kore.create([contact("Ada", "Lovelace", number.cell_phone())]))
    assert_refused(kore.saved(kore.create([contact("Ada", "Lovelace", number.cell_phone())])))
    assert [c["id"] for c in holders(kore, number)] == [first["id"]]


def test_same_number_through_an_import_is_refused(kore, fresh):
    number = fresh()
    first = created_one(kore, kore.create([contact("Ada", "Lovelace", number.cell_phone())]))
    row = ["Grace", "Hopper", "Ms", number.national, number.code(), ""]
    assert_refused(kore.saved(kore.import_csv(csv_file([row]))))
    assert [c["id"] for c in holders(kore, number)] == [first["id"]]


def test_same_name_with_different_numbers_is_allowed(kore, fresh):
    one, two = fresh(), fresh()
    a = created_one(kore, kore.create([contact("Ada", "Lovelace", one.cell_phone())]))
    b = created_one(kore, kore.create([contact("Ada", "Lovelace", two.cell_phone())]))
    assert a["id"] != b["id"]
    assert (a["cellPhone"]["phoneNumber"], b["cellPhone"]["phoneNumber"]) == (one.key, two.key)


def test_duplicate_within_one_file_keeps_only_the_first_row(kore, fresh):
    one, two = fresh(), fresh()
    rows = [
        ["Ada", "Lovelace", "Ms", one.national, one.code(), ""],
        ["Grace", "Hopper", "Ms", two.national, two.code(), ""],
        ["Ada", "Byron", "Ms", one.national, one.code(), ""],  # repeats row 1's number
    ]
    saved = kore.saved(kore.import_csv(csv_file(rows)))
    if saved.refused_whole_request:  # reject policy: nothing is stored
        assert holders(kore, one) == [] and holders(kore, two) == []
        return
    assert [(c["firstName"], c["lastName"]) for c in saved.created] == [
        ("Ada", "Lovelace"),
        ("Grace", "Hopper"),
    ]
    assert [c["lastName"] for c in holders(kore, one)] == ["Lovelace"]


def test_duplicate_within_one_create_request_keeps_only_the_first_item(kore, fresh):
    number = fresh()
    items = [
        contact("Ada", "Lovelace", number.cell_phone()),
        contact("Ada", "Lovelace", number.cell_phone()),
    ]
    saved = kore.saved(kore.create(items))
    expected = [] if saved.refused_whole_request else [saved.created[0]["id"]]
    assert len(saved.created) == len(expected)
    assert [c["id"] for c in holders(kore, number)] == expected


def test_country_code_with_or_without_plus_is_the_same_number(kore, fresh):
    # the docs' `91` vs `+91`, in the fictitious +1 range
    number = fresh()
    first = created_one(kore, kore.create([contact("Ada", "Lovelace", number.cell_phone())]))
    assert first["cellPhone"]["countryCode"] == number.code(plus=True)
    without_plus = contact("Grace", "Hopper", number.cell_phone(plus=False))
    assert_refused(kore.saved(kore.create([without_plus])))
    row = ["Grace", "Hopper", "Ms", number.national, number.code(plus=False), ""]
    assert_refused(kore.saved(kore.import_csv(csv_file([row]))))
    assert [c["id"] for c in holders(kore, number)] == [first["id"]]


def test_country_code_without_plus_is_stored_with_plus(kore, fresh):
    number = fresh()
    created = created_one(kore, kore.create([contact("Ada", "L", number.cell_phone(plus=False))]))
    assert created["cellPhone"]["phoneNumber"] == number.key
    assert created["cellPhone"]["countryCode"] == number.code(plus=True)


def saved_again_after_delete(kore: KoreClient, number: Number, reply: Reply) -> None:
    """A number whose holder was deleted: saved again (released) or refused (kept)."""
    saved = kore.saved(reply)
    if saved.created:
        observed().saw("deletedNumbers", "released", reply.describe())
        assert [c["id"] for c in holders(kore, number)] == [saved.created[0]["id"]]
        return
    observed().saw("deletedNumbers", "kept", reply.describe())
    saw_save(saved)
    assert holders(kore, number) == []


def test_number_freed_by_delete_can_be_saved_again(kore, fresh):
    number = fresh()
    first = created_one(kore, kore.create([contact("Ada", "Lovelace", number.cell_phone())]))
    deleted = kore.delete(first["id"])
    assert deleted.status == 200 and deleted.body["status"] == "INACTIVE", deleted.describe()
    reply = kore.create([contact("Grace", "Hopper", number.cell_phone())])
    saved_again_after_delete(kore, number, reply)


def test_number_freed_by_bulk_delete_can_be_imported_again(kore, fresh):
    number = fresh()
    first = created_one(kore, kore.create([contact("Ada", "Lovelace", number.cell_phone())]))
    reply = kore.bulk_delete([first["id"]])
    assert reply.status == 200 and reply.body["successful"] == 1, reply.describe()
    row = ["Grace", "Hopper", "Ms", number.national, number.code(), ""]
    saved_again_after_delete(kore, number, kore.import_csv(csv_file([row])))


def test_update_to_a_taken_number_is_refused(kore, fresh):
    one, two = fresh(), fresh()
    a = created_one(kore, kore.create([contact("Ada", "Lovelace", one.cell_phone())]))
    b = created_one(kore, kore.create([contact("Grace", "Hopper", two.cell_phone())]))
    reply = kore.update(b["id"], whole(b, cellPhone=one.cell_phone()))
    assert reply.status in (409, 400, 412), f"a taken number must be refused: {reply.describe()}"
    observed().saw("duplicateUpdateStatus", reply.status, reply.describe())
    assert [c["id"] for c in holders(kore, one)] == [a["id"]]
    assert [c["id"] for c in holders(kore, two)] == [b["id"]]


def test_update_keeping_its_own_number_is_allowed(kore, fresh):
    number = fresh()
    a = created_one(kore, kore.create([contact("Ada", "Lovelace", number.cell_phone())]))
    reply = kore.update(a["id"], whole(a, firstName="Augusta", cellPhone=number.cell_phone()))
    assert reply.status == 200, reply.describe()
    assert reply.body["firstName"] == "Augusta"


def test_bulk_update_cannot_give_one_number_to_two_contacts(kore, fresh):
    one, two, target_number = fresh(), fresh(), fresh()
    a = created_one(kore, kore.create([contact("Ada", "Lovelace", one.cell_phone())]))
    b = created_one(kore, kore.create([contact("Grace", "Hopper", two.cell_phone())]))
    reply = kore.bulk_update(
        [
            {"id": a["id"], **whole(a, cellPhone=target_number.cell_phone())},
            {"id": b["id"], **whole(b, cellPhone=target_number.cell_phone())},
        ]
    )
    assert reply.status == 200, reply.describe()
    assert (reply.body["successful"], reply.body["failed"]) == (1, 1), reply.describe()
    assert [c["id"] for c in holders(kore, target_number)] == [a["id"]]


def test_concurrent_imports_of_overlapping_files_store_each_number_once(kore, fresh):
    numbers = [fresh() for _ in range(9)]
    files = [numbers[:6], numbers[3:]]  # numbers 4-6 are in both files
    replies: list[Reply | None] = [None, None]
    start = threading.Barrier(len(files))

    def send(index: int) -> None:
        rows = [
            [f"Person{i}", f"File{index}", "", n.national, n.code(), ""]
            for i, n in enumerate(files[index])
        ]
        start.wait()
        replies[index] = kore.import_csv(csv_file(rows))

    threads = [threading.Thread(target=send, args=(i,)) for i in range(len(files))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    saved = [kore.saved(reply) for reply in replies if reply is not None]
    assert len(saved) == len(files), "an import did not answer"
    created = [key for s in saved for key in s.created_numbers]
    assert len(created) == len(set(created)), f"a number was created twice: {created}"
    held = {c["cellPhone"]["phoneNumber"] for c in kore.list_active()}
    sent = {n.key for n in numbers}
    assert held & sent == set(created), "the stored numbers are not the ones the answers report"
    for file, result in zip(files, saved, strict=True):
        if result.reply.status == 200:  # skip policy: all of the file's numbers are now held
            assert {n.key for n in file} <= held, f"rows were lost: {result.reply.describe()}"
    if all(s.reply.status == 200 for s in saved):
        assert held & sent == sent
