"""Which reading of the tenant profile a host showed, reading by reading.

The scenario tests accept every value of a reading the vendor leaves open, and tell this object
which one the host answered with (``saw``). When the run states the profile it expects (always
in-process: the mock runs with it; against a host with ``KORE_PROFILE``), a different answer
fails the scenario; without one, every allowed value passes and is only recorded. A value no
reading allows fails in both cases: no profile can describe that host.

``to_dict`` is the machine-readable result (``kore-mock contract --profile-report FILE``):
per reading its source, the stated value (or null), what was observed (null: not exercised by
this run) and the requests that showed it.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mockserver.profile import Profile, Reading, readings

MAX_EVIDENCE = 5  # requests kept per reading


@dataclass
class Observation:
    reading: Reading
    values: list[Any] = field(default_factory=list)  # distinct, in the order seen
    evidence: list[str] = field(default_factory=list)

    @property
    def observed(self) -> Any:
        """The value the host showed; None when not exercised or when it showed several."""
        return self.values[0] if len(self.values) == 1 else None


class Observations:
    def __init__(self, stated: Profile | None) -> None:
        self.stated = stated
        self._by_name = {r.name: Observation(r) for r in readings()}
        self._lock = threading.Lock()

    def saw(self, name: str, value: Any, evidence: str) -> None:
        """The host answered like reading ``name`` = ``value`` (``evidence``: the request)."""
        observation = self._by_name[name]
        with self._lock:
            if value not in observation.values:
                observation.values.append(value)
            if len(observation.evidence) < MAX_EVIDENCE:
                observation.evidence.append(evidence)
        allowed = observation.reading.values
        assert value in allowed, (
            f"the host answered in a way no value of {name} describes ({value!r}; kore-mock "
            f"knows {', '.join(map(str, allowed))}): {evidence}"
        )
        if self.stated is not None:
            expected = self.stated.get(name)
            assert value == expected, (
                f"the stated profile says {name}: {expected}, the host showed {value}: {evidence}"
            )

    def observed(self, name: str) -> Any:
        return self._by_name[name].observed

    def to_dict(self) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for name, observation in self._by_name.items():
            result[name] = {
                "source": observation.reading.source,
                "default": observation.reading.default,
                "stated": None if self.stated is None else self.stated.get(name),
                "observed": observation.observed,
                "seen": list(observation.values),
                "evidence": list(observation.evidence),
            }
        return {"readings": result}

    def summary_lines(self) -> list[str]:
        lines = []
        for name, observation in self._by_name.items():
            if not observation.values:
                continue
            shown = ", ".join(str(v) for v in observation.values)
            stated = "" if self.stated is None else f" (stated {self.stated.get(name)})"
            lines.append(f"{name} = {shown}{stated}")
        return lines

    def write(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_dict(), indent=2) + "\n")
