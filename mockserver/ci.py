"""One answer to "is this a CI run?" for every test suite of the project (and for yours).

``CI`` set to ``true``, ``1``, ``yes`` or ``on`` (any case) means CI — what CI services set;
anything else (unset, empty, ``false``, ``0``) does not. In CI, tests of a required component
(PostgreSQL, the browser) fail instead of skipping, and Hypothesis runs its ``ci`` profile
(derandomized: every run generates the same data); elsewhere its ``default`` profile.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

TRUE = frozenset({"true", "1", "yes", "on"})


def in_ci(environ: Mapping[str, str] = os.environ) -> bool:
    return environ.get("CI", "").strip().lower() in TRUE


def hypothesis_profile(environ: Mapping[str, str] = os.environ) -> str:
    """The Hypothesis profile of this run (Hypothesis' own guess also takes ``CI=false``)."""
    return "ci" if in_ci(environ) else "default"
