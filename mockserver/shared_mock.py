"""The ``kore_mock`` fixture on a shared server: a running ``kore-mock serve`` that parallel test
sessions (CI jobs, pytest-xdist workers) use at once.

Each ``SharedKoreMock`` takes a namespace of its own (the server's first app's account, a new
stream id) and a scenario of its own (a new name, sent as ``X-Mock-Scenario`` by ``headers()``).
What it sets — faults, the import policy, the tenant profile — is scoped to both
(``mockserver.scopes``): requests to its namespace meet them whatever headers they carry, and so
do requests naming its scenario; no other session's requests do. Its data and journal are those
of its namespace; ``reset()`` hides the journal's earlier entries (it remembers the newest id). On
exit (and on ``reset()``) it removes the contacts of its namespace and of every other stream it
seeded, and forgets its scopes. It talks to the server only through the control plane, with the
admin token if the server has one.
"""

from __future__ import annotations

import urllib.parse
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from mockserver.control.client import TIMEOUT_SECONDS, ControlClient, ControlError
from mockserver.fixture_surface import (
    ENDED,
    READY_TOKEN_TTL,
    FixtureSurface,
    seed_refused,
    seed_source,
    seed_stream,
)
from mockserver.scopes import SCENARIO_HEADER
from mockserver.settings import App, check_policy

# where a shared fixture's URL comes from, for "cannot reach" (the CLI's is --url / KORE_MOCK_URL)
URL_HINT = "pytest's --kore-mock-url or KORE_MOCK_SHARED_URL, or kore_mock(url=...)"
CALL_SECONDS = 30  # an answer of the control plane, but a seed's
SEED_SECONDS = TIMEOUT_SECONDS  # the CLI's: a seed of many rows takes a while


class SharedKoreMock(FixtureSurface):
    """A share of a running kore-mock; the same surface as ``testing.KoreMock``."""

    def __init__(
        self,
        url: str,
        admin_token: str | None = None,
        *,
        profile: dict[str, Any] | None = None,
        import_policy: str | None = None,
    ) -> None:
        self.base_url = url.rstrip("/")
        # a server that takes the connection and never answers fails a test in seconds (the
        # CLI's five minutes, made for 200,000-row seeds, held every test that long); a seed
        # may take as long as the CLI's (``SEED_SECONDS``)
        self._control: Any = ControlClient(
            self.base_url, admin_token, url_hint=URL_HINT, timeout=CALL_SECONDS
        )
        self.app = self._usable_app()
        self.account_id = self.app.account_id
        self.stream_id = f"st-kore-mock-{uuid.uuid4()}"
        self.scenario = f"kore-mock-{uuid.uuid4().hex[:16]}"
        self.token = self.mint_token(ttl=READY_TOKEN_TTL)
        self._seeded_streams: set[str] = set()  # the other streams seed() wrote to
        self._journal_after = 0  # journal() shows only entries with a higher id (reset())
        # what the share started with (the marker's profile and import policy): what reset()
        # brings back, as the in-process mock's reset() brings back its start-up settings
        self._start_profile = dict(profile or {})
        self._start_policy = import_policy

    def _usable_app(self) -> App:
        apps = self._call("GET", "/__mock__/apps?secrets=true")["apps"]
        for raw in apps:
            app = App.from_dict(raw)
            if "*" in app.streams:
                return app
        raise RuntimeError(
            f"the kore-mock at {self.base_url} has no app allowed on every stream ('*'); "
            "a shared fixture needs one to take a stream of its own"
        )

    def _call(self, method: str, path: str, *, refused: str | None = None, **kw: Any) -> Any:
        """The control plane's answer; ``RuntimeError`` when the call failed, ``ValueError``
        (naming ``refused``, what was given) when the server refused what was given (400), as
        the in-process mock refuses it."""
        try:
            return self._control.call(method, path, **kw)
        except ControlError as exc:
            if refused is not None and exc.status == 400:
                raise ValueError(f"{refused}: {exc}") from None
            said = str(exc)  # most messages name the server already: not twice
            where = "" if self.base_url in said else f"kore-mock at {self.base_url}: "
            raise RuntimeError(where + said) from None

    def _end(self) -> None:
        """No call reaches the server any more: what a share sets after its cleanup would stay
        there, in no one's namespace, until someone reset the server."""
        self._control = _Ended()

    # -- calling it ------------------------------------------------------------------------

    def headers(self, token: str | None = None) -> dict[str, str]:
        """``auth``, ``accountId`` and this share's ``X-Mock-Scenario``."""
        return {
            "auth": self.token if token is None else token,
            "accountId": self.account_id,
            SCENARIO_HEADER: self.scenario,
        }

    # -- its data --------------------------------------------------------------------------

    def _ns(self, stream_id: str | None = None) -> str:
        account = urllib.parse.quote(self.account_id.lower(), safe="")
        stream = urllib.parse.quote(stream_id or self.stream_id, safe="")
        return f"/__mock__/namespaces/{account}/{stream}"

    def seed(
        self,
        contacts: Sequence[dict[str, Any]] | bytes | str | Path,
        *,
        legacy_duplicates: bool = False,
        stream_id: str | None = None,
    ) -> list[dict[str, Any]]:
        """Store contacts through the control plane's seed (JSON items, CSV bytes or a file).

        Another ``stream_id`` is this share's too from then on: its contacts are removed on
        ``reset()`` and at the end, like those of its own stream."""
        stream_id = seed_stream(stream_id)
        path = self._ns(stream_id) + "/seed"
        contacts = seed_source(contacts)
        if not contacts and isinstance(contacts, list):  # nothing to store, as in-process
            return []
        call: dict[str, Any] = {"timeout": SEED_SECONDS, "refused": "seed"}
        if isinstance(contacts, bytes):
            query = "?legacyDuplicates=true" if legacy_duplicates else ""
            result = self._call(
                "POST", path + query, data=contacts, content_type="text/csv", **call
            )
        else:
            body = {"contacts": contacts, "legacyDuplicates": legacy_duplicates}
            result = self._call("POST", path, json_body=body, **call)
        if stream_id is not None and stream_id != self.stream_id:  # cleaned up with this share
            self._seeded_streams.add(stream_id)
        created = result["created"]
        if result.get("truncated") and len(created) < result["createdCount"]:
            # the answer lists the first 1,000: the share's stream is its own, so the newest
            # createdCount contacts of it are this seed's
            created = self.contacts(stream_id)[-result["createdCount"] :]
        if result["rejected"] and not legacy_duplicates:
            reasons = [r["msg"] for r in result["rejected"]]
            raise seed_refused(
                reasons, stored=result["createdCount"], refused=result["rejectedCount"]
            )
        return created

    def contacts(self, stream_id: str | None = None) -> list[dict[str, Any]]:
        return self._call("GET", self._ns(stream_id) + "/export?format=json")

    def _journal(self, operation: str | None, status: int | None, limit: int) -> list[dict]:
        """The requests to this share's namespace since its start or its last ``reset()``."""
        query = {
            "accountId": self.account_id.lower(),
            "streamId": self.stream_id,
            "limit": limit,
            "bodies": "true",  # the request and response, as the in-process journal has them
        }
        query |= {k: v for k, v in (("operation", operation), ("status", status)) if v is not None}
        path = "/__mock__/journal?" + urllib.parse.urlencode(query)
        # newest first: the entries after the mark are the first ones, up to ``limit``
        return [e for e in self._call("GET", path)["entries"] if e["id"] > self._journal_after]

    # -- behaviour, scoped to this share ---------------------------------------------------

    def _scopes(self) -> list[str]:
        ns = {"accountId": self.account_id.lower(), "streamId": self.stream_id}
        return [urllib.parse.urlencode({"scenario": self.scenario}), urllib.parse.urlencode(ns)]

    def set_fault(self, operation: str, **fault: Any) -> None:
        """A fault for this share's requests only (its scenario and its namespace)."""
        self._check_operation(operation)
        target = urllib.parse.quote(operation, safe="")
        for scope in self._scopes():
            path = f"/__mock__/faults/{target}?{scope}"
            self._call("PUT", path, json_body=fault, refused=f"fault {fault!r}")

    def clear_faults(self) -> None:
        for scope in self._scopes():
            self._call("DELETE", f"/__mock__/faults?{scope}")

    def set_import_policy(self, policy: str) -> None:
        check_policy(policy, name="import_policy")
        for scope in self._scopes():
            self._call("PATCH", f"/__mock__/settings?{scope}", json_body={"importPolicy": policy})

    def set_profile(self, readings: dict[str, Any]) -> dict[str, Any]:
        """The tenant profile for this share's requests only, like ``PUT /__mock__/profile``
        with its scopes: the readings named take these values, the others the server's. Returns
        the profile its requests now meet; ``ValueError`` names a bad reading or value."""
        answer: dict[str, Any] = {}
        for scope in self._scopes():
            path = f"/__mock__/profile?{scope}"
            answer = self._call(
                "PUT", path, json_body=dict(readings), refused=f"profile {readings!r}"
            )
        return answer["profile"]

    def profile(self) -> dict[str, Any]:
        """Every reading of the tenant profile and its value, as this share's requests meet it."""
        return self._call("GET", f"/__mock__/profile?{self._scopes()[0]}")["profile"]

    def reset(self) -> None:
        """This share back to the start, like the in-process mock's ``reset()``: the contacts of
        its namespace and of the other streams it seeded removed, its faults and later changes
        forgotten (its start-up import policy and profile set again), and its journal (so
        ``rejected_rows()``) empty again: the server keeps the entries, ``journal()`` shows only
        later ones."""
        self._clean_up()
        self._start()
        # the newest entry of any namespace: ids only grow, so later entries have higher ones
        newest = self._call("GET", "/__mock__/journal?limit=1")["entries"]
        self._journal_after = newest[0]["id"] if newest else self._journal_after

    def _start(self) -> None:
        """The share's start-up readings set (again), scoped to it."""
        if self._start_profile:
            self.set_profile(self._start_profile)
        if self._start_policy is not None:
            self.set_import_policy(self._start_policy)

    def _clean_up(self) -> None:
        """The contacts of every stream this share wrote to removed, its scopes forgotten: each
        step tried whatever another's outcome (one refused skipped the rest, and they stayed
        on the server), the failures said together at the end."""
        failures = []
        steps: list[tuple[str, str, Any]] = [
            ("POST", "/__mock__/reset", {"accountId": self.account_id.lower(), "streamId": s})
            for s in sorted({self.stream_id, *self._seeded_streams})
        ]
        steps += [("DELETE", f"/__mock__/scopes?{scope}", None) for scope in self._scopes()]
        for method, path, body in steps:
            try:
                self._call(method, path, json_body=body)
            except RuntimeError as exc:
                failures.append(str(exc))
        self._seeded_streams.clear()
        if failures:
            raise RuntimeError("the cleanup on the shared server failed: " + "; ".join(failures))

    def __repr__(self) -> str:
        return (
            f"SharedKoreMock(base_url={self.base_url!r}, stream_id={self.stream_id!r}, "
            f"scenario={self.scenario!r})"
        )


class _Ended:
    """The control client of a share that has ended."""

    def call(self, *args: Any, **kw: Any) -> Any:
        raise RuntimeError(ENDED)


@contextmanager
def shared_kore_mock(
    url: str,
    *,
    admin_token: str | None = None,
    import_policy: str | None = None,
    profile: dict[str, Any] | None = None,
    faults: dict[str, dict[str, Any]] | None = None,
) -> Iterator[SharedKoreMock]:
    kore = SharedKoreMock(url, admin_token, profile=profile, import_policy=import_policy)
    try:
        kore._start()
        for operation, fault in (faults or {}).items():
            kore.set_fault(operation, **fault)
        yield kore
    finally:
        try:
            kore._clean_up()
        finally:
            kore._end()


__all__ = ["SharedKoreMock", "shared_kore_mock"]
