"""Routing a vendor request to its operation: the same answer every time a path comes again
(``VendorRoutes`` keeps the matches of the paths clients repeat)."""

from __future__ import annotations

import pytest
from werkzeug.exceptions import MethodNotAllowed, NotFound

from mockserver.api import routes as routes_module
from mockserver.api.routes import VendorRoutes

API = "/agentassist/api/v1/public"
ID = "0123456789abcdef01234567"


def test_a_path_routed_again_names_the_same_operation_and_parameters():
    routes = VendorRoutes()
    first = routes.match("PUT", f"{API}/st-1/contacts/{ID}")
    again = routes.match("PUT", f"{API}/st-1/contacts/{ID}")
    assert first[0].endpoint == again[0].endpoint == "updateContact"
    assert first[1] == again[1] == {"streamId": "st-1", "contactId": ID}


def test_a_requests_path_parameters_are_its_own():
    routes = VendorRoutes()
    _, args = routes.match("GET", f"{API}/st-1/contacts")
    args["streamId"] = "changed by a view"
    _, again = routes.match("GET", f"{API}/st-1/contacts")
    assert again == {"streamId": "st-1"}


def test_a_wrong_method_or_unknown_path_is_refused_every_time():
    routes = VendorRoutes()
    for _ in range(2):
        with pytest.raises(MethodNotAllowed):
            routes.match("PUT", f"{API}/st-1/contacts/import-contacts")
        with pytest.raises(NotFound):
            routes.match("GET", f"{API}/st-1/nothing")
    assert routes.match("GET", f"{API}/st-1/contacts")[0].endpoint == "listContacts"


def test_the_kept_matches_stay_bounded(monkeypatch):
    monkeypatch.setattr(routes_module, "MATCHES_KEPT", 8)
    routes = VendorRoutes()
    for i in range(50):
        _, args = routes.match("GET", f"{API}/st-{i}/contacts")
        assert args == {"streamId": f"st-{i}"}
    assert len(routes._matches) <= 8
    long_stream = "s" * routes_module.MATCH_PATH_CHARS
    assert routes.match("GET", f"{API}/{long_stream}/contacts")[1] == {"streamId": long_stream}
    assert ("GET", f"{API}/{long_stream}/contacts") not in routes._matches
