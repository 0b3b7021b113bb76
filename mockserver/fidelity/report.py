"""What ``kore-mock fidelity`` writes: fidelity.json, profile.yaml, fidelity.md."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from mockserver.fidelity.probes import Unexpected
from mockserver.fidelity.run import CONFIRMED, CONTRADICTED, UNTESTABLE, Behaviour, Fidelity

_PLAIN = re.compile(r"[A-Za-z][A-Za-z0-9]*")


def fidelity_json(report: Fidelity) -> dict[str, Any]:
    return {
        "host": report.host,
        "streamId": report.stream_id,
        "accountId": report.account_id,
        "at": report.at,
        "confirmed": report.count(CONFIRMED),
        "contradicted": report.count(CONTRADICTED),
        "untestable": report.count(UNTESTABLE),
        "behaviours": [_behaviour(b) for b in report.behaviours],
        "probes": report.probes_run,
        "requests": report.requests,
        "wallTimeSeconds": round(report.wall_time, 1),
        "namespace": report.namespace,
    }


def _behaviour(b: Behaviour) -> dict[str, Any]:
    item: dict[str, Any] = {
        "reading": b.reading.name,
        "expected": b.expected,
        "observed": str(b.observed) if isinstance(b.observed, Unexpected) else b.observed,
        "verdict": b.verdict,
        "evidence": b.evidence,
        "source": b.reading.source,
        "probe": b.probe.sends,
    }
    if b.outcome.note:
        item["note"] = b.outcome.note
    if b.cleanup:
        item["cleanup"] = b.cleanup
    return item


def profile_yaml(report: Fidelity) -> str:
    """A profile ``kore-mock serve --profile`` loads as is: the readings the host showed."""
    lines = [
        f"# The tenant profile of {report.host} (stream {report.stream_id}), measured by",
        f"# `kore-mock fidelity` at {report.at}.",
        "# Load it with: kore-mock serve --profile profile.yaml",
    ]
    for b in report.behaviours:
        lines.append(f"{b.reading.name}: {_scalar(b.shown_value)}  # {_why(b)}")
    return "\n".join(lines) + "\n"


def _why(b: Behaviour) -> str:
    if b.verdict == CONFIRMED:
        return "confirmed"
    if b.verdict == UNTESTABLE:
        return f"untestable, kore-mock's value kept: {b.outcome.note}"
    if isinstance(b.observed, Unexpected):
        return f"contradicted: the host answered {b.observed}, no value of this reading"
    return f"contradicted: kore-mock expected {b.expected}"


def _scalar(value: Any) -> str:
    if isinstance(value, str) and _PLAIN.fullmatch(value) and value not in ("yes", "no", "on"):
        return value
    return json.dumps(value)


def fidelity_md(report: Fidelity) -> str:
    counts = (
        f"{report.count(CONFIRMED)} confirmed, {report.count(CONTRADICTED)} contradicted, "
        f"{report.count(UNTESTABLE)} untestable"
    )
    lines = [
        f"# kore-mock fidelity: {report.host} (stream {report.stream_id})",
        "",
        f"Measured {report.at}: {counts}. {report.probes_run} probes, {report.requests} "
        f"requests, {report.wall_time:.1f} s. Namespace before / after: "
        f"{report.namespace.get('before')} / {report.namespace.get('after')} contacts"
        + (" (as found)." if report.namespace.get("asFound") else " (NOT as found)."),
        "",
        "| reading | kore-mock expects | the host showed | verdict | probe | note |",
        "|---|---|---|---|---|---|",
    ]
    for b in report.behaviours:
        observed = "—" if b.observed is None else str(b.observed)
        lines.append(
            f"| `{b.reading.name}` | {b.expected} | {observed} | **{b.verdict}** | "
            f"{_cell(b.probe.sends)} | {_cell(b.outcome.note)} |"
        )
    lines += [
        "",
        "`profile.yaml` holds the readings the host showed (untestable ones keep kore-mock's "
        "value); `kore-mock serve --profile profile.yaml` runs a mock that reads like this host. "
        "`fidelity.json` has every request and answer of each probe.",
    ]
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def write_reports(report: Fidelity, out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    files = {
        "fidelity.json": json.dumps(fidelity_json(report), indent=2, ensure_ascii=False) + "\n",
        "profile.yaml": profile_yaml(report),
        "fidelity.md": fidelity_md(report),
    }
    written = []
    for name, text in files.items():
        path = out / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
