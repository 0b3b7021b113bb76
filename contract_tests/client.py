"""The vendor API as the scenario tests and the cleanup speak it — through the target's WSGI entry.

Only documented operations are used, so the same code runs against the mock and a real host.
"""

from __future__ import annotations

import csv
import io
import json
import shlex
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

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
# A save refused whole (policy reject) answers 400, 409 or 412: the reading duplicateCreateStatus
REFUSED_SAVE = (400, 409, 412)
MAX_PAGES = 10_000


@dataclass
class Reply:
    method: str
    path: str
    status: int
    headers: dict[str, str]
    body: Any  # parsed JSON, or the text when it is not JSON
    curl: str  # the request as a command line, to reproduce it

    def describe(self) -> str:
        answer = json.dumps(self.body, ensure_ascii=False)[:500]
        return (
            f"{self.method} {self.path} -> {self.status} {answer}\nReproduce with:\n  {self.curl}"
        )


@dataclass
class Saved:
    """What a create/import did, read the same way under either rejected-row policy."""

    reply: Reply
    created: list[dict[str, Any]]

    @property
    def refused_whole_request(self) -> bool:
        return self.reply.status in REFUSED_SAVE

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

    def call(
        self,
        method: str,
        path: str = "",
        *,
        json_body: Any = None,
        csv: bytes | None = None,
        query: dict[str, Any] | None = None,
    ) -> Reply:
        full = self.base + path
        kwargs: dict[str, Any] = {"query_string": query}
        if json_body is not None:
            kwargs["json"] = json_body
        if csv is not None:
            kwargs["data"] = {"result_file": (io.BytesIO(csv), "contacts.csv", "text/csv")}
            kwargs["content_type"] = "multipart/form-data"
        response = self.http.open(
            full, method=method, headers=self.headers(), base_url=self.target.base_url, **kwargs
        )
        text = response.get_data(as_text=True)
        try:
            body: Any = json.loads(text)
        except ValueError:
            body = text
        curl = self._curl(method, full, json_body, csv, query)
        return Reply(method, full, response.status_code, dict(response.headers), body, curl)

    def _curl(
        self, method: str, path: str, json_body: Any, csv: bytes | None, query: dict | None
    ) -> str:
        # a real token stays out of logs: the command reads it from $KORE_JWT
        token = "$KORE_JWT" if self.target.gateway else self.target.token
        parts = ["curl", "-X", method, f'-H "auth: {token}"']
        parts += ["-H", shlex.quote(f"accountId: {self.target.account_id}")]
        if json_body is not None:
            parts += ["-H", "'Content-Type: application/json'"]
            parts += ["-d", shlex.quote(json.dumps(json_body, ensure_ascii=False))]
        url = self.target.base_url + path + (f"?{urlencode(query)}" if query else "")
        parts.append(shlex.quote(url))
        if csv is None:
            return " ".join(parts)
        parts[-1:-1] = ["-F", "'result_file=@-;filename=contacts.csv;type=text/csv'"]
        return f"printf %s {shlex.quote(csv.decode('utf-8', 'replace'))} | " + " ".join(parts)

    # -- the seven operations -------------------------------------------------------------

    def create(self, items: list[dict[str, Any]]) -> Reply:
        return self.call("POST", json_body=items)

    def import_csv(self, data: bytes) -> Reply:
        return self.call("POST", "/import-contacts", csv=data)

    def list_page(self, skip: int = 0, limit: int = 10) -> Reply:
        return self.call("GET", query={"skip": skip, "limit": limit})

    def update(self, contact_id: str, patch: dict[str, Any]) -> Reply:
        return self.call("PUT", f"/{contact_id}", json_body=patch)

    def bulk_update(self, items: list[dict[str, Any]]) -> Reply:
        return self.call("PUT", "/bulk-update", json_body=items)

    def delete(self, contact_id: str) -> Reply:
        return self.call("DELETE", f"/{contact_id}")

    def bulk_delete(self, ids: list[str]) -> Reply:
        """The body field is the stated profile's bulkDeleteField (``ids``, as the sample)."""
        profile = self.target.settings.profile
        if profile is not None:
            return self.call("DELETE", "/bulk-delete", json_body={profile.bulk_delete_field: ids})
        reply = self.call("DELETE", "/bulk-delete", json_body={"ids": ids})
        if reply.status in (400, 412):  # a host that reads the table's `id`
            return self.call("DELETE", "/bulk-delete", json_body={"id": ids})
        return reply

    # -- helpers --------------------------------------------------------------------------

    def list_active(self) -> list[dict[str, Any]]:
        """Every ACTIVE contact of the namespace, page by page."""
        contacts: list[dict[str, Any]] = []
        for _ in range(MAX_PAGES):
            reply = self.list_page(skip=len(contacts), limit=PAGE)
            assert reply.status == 200, reply.describe()
            page = reply.body  # a login page or a proxy's error page answers 200 too
            assert (
                isinstance(page, dict)
                and isinstance(page.get("results"), list)
                and isinstance(page.get("hasMore"), bool)
            ), f"the answer is not a page of contacts: {reply.describe()}"
            results = page["results"]
            contacts += results
            if not page["hasMore"]:
                return contacts
            assert results, f"hasMore is true but the page is empty: {reply.describe()}"
        raise AssertionError(f"more than {MAX_PAGES * PAGE} contacts; point the suite elsewhere")

    def saved(self, reply: Reply) -> Saved:
        """A create/import reply: 200 with the created contacts (policy skip) or a refusal of
        the whole request (reject: 400, or 409 / 412 per the reading duplicateCreateStatus)."""
        assert reply.status in (200, *REFUSED_SAVE), (
            "a save answers 200 (rejected rows skipped) or 400/409/412 (request rejected), "
            f"got {reply.describe()}"
        )
        if reply.status in REFUSED_SAVE:
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
