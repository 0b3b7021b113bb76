"""Two pytest sessions at once against one `kore-mock serve`, each with the kore_mock fixture in
shared mode (--kore-mock-url): each sets a 100 % error fault on create through its own scenario
and namespace, and sees only its own; requests outside both see nobody's."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

from mockserver.settings import DEV_APP
from tests.live import ROOT, call, kore_mock_serve

SESSION_TESTS = textwrap.dedent(
    """
    import os
    import pathlib
    import time

    import requests

    SESSION, OTHER = os.environ["SESSION"], os.environ["OTHER"]
    BARRIER = pathlib.Path(os.environ["BARRIER"])


    def wait_for(mark):
        deadline = time.time() + 120
        while not (BARRIER / mark).exists():
            assert time.time() < deadline, f"the other session never reached {mark}"
            time.sleep(0.05)


    def person(i):
        number = f"2{SESSION == 'a' and 1 or 2}25550{100 + i}"
        return [{"firstName": "p", "lastName": SESSION, "salutation": "Mr",
                 "cellPhone": {"phoneNumber": number, "countryCode": "+1", "extension": ""}}]


    def test_only_my_own_fault_hits_me(kore_mock):
        assert kore_mock.scenario and kore_mock.stream_id.startswith("st-kore-mock-")
        kore_mock.set_fault("createContacts", errorStatus=503, errorMessage=f"fault of {SESSION}")
        (BARRIER / f"{SESSION}-set").touch()
        wait_for(f"{OTHER}-set")  # from here on, both faults are in force
        plain = {"auth": kore_mock.token, "accountId": kore_mock.account_id}
        elsewhere = kore_mock.contacts_url_for(f"st-elsewhere-{SESSION}")
        for i in range(15):
            mine = requests.post(kore_mock.contacts_url, headers=kore_mock.headers(),
                                 json=person(i), timeout=30)
            assert mine.status_code == 503, mine.text
            assert mine.json()["errors"][0]["msg"] == f"fault of {SESSION}"
            # my namespace without the scenario header: still mine
            again = requests.post(kore_mock.contacts_url, headers=plain, json=person(i),
                                  timeout=30)
            assert again.status_code == 503 and SESSION in again.text
            # neither my scenario nor my namespace: nobody's fault
            free = requests.post(elsewhere, headers=plain, json=person(i), timeout=30)
            assert free.status_code == 200, free.text
            time.sleep(0.02)
        (BARRIER / f"{SESSION}-done").touch()
        wait_for(f"{OTHER}-done")
        entries = kore_mock.journal(operation="createContacts", limit=1000)
        assert len(entries) == 30 and all(e["status"] == 503 for e in entries)
        with_header = [e for e in entries if e.get("scenario") == kore_mock.scenario]
        assert len(with_header) == 15
        assert kore_mock.contacts() == []  # nothing was stored in my namespace
    """
)


def test_two_sessions_on_one_server_see_only_their_own_faults(tmp_path):
    (tmp_path / "test_session.py").write_text(SESSION_TESTS)
    barrier = tmp_path / "barrier"
    barrier.mkdir()
    with kore_mock_serve(
        "--db", str(tmp_path / "shared.db"), "--workers", "2", cwd=tmp_path
    ) as url:
        sessions = []
        for name, other in (("a", "b"), ("b", "a")):
            env = {k: v for k, v in os.environ.items() if not k.startswith("KORE_")}
            env.update(SESSION=name, OTHER=other, BARRIER=str(barrier), PYTHONPATH=str(ROOT))
            command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
            command += ["--kore-mock-url", url, str(tmp_path / "test_session.py")]
            sessions.append(
                subprocess.Popen(
                    command,
                    cwd=tmp_path,
                    env=env,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                    text=True,
                )
            )
        outputs = [session.communicate(timeout=300)[0] for session in sessions]
        for session, output in zip(sessions, outputs, strict=True):
            assert session.returncode == 0, output
            assert "1 passed" in output
        # each cleaned up after itself; the free streams kept the 15 contacts each stored
        assert call(url + "/__mock__/scopes")[2] == {"scopes": []}
        assert call(url + "/__mock__/faults")[2] == {"faults": {}}
        listed = call(url + "/__mock__/namespaces")[2]["namespaces"]
        namespaces = {n["streamId"]: n["active"] for n in listed}
        assert namespaces == {"st-elsewhere-a": 15, "st-elsewhere-b": 15}
        entries = call(url + "/__mock__/journal?operation=createContacts&limit=1000")[2]
        statuses = sorted(e["status"] for e in entries["entries"])
        assert statuses == [200] * 30 + [503] * 60
        assert {e["namespace"]["accountId"] for e in entries["entries"]} == {DEV_APP.account_id}
