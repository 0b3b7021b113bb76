"""Auth attacks x the seven operations: every attack is a 401 with the vendor's message, and none
reaches the contacts service or changes a stored contact. (test_auth.py has the single cases
with their exact wording; this matrix proves no operation is an exception.)"""

from __future__ import annotations

import base64
import io
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jwt
import pytest

from mockserver.auth import mint_token
from mockserver.contacts.model import Caller, Namespace
from mockserver.mock import mock_of
from mockserver.settings import DEV_APP
from tests.conftest import (
    ACCOUNT,
    NO_SCOPE_APP,
    ONE_STREAM_APP,
    OTHER_ACCOUNT,
    OTHER_ACCOUNT_APP,
    STREAM,
    base,
    csv_file,
    person,
)

JWT_MSG = "Invalid JWT token"
SDK_MSG = "Invalid SDK credentials"
SCOPE_MSG = "Permission denied. Scope is incorrect!"
SERVICE_METHODS = ("import_csv", "create", "list", "update", "bulk_update", "delete", "bulk_delete")


def b64(data: bytes | dict[str, Any]) -> str:
    raw = json.dumps(data).encode() if isinstance(data, dict) else data
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def claims(**extra: Any) -> dict[str, Any]:
    return {"sub": "attacker", "appId": DEV_APP.client_id, "iat": int(time.time()), **extra}


def signed(payload: dict[str, Any], key: str = DEV_APP.client_secret, alg: str = "HS256", **hdr):
    return jwt.encode(payload, key, algorithm=alg, headers=hdr or None)


def tampered() -> str:
    header, _, signature = mint_token(DEV_APP).split(".")
    return ".".join((header, b64(claims(sub="admin", exp=int(time.time()) + 10**8)), signature))


def rs256() -> str:
    """An RS256 token with a 2048-bit signature by a key the server has never seen."""
    return ".".join((b64({"alg": "RS256", "typ": "JWT"}), b64(claims()), b64(os.urandom(256))))


@dataclass(frozen=True)
class Attack:
    name: str
    token: Callable[[], str]  # made during the test (time claims, key-length warnings)
    msg: str
    account: str = ACCOUNT
    header: str | None = "auth"  # where the token goes; None: nowhere

    def headers(self) -> dict[str, str]:
        found = {"accountId": self.account}
        if self.header is not None:
            found[self.header] = self.token()
        return found


def now() -> int:
    return int(time.time())


ATTACKS = [
    Attack("alg_none", lambda: signed(claims(), key=None, alg="none"), JWT_MSG),
    Attack("hs384", lambda: signed(claims(), alg="HS384"), JWT_MSG),
    Attack("hs512", lambda: signed(claims(), alg="HS512"), JWT_MSG),
    Attack("rs256", rs256, JWT_MSG),
    Attack("wrong_secret", lambda: signed(claims(), key="x" * 48), SDK_MSG),
    Attack("tampered_payload", tampered, SDK_MSG),
    Attack("jku_header", lambda: signed(claims(), key="x" * 48, jku="http://x/keys"), SDK_MSG),
    Attack("expired", lambda: signed(claims(exp=now() - 60)), JWT_MSG),
    Attack("nbf_in_the_future", lambda: signed(claims(nbf=now() + 3600)), JWT_MSG),
    Attack("exp_not_a_number", lambda: signed(claims(exp="tomorrow")), JWT_MSG),
    Attack("missing_app_id", lambda: signed({"sub": "attacker"}), JWT_MSG),
    Attack("app_id_not_a_string", lambda: signed(claims(appId=[DEV_APP.client_id])), JWT_MSG),
    Attack("unknown_app_id", lambda: signed(claims(appId="cs-nobody")), SDK_MSG),
    Attack("no_configuration_scope", lambda: mint_token(NO_SCOPE_APP), SCOPE_MSG),
    Attack(
        "account_header_of_another_account",
        lambda: mint_token(DEV_APP),
        SDK_MSG,
        account=OTHER_ACCOUNT,
    ),
    Attack("app_of_another_account", lambda: mint_token(OTHER_ACCOUNT_APP), SDK_MSG),
    Attack("stream_the_app_may_not_use", lambda: mint_token(ONE_STREAM_APP), SDK_MSG),
    Attack(  # no auth header at all: Kore's platform answers Invalid SDK credentials
        "bearer_authorization_instead_of_auth",
        lambda: f"Bearer {mint_token(DEV_APP)}",
        SDK_MSG,
        header="Authorization",
    ),
    Attack("bearer_prefix_inside_auth", lambda: f"Bearer {mint_token(DEV_APP)}", JWT_MSG),
    Attack("empty_auth_header", lambda: "", SDK_MSG),
    Attack("no_auth_header", lambda: "", SDK_MSG, header=None),
    Attack("garbage_token", lambda: "a.b.c", JWT_MSG),
]


@pytest.fixture
def victim(app) -> dict[str, Any]:
    """One stored contact of the account and stream the attacks aim at."""
    service = mock_of(app).service
    outcome = service.create(
        Namespace(ACCOUNT, STREAM),
        Caller.for_app("seed"),
        [person("ann", "lee", "9876543210")],
        policy="skip",
    )
    return outcome.created[0].to_wire()


@pytest.fixture
def service_calls(app, monkeypatch) -> list[str]:
    """Names of the ContactsService operations called during the test."""
    service = mock_of(app).service
    calls: list[str] = []
    for name in SERVICE_METHODS:
        real = getattr(service, name)

        def spy(*args: Any, _real: Any = real, _name: str = name, **kwargs: Any) -> Any:
            calls.append(_name)
            return _real(*args, **kwargs)

        monkeypatch.setattr(service, name, spy)
    return calls


def operations(contact_id: str, stream: str) -> dict[str, dict[str, Any]]:
    """A well-formed request for each of the seven operations."""
    contacts = base(stream)
    return {
        "importContacts": {
            "method": "POST",
            "path": contacts + "/import-contacts",
            "data": {"result_file": (csv_file("bob,roe,Mr,9876543211,+91,"), "c.csv")},
            "content_type": "multipart/form-data",
        },
        "createContacts": {
            "method": "POST",
            "path": contacts,
            "json": [person("bob", "roe", "9876543212")],
        },
        "listContacts": {"method": "GET", "path": contacts},
        "updateContact": {
            "method": "PUT",
            "path": f"{contacts}/{contact_id}",
            "json": {"firstName": "eve"},
        },
        "bulkUpdateContacts": {
            "method": "PUT",
            "path": contacts + "/bulk-update",
            "json": [{"id": contact_id, "firstName": "eve"}],
        },
        "deleteContact": {"method": "DELETE", "path": f"{contacts}/{contact_id}"},
        "bulkDeleteContacts": {
            "method": "DELETE",
            "path": contacts + "/bulk-delete",
            "json": {"ids": [contact_id]},
        },
    }


def send(api, headers: dict[str, str], request: dict[str, Any]):
    request = dict(request)
    if "data" in request:
        data, name = request["data"]["result_file"]
        request["data"] = {"result_file": (io.BytesIO(data), name)}
    return api.call(request.pop("method"), request.pop("path"), headers=headers, **request)


def snapshot(app) -> list[dict[str, Any]]:
    store = mock_of(app).store
    namespaces = _namespaces(store)
    with store.read() as tx:
        return [c.to_wire() for ns in namespaces for c in tx.active(ns)]


def _namespaces(store) -> list[Namespace]:
    return [Namespace(n["accountId"], n["streamId"]) for n in store.namespaces()]


OPERATION_IDS = list(operations("x", STREAM))


@pytest.mark.parametrize("operation", OPERATION_IDS)
def test_a_valid_token_reaches_the_service_for_every_operation(
    api, victim, service_calls, operation
):
    request = operations(victim["id"], STREAM)[operation]
    response = send(api, api.headers(), request)
    assert response.status_code == 200, response.get_json()
    assert len(service_calls) == 1


@pytest.mark.parametrize("operation", OPERATION_IDS)
@pytest.mark.parametrize("attack", ATTACKS, ids=lambda attack: attack.name)
@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
def test_attack_is_401_and_never_reaches_the_store(
    api, app, victim, service_calls, attack, operation
):
    before = snapshot(app)
    request = operations(victim["id"], STREAM)[operation]

    response = send(api, attack.headers(), request)

    assert response.status_code == 401
    error, *detail = response.get_json()["errors"]  # Kore's words, then kore-mock's detail
    assert error == {"msg": attack.msg, "code": 4002}, error
    assert len(detail) <= 1 and all(d["code"] == 4002 for d in detail), detail
    assert service_calls == []
    assert snapshot(app) == before
