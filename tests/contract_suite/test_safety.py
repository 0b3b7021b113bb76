"""What keeps the contract suite safe on a real tenant: fictitious numbers, its own ids only."""

import io
import json

import pytest

from contract_tests.guard import Guard, SafetyPolicy, UnsafeRequest, never_issued_id
from contract_tests.ledger import Ledger
from contract_tests.numbers import NumberPool, is_fictitious
from contract_tests.rewrite import Rewriter

STREAM = "st-1"
BASE = f"/agentassist/api/v1/public/{STREAM}/contacts"
OURS = "6b071cd8d332b67d65fcb283"
THEIRS = "63c7cfaf196ce928529b0001"


@pytest.fixture
def ledger() -> Ledger:
    ledger = Ledger()
    ledger.add([OURS])
    return ledger


@pytest.fixture
def policy(ledger) -> SafetyPolicy:
    return SafetyPolicy(ledger, STREAM)


def test_only_reserved_fictitious_ranges_count_as_fictitious():
    assert is_fictitious("+12015550123") and is_fictitious("+447700900999")
    assert not is_fictitious("+12015550200")  # 555-0200 is outside 555-0100..0199
    assert not is_fictitious("+919876543210")


def test_the_pool_never_hands_out_a_number_held_before_the_run():
    pool = NumberPool()
    pool.exclude({"+12015550100"})
    handed = {pool.hot(i).key for i in range(100)} | {pool.fresh().key for _ in range(500)}
    assert "+12015550100" not in handed
    assert all(is_fictitious(key) for key in handed)


def test_fresh_numbers_are_never_handed_out_twice_nor_taken_from_the_hot_pool():
    pool = NumberPool()
    hot = {pool.hot(i).key for i in range(100)}
    fresh = [pool.fresh().key for _ in range(300)]
    assert len(set(fresh)) == len(fresh)
    assert not hot & set(fresh)


def call(guard: Guard, method: str, path: str, body: bytes = b"", content_type: str = "") -> None:
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "CONTENT_LENGTH": str(len(body)),
        "CONTENT_TYPE": content_type,
        "wsgi.input": io.BytesIO(body),
    }
    guard(environ, lambda *args: None)


def test_guard_passes_safe_requests(policy):
    guard = Guard(lambda environ, start: [b""], policy)
    call(guard, "PUT", f"{BASE}/{OURS}", b'{"firstName": "x"}', "application/json")
    call(guard, "DELETE", f"{BASE}/{never_issued_id('x')}")
    call(guard, "DELETE", f"{BASE}/not-an-id")
    body = [{"cellPhone": {"phoneNumber": "2015550123", "countryCode": "1"}}]
    call(guard, "POST", BASE, json.dumps(body).encode(), "application/json")


@pytest.mark.parametrize(
    ("method", "path", "body", "problem"),
    [
        ("PUT", f"{BASE}/{THEIRS}", {"firstName": "x"}, "not created by this run"),
        ("DELETE", f"{BASE}/bulk-delete", {"ids": [OURS, THEIRS]}, "not created by this run"),
        ("PUT", f"{BASE}/bulk-update", [{"id": THEIRS, "lastName": "x"}], "not created"),
        (
            "POST",
            BASE,
            [{"cellPhone": {"phoneNumber": "9876543210", "countryCode": "+91"}}],
            "fict",
        ),
        ("GET", "/agentassist/api/v1/public/st-other/contacts", None, "not the configured stream"),
    ],
)
def test_guard_refuses_requests_that_could_touch_data_of_others(
    policy, method, path, body, problem
):
    guard = Guard(lambda environ, start: [b""], policy)
    raw = b"" if body is None else json.dumps(body).encode()
    with pytest.raises(UnsafeRequest, match=problem):
        call(guard, method, path, raw, "application/json")


def test_guard_reads_the_numbers_of_an_import_file(policy):
    guard = Guard(lambda environ, start: [b""], policy)
    csv = b"firstName,lastName,salutation,cellPhoneNumber,cellPhoneCountryCode,cellPhoneExtension\n"
    body = (
        b'--b\r\nContent-Disposition: form-data; name="result_file"; filename="c.csv"\r\n'
        b"Content-Type: text/csv\r\n\r\n" + csv + b"a,b,Mr,9876543210,+91,\n\r\n--b--\r\n"
    )
    with pytest.raises(UnsafeRequest, match="not fictitious"):
        call(guard, "POST", f"{BASE}/import-contacts", body, "multipart/form-data; boundary=b")


def test_rewriter_makes_storable_numbers_fictitious_and_leaves_invalid_ones(policy, ledger):
    rewriter = Rewriter(policy, ledger, NumberPool())
    body = rewriter.body(
        [
            {"firstName": "a", "cellPhone": {"phoneNumber": "9876543210", "countryCode": "91"}},
            {"cellPhone": {"phoneNumber": "98765-43210", "countryCode": "+91", "extension": "1"}},
        ]
    )
    phone = body[0]["cellPhone"]
    assert is_fictitious("+" + phone["countryCode"] + phone["phoneNumber"])
    assert not phone["countryCode"].startswith("+")  # the way the code was written is kept
    assert body[1]["cellPhone"]["phoneNumber"] == "98765-43210"  # negative stays negative
    assert rewriter.body(body) == body  # deterministic and idempotent


def test_rewriter_sends_ids_of_others_to_our_contacts_or_to_never_issued_ones(policy, ledger):
    rewriter = Rewriter(policy, ledger, NumberPool())
    ids = {rewriter.contact_id(f"63c7{i:020x}") for i in range(1, 50)}
    assert ids <= {OURS} | {i for i in ids if i.startswith("00000000")}
    assert OURS in ids and len(ids) > 1
    assert rewriter.contact_id(OURS) == OURS
    assert rewriter.contact_id(THEIRS, reuse=False).startswith("00000000")


def test_rewriter_makes_an_example_import_file_fictitious(policy, ledger):
    rewriter = Rewriter(policy, ledger, NumberPool())
    data = (
        "firstName,lastName,salutation,cellPhoneNumber,cellPhoneCountryCode,cellPhoneExtension\n"
        "john,doe,Mr,9876543210,+91,+\n"
    )
    rewritten = rewriter.csv(data)
    number = rewritten.splitlines()[1].split(",")
    assert is_fictitious(number[4] + number[3])
    assert number[:3] == ["john", "doe", "Mr"]


def test_a_vetted_pool_hands_out_only_numbers_its_holder_could_take():
    """On a host whose deleted contacts keep their numbers, the holder finds them first."""
    pool = NumberPool()
    pool.start_from(0)
    taken = {n.key for n in _first_fresh(8)[2::3]}  # every third one: kept by a deleted contact
    tried: list[str] = []

    def holder_takes(number):
        tried.append(number.key)
        return number.key not in taken

    pool.vet_with(holder_takes)
    handed = [pool.fresh().key for _ in range(5)]
    assert not set(handed) & taken and len(set(handed)) == 5
    assert pool.skipped == [k for k in tried if k in taken]
    assert tried[-1] not in handed  # the holder holds the next one, not handed out yet


def test_the_same_seed_starts_the_pool_at_the_same_number():
    one, two, other = NumberPool(), NumberPool(), NumberPool()
    one.start_from(123456789)
    two.start_from(123456789)
    other.start_from(987654321)
    assert [one.fresh() for _ in range(3)] == [two.fresh() for _ in range(3)]
    assert one.hot(0) == two.hot(0) != other.hot(0)


def _first_fresh(count):
    pool = NumberPool()
    pool.start_from(0)
    return [pool.fresh() for _ in range(count)]
