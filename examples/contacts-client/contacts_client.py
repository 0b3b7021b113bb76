"""A tiny client for Kore.ai's contacts API — the kind of code you would test with kore-mock."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests


@dataclass
class ImportResult:
    created: list[dict[str, Any]]
    refused: int  # rows the server left out (kore-mock tells it in X-Mock-Rejected-Rows)


class ContactsClient:
    def __init__(self, host_url: str, stream_id: str, account_id: str, token: str) -> None:
        self.url = f"{host_url}/agentassist/api/v1/public/{stream_id}/contacts"
        self.session = requests.Session()
        self.session.headers.update({"auth": token, "accountId": account_id})

    def import_csv(self, path: Path) -> ImportResult:
        with path.open("rb") as handle:
            response = self.session.post(
                self.url + "/import-contacts",
                files={"result_file": (path.name, handle, "text/csv")},
                timeout=30,
            )
        response.raise_for_status()
        created = response.json()
        return ImportResult(created, int(response.headers.get("X-Mock-Rejected-Rows", 0)))

    def phone_book(self) -> dict[str, str]:
        """Every contact's number -> full name, page by page."""
        book: dict[str, str] = {}
        skip = 0
        while True:
            page = self.session.get(self.url, params={"skip": skip, "limit": 100}, timeout=30)
            page.raise_for_status()
            body = page.json()
            book.update({c["cellPhone"]["phoneNumber"]: c["fullName"] for c in body["results"]})
            if not body["hasMore"]:
                return book
            skip += len(body["results"])
