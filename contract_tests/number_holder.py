"""A contact of the run that takes each fresh number before a test gets it.

On a host whose deleted contacts keep their numbers (``deletedNumbers: kept``), every number an
earlier run saved stays taken, by a contact the listing does not show: a scenario test handed one
would see its first save refused and report a broken host. The holder finds those numbers first:
it moves onto the next fresh number (an update of its own number; its first number by a create),
and the number it leaves is free — it held it a moment ago — and goes to the test. A number the
host refuses to it is skipped (``NumberPool.skipped``). At the end the cleanup deletes it with the
run's other contacts.
"""

from __future__ import annotations

from typing import Any

from contract_tests.client import KoreClient, contact
from contract_tests.numbers import Number

# a save onto a taken number: duplicateCreateStatus / duplicateUpdateStatus, or importPolicy reject
TAKEN = (400, 409, 412)
MOST_REFUSED_IN_A_ROW = 20  # then the host refuses something else than the number


class NumberHolder:
    def __init__(self, kore: KoreClient) -> None:
        self.kore = kore
        self.contact: dict[str, Any] | None = None
        self.refused_in_a_row = 0

    def __call__(self, number: Number) -> bool:
        """Whether the holder could take ``number`` (it holds it now)."""
        item = contact("Number", "Holder", number.cell_phone())
        if self.contact is None:
            reply = self.kore.create([item])
            created = self.kore.saved(reply).created
            if created:
                self.contact = created[0]
                self.kore.target.ledger.keep_out(self.contact["id"])  # no generated id names it
            took = bool(created)
        else:
            reply = self.kore.update(self.contact["id"], item)
            took = reply.status == 200
            if not took and reply.status not in TAKEN:
                raise AssertionError(
                    f"the run's number holder could not take a fresh number: {reply.describe()}"
                )
        self.refused_in_a_row = 0 if took else self.refused_in_a_row + 1
        if self.refused_in_a_row >= MOST_REFUSED_IN_A_ROW:
            raise AssertionError(
                f"the host refused {MOST_REFUSED_IN_A_ROW} fresh numbers in a row to the run's "
                f"number holder, the last: {reply.describe()}"
            )
        return took
