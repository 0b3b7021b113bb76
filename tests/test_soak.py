"""The short soak: bench/soak.py's mixed load against `kore-mock serve` with 4 workers, as a
fixed amount of work (6 clients x (30 warm-up + 100 measured) requests; ~10 s on the 2-core
machine): no 5xx, no dropped connection, RSS growth under 10 %. The timed soak is
`python bench/soak.py`."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

SOAK = Path(__file__).resolve().parents[1] / "bench" / "soak.py"


def load_soak():
    spec = importlib.util.spec_from_file_location("kore_mock_soak", SOAK)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_short_mixed_load_leaves_the_server_as_it_found_it():
    soak = load_soak()
    result = soak.soak_counted(100, workers=4, clients=6, warmup_actions=30)
    report = result.report()
    assert set(result.by_kind) == {"import", "create", "list", "update", "delete", "bad"}, report
    assert result.statuses[200] > 100 and sum(
        n for status, n in result.statuses.items() if 400 <= status < 500
    ), report
    assert result.server_errors == 0, report
    assert result.unexpected == [], report
    assert result.growth < soak.MAX_GROWTH, report
