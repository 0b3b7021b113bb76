"""``create_app(settings)``: the factory that wires the mock together, once per app.

It opens the store, builds the ``Mock`` (settings, store, run-time settings, the domain service,
the authenticator), then sets up, in this order: the journal's steps around what Flask serves
(``journal``), the control plane (``control.routes``), the error renderer (``responses``) and,
in front of Flask, the vendor API (``api.dispatch``: its requests never reach Flask). No request
code lives here; see ARCHITECTURE.md for the path of a request.
"""

from __future__ import annotations

from flask import Flask

from mockserver import journal
from mockserver.api.dispatch import VendorDispatch
from mockserver.auth import Authenticator
from mockserver.contacts.rules import ItemRules
from mockserver.contacts.service import ContactsService
from mockserver.control.routes import control
from mockserver.journal import request_record
from mockserver.mock import Mock
from mockserver.responses import register_error_handlers
from mockserver.runtime import Runtime
from mockserver.settings import Settings
from mockserver.spec import items_check
from mockserver.store import open_store
from mockserver.store.base import Store


def create_app(settings: Settings | None = None, *, store: Store | None = None) -> Flask:
    settings = settings or Settings()
    store = store or open_store(settings.db)
    runtime = Runtime(settings, store, scope=request_record)
    mock = Mock(
        settings=settings,
        store=store,
        runtime=runtime,
        service=ContactsService(store, ItemRules(items_check("ContactInput"))),
        authenticator=Authenticator(runtime.apps),
    )
    app = Flask("mockserver")
    app.config["MAX_CONTENT_LENGTH"] = settings.limits.max_upload_bytes
    mock.attach(app)
    journal.register(app)
    app.register_blueprint(control)
    register_error_handlers(app)
    app.wsgi_app = VendorDispatch(app.wsgi_app, mock, app.request_class)  # type: ignore[method-assign]
    return app
