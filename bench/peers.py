"""The mock servers kore-mock is measured against, installed from npm on first use.

- Prism (``@stoplight/prism-cli``): mocks ``openapi.yaml`` from its examples, validates requests.
- WireMock (npm's ``wiremock`` package ships the standalone jar; needs Java 11+): static stubs
  of the very answers kore-mock gave in the same run, with WireMock's default in-memory journal.
- Mockoon (``@mockoon/cli``): serves ``openapi.yaml`` as it is (routes and example answers).

All three go into ``bench/.npm`` (one ``npm install`` prefix, not committed).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from bench.common import ROOT

NPM_DIR = Path(__file__).parent / ".npm"


@dataclass(frozen=True)
class NpmTool:
    package: str
    version: str

    @property
    def spec(self) -> str:
        return f"{self.package}@{self.version}"


PRISM = NpmTool("@stoplight/prism-cli", "5")
WIREMOCK = NpmTool("wiremock", "3.13")
MOCKOON = NpmTool("@mockoon/cli", "9")


def _install(tool: NpmTool) -> None:
    if shutil.which("npm") is None:
        raise RuntimeError(f"npm is needed to install {tool.package}")
    print(f"installing {tool.spec} into {NPM_DIR} ...", flush=True)
    quiet = ["--silent", "--no-audit", "--no-fund"]
    subprocess.run(["npm", "install", *quiet, "--prefix", str(NPM_DIR), tool.spec], check=True)


def _package_dir(tool: NpmTool) -> Path:
    return NPM_DIR / "node_modules" / tool.package


def _ensure(tool: NpmTool) -> Path:
    if not (_package_dir(tool) / "package.json").exists():
        _install(tool)
    return _package_dir(tool)


def installed_version(tool: NpmTool) -> str:
    return json.loads((_ensure(tool) / "package.json").read_text())["version"]


def prism_cmd(port: int) -> list[str]:
    _ensure(PRISM)
    binary = NPM_DIR / "node_modules" / ".bin" / "prism"
    spec = str(ROOT / "openapi.yaml")
    return [str(binary), "mock", spec, "-h", "127.0.0.1", "-p", str(port), "--errors", "false"]


def mockoon_cmd(port: int) -> list[str]:
    _ensure(MOCKOON)
    binary = NPM_DIR / "node_modules" / ".bin" / "mockoon-cli"
    # -X: log to stdout only (the bench keeps it in a temp file), not to ~/.mockoon-cli
    spec = str(ROOT / "openapi.yaml")
    return [str(binary), "start", "--data", spec, "--port", str(port), "-l", "127.0.0.1", "-X"]


def ensure_java() -> str:
    """A Java runtime for WireMock: on PATH, else Debian's headless JRE (as root)."""
    found = shutil.which("java")
    if found is not None:
        return found
    if shutil.which("apt-get") is None or os.geteuid() != 0:
        raise RuntimeError("Java 11+ is needed for WireMock: apt-get install default-jre-headless")
    print("installing Java (apt-get install default-jre-headless) ...", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "--no-install-recommends", "default-jre-headless"]
    if subprocess.run(install, env=env).returncode != 0:
        subprocess.run(["apt-get", "update"], env=env, check=True)
        subprocess.run(install, env=env, check=True)
    return shutil.which("java") or "java"


def wiremock_jar() -> Path:
    build = _ensure(WIREMOCK) / "build"
    jars = sorted(build.glob("wiremock-standalone-*.jar"))
    if not jars:
        raise RuntimeError(f"no wiremock-standalone jar in {build}")
    return jars[-1]


def wiremock_cmd(port: int, root_dir: Path) -> list[str]:
    """WireMock standalone at its defaults (in-memory request journal on, default thread pool)."""
    (root_dir / "mappings").mkdir(parents=True, exist_ok=True)
    (root_dir / "__files").mkdir(exist_ok=True)
    return [
        ensure_java(),
        "-jar",
        str(wiremock_jar()),
        "--port",
        str(port),
        "--bind-address",
        "127.0.0.1",
        "--root-dir",
        str(root_dir),
        "--disable-banner",
    ]


WIREMOCK_READY = "/__admin/health"


@dataclass(frozen=True)
class Stub:
    """One static answer: a request matcher and the body kore-mock gave to that request."""

    method: str
    path: str  # exact path, or a regular expression when ``pattern``
    body: bytes
    pattern: bool = False


def add_wiremock_stubs(base: str, account_id: str, stubs: list[Stub]) -> None:
    """Register stubs the way a team would: path, method and the vendor's headers present."""
    for stub in stubs:
        mapping = {
            "request": {
                "method": stub.method,
                ("urlPathPattern" if stub.pattern else "urlPath"): stub.path,
                "headers": {
                    "accountId": {"equalTo": account_id},
                    "auth": {"matches": ".+"},
                },
            },
            "response": {
                "status": 200,
                "headers": {"Content-Type": "application/json"},
                "body": stub.body.decode(),
            },
        }
        request = urllib.request.Request(
            f"{base}/__admin/mappings",
            data=json.dumps(mapping).encode(),
            method="POST",
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            if response.status != 201:
                raise RuntimeError(f"WireMock refused a stub: {response.status}")
