"""The contract suite's client, keeping the exchanges of the probe that is running as evidence.

Evidence never holds a credential (the ``auth`` header is ``REDACTED``, any JWT too), nor a
contact the run did not create: a list answer that shows somebody else's contact shows its id
only.
"""

from __future__ import annotations

import copy
from typing import Any

from contract_tests.client import KoreClient, Reply
from mockserver.redact import REDACTED
from mockserver.redact import redacted as without_jwts

OTHERS = "a contact this run did not create (not shown)"


class ProbeClient(KoreClient):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.evidence: list[dict[str, Any]] = []
        self.account_header: str | None = None  # another accountId header, for one probe
        self.auth_header: str | None = None  # another app's token, for one probe

    def headers(self) -> dict[str, str]:
        headers = super().headers()
        if self.account_header is not None:
            headers["accountId"] = self.account_header
        if self.auth_header is not None:
            headers["auth"] = self.auth_header
        return headers

    def call(
        self,
        method: str,
        path: str = "",
        *,
        json_body: Any = None,
        csv: bytes | None = None,
        query: dict[str, Any] | None = None,
    ) -> Reply:
        reply = super().call(method, path, json_body=json_body, csv=csv, query=query)
        request: dict[str, Any] = {
            "method": method,
            "path": reply.path,
            "headers": {**self.headers(), "auth": REDACTED},
        }
        if query:
            request["query"] = {k: str(v) for k, v in query.items()}
        if json_body is not None:
            request["body"] = copy.deepcopy(json_body)
        if csv is not None:
            request["file"] = csv.decode("utf-8", "replace")
        self.evidence.append(
            without_jwts(
                {
                    "request": request,
                    "response": {"status": reply.status, "body": self._shown(reply.body)},
                }
            )
        )
        return reply

    def take_evidence(self) -> list[dict[str, Any]]:
        evidence, self.evidence = self.evidence, []
        return evidence

    def _shown(self, body: Any) -> Any:
        if isinstance(body, list):
            return [self._shown(item) for item in body]
        if isinstance(body, dict):
            contact_id = body.get("id", body.get("_id"))
            if "cellPhone" in body and contact_id not in self.target.ledger:
                return {"id": contact_id, "note": OTHERS}
            return {k: self._shown(v) for k, v in body.items()}
        return body
