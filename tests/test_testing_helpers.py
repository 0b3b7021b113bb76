"""`with kore_mock() as kore:` and the pytest fixtures, as a user's test suite sees them."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest
import requests

from mockserver.settings import App
from mockserver.testing import kore_mock
from tests.conftest import HEADER, person
from tests.live import free_port

pytest_plugins = ["pytester"]


def test_context_manager_serves_real_http_with_a_ready_token():
    with kore_mock() as kore:
        response = requests.get(kore.contacts_url, headers=kore.headers(), timeout=5)
        assert response.status_code == 200
        assert response.json()["totalResults"] == 0
        assert kore.base_url.startswith("http://127.0.0.1:")
    try:
        requests.get(kore.contacts_url, headers=kore.headers(), timeout=1)
    except requests.ConnectionError:
        pass
    else:
        raise AssertionError("the server still answers after the block")


def test_a_subprocess_can_reach_it_too():
    with kore_mock() as kore:
        out = subprocess.run(
            [
                "curl",
                "-s",
                "-H",
                f"auth: {kore.token}",
                "-H",
                f"accountId: {kore.account_id}",
                kore.contacts_url,
            ],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        )
        assert '"totalResults":0' in out.stdout


def test_import_refusal_is_readable_without_the_http_journal():
    csv = f"{HEADER}\na,b,Mr,9876543210,+91,\nc,d,Mr,9876543210,+91,\n"
    with kore_mock() as kore:
        response = requests.post(
            kore.contacts_url + "/import-contacts",
            headers=kore.headers(),
            files={"result_file": ("c.csv", csv, "text/csv")},
            timeout=5,
        )
        assert len(response.json()) == 1
        [refused] = kore.rejected_rows()
        assert (refused["row"], refused["reason"]) == (2, "DUPLICATE_IN_FILE")
        assert [c["firstName"] for c in kore.contacts()] == ["a"]


def test_seeded_legacy_duplicates_block_new_saves():
    with kore_mock() as kore:
        seeded = kore.seed(
            [person("old", "a", "9876543210"), person("old", "b", "9876543210")],
            legacy_duplicates=True,
        )
        assert len(seeded) == 2
        response = requests.post(
            kore.contacts_url,
            headers=kore.headers(),
            json=[person("new", "c", "9876543210")],
            timeout=5,
        )
        assert response.json() == []
        assert kore.rejected_rows()[0]["reason"] == "DUPLICATE_EXISTING"


def test_seed_from_csv_and_reject_policy():
    with kore_mock(import_policy="reject") as kore:
        kore.seed(f"{HEADER}\na,b,Mr,9876543210,+91,\n".encode())
        response = requests.post(
            kore.contacts_url,
            headers=kore.headers(),
            json=[person("x", "y", "9876543210")],
            timeout=5,
        )
        assert response.status_code == 400


def test_minted_tokens_can_carry_extra_claims():
    with kore_mock() as kore:
        expired = kore.mint_token(exp=1)
        response = requests.get(kore.contacts_url, headers=kore.headers(expired), timeout=5)
        assert response.status_code == 401


def test_two_tests_get_isolated_data_and_the_session_fixture_shares(pytester):
    pytester.makepyfile(
        """
        import pytest, requests

        ITEM = [{"firstName": "a", "lastName": "b", "salutation": "",
                 "cellPhone": {"phoneNumber": "9876543210", "countryCode": "+91",
                               "extension": ""}}]

        def create(kore):
            return requests.post(kore.contacts_url, headers=kore.headers(), json=ITEM).json()

        def test_first(kore_mock):
            assert len(create(kore_mock)) == 1

        def test_second_starts_empty(kore_mock):
            assert kore_mock.contacts() == []
            assert len(create(kore_mock)) == 1

        @pytest.mark.kore_mock(import_policy="reject")
        def test_marker_sets_the_policy(kore_mock):
            create(kore_mock)
            r = requests.post(kore_mock.contacts_url, headers=kore_mock.headers(), json=ITEM)
            assert r.status_code == 400

        def test_session_one(kore_mock_session):
            assert len(create(kore_mock_session)) == 1

        def test_session_two_sees_it(kore_mock_session):
            assert len(kore_mock_session.contacts()) == 1
        """
    )
    result = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=5)


def test_faults_set_per_mock_hit_that_operation_only():
    faults = {"importContacts": {"errorStatus": 503, "errorMessage": "down for the test"}}
    with kore_mock(faults=faults) as kore:
        csv = f"{HEADER}\na,b,Mr,9876543210,+91,\n"
        response = requests.post(
            kore.contacts_url + "/import-contacts",
            headers=kore.headers(),
            files={"result_file": ("c.csv", csv, "text/csv")},
            timeout=5,
        )
        assert response.status_code == 503
        assert response.json()["errors"][0]["msg"] == "down for the test"
        assert requests.get(kore.contacts_url, headers=kore.headers(), timeout=5).ok
        kore.reset()
        response = requests.post(
            kore.contacts_url + "/import-contacts",
            headers=kore.headers(),
            files={"result_file": ("c.csv", csv, "text/csv")},
            timeout=5,
        )
        assert response.status_code == 200


def test_a_fault_status_of_503_0_injects_a_503():
    # kore_mock(faults=...) and set_fault stored the float: every faulted call was a 500
    faults = {"importContacts": {"errorStatus": 503.0}}
    trickle = {"totalMs": 10.0, "chunks": 2.0}
    with kore_mock(faults=faults) as kore:
        kore.set_fault("listContacts", errorStatus=502.0, trickle=trickle)
        assert trickle == {"totalMs": 10.0, "chunks": 2.0}  # the caller's dict as it was
        response = requests.post(
            kore.contacts_url + "/import-contacts",
            headers=kore.headers(),
            files={"result_file": ("c.csv", f"{HEADER}\na,b,Mr,9876543210,+91,\n", "text/csv")},
            timeout=5,
        )
        assert response.status_code == 503
        assert requests.get(kore.contacts_url, headers=kore.headers(), timeout=5).status_code == 502
        assert [e["status"] for e in kore.journal()] == [502, 503]


def test_a_fault_for_an_unknown_operation_or_of_a_wrong_shape_is_refused():
    with kore_mock() as kore:
        for operation, fault in (("nope", {"errorStatus": 500}), ("*", {"errorStatus": "x"})):
            try:
                kore.set_fault(operation, **fault)
            except ValueError:
                continue
            raise AssertionError(f"{operation} {fault} was accepted")


def test_the_short_import_is_the_same_helper():
    import kore_mock as short
    import mockserver.testing

    assert short.kore_mock is mockserver.testing.kore_mock
    assert short.KoreMock is mockserver.testing.KoreMock


def test_kore_mock_takes_a_profile_and_changes_it_at_run_time():
    with kore_mock(profile={"validationStatus": 400}) as kore:
        url = kore.contacts_url + "?limit=101"
        assert requests.get(url, headers=kore.headers(), timeout=5).status_code == 400
        assert kore.profile()["validationStatus"] == 400
        kore.set_profile({"notFoundStatus": 400})  # the others back to start-up
        assert requests.get(url, headers=kore.headers(), timeout=5).status_code == 400
        assert kore.profile()["notFoundStatus"] == 400
        with pytest.raises(ValueError, match="validationStatus: 401 is not allowed"):
            kore.set_profile({"validationStatus": 401})
    with kore_mock() as kore:
        url = kore.contacts_url + "?limit=101"
        assert requests.get(url, headers=kore.headers(), timeout=5).status_code == 412


def test_a_partly_refused_seed_says_the_others_were_stored():
    with kore_mock() as kore:
        rows = f"{HEADER}\na,b,Mr,9876543210,+91,\nc,d,Mr,9876543210,+91,\n".encode()
        with pytest.raises(ValueError, match=r"refused 1 item\(s\) and stored the other 1"):
            kore.seed(rows)
        assert [c["firstName"] for c in kore.contacts()] == ["a"]
        with pytest.raises(ValueError, match=r"refused 1 item\(s\) and stored none"):
            kore.seed([person("e", "f", "9876543210")])


def test_a_bad_marker_value_is_named_once_and_a_positional_one_is_refused(pytester):
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.kore_mock(import_policy="bogus")
        def test_bad_policy(kore_mock): ...

        @pytest.mark.kore_mock("reject")
        def test_positional(kore_mock): ...

        @pytest.mark.kore_mock(faults=["importContacts"])
        def test_faults_list(kore_mock): ...

        @pytest.mark.kore_mock(faults={"importContacts": 503})
        def test_fault_number(kore_mock): ...

        @pytest.mark.kore_mock(importpolicy="reject")
        def test_typo(kore_mock): ...

        @pytest.mark.kore_mock(stream_id="not a stream/x")
        def test_bad_stream(kore_mock): ...

        @pytest.mark.kore_mock(apps="cs-x")
        def test_apps_as_a_string(kore_mock): ...

        @pytest.mark.kore_mock(apps=[{"clientId": "cs-x"}])
        def test_apps_as_mappings(kore_mock): ...

        @pytest.mark.kore_mock(settings={"importPolicy": "reject"})
        def test_settings_as_a_mapping(kore_mock): ...
        """
    )
    result = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider")
    result.assert_outcomes(errors=9)
    output = result.stdout.str()
    assert "import_policy must be 'skip' or 'reject', not 'bogus'" in output
    assert "importPolicy: importPolicy" not in output
    assert "@pytest.mark.kore_mock takes keyword arguments only" in output
    # each mistake in the user's words, without the plugin's and the mock's frames
    assert "faults must map an operationId to a fault" in output
    assert "faults['importContacts'] must be a fault (a mapping)" in output
    assert "unknown option(s) importpolicy; the options are" in output
    assert "stream_id 'not a stream/x' is not a stream id" in output
    # apps and settings of the wrong kind were an AttributeError deep in the mock
    assert "apps must be a list of mockserver.settings.App" in output
    assert "not str" in output and "not list of dict" in output
    assert "settings must be a mockserver.settings.Settings, not dict" in output
    assert "mockserver/testing.py" not in output and "Traceback" not in output
    # each message once (pytest.fail inside the except block printed it twice)
    assert "During handling of the above exception" not in output


def test_an_unreachable_kore_mock_url_names_the_pytest_option(pytester):
    pytester.makepyfile("def test_it(kore_mock): ...")
    nowhere = f"http://127.0.0.1:{free_port()}"
    result = pytester.runpytest_subprocess(
        "-q", "-p", "no:cacheprovider", "--kore-mock-url", nowhere
    )
    result.assert_outcomes(errors=1)
    output = result.stdout.str()
    assert "cannot reach kore-mock" in output and "(--url or KORE_MOCK_URL)" not in output
    assert "--kore-mock-url or KORE_MOCK_SHARED_URL" in output


def test_a_stream_the_app_may_not_use_is_refused_not_replaced():
    """It was replaced, without a word, by the app's first stream."""
    app = App("cs-mine", "s" * 32, "acct-mine", streams=("st-mine",))
    refused = r"stream_id 'st-other': the app cs-mine may use st-mine"
    with pytest.raises(ValueError, match=refused), kore_mock(apps=[app], stream_id="st-other"):
        pass
    with kore_mock(apps=[app]) as mock:  # no stream asked for: the app's own
        assert mock.stream_id == "st-mine"


def test_seed_of_something_that_is_not_contacts_says_what_it_takes():
    with kore_mock() as mock, pytest.raises(ValueError, match="seed takes a list of contacts"):
        mock.seed(123)


def test_an_options_override_that_returns_nothing_is_one_line(pytester):
    """(A kore_mock_options override without its return was a TypeError traceback.)"""
    pytester.makeconftest(
        """
        import pytest

        @pytest.fixture
        def kore_mock_options():
            options = {"import_policy": "reject"}
        """
    )
    pytester.makepyfile("def test_it(kore_mock): ...")
    result = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
    output = result.stdout.str()
    assert "kore_mock_options must return a dict of options" in output, output
    assert "TypeError" not in output and "pytest_plugin.py" not in output


def test_a_shared_server_gone_at_the_end_of_a_test_is_one_line(pytester, tmp_path):
    """(The teardown's failure was a traceback through the plugin's and the mock's code.)"""
    from tests.live import kore_mock_serve

    with kore_mock_serve("--db", ":memory:", cwd=tmp_path) as url:
        pytester.makepyfile(
            f"""
            import requests

            def test_it(kore_mock):
                kore_mock.seed([{person("a", "b", "2025550143", "+1")!r}])
                open({str(tmp_path / "seeded")!r}, "w").close()
                import time
                time.sleep(3)  # the server is stopped meanwhile
            """
        )
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "pytest",
                "-q",
                "-p",
                "no:cacheprovider",
                "--kore-mock-url",
                url,
            ],
            cwd=pytester.path,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while not (tmp_path / "seeded").exists():
            assert time.monotonic() < deadline and process.poll() is None
            time.sleep(0.05)
    output = process.communicate(timeout=60)[0].decode()
    assert "1 passed, 1 error" in output, output
    assert "kore_mock: the cleanup on the shared server failed" in output, output
    assert "shared_mock.py" not in output and "Traceback" not in output, output


def test_a_request_that_outlives_its_mock_logs_no_error(caplog):
    """(A request waiting out a latency fault when its test ended met the closed store in a
    later test: two ERROR records with tracebacks in that test's log.)"""
    import logging
    import threading

    with kore_mock() as kore:
        kore.set_fault("listContacts", latencyMs=700)
        waiting = threading.Thread(
            target=lambda: requests.get(kore.contacts_url, headers=kore.headers(), timeout=5)
        )
        waiting.start()
        time.sleep(0.2)  # the request waits in the mock
    with caplog.at_level(logging.WARNING):
        waiting.join(timeout=10)
    assert not waiting.is_alive()
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []


def test_headers_send_the_token_given_even_an_empty_one_and_the_ready_token_lasts_a_day():
    """(headers(token="") sent the valid token: a test of an empty auth header tested nothing;
    the ready token expired after an hour, mid-session for kore_mock_session.)"""
    import jwt

    with kore_mock() as kore:
        assert kore.headers(token="")["auth"] == ""
        assert (
            requests.get(kore.contacts_url, headers=kore.headers(token=""), timeout=10).status_code
            == 401
        )
        claims = jwt.decode(kore.token, options={"verify_signature": False})
        assert claims["exp"] - claims["iat"] == 24 * 3600


def test_markers_of_the_module_and_the_test_combine_the_tests_winning(pytester):
    """(A module's pytestmark was dropped when the test had a marker of its own.)"""
    pytester.makepyfile(
        """
        import pytest

        pytestmark = pytest.mark.kore_mock(
            import_policy="reject", profile={"validationStatus": 400}
        )

        @pytest.mark.kore_mock(profile={"notFoundStatus": 400})
        def test_both(kore_mock):
            profile = kore_mock.profile()
            assert profile["importPolicy"] == "reject"  # the module's
            assert profile["notFoundStatus"] == 400  # the test's
            assert profile["validationStatus"] == 412  # the test's profile= replaces the module's
        """
    )
    result = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)


def test_an_admin_token_without_a_shared_url_is_warned_about_not_dropped_silently(pytester):
    pytester.makepyfile("def test_it(kore_mock): ...")
    result = pytester.runpytest_subprocess(
        "-q", "-p", "no:cacheprovider", "--kore-mock-admin-token", "t" * 32
    )
    result.assert_outcomes(passed=1, warnings=1)
    result.stdout.fnmatch_lines(["*--kore-mock-admin-token is unused without --kore-mock-url*"])


def test_seeded_contacts_are_the_apps_whatever_the_case_of_its_account_id():
    """An app whose accountId has upper-case letters: its requests reach the namespace of the
    id in lower case, and what kore_mock.seed stores must be there too."""
    app = App("cs-upper", "s" * 32, "ACCT-UPPER")
    with kore_mock(apps=[app]) as mock:
        mock.seed([person("Asha", "Rao", "9876543210")])
        listed = requests.get(
            f"{mock.base_url}/agentassist/api/v1/public/{mock.stream_id}/contacts",
            headers=mock.headers(),
            timeout=10,
        )
        assert listed.status_code == 200, listed.text
        assert [c["fullName"] for c in listed.json()["results"]] == ["Asha Rao"]
        assert [c["fullName"] for c in mock.contacts()] == ["Asha Rao"]
