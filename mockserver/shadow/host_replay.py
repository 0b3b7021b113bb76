"""A recording replayed against a host (``kore-mock replay FILE --upstream URL``).

Each recorded request is sent again in order, through the contract suite's own way to a host —
the safety guard (only fictitious numbers, only contacts this replay created, only the
configured stream), the ledger of created contacts, the throttle and the 429 back-off — with the
replay's own credentials, account and stream in place of the recorded ones, and the ids of the
recording mapped to the ids the host issues (``IdMap``, as the proxy does). Every answer is
compared with the answer of record. What the replay created is deleted at the end, and the
namespace is listed before and after to show that it is as it was.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass

from contract_tests.client import KoreClient
from contract_tests.guard import UnsafeRequest
from contract_tests.interrupts import held
from contract_tests.namespace import Baseline, Cleanup, clean_up
from contract_tests.target import Target
from mockserver.contacts.model import Namespace
from mockserver.shadow.compare import SAVE_OPERATIONS, Answer, compare
from mockserver.shadow.ids import IdMap, created_contacts
from mockserver.shadow.mirror import CONTACTS_PATH, NOT_APPLIED
from mockserver.shadow.recording import Recorded
from mockserver.shadow.replay import ReplayedExchange, ReplayReport, not_replayable
from mockserver.shadow.wire import REJECTED_ROWS_HEADER, HttpRequest, HttpResponse

_STREAM_SEGMENT = re.compile(r"(/agentassist/api/v1/public/)([^/]+)(/contacts)")
CREDENTIALS = ("auth", "authorization", "accountid")


@dataclass
class HostReplay:
    report: ReplayReport
    cleanup: Cleanup
    before: int  # ACTIVE contacts listed before the replay
    after: int  # ...and after its cleanup
    requests: int  # sent to the host, the listings and the cleanup included
    not_sent: int  # exchanges the safety guard refused


def replay_on_host(recorded: Iterable[Recorded], target: Target) -> HostReplay:
    kore = KoreClient(target)
    baseline = Baseline.of(kore.list_active())
    target.numbers.exclude(baseline.numbers)
    ids = IdMap()
    items: list[ReplayedExchange] = []
    not_sent = 0
    try:
        for exchange in recorded:
            item = _replay_one(exchange, target, kore, ids)
            not_sent += item.status is None and item.note.startswith("not sent")
            items.append(item)
    finally:
        with held():  # a stop during the cleanup waits for its end
            cleanup = clean_up(kore, baseline)
    after = len(kore.list_active())
    report = ReplayReport(f"{target.base_url} (stream {target.stream_id})", items)
    return HostReplay(report, cleanup, len(baseline.ids), after, target.ledger.requests, not_sent)


def _replay_one(
    exchange: Recorded, target: Target, kore: KoreClient, ids: IdMap
) -> ReplayedExchange:
    skip = not_replayable(exchange)
    if skip:
        return ReplayedExchange(exchange, None, note=skip)
    sent = _for_target(exchange.request, target, ids)
    try:
        answer = _send(kore, sent)
    except UnsafeRequest as exc:
        return ReplayedExchange(exchange, None, note="not sent: " + "; ".join(exc.problems))
    operation = exchange.operation
    recorded = _answer(exchange.response, exchange.request, exchange)
    replayed = _answer(answer, sent, None)
    if exchange.response.status in NOT_APPLIED and answer.status == exchange.response.status:
        return ReplayedExchange(exchange, answer.status)
    if operation in SAVE_OPERATIONS and exchange.body_kept:
        ids.learn(
            created_contacts(recorded.status, recorded.body),
            created_contacts(replayed.status, replayed.body),
        )
    differences = compare(operation, recorded, replayed, ids.to_reference)
    return ReplayedExchange(exchange, answer.status, differences)


def _for_target(recorded: HttpRequest, target: Target, ids: IdMap) -> HttpRequest:
    """The recorded request as this replay sends it: its stream, account, token and ids."""
    path = _STREAM_SEGMENT.sub(rf"\g<1>{target.stream_id}\g<3>", recorded.path, count=1)
    path = ids.path_to_other(path)
    body = recorded.body
    parsed = recorded.json()
    if parsed is not None:
        translated = ids.body_to_other(parsed)
        if translated != parsed:
            body = json.dumps(translated, ensure_ascii=False, separators=(",", ":")).encode()
    headers = tuple((k, v) for k, v in recorded.headers if k.lower() not in CREDENTIALS)
    headers += (("auth", target.token), ("accountId", target.account_id))
    return recorded.with_changes(path=path, body=body, headers=headers)


def _send(kore: KoreClient, sent: HttpRequest) -> HttpResponse:
    content_type = sent.content_type
    headers = [(k, v) for k, v in sent.headers if k.lower() != "content-type"]
    response = kore.http.open(
        sent.path,
        method=sent.method,
        headers=headers,
        data=sent.body,
        content_type=content_type or None,
        query_string=sent.query,
        base_url=kore.target.base_url,
    )
    return HttpResponse(response.status_code, tuple(response.headers.items()), response.get_data())


def _answer(response: HttpResponse, sent: HttpRequest, exchange: Recorded | None) -> Answer:
    match = CONTACTS_PATH.fullmatch(sent.path)
    ns = Namespace((sent.header("accountId") or "").lower(), match.group(1) if match else "")
    rejected = response.header(REJECTED_ROWS_HEADER)
    body_known = exchange is None or exchange.body_kept
    if not body_known and exchange is not None and exchange.refused is not None:
        rejected = str(exchange.refused)
    return Answer(
        status=response.status,
        body=response.json() if body_known else None,
        rejected_rows=int(rejected) if rejected and rejected.isdigit() else None,
        account_id=ns.account_id,
        stream_id=ns.stream_id,
        body_known=body_known,
        created=exchange.created if exchange is not None else None,
    )
