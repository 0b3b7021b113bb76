"""Audit the installed dependencies for known vulnerabilities — and say so when it cannot.

1. pip-audit, against PyPI's vulnerability data (the default service), for every package of the
   virtualenv (``pip freeze --exclude-editable``).
2. pip-audit asks PyPI's JSON API per release (``/pypi/NAME/VERSION/json``); a machine that
   reaches the package index only through a mirror may lack that endpoint (pip-audit then skips
   every package and, by default, still exits 0). For each package pip-audit skipped, the
   project's JSON (``/pypi/NAME/json``) is asked instead: it lists the same advisories for the
   project's latest release, so a package installed at that release is audited; any other is
   reported NOT AUDITED by name.
3. Exit 1 when a vulnerability is found, or when not one of kore-mock's runtime dependencies
   (those ``pip install kore-mock`` brings, its extras aside) could be audited: an audit that
   checked nothing must not pass. Packages neither source could audit are printed in a
   warning, the runtime ones named as such; with ``--require-all`` (or
   KORE_MOCK_AUDIT_REQUIRE_ALL=1) any of them fails the run.

    .venv/bin/python .ci/audit_deps.py [--require-all]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import requests

TIMEOUT = 30


@dataclass
class Audit:
    """What is known about each installed package."""

    vulnerable: dict[str, list[str]] = field(default_factory=dict)  # "name==version" -> ids
    audited: set[str] = field(default_factory=set)
    not_audited: dict[str, str] = field(default_factory=dict)  # "name==version" -> why

    def verdict(
        self, *, require_all: bool, runtime: frozenset[str] = frozenset()
    ) -> tuple[int, list[str]]:
        """Exit status and report; ``runtime``: canonical names of the runtime dependencies."""
        lines = [
            f"VULNERABLE {package}: {', '.join(ids)}"
            for package, ids in sorted(self.vulnerable.items())
        ]
        if self.not_audited:
            lines.append(
                f"WARNING: {len(self.not_audited)} package(s) NOT AUDITED (no vulnerability data "
                "reachable for the installed version):"
            )
            lines += [
                f"  {package}{' (runtime)' if _name(package) in runtime else ''}: {why}"
                for package, why in sorted(self.not_audited.items())
            ]
        audited_runtime = {p for p in self.audited if _name(p) in runtime}
        unaudited_runtime = sorted(p for p in self.not_audited if _name(p) in runtime)
        none_of_runtime = bool(runtime) and not audited_runtime
        if none_of_runtime:
            lines.append(
                "FAILED: not one runtime dependency could be audited; not audited: "
                + (", ".join(unaudited_runtime) or "(none of them is installed)")
            )
        total = len(self.audited) + len(self.not_audited)
        lines.append(
            f"dependency audit: {len(self.audited)} of {total} packages audited"
            + (f" ({len(audited_runtime)} of {len(runtime)} runtime)" if runtime else "")
            + f", {len(self.vulnerable)} vulnerable, {len(self.not_audited)} not audited"
        )
        failed = (
            bool(self.vulnerable) or none_of_runtime or (require_all and bool(self.not_audited))
        )
        return (1 if failed else 0), lines


def _name(package: str) -> str:
    return canonical(package.split("==")[0])


def runtime_dependencies(distribution: str = "kore-mock") -> frozenset[str]:
    """Canonical names of what installing ``distribution`` installs, its extras aside."""
    from importlib import metadata

    from packaging.requirements import Requirement

    found: set[str] = set()
    todo = [distribution]
    while todo:
        try:
            requires = metadata.requires(todo.pop()) or []
        except metadata.PackageNotFoundError:
            continue
        for line in requires:
            requirement = Requirement(line)
            marker = requirement.marker
            if marker is not None and not marker.evaluate({"extra": ""}):
                continue
            name = canonical(requirement.name)
            if name not in found:
                found.add(name)
                todo.append(name)
    return frozenset(found)


def from_pip_audit(
    report: dict[str, Any], packages: list[tuple[str, str]]
) -> tuple[Audit, list[tuple[str, str]]]:
    """pip-audit's JSON report -> the audit so far, and the (name, version) pins it skipped."""
    pins = {canonical(name): (name, version) for name, version in packages}
    audit = Audit()
    skipped = []
    for dep in report.get("dependencies", []):
        name, version = pins.get(canonical(dep["name"]), (dep["name"], dep.get("version", "")))
        if dep.get("skip_reason"):
            skipped.append((name, version))
            continue
        package = f"{name}=={version}"
        audit.audited.add(package)
        if dep.get("vulns"):
            audit.vulnerable[package] = [v["id"] for v in dep["vulns"]]
    return audit, skipped


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def add_project_data(audit: Audit, name: str, version: str, project: dict[str, Any] | str) -> None:
    """Fold in a project's JSON (or the reason it could not be fetched)."""
    package = f"{name}=={version}"
    if isinstance(project, str):
        audit.not_audited[package] = project
        return
    latest = project.get("info", {}).get("version")
    if latest != version or "vulnerabilities" not in project:
        audit.not_audited[package] = f"installed {version}, the index's data is for {latest}"
        return
    audit.audited.add(package)
    ids = [v["id"] for v in project["vulnerabilities"] if not v.get("withdrawn")]
    if ids:
        audit.vulnerable[package] = ids


def json_api() -> str:
    """The JSON API of the index pip uses by default (no host is spelled out here)."""
    override = os.environ.get("KORE_MOCK_AUDIT_JSON_API")
    if override:
        return override.rstrip("/")
    from pip._internal.models.index import PyPI

    return PyPI.pypi_url


def fetch_project(name: str) -> dict[str, Any] | str:
    try:
        response = requests.get(f"{json_api()}/{name}/json", timeout=TIMEOUT)
    except requests.RequestException as exc:
        return f"the index's JSON API is unreachable ({type(exc).__name__})"
    if response.status_code != 200:
        return f"the index's JSON API answered {response.status_code}"
    return response.json()


def installed() -> list[tuple[str, str]]:
    out = subprocess.run(
        [sys.executable, "-m", "pip", "freeze", "--exclude-editable"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    pins = [line.split("==") for line in out.splitlines() if "==" in line]
    return [(name, version) for name, version in pins]


def run_pip_audit(packages: list[tuple[str, str]]) -> dict[str, Any] | None:
    requirements = "\n".join(f"{name}=={version}" for name, version in packages) + "\n"
    path = os.path.join(os.environ.get("TMPDIR", "/tmp"), f"kore-mock-audit-{os.getpid()}.txt")
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(requirements)
    try:
        done = subprocess.run(
            [
                *(sys.executable, "-m", "pip_audit", "-r", path, "--no-deps", "--disable-pip"),
                *("-f", "json", "--progress-spinner", "off", "--timeout", str(TIMEOUT)),
            ],
            capture_output=True,
            text=True,
        )
    finally:
        os.unlink(path)
    try:
        return json.loads(done.stdout)
    except json.JSONDecodeError:
        print(f"pip-audit did not run: {(done.stderr or done.stdout).strip()[-300:]}")
        return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--require-all", action="store_true")
    args = parser.parse_args()
    require_all = args.require_all or os.environ.get("KORE_MOCK_AUDIT_REQUIRE_ALL") == "1"
    packages = installed()
    report = run_pip_audit(packages)
    audit, skipped = from_pip_audit(report, packages) if report else (Audit(), packages)
    print(f"pip-audit audited {len(audit.audited)} of {len(packages)} packages")
    if skipped:
        print(f"asking the index's project data for the {len(skipped)} it could not audit")
        with ThreadPoolExecutor(max_workers=8) as pool:
            projects = list(pool.map(lambda pin: fetch_project(pin[0]), skipped))
        for (name, version), project in zip(skipped, projects, strict=True):
            add_project_data(audit, name, version, project)
    status, lines = audit.verdict(require_all=require_all, runtime=runtime_dependencies())
    print("\n".join(lines))
    sys.exit(status)


if __name__ == "__main__":
    main()
