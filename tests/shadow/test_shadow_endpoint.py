"""``GET /__mock__/shadow``: its answers hold to control-openapi.yaml, proxy or plain mock."""

from __future__ import annotations

import io

from werkzeug.test import Client

from mockserver.app import create_app
from mockserver.settings import Settings
from mockserver.shadow.mirror import Mirror
from mockserver.shadow.proxy import ShadowProxy
from mockserver.shadow.upstream import Upstream
from tests.control.conftest import Control
from tests.shadow.conftest import API, Tenant, fictitious


def test_a_plain_mock_shows_an_empty_shadow():
    app = create_app(Settings(db=":memory:"))
    answer = Control(app.test_client()).get("/__mock__/shadow").get_json()
    assert answer == {"exchanges": 0, "differing": 0, "items": [], "upstream": None}


def test_the_shadow_of_a_proxy_holds_to_the_control_contract(divergent_host):
    proxy = ShadowProxy(Upstream(divergent_host), Mirror(Settings(db=":memory:")))
    try:
        tenant = Tenant("http://proxy")
        http = Client(proxy)
        number = fictitious()
        csv = (
            "firstName,lastName,salutation,cellPhoneNumber,cellPhoneCountryCode,"
            f"cellPhoneExtension\nAda,L,Ms,{number[0]},{number[1]},\n"
            f"Grace,H,Ms,{number[0]},{number[1]},\n"
        )
        http.post(
            f"{API}/{tenant.stream}/contacts/import-contacts",
            headers=tenant.headers(),
            data={"result_file": (io.BytesIO(csv.encode()), "c.csv", "text/csv")},
        )
        http.get(f"{API}/{tenant.stream}/contacts", headers=tenant.headers())
        control = Control(http)
        every = control.get("/__mock__/shadow").get_json()
        differing = control.get("/__mock__/shadow?differing=true&limit=5").get_json()
        assert control.post("/__mock__/reset").status_code == 200
        after = control.get("/__mock__/shadow").get_json()
    finally:
        proxy.close()
    assert every["exchanges"] == 2 and every["differing"] == 1
    assert every["upstream"] == divergent_host
    assert [i["operation"] for i in differing["items"]] == ["importContacts"]
    assert after["exchanges"] == 0 and after["items"] == []
