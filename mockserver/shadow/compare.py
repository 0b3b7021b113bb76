"""Two answers to one request, compared after normalising what must differ between two hosts.

What is compared: the status; whether an error answer is in Kore's envelope; the fields of the
bodies (every key and value, ids translated to the reference host's, lists item by item); for a
create or import the number of contacts created; the per-row refusals (the ``errors[]`` entries
of a refused import, bulk operations' ``failedRecords``, ``X-Mock-Rejected-Rows`` when both hosts
send it).

What is not: ids (paired through ``IdMap`` first), timestamps (``createdAt``, ``updatedAt``),
audit ids (``orgId``, ``createdBy``, ``createdByAId``, ``updatedBy``, ``updatedByAId``), the account
and stream each host was addressed with, and the wording of messages (``msg``) — their
presence is compared, their text is each host's own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mockserver.json_body import is_integer, is_number
from mockserver.shadow.ids import created_contacts
from mockserver.shadow.wire import NotJson

SAVE_OPERATIONS = frozenset({"createContacts", "importContacts"})
TIMESTAMP_KEYS = frozenset({"createdAt", "updatedAt"})
AUDIT_KEYS = frozenset({"orgId", "createdBy", "createdByAId", "updatedBy", "updatedByAId"})
MESSAGE_KEYS = frozenset({"msg"})
MAX_DIFFERENCES = 50  # per exchange; a 100,000-row import must not make a 100,000-entry report

ABSENT = "<absent>"
TIMESTAMP = "<timestamp>"
AUDIT_ID = "<audit id>"
MESSAGE = "<message>"
ACCOUNT = "<accountId>"
STREAM = "<streamId>"


@dataclass(frozen=True)
class Answer:
    """One host's answer, parsed: status, JSON body, and the namespace it was addressed in."""

    status: int
    body: Any = None  # parsed JSON; NotJson for another body; None for none
    rejected_rows: int | None = None  # X-Mock-Rejected-Rows, when the host sends it
    account_id: str = ""
    stream_id: str = ""
    body_known: bool = True  # False: a recording kept only the status (and counts)
    created: int | None = None  # contacts created, when known without the body


@dataclass(frozen=True)
class Difference:
    path: str
    upstream: Any
    mock: Any

    def to_wire(self, names: tuple[str, str] = ("upstream", "mock")) -> dict[str, Any]:
        return {"path": self.path, names[0]: self.upstream, names[1]: self.mock}


def compare(
    operation: str | None,
    upstream: Answer,
    mock: Answer,
    mock_id_to_upstream: Callable[[str], str] = lambda i: i,
) -> list[Difference]:
    """The differences between the reference host's answer and the other's, in report order."""
    found: list[Difference] = []
    if upstream.status != mock.status:
        found.append(Difference("status", upstream.status, mock.status))
    saves = operation in SAVE_OPERATIONS
    if saves and (upstream.body_known or upstream.created is not None):
        up, mo = (created_count(a) for a in (upstream, mock))
        if up != mo:
            found.append(Difference("created", up, mo))
    refused = (upstream.rejected_rows, mock.rejected_rows)
    if None not in refused and refused[0] != refused[1]:
        found.append(Difference("refused", upstream.rejected_rows, mock.rejected_rows))
    if not upstream.body_known:
        return found
    if upstream.status >= 400 and mock.status >= 400:
        up_env, mock_env = is_envelope(upstream.body), is_envelope(mock.body)
        if up_env != mock_env:
            found.append(Difference("envelope", _envelope_word(up_env), _envelope_word(mock_env)))
            return found
    reference = normalise(upstream.body, upstream, lambda i: i)
    other = normalise(mock.body, mock, mock_id_to_upstream)
    _diff("body", reference, other, found, top_list_is_created=saves)
    if len(found) > MAX_DIFFERENCES:
        more = len(found) - MAX_DIFFERENCES
        found = [*found[:MAX_DIFFERENCES], Difference("...", f"{more} more", f"{more} more")]
    return found


def created_count(answer: Answer) -> int:
    if not answer.body_known and answer.created is not None:
        return answer.created
    return len(created_contacts(answer.status, answer.body))


def is_envelope(body: Any) -> bool:
    """Kore's error envelope: ``{"errors": [{"msg": str, "code": int}, ...]}``."""
    if not isinstance(body, dict) or not isinstance(body.get("errors"), list):
        return False
    return all(
        isinstance(e, dict) and isinstance(e.get("msg"), str) and is_integer(e.get("code"))
        for e in body["errors"]
    ) and bool(body["errors"])


def normalise(value: Any, answer: Answer, to_reference: Callable[[str], str]) -> Any:
    """``value`` with what must differ between hosts replaced by placeholders."""
    if isinstance(value, list):
        return [normalise(item, answer, to_reference) for item in value]
    if isinstance(value, NotJson):
        return str(value)
    if not isinstance(value, dict):
        return value
    result: dict[str, Any] = {}
    for key, item in value.items():
        if isinstance(item, str) and key in TIMESTAMP_KEYS:
            result[key] = TIMESTAMP
        elif isinstance(item, str) and key in AUDIT_KEYS:
            result[key] = AUDIT_ID
        elif isinstance(item, str) and key in MESSAGE_KEYS:
            result[key] = MESSAGE
        elif isinstance(item, str) and key in ("id", "_id", "holderId"):
            result[key] = to_reference(item)
        elif key == "accountId" and _same_text(item, answer.account_id):
            result[key] = ACCOUNT
        elif key == "instanceBotId" and _same_text(item, answer.stream_id):
            result[key] = STREAM
        else:
            result[key] = normalise(item, answer, to_reference)
    return result


def _diff(
    path: str, a: Any, b: Any, found: list[Difference], *, top_list_is_created: bool = False
) -> None:
    if len(found) > MAX_DIFFERENCES:
        return
    if isinstance(a, dict) and isinstance(b, dict):
        for key in [*a, *(k for k in b if k not in a)]:
            child = f"{path}.{key}"
            if key not in b:
                found.append(Difference(child, _shown(a[key]), ABSENT))
            elif key not in a:
                found.append(Difference(child, ABSENT, _shown(b[key])))
            else:
                _diff(child, a[key], b[key], found)
        return
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b) and not top_list_is_created:  # "created" says it for saves
            found.append(Difference(f"{path}.length", len(a), len(b)))
        for index, (x, y) in enumerate(zip(a, b, strict=False)):
            _diff(f"{path}[{index}]", x, y, found)
        return
    if type(a) is not type(b) and not (is_number(a) and is_number(b)):
        found.append(Difference(path, _shown(a), _shown(b)))
    elif a != b:
        found.append(Difference(path, a, b))


def _shown(value: Any) -> Any:
    """A value as a difference reports it: scalars as they are, containers summarised."""
    if isinstance(value, list):
        return f"an array of {len(value)}"
    if isinstance(value, dict):
        if is_envelope(value):
            codes = ", ".join(str(e["code"]) for e in value["errors"][:5])
            return f"an error envelope ({len(value['errors'])} error(s), code {codes})"
        return "an object with " + (", ".join(list(value)[:8]) or "no keys")
    if value is None:
        return None
    return value


def _envelope_word(is_env: bool) -> str:
    return "Kore's error envelope" if is_env else "not the error envelope"


def _same_text(value: Any, expected: str) -> bool:
    return isinstance(value, str) and bool(expected) and value.lower() == expected.lower()
