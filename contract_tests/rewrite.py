"""Generated cases made safe (and useful) just before they are sent: a schemathesis hook.

- A contact id the run did not create becomes one it did (so updates and deletes reach real
  contacts) or, now and then, a never-issued id (so "not found" is exercised too).
- A phone number a host could store becomes a fictitious one from the hot pool, its country code
  written with or without ``+``.

Values that break the schema are left alone: a negative case stays negative, and a host must refuse
it anyway. The choice depends only on the generated value (and the ledger), so Hypothesis can
replay and shrink a failing case.
"""

from __future__ import annotations

import csv
import io
import zlib
from collections import Counter
from typing import Any

import schemathesis
from schemathesis.generation.meta import TestPhase

from contract_tests.guard import ID_KEYS, SafetyPolicy, never_issued_id
from contract_tests.ledger import Ledger
from contract_tests.numbers import NumberPool, e164_key, is_fictitious


@schemathesis.hook
def before_call(context: Any, case: Any, kwargs: dict[str, Any]) -> None:
    """Rewrite cases sent to a target's entry point (``Target.app`` carries its rewriter)."""
    rewriter = getattr(case.operation.app, "rewriter", None)
    if rewriter is not None:
        rewriter.rewrite(case)


class Rewriter:
    def __init__(self, policy: SafetyPolicy, ledger: Ledger, numbers: NumberPool) -> None:
        self.policy = policy
        self.ledger = ledger
        self.numbers = numbers
        self.cases: Counter[str] = Counter()  # generated cases sent, per operation

    def rewrite(self, case: Any) -> None:
        self.cases[case.operation.definition.raw.get("operationId", case.operation.label)] += 1
        # Stateful steps get real ids through links; their other ids must not depend on the
        # ledger, which grows from scenario to scenario (Hypothesis replays scenarios to shrink).
        reuse = not (case.meta and case.meta.phase.name == TestPhase.STATEFUL)
        # Only touch what changes: schemathesis re-derives a case's metadata from edited parts.
        if "contactId" in case.path_parameters:
            contact_id = self.contact_id(case.path_parameters["contactId"], reuse=reuse)
            if contact_id != case.path_parameters["contactId"]:
                case.path_parameters = {**case.path_parameters, "contactId": contact_id}
        body = (
            self.body(case.body, reuse=reuse) if isinstance(case.body, dict | list) else case.body
        )
        if isinstance(body, dict) and isinstance(body.get("result_file"), str | bytes):
            body = {**body, "result_file": self.csv(body["result_file"])}
        named = body.get("id") if isinstance(body, dict) else None
        if "contactId" in case.path_parameters and self.policy.is_contact_id(named):
            # an update body may name its contact; a valid id names the path's (else 412)
            body = {**body, "id": case.path_parameters["contactId"]}
        if body != case.body:
            case.body = body

    def contact_id(self, value: Any, *, reuse: bool = True) -> Any:
        """``value`` if the suite may send it, else one of its contacts or a never-issued id."""
        if self.policy.may_address(value):
            return value
        ours = self.ledger.ids() if reuse else []
        spot = _spot(value)
        if ours and spot % 4:
            return ours[spot % len(ours)]
        return never_issued_id(value)

    def body(self, value: Any, *, reuse: bool = True) -> Any:
        """A JSON body with safe ids and fictitious numbers."""
        if isinstance(value, list):
            return [self.body(item, reuse=reuse) for item in value]
        if not isinstance(value, dict):
            return value
        result = {}
        for key, item in value.items():
            if key in ID_KEYS:
                result[key] = self.contact_id(item, reuse=reuse)
            elif key == "ids" and isinstance(item, list):
                result[key] = [self.contact_id(i, reuse=reuse) for i in item]
            else:
                result[key] = self.body(item, reuse=reuse)
        return self._phone(result)

    def csv(self, data: str | bytes) -> str | bytes:
        """An import file with its real-looking numbers made fictitious (schema examples)."""
        text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
        try:
            rows = list(csv.reader(io.StringIO(text, newline="")))
            header = [name.strip() for name in rows[0]]
            number, code = header.index("cellPhoneNumber"), header.index("cellPhoneCountryCode")
        except (IndexError, ValueError, csv.Error):
            return data
        changed = False
        for row in rows[1:]:
            if len(row) > max(number, code):
                phone = self._phone({"phoneNumber": row[number], "countryCode": row[code]})
                changed |= phone["phoneNumber"] != row[number]
                row[number], row[code] = phone["phoneNumber"], phone["countryCode"]
        if not changed:
            return data
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerows(rows)
        return out.getvalue().encode() if isinstance(data, bytes) else out.getvalue()

    def _phone(self, value: dict[str, Any]) -> dict[str, Any]:
        number, code = value.get("phoneNumber"), value.get("countryCode")
        if not isinstance(number, str) or not isinstance(code, str):
            return value
        key = e164_key(number, code)
        if key is None or is_fictitious(key):
            return value
        spot = _spot(key)
        fictitious = self.numbers.hot(spot)
        made = fictitious.cell_phone(plus=code.startswith("+"))  # its extension stays as sent
        return {**value, "phoneNumber": made["phoneNumber"], "countryCode": made["countryCode"]}


def _spot(value: Any) -> int:
    return zlib.crc32(repr(value).encode("utf-8", "surrogatepass"))
