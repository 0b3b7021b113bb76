"""The target of a run — kore-mock in-process or a host over HTTP — behind one WSGI entry point.

``Target.app`` is what every request of the suite goes through, whatever the target:

    Guard (safety rules) -> Recorder (ledger of created contacts) -> the mock, or HttpGateway
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask

from contract_tests.gateway import HttpGateway
from contract_tests.guard import Guard, SafetyPolicy
from contract_tests.interrupts import Unbroken
from contract_tests.ledger import Ledger, Recorder, WsgiApp
from contract_tests.numbers import NumberPool
from contract_tests.rewrite import Rewriter
from contract_tests.settings import SuiteSettings
from mockserver.app import create_app
from mockserver.auth import mint_token
from mockserver.mock import mock_of
from mockserver.profile import DEFAULT
from mockserver.settings import DEV_APP, App, Settings

# Failing cases of an in-process run print curl commands for a local `kore-mock serve`.
LOCAL_SERVE_URL = "http://127.0.0.1:8080"
TOKEN_TTL = 6 * 3600  # seconds; a run never takes that long


@dataclass
class Target:
    settings: SuiteSettings
    app: WsgiApp
    base_url: str
    token: str
    ledger: Ledger
    numbers: NumberPool
    policy: SafetyPolicy
    rewriter: Rewriter
    gateway: HttpGateway | None
    mock: Flask | None

    @property
    def account_id(self) -> str:
        return self.settings.account_id

    @property
    def stream_id(self) -> str:
        return self.settings.stream_id

    def close(self) -> None:
        if self.mock is not None:
            mock_of(self.mock).close()


def open_target(settings: SuiteSettings) -> Target:
    ledger = Ledger()
    policy = SafetyPolicy(ledger, settings.stream_id)
    if settings.in_process:
        mock = create_app(Settings(db=":memory:", profile=settings.profile or DEFAULT))
        inner: WsgiApp = mock
        gateway = None
        base_url = LOCAL_SERVE_URL
        token = mint_token(DEV_APP, ttl=TOKEN_TTL, subject="kore-mock-contract")
    else:
        assert settings.base_url is not None
        mock = None
        gateway = HttpGateway(settings.base_url, rate_per_minute=settings.rate_per_minute)
        inner = gateway
        base_url = settings.base_url
        token = settings.jwt or _signed_token(settings)
    numbers = NumberPool()
    rewriter = Rewriter(policy, ledger, numbers)
    app = Guard(Unbroken(Recorder(inner, ledger)), policy)  # a stop waits for the answer
    app.rewriter = rewriter  # generated cases sent to `app` are rewritten first (`rewrite`)
    return Target(
        settings=settings,
        app=app,
        base_url=base_url,
        token=token,
        ledger=ledger,
        numbers=numbers,
        policy=policy,
        rewriter=rewriter,
        gateway=gateway,
        mock=mock,
    )


def _signed_token(settings: SuiteSettings) -> str:
    """An HS256 JWT as Kore's JWT generation page describes it: {"sub", "appId"}."""
    assert settings.client_id and settings.client_secret
    app = App(settings.client_id, settings.client_secret, settings.account_id)
    return mint_token(app, ttl=TOKEN_TTL, subject="kore-mock-contract")
