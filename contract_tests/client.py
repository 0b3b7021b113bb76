"""The vendor API as the scenario tests and the cleanup speak it — through the target's WSGI entry.

Only documented operations are used, so the same code runs against the mock and a real host.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from werkzeug.test import Client

from contract_tests.target import Target

API_PREFIX = "/agentassist/api/v1/public"
CSV_COLUMNS = (
    "firstName",
    "lastName",
    "salutation",
    "cellPhoneNumber",
    "cellPhoneCountryCode",
    "cellPhoneExtension",
)
PAGE = 100
MAX_PAGES = 10_000


@dataclass
class Reply:
    method: str
    path: str
    status: int
    headers: dict[str, str]
    body: Any  # parsed JSON, or the text when it is not JSON

    def describe(self) -> str:
        return f"{self.method} {self.path} -> {self.status} {json.dumps(self.body)[:500]}"


@dataclass
class Saved:
    """What a create/import did, read the same way under either rejected-row policy."""

    reply: Reply
    created: list[dict[str, Any]]

    @property
    def refused_whole_request(self) -> bool:
        return self.reply.status == 400

    @property
    def created_numbers(self) -> list[str]:
        return [c["cellPhone"]["phoneNumber"] for c in self.created]


class KoreClient:
    def __init__(self, target: Target) -> None:
        self.target = target
        self.http = Client(target.app)
        self.base = f"{API_PREFIX}/{target.stream_id}/contacts"

    def headers(self) -> dict[str, str]:
        return {"auth": self.target.token, "accountId": self.target.account_id}

    def call(self, method: str, path: str = "", **kwargs: Any) -> Reply:
        full = self.base + path
        response = self.http.open(
            full, method=method, headers=self.headers(), base_url=self.target.base_url, **kwargs
        )
        text = response.get_data(as_text=True)
        try:
            body: Any = json.loads(text)
        except ValueError:
            body = text
        return Reply(method, full, response.status_code, dict(response.headers), body)

    # -- the seven operations -------------------------------------------------------------

    def create(self, items: list[dict[str, Any]]) -> Reply:
        return self.call("POST", json=items)

    def import_csv(self, data: bytes) -> Reply:
        return self.call(
            "POST",
            "/import-contacts",
            data={"result_file": (io.BytesIO(data), "contacts.csv", "text/csv")},
            content_type="multipart/form-data",
        )

    def list_page(self, skip: int = 0, limit: int = 10) -> Reply:
        return self.call("GET", query_string={"skip": skip, "limit": limit})

    def update(self, contact_id: str, patch: dict[str, Any]) -> Reply:
        return self.call("PUT", f"/{contact_id}", json=patch)

    def bulk_update(self, items: list[dict[str, Any]]) -> Reply:
        return self.call("PUT", "/bulk-update", json=items)

    def delete(self, contact_id: str) -> Reply:
        return self.call("DELETE", f"/{contact_id}")

    def bulk_delete(self, ids: list[str]) -> Reply:
        return self.call("DELETE", "/bulk-delete", json={"ids": ids})

    # -- helpers --------------------------------------------------------------------------

    def list_active(self) -> list[dict[str, Any]]:
        """Every ACTIVE contact of the namespace, page by page."""
        contacts: list[dict[str, Any]] = []
        for _ in range(MAX_PAGES):
            reply = self.list_page(skip=len(contacts), limit=PAGE)
            assert reply.status == 200, reply.describe()
            results = reply.body["results"]
            contacts += results
            if not reply.body["hasMore"]:
                return contacts
            assert results, f"hasMore is true but the page is empty: {reply.describe()}"
        raise AssertionError(f"more than {MAX_PAGES * PAGE} contacts; point the suite elsewhere")

    def saved(self, reply: Reply) -> Saved:
        """A create/import reply: 200 with the created contacts (policy skip) or 400 (reject)."""
        assert reply.status in (200, 400), (
            "a save answers 200 (rejected rows skipped) or 400 (request rejected), "
            f"got {reply.describe()}"
        )
        if reply.status == 400:
            assert isinstance(reply.body, dict) and reply.body.get("errors"), reply.describe()
            return Saved(reply, [])
        assert isinstance(reply.body, list), reply.describe()
        return Saved(reply, reply.body)


def contact(first: str, last: str, phone: dict[str, str], salutation: str = "Mr") -> dict[str, Any]:
    """One item of a create request."""
    return {"firstName": first, "lastName": last, "salutation": salutation, "cellPhone": phone}


def csv_file(rows: Iterable[Sequence[str]], *, columns: Sequence[str] = CSV_COLUMNS) -> bytes:
    """An import file with a header row."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows(rows)
    return out.getvalue().encode()
