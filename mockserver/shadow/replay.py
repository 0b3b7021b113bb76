"""A recording replayed in order, every answer compared with the answer of record.

Against a fresh in-process mock (``replay_on_mock``): each recorded request is applied to the mock
as the proxy applies it (``Mirror``: auth taking the recording's word, ids mapped from the
recorded save answers to the mock's own, the mock following the recording where they part), so
a recording of a tenant becomes a regression test of the mock against that tenant's last known
behaviour. Against a host instead, see ``mockserver.shadow.host_replay``.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from mockserver.settings import Settings
from mockserver.shadow.compare import Difference
from mockserver.shadow.mirror import Mirror
from mockserver.shadow.recording import Recorded

NAMES = ("recorded", "replayed")


@dataclass
class ReplayedExchange:
    recorded: Recorded
    status: int | None  # the replay's answer; None when it was not sent
    differences: list[Difference] = field(default_factory=list)
    note: str = ""

    @property
    def recorded_status(self) -> int | None:
        return self.recorded.response.status if self.recorded.response else None

    def to_wire(self) -> dict[str, Any]:
        sent = self.recorded.request
        item: dict[str, Any] = {
            "seq": self.recorded.seq,
            "line": self.recorded.line,
            "operation": self.recorded.operation,
            "method": sent.method,
            "path": sent.target(),
            "recorded": {
                "status": self.recorded.response.status if self.recorded.response else None
            },
            "replayed": {"status": self.status},
            "differences": [d.to_wire(NAMES) for d in self.differences],
        }
        if self.note:
            item["note"] = self.note
        return item


@dataclass
class ReplayReport:
    target: str
    items: list[ReplayedExchange]

    @property
    def differing(self) -> list[ReplayedExchange]:
        return [i for i in self.items if i.differences]

    @property
    def not_replayed(self) -> list[ReplayedExchange]:
        """Exchanges not sent (their note says why): nothing of theirs was checked."""
        return [i for i in self.items if i.status is None]

    @property
    def replayed(self) -> int:
        return len(self.items) - len(self.not_replayed)

    @property
    def passed(self) -> bool:
        """Every exchange replayed alike, and at least one was: a replay that checked nothing
        (every exchange not replayable, e.g. a journal an older kore-mock wrote) is no pass."""
        return self.replayed > 0 and not self.differing

    def to_wire(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "exchanges": len(self.items),
            "replayed": self.replayed,
            "notReplayed": len(self.not_replayed),
            "differing": len(self.differing),
            "items": [i.to_wire() for i in self.items],
        }

    def to_text(self, *, verbose: bool = False) -> str:
        lines = [f"replay of {len(self.items)} exchange(s) against {self.target}"]
        for item in self.items:
            if not item.differences and not verbose:
                continue
            sent, record = item.recorded.request, item.recorded
            was = item.recorded_status if item.recorded_status is not None else "-"
            if item.status is None:  # nothing to compare: the note says why
                outcome = item.note or "not replayed"
            else:
                verdict = "DIFFERS" if item.differences else "same"
                outcome = f"replayed {item.status} — {verdict}"
            lines.append(
                f"#{record.seq} (line {record.line}) {record.operation or '-'} {sent.method} "
                f"{sent.target()}: recorded {was}, {outcome}"
            )
            lines += [
                f"    {d.path}: {_shown(d.upstream)} (recorded) vs {_shown(d.mock)} (replayed)"
                for d in item.differences
            ]
            if item.note and item.status is not None:
                lines.append(f"    ({item.note})")
        if not verbose:  # why the others were not replayed, once per reason
            reasons = Counter(i.note or "not replayed" for i in self.not_replayed)
            lines += [f"{count} exchange(s) {why}" for why, count in reasons.most_common()]
        lines.append(
            f"{len(self.items)} exchange(s): {self.replayed} replayed, "
            f"{len(self.not_replayed)} not replayed, {len(self.differing)} differing"
        )
        if not self.replayed:
            lines.append("nothing was replayed: the replay checked nothing")
        return "\n".join(lines)


def replay_on_mock(recorded: Iterable[Recorded], settings: Settings, target: str) -> ReplayReport:
    """Replay against a fresh mock built from ``settings`` (its store is thrown away after)."""
    mirror = Mirror(settings.with_overrides(db=":memory:"))
    items = []
    try:
        for exchange in recorded:
            skip = not_replayable(exchange)
            if skip:
                items.append(ReplayedExchange(exchange, None, note=skip))
                continue
            shadowed = mirror.apply(
                exchange.request,
                exchange.response,
                body_known=exchange.body_kept,
                created=exchange.created,
                refused=exchange.refused,
            )
            items.append(
                ReplayedExchange(
                    exchange, shadowed.mock_status, shadowed.differences, shadowed.note
                )
            )
    finally:
        mirror.close()
    return ReplayReport(target, items)


def not_replayable(exchange: Recorded) -> str:
    """Why an exchange of a recording cannot be replayed ('' when it can)."""
    if exchange.response is None:
        return "not replayed: the recording kept no answer"
    if not exchange.request_kept and not exchange.headers_kept:
        return "not replayed: the journal entry kept no request (written by an older kore-mock)"
    if not exchange.request_kept:
        return "not replayed: the journal did not keep the request's body (over 1 MiB, or not read)"
    return ""


def _shown(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value
