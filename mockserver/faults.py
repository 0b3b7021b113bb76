"""Faults the control plane sets on vendor operations: what they are and how they are written.

A fault is a run-time setting (``Runtime.faults``, shared through the store) in the wire form of
the control contract's ``Fault`` schema; ``Fault`` is its checked, typed reading. Applying a
fault to a request is the vendor API's business (``mockserver.api.hooks``).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import Any

from mockserver.errors import ValidationError
from mockserver.spec import integral

EVERY_OPERATION = "*"
MAX_DELAY_MS = 60_000  # the longest delay any fault adds (the schema's bound on latencyMs)


@dataclass(frozen=True)
class LogNormal:
    """A delay whose logarithm is normal: ``median_ms`` is its median, ``sigma`` the standard
    deviation of its logarithm (WireMock's ``lognormal``). Draws are capped at ``max_ms``."""

    median_ms: float
    sigma: float
    max_ms: int = MAX_DELAY_MS

    def draw(self, rng: random.Random) -> float:
        return min(float(self.max_ms), rng.lognormvariate(math.log(self.median_ms), self.sigma))

    def to_wire(self) -> dict[str, Any]:
        wire: dict[str, Any] = {"medianMs": self.median_ms, "sigma": self.sigma}
        if self.max_ms != MAX_DELAY_MS:
            wire["maxMs"] = self.max_ms
        return wire


@dataclass(frozen=True)
class Trickle:
    """The response body sent in up to ``chunks`` pieces, one every ``total_ms / chunks``
    milliseconds, the last at ``total_ms`` (WireMock's chunked dribble delay)."""

    total_ms: int
    chunks: int

    def to_wire(self) -> dict[str, Any]:
        return {"totalMs": self.total_ms, "chunks": self.chunks}


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
    log_normal: LogNormal | None = None
    trickle: Trickle | None = None

    @classmethod
    def from_wire(cls, raw: dict[str, Any]) -> Fault:
        """A fault from a (schema-valid) request body; contradictions are a 400."""
        # integral() too: a store written before the control plane did it may hold 503.0
        fault = cls(
            latency_ms=integral(raw.get("latencyMs", 0)),
            latency_max_ms=integral(raw.get("latencyMaxMs")),
            error_status=integral(raw.get("errorStatus")),
            error_rate=raw.get("errorRate", 1.0),
            error_message=raw.get("errorMessage"),
            drop_connection=raw.get("dropConnection", False),
            drop_rate=raw.get("dropRate", 1.0),
            log_normal=_log_normal(raw.get("latencyLogNormal")),
            trickle=_trickle(raw.get("trickle")),
        )
        if fault.log_normal is not None and ("latencyMs" in raw or "latencyMaxMs" in raw):
            raise ValidationError(
                "latencyLogNormal replaces latencyMs / latencyMaxMs: give one kind of delay"
            )
        if fault.latency_max_ms is not None and fault.latency_max_ms < fault.latency_ms:
            raise ValidationError("latencyMaxMs must not be below latencyMs")
        if ("errorRate" in raw or "errorMessage" in raw) and fault.error_status is None:
            raise ValidationError("errorRate and errorMessage need an errorStatus")
        if "dropRate" in raw and not fault.drop_connection:
            raise ValidationError("dropRate needs dropConnection: true")
        does = (fault.latency_ms, fault.latency_max_ms, fault.error_status, fault.log_normal)
        if not any(does) and not fault.drop_connection and fault.trickle is None:
            raise ValidationError(
                "The fault does nothing: give latencyMs, latencyLogNormal, trickle, errorStatus "
                "or dropConnection"
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
        if self.log_normal is not None:
            wire["latencyLogNormal"] = self.log_normal.to_wire()
        if self.trickle is not None:
            wire["trickle"] = self.trickle.to_wire()
        return wire

    def delay_ms(self, rng: random.Random) -> float:
        if self.log_normal is not None:
            return round(self.log_normal.draw(rng), 1)
        if self.latency_max_ms is None:
            return self.latency_ms
        return rng.randint(self.latency_ms, self.latency_max_ms)


def _log_normal(raw: dict[str, Any] | None) -> LogNormal | None:
    if raw is None:
        return None
    log_normal = LogNormal(raw["medianMs"], raw["sigma"], raw.get("maxMs", MAX_DELAY_MS))
    if log_normal.max_ms < log_normal.median_ms:
        raise ValidationError("latencyLogNormal.maxMs must not be below its medianMs")
    return log_normal


def _trickle(raw: dict[str, Any] | None) -> Trickle | None:
    return None if raw is None else Trickle(integral(raw["totalMs"]), integral(raw["chunks"]))
