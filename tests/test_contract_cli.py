"""`kore-mock contract`: the contract suite from the command line."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def kore_mock(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KORE_")}
    env["PYTHONPATH"] = str(ROOT)
    return subprocess.run(
        [sys.executable, "-m", "mockserver.cli", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_contract_against_a_host_without_credentials_is_a_clear_error(tmp_path):
    """Checked before pytest starts, naming the flags the user gave as well as the variables,
    exit 2 as fidelity and replay (it named only KORE_BASE_URL and KORE_STREAM_ID, exit 4)."""
    result = kore_mock("contract", "--base-url", "http://127.0.0.1:9", cwd=tmp_path)
    assert result.returncode == 2, result.stdout + result.stderr  # a usage error, nothing ran
    assert result.stderr.strip() == (
        "Error: --base-url (KORE_BASE_URL) is set, so --stream-id (KORE_STREAM_ID) is required too"
    )


def test_a_report_that_cannot_be_written_is_a_usage_error_before_the_run(tmp_path):
    """(It failed with a traceback after the whole run: over HTTP, minutes of requests lost.)"""
    (tmp_path / "f.csv").write_text("")
    for flag in ("--profile-report", "--junitxml"):
        result = kore_mock("contract", flag, "f.csv/report", "--", "-k", "nothing", cwd=tmp_path)
        assert result.returncode == 2, result.stdout + result.stderr
        assert result.stderr == f"Error: cannot write {flag} f.csv/report: a file is in the way\n"
        assert result.stdout == ""  # nothing ran
    made = kore_mock("contract", "--junitxml", "new/dir/j.xml", "--", "-k", "nothing", cwd=tmp_path)
    assert made.returncode == 5 and (tmp_path / "new" / "dir" / "j.xml").exists()  # none selected


def test_contract_refuses_an_import_policy_for_a_host_rather_than_ignore_it(tmp_path):
    """--import-policy is the in-process mock's: against a host it was dropped without a word
    (the run passed, the host's own policy checked)."""
    result = kore_mock(
        "contract",
        "--base-url",
        "http://127.0.0.1:9",
        "--stream-id",
        "st-7dc994f0-4436-5134-9fa8-a94262500001",
        "--account-id",
        "63c7ebae6a2aef36de8f0001",
        "--jwt",
        "x.y.z",
        "--import-policy",
        "reject",
        cwd=tmp_path,
    )
    assert result.returncode == 2, result.stdout + result.stderr
    assert "--import-policy sets the in-process mock's policy" in result.stderr
    assert "--profile" in result.stderr


def test_a_profile_file_that_is_not_utf8_or_nested_too_deep_is_a_usage_error(tmp_path):
    """(pytest's INTERNALERROR with a UnicodeDecodeError / RecursionError, exit 3.)"""
    for name, content in (
        ("latin.yaml", b'port: "\xe9"\n'),
        ("deep.yaml", b"[" * 500 + b"]" * 500),
    ):
        path = tmp_path / name
        path.write_bytes(content)
        result = kore_mock("contract", "--profile", str(path), cwd=tmp_path)
        output = result.stdout + result.stderr
        assert result.returncode == 2, output  # a usage error, nothing ran
        assert "INTERNALERROR" not in output
        # the flag given is named, beside its variable (it named KORE_PROFILE alone)
        assert f"--profile (KORE_PROFILE): profile file {path}" in output, output


def test_an_unreachable_host_is_one_errored_case_in_the_junit_report_and_no_jwt_warning(
    tmp_path,
):
    report = tmp_path / "reports" / "contract.xml"
    result = kore_mock(
        "contract",
        "--base-url",
        "http://127.0.0.1:9",
        "--stream-id",
        "st-1",
        "--account-id",
        "0123456789abcdef01234567",
        "--client-id",
        "cs-1",
        "--client-secret",
        "short",  # PyJWT warns of an HMAC key under 32 bytes: the host's secret, not ours
        "--junitxml",
        str(report),
        cwd=tmp_path,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 4, output
    assert "cannot list the contacts of http://127.0.0.1:9" in output
    assert "Warning" not in output
    suite = ET.parse(report).getroot().find("testsuite")
    assert (suite.get("tests"), suite.get("errors")) == ("1", "1")
    error = suite.find("testcase").find("error")
    assert "cannot list the contacts of http://127.0.0.1:9" in error.get("message")


def test_contract_runs_the_suite_in_process_and_writes_junit(tmp_path):
    report = tmp_path / "contract.xml"
    result = kore_mock(
        "contract",
        "--examples",
        "2",
        "--stateful-examples",
        "1",
        "--no-coverage",
        "--seed",
        "7",
        "--junitxml",
        str(report),
        "--",
        "-k",
        "same_name or keeps_the_contract",
        cwd=tmp_path,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    assert "kore-mock in-process" in output and "wall time" in output
    assert "warning" not in output  # PytestAssertRewriteWarning x3, which pytest alone lacks
    suite = ET.parse(report).getroot().find("testsuite")
    properties = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert properties["kore_seed"] == "7"
    assert float(properties["kore_wall_time_s"]) > 0
    assert int(suite.get("tests")) == 8 and suite.get("failures") == "0"


def test_without_the_test_extras_contract_and_fidelity_say_so_alike(tmp_path, monkeypatch):
    """The container image has no test extras and no pip: contract said `pip install` with exit
    status 1 (pytest's for failed tests), fidelity the same with 2."""
    from click.testing import CliRunner

    from mockserver.cli import main

    for command, missing in (
        (["contract"], "pytest"),
        (["fidelity", "--out", str(tmp_path / "report")], "mockserver.fidelity.run"),
    ):
        with monkeypatch.context() as blocked:
            blocked.setitem(sys.modules, missing, None)  # import fails: the extras are not there
            result = CliRunner().invoke(main, command, env={"KORE_BASE_URL": None})
        assert result.exit_code == 2, result.output
        said = " ".join(result.output.split())
        assert said.startswith(f"Error: kore-mock {command[0]} ")
        assert "needs the contract extras" in said and "pip install 'kore-mock[contract]'" in said
        assert (
            "The container image does not include them: run it from such an install on the host"
            in said
        )
        assert "--base-url http://127.0.0.1:PUBLISHED-PORT" in said
    assert not (tmp_path / "report").exists()


def test_contract_refuses_xdist_rather_than_test_the_in_process_mock_in_its_workers(tmp_path):
    """xdist's workers never saw the run's settings: with -n 2 the suite tested kore-mock
    in-process and passed, whatever --base-url said."""
    result = kore_mock("contract", "--", "-n", "2", cwd=tmp_path)
    assert result.returncode == 2
    assert "the contract suite runs in one process" in result.stderr and "drop -n" in result.stderr


def test_contract_runs_with_its_own_pytest_settings_inside_a_users_project(tmp_path):
    """A virtualenv inside a project put the suite under that project's pytest settings and
    root conftest.py (its addopts, filterwarnings = error...): the suite reads its own."""
    project = tmp_path / "project"
    shutil.copytree(ROOT / "contract_tests", project / "contract_tests")
    (project / "pyproject.toml").write_text(
        '[tool.pytest.ini_options]\naddopts = "--no-such-option"\nfilterwarnings = ["error"]\n'
    )
    (project / "conftest.py").write_text('raise SystemExit("the project\'s conftest.py ran")\n')
    env = {k: v for k, v in os.environ.items() if not k.startswith("KORE_")}
    env["PYTHONPATH"] = os.pathsep.join([str(project), str(ROOT)])  # the suite from the project
    result = subprocess.run(
        [
            *(sys.executable, "-m", "mockserver.cli", "contract", "--examples", "1"),
            *("--stateful-examples", "1", "--no-coverage", "--", "-k", "test_operations"),
        ],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert f"rootdir: {project / 'contract_tests'}" in output
