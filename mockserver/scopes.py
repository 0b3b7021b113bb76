"""Scopes: faults and readings (the rate limit, the import policy...) for some callers only.

On a server shared by parallel CI jobs, what one job sets must not hit the others. A scope
names the requests something applies to:

- ``scenario``: the requests carrying the header ``X-Mock-Scenario: NAME``;
- ``clientId``: the requests of one app (the JWT's app, once its token checks out);
- ``accountId`` + ``streamId``: the requests to one namespace.

A request belongs to at most one scope of each kind; what it meets is looked up in that order —
its scenario, then its app, then its namespace, then what is set for everyone (unscoped, as
before scopes existed) — and the first that sets it wins, per fault (an operation's own fault
before the one for ``*``) and per reading.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mockserver.contacts.model import Namespace
from mockserver.errors import ValidationError

SCENARIO_HEADER = "X-Mock-Scenario"
SCENARIO_ENVIRON = "HTTP_" + SCENARIO_HEADER.upper().replace("-", "_")  # its WSGI key
_SCENARIO = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,99}")
KINDS = ("scenario", "clientId", "namespace")  # the lookup order


@dataclass(frozen=True)
class Scope:
    kind: str  # one of KINDS
    value: str  # the scenario name, the clientId, or "accountId/streamId"

    @property
    def key(self) -> str:
        """Its key in the stored state."""
        return f"{self.kind}:{self.value}"

    def to_wire(self) -> dict[str, str]:
        if self.kind == "namespace":
            account, stream = self.value.split("/", 1)
            return {"accountId": account, "streamId": stream}
        return {self.kind: self.value}

    @classmethod
    def from_key(cls, key: str) -> Scope:
        kind, _, value = key.partition(":")
        return cls(kind, value)

    @classmethod
    def of_namespace(cls, ns: Namespace) -> Scope:
        return cls("namespace", f"{ns.account_id}/{ns.stream_id}")


def from_params(params: Mapping[str, Any]) -> Scope | None:
    """The scope a control call names (query parameters or a body); None for everyone.

    One kind at most; a namespace needs both halves.
    """
    scenario = params.get("scenario")
    client_id = params.get("clientId")
    account, stream = params.get("accountId"), params.get("streamId")
    given = [name for name, value in (("scenario", scenario), ("clientId", client_id)) if value]
    if account or stream:
        given.append("accountId + streamId")
    if len(given) > 1:
        raise ValidationError(f"Name one scope, not {' and '.join(given)}")
    if scenario:
        return Scope("scenario", check_scenario(scenario))
    if client_id:
        return Scope("clientId", client_id)
    if account or stream:
        if not (account and stream):
            raise ValidationError("A namespace scope needs both accountId and streamId")
        return Scope.of_namespace(Namespace(account.lower(), stream))
    return None


def check_scenario(name: str) -> str:
    if not isinstance(name, str) or not _SCENARIO.fullmatch(name):
        raise ValidationError(
            f"A scenario name is 1-100 letters, digits, '.', '_', ':' or '-' (got {name!r:.120})"
        )
    return name


def scenario_of(header: str | None) -> str | None:
    """The scenario a request names in its header; None when absent or malformed (ignored)."""
    if header is None:
        return None
    header = header.strip()
    return header if _SCENARIO.fullmatch(header) else None


def candidates(
    scenario: str | None, client_id: str | None, namespace: Namespace | None
) -> list[str]:
    """The scope keys a request belongs to, most specific first."""
    keys = []
    if scenario:
        keys.append(Scope("scenario", scenario).key)
    if client_id:
        keys.append(Scope("clientId", client_id).key)
    if namespace is not None:
        keys.append(Scope.of_namespace(namespace).key)
    return keys
