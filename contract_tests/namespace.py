"""The namespace before and after the run: the duplicate-number invariant, and the cleanup.

At the start the suite lists the namespace once: those contacts are never touched, their numbers
are never used, and numbers they already share (legacy duplicates, which Kore never cleans up) are
left out of the invariant. At the end it deletes every contact it created — the ids save answers
carried, plus any contact that holds a number this run handed out and was not there before (a
save that answered an error yet stored something) — and checks that none is left.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from contract_tests.client import KoreClient

CHUNK = 100


@dataclass(frozen=True)
class Baseline:
    """What the namespace held when the run started."""

    ids: set[str]
    numbers: set[str]
    legacy_duplicates: set[str]

    @classmethod
    def of(cls, contacts: list[dict[str, Any]]) -> Baseline:
        holders = _holders(contacts)
        return cls(
            ids={c["id"] for c in contacts},
            numbers=set(holders),
            legacy_duplicates={n for n, ids in holders.items() if len(ids) > 1},
        )


def shared_numbers(contacts: list[dict[str, Any]], baseline: Baseline) -> dict[str, list[str]]:
    """Numbers held by more than one of these ACTIVE contacts (legacy duplicates aside)."""
    return {
        number: ids
        for number, ids in _holders(contacts).items()
        if len(ids) > 1 and number not in baseline.legacy_duplicates
    }


def assert_numbers_distinct(kore: KoreClient, baseline: Baseline) -> None:
    """The invariant: the ACTIVE contacts of the namespace hold pairwise distinct numbers."""
    shared = shared_numbers(kore.list_active(), baseline)
    assert not shared, f"ACTIVE contacts share a number (number: ids): {shared}"


@dataclass
class Cleanup:
    deleted: int
    remaining: list[str]


def delete_created(kore: KoreClient, baseline: Baseline) -> int:
    """Bulk-delete every ACTIVE contact this run created; returns how many it asked to delete."""
    ours = _ours(kore, baseline)
    for chunk in _chunks(ours, CHUNK):
        kore.bulk_delete(chunk)
    return len(ours)


def clean_up(kore: KoreClient, baseline: Baseline) -> Cleanup:
    """Delete every ACTIVE contact this run created; report any that could not be deleted."""
    asked = delete_created(kore, baseline)
    left = _ours(kore, baseline)
    for contact_id in left:  # a host whose bulk delete fails: one by one
        kore.delete(contact_id)
    remaining = _ours(kore, baseline)
    return Cleanup(deleted=asked - len(remaining), remaining=remaining)


def _ours(kore: KoreClient, baseline: Baseline) -> list[str]:
    """ACTIVE contacts this run created: in the ledger, or new and holding a number it used."""
    target = kore.target
    active = kore.list_active()
    strays = [
        c["id"]
        for c in active
        if c["id"] not in baseline.ids and target.numbers.issued(c["cellPhone"]["phoneNumber"])
    ]
    target.ledger.add(strays)
    return [c["id"] for c in active if c["id"] in target.ledger]


def _holders(contacts: Iterable[dict[str, Any]]) -> dict[str, list[str]]:
    holders: dict[str, list[str]] = defaultdict(list)
    for contact in contacts:
        holders[contact["cellPhone"]["phoneNumber"]].append(contact["id"])
    return holders


def _chunks(items: list[str], size: int) -> Iterable[list[str]]:
    return (items[i : i + size] for i in range(0, len(items), size))
