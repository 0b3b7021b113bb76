"""Faults the control plane sets on vendor operations: what they are and how they are written.

A fault is a run-time setting (``Runtime.faults``, shared through the store) in the wire form of
the control contract's ``Fault`` schema; ``Fault`` is its checked, typed reading. Applying a
fault to a request is the vendor API's business (``mockserver.api.hooks``).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from mockserver.errors import ValidationError

EVERY_OPERATION = "*"


@dataclass(frozen=True)
class Fault:
    """What happens to every call of one operation (see the control OpenAPI's ``Fault``)."""

    latency_ms: int = 0
    latency_max_ms: int | None = None
    error_status: int | None = None
    error_rate: float = 1.0
    error_message: str | None = None
    drop_connection: bool = False
    drop_rate: float = 1.0

    @classmethod
    def from_wire(cls, raw: dict[str, Any]) -> Fault:
        """A fault from a (schema-valid) request body; contradictions are a 400."""
        fault = cls(
            latency_ms=raw.get("latencyMs", 0),
            latency_max_ms=raw.get("latencyMaxMs"),
            error_status=raw.get("errorStatus"),
            error_rate=raw.get("errorRate", 1.0),
            error_message=raw.get("errorMessage"),
            drop_connection=raw.get("dropConnection", False),
            drop_rate=raw.get("dropRate", 1.0),
        )
        if fault.latency_max_ms is not None and fault.latency_max_ms < fault.latency_ms:
            raise ValidationError("latencyMaxMs must not be below latencyMs")
        if ("errorRate" in raw or "errorMessage" in raw) and fault.error_status is None:
            raise ValidationError("errorRate and errorMessage need an errorStatus")
        if "dropRate" in raw and not fault.drop_connection:
            raise ValidationError("dropRate needs dropConnection: true")
        if not (fault.latency_ms or fault.latency_max_ms or fault.error_status) and not (
            fault.drop_connection
        ):
            raise ValidationError(
                "The fault does nothing: give latencyMs, errorStatus or dropConnection"
            )
        return fault

    def to_wire(self) -> dict[str, Any]:
        wire: dict[str, Any] = {}
        if self.latency_ms or self.latency_max_ms is not None:
            wire["latencyMs"] = self.latency_ms
        if self.latency_max_ms is not None:
            wire["latencyMaxMs"] = self.latency_max_ms
        if self.error_status is not None:
            wire["errorStatus"] = self.error_status
            wire["errorRate"] = self.error_rate
            if self.error_message:
                wire["errorMessage"] = self.error_message
        if self.drop_connection:
            wire["dropConnection"] = True
            wire["dropRate"] = self.drop_rate
        return wire

    def delay_ms(self, rng: random.Random) -> int:
        if self.latency_max_ms is None:
            return self.latency_ms
        return rng.randint(self.latency_ms, self.latency_max_ms)


def fault_for(faults: dict[str, dict[str, Any]], operation: str) -> Fault | None:
    """The operation's own fault, else the one for every operation, else None."""
    raw = faults.get(operation) or faults.get(EVERY_OPERATION)
    return None if raw is None else Fault.from_wire(raw)
