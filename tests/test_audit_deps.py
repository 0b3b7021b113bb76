"""The CI's dependency audit (.ci/audit_deps.py) fails on a vulnerability and never reports a
package it could not check as clean."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

PATH = Path(__file__).resolve().parents[1] / ".ci" / "audit_deps.py"


@pytest.fixture(scope="module")
def audit_deps():
    spec = importlib.util.spec_from_file_location("kore_mock_audit_deps", PATH)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


PINS = [("Flask", "3.1.3"), ("PyJWT", "2.15.1")]
ALL_SKIPPED = {
    "dependencies": [
        {"name": "flask", "skip_reason": "Dependency not found on PyPI"},
        {"name": "pyjwt", "skip_reason": "Dependency not found on PyPI"},
    ]
}


def project(version: str, *vulns: str) -> dict:
    return {"info": {"version": version}, "vulnerabilities": [{"id": v} for v in vulns]}


def test_packages_pip_audit_skipped_are_audited_from_the_project_data(audit_deps):
    audit, skipped = audit_deps.from_pip_audit(ALL_SKIPPED, PINS)
    assert skipped == PINS
    audit_deps.add_project_data(audit, "Flask", "3.1.3", project("3.1.3"))
    audit_deps.add_project_data(audit, "PyJWT", "2.15.1", project("2.15.1"))
    status, lines = audit.verdict(require_all=True)
    assert status == 0
    assert lines[-1] == "dependency audit: 2 of 2 packages audited, 0 vulnerable, 0 not audited"


def test_a_vulnerability_in_the_project_data_fails_the_audit(audit_deps):
    audit, _ = audit_deps.from_pip_audit(ALL_SKIPPED, PINS)
    audit_deps.add_project_data(audit, "Flask", "3.1.3", project("3.1.3", "PYSEC-1", "GHSA-x"))
    audit_deps.add_project_data(audit, "PyJWT", "2.15.1", project("2.15.1"))
    status, lines = audit.verdict(require_all=False)
    assert status == 1
    assert "VULNERABLE Flask==3.1.3: PYSEC-1, GHSA-x" in lines


def test_a_vulnerability_pip_audit_found_fails_the_audit(audit_deps):
    report = {
        "dependencies": [
            {"name": "flask", "version": "3.1.3", "vulns": [{"id": "PYSEC-2"}]},
            {"name": "pyjwt", "version": "2.15.1", "vulns": []},
        ]
    }
    audit, skipped = audit_deps.from_pip_audit(report, PINS)
    assert skipped == []
    status, lines = audit.verdict(require_all=False)
    assert status == 1 and "VULNERABLE Flask==3.1.3: PYSEC-2" in lines


def test_a_package_no_source_could_check_is_reported_not_audited(audit_deps):
    audit, _ = audit_deps.from_pip_audit(ALL_SKIPPED, PINS)
    audit_deps.add_project_data(audit, "Flask", "3.1.3", project("3.2.0"))  # an older install
    audit_deps.add_project_data(audit, "PyJWT", "2.15.1", "the index's JSON API is unreachable")
    status, lines = audit.verdict(require_all=False)
    assert status == 0
    assert any("2 package(s) NOT AUDITED" in line for line in lines)
    assert lines[-1].endswith("0 of 2 packages audited, 0 vulnerable, 2 not audited")
    assert audit.verdict(require_all=True)[0] == 1


RUNTIME = frozenset({"flask", "pyjwt"})


def test_an_audit_that_could_check_none_of_the_runtime_dependencies_fails_naming_them(
    audit_deps,
):
    audit, _ = audit_deps.from_pip_audit(ALL_SKIPPED, PINS)
    audit_deps.add_project_data(audit, "Flask", "3.1.3", "the index's JSON API answered 404")
    audit_deps.add_project_data(audit, "PyJWT", "2.15.1", project("2.16.0"))
    status, lines = audit.verdict(require_all=False, runtime=RUNTIME)
    assert status == 1
    assert (
        "FAILED: not one runtime dependency could be audited; not audited: "
        "Flask==3.1.3, PyJWT==2.15.1"
    ) in lines
    assert "  Flask==3.1.3 (runtime): the index's JSON API answered 404" in lines


def test_one_audited_runtime_dependency_is_enough_to_pass_without_require_all(audit_deps):
    audit, _ = audit_deps.from_pip_audit(ALL_SKIPPED, PINS)
    audit_deps.add_project_data(audit, "Flask", "3.1.3", project("3.1.3"))
    audit_deps.add_project_data(audit, "PyJWT", "2.15.1", project("2.16.0"))
    status, lines = audit.verdict(require_all=False, runtime=RUNTIME)
    assert status == 0
    assert lines[-1] == (
        "dependency audit: 1 of 2 packages audited (1 of 2 runtime), 0 vulnerable, 1 not audited"
    )
    assert audit.verdict(require_all=True, runtime=RUNTIME)[0] == 1


def test_the_runtime_dependencies_are_kore_mocks_requirements_and_theirs_without_extras(
    audit_deps,
):
    runtime = audit_deps.runtime_dependencies()
    assert {"flask", "gunicorn", "pyjwt", "werkzeug"} <= runtime  # werkzeug: through flask
    assert not {"pytest", "schemathesis", "pip-audit", "psycopg"} & runtime
