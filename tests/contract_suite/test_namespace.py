"""The contract suite's bookkeeping: it deletes what it created, only that, and checks the rule."""

import pytest

from contract_tests.client import KoreClient, contact
from contract_tests.namespace import Baseline, assert_numbers_distinct, clean_up
from contract_tests.settings import SuiteSettings
from contract_tests.target import open_target
from mockserver.contacts.model import Caller, Namespace
from mockserver.mock import mock_of


@pytest.fixture
def target():
    target = open_target(SuiteSettings.from_env({}))
    yield target
    target.close()


def behind_the_suites_back(target, *items, legacy=False):
    """Store contacts without going through the suite (someone else, or a lost answer)."""
    service = mock_of(target.mock).service
    ns = Namespace(target.account_id, target.stream_id)
    return service.seed(ns, Caller.for_app("someone-else"), list(items), legacy_duplicates=legacy)


def test_cleanup_deletes_what_the_run_created_and_nothing_else(target):
    kore = KoreClient(target)
    theirs = behind_the_suites_back(
        target, contact("Their", "Own", {"phoneNumber": "2015550150", "countryCode": "+1"})
    ).created[0]
    baseline = Baseline.of(kore.list_active())
    target.numbers.exclude(baseline.numbers)
    kore.create([contact("Ours", "Saved", target.numbers.fresh().cell_phone())])
    # a save that stored a contact but answered an error: the suite never saw its id
    behind_the_suites_back(target, contact("Ours", "Lost", target.numbers.fresh().cell_phone()))

    result = clean_up(kore, baseline)

    assert (result.deleted, result.remaining) == (2, [])
    assert [c["id"] for c in kore.list_active()] == [theirs.id]


def test_invariant_ignores_numbers_shared_before_the_run_but_not_new_ones(target):
    kore = KoreClient(target)
    legacy = {"phoneNumber": "2015550151", "countryCode": "+1"}
    behind_the_suites_back(
        target, contact("A", "A", legacy), contact("B", "B", legacy), legacy=True
    )
    baseline = Baseline.of(kore.list_active())
    assert baseline.legacy_duplicates == {"+12015550151"}
    assert_numbers_distinct(kore, baseline)

    fresh = target.numbers.fresh().cell_phone()
    behind_the_suites_back(target, contact("C", "C", fresh), contact("D", "D", fresh), legacy=True)
    with pytest.raises(AssertionError, match="share a number"):
        assert_numbers_distinct(kore, baseline)
