"""What the ``kore_mock`` fixture's two kinds share: the in-process mock (``testing.KoreMock``)
and a share of a running server (``shared_mock.SharedKoreMock``) are called the same way.

Each kind keeps its own state and its own way to the data (the app in the same process, or
the control plane); this base holds the part of the surface that only depends on where the
mock is (``base_url``, ``stream_id``) and on its ``journal()``.
"""

from __future__ import annotations

from typing import Any

from mockserver.faults import EVERY_OPERATION
from mockserver.spec import API_PREFIX, VENDOR

# operations whose journal entry carries the per-row report ``rejected_rows`` returns
SAVING_OPERATIONS = ("importContacts", "createContacts")


class FixtureSurface:
    base_url: str
    stream_id: str

    @property
    def contacts_url(self) -> str:
        """``.../agentassist/api/v1/public/{streamId}/contacts`` of the default stream."""
        return self.contacts_url_for(self.stream_id)

    def contacts_url_for(self, stream_id: str) -> str:
        return f"{self.base_url}{API_PREFIX}/{stream_id}/contacts"

    def journal(
        self, operation: str | None = None, status: int | None = None, limit: int = 100
    ) -> list[dict[str, Any]]:
        raise NotImplementedError

    def rejected_rows(self) -> list[dict[str, Any]]:
        """The per-row report of the most recent import or create: row, reason, number..."""
        for entry in self.journal(limit=1000):
            if entry.get("operation") in SAVING_OPERATIONS:
                return entry.get("report", [])
        return []

    @staticmethod
    def _check_operation(operation: str) -> None:
        """``ValueError`` unless ``operation`` is an operationId of the vendor API or ``*``."""
        if operation != EVERY_OPERATION and operation not in VENDOR.operation_ids():
            known = ", ".join(sorted(VENDOR.operation_ids()))
            raise ValueError(f"no operation {operation!r}; use one of {known} or '*'")
