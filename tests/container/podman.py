"""podman for the container tests: the base image made from Debian packages, the image built
from the repository's Dockerfile, containers on loopback ports.

No container registry is reachable here, so the base image (Python and its venv module, as
``python:3.12-slim`` has them) is made with mmdebstrap from Debian's packages and imported into
podman; it is kept under a tag derived from its recipe, so the next run on the same machine
skips that minute. The build host's CA bundle goes into it, so pip in the Dockerfile's build
stage trusts what the host trusts (a corporate proxy's CA, as here).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
CONTAINERS_CONF = Path(__file__).with_name("containers.conf")
CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
BASE_REPOSITORY = "localhost/kore-mock-test-base"
IMAGE = "localhost/kore-mock:test"
BASE_PACKAGES = "python3,python3-venv,ca-certificates,passwd"  # passwd: useradd


class PodmanUnavailable(RuntimeError):
    """podman (or mmdebstrap) is missing or cannot run containers here."""


def env() -> dict[str, str]:
    return {**os.environ, "CONTAINERS_CONF": str(CONTAINERS_CONF)}


def podman(*args: str, timeout: float = 120, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run(
        ["podman", *args], capture_output=True, text=True, timeout=timeout, env=env()
    )
    if check and result.returncode != 0:
        raise AssertionError(f"podman {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
    return result


def check_available() -> None:
    for tool in ("podman", "mmdebstrap"):
        if shutil.which(tool) is None:
            raise PodmanUnavailable(f"{tool} is missing (apt-get install podman runc mmdebstrap)")
    result = podman("info", "--format", "{{.Host.OCIRuntime.Name}}", check=False, timeout=60)
    if result.returncode != 0:
        raise PodmanUnavailable(f"podman cannot run here: {result.stderr.strip()}")


def _codename() -> str:
    text = Path("/etc/os-release").read_text()
    found = re.search(r"^VERSION_CODENAME=(\S+)$", text, re.M)
    return found.group(1).strip('"') if found else "bookworm"


def base_image() -> str:
    """The base image's name, made (about a minute) unless this recipe's is there already."""
    suite = _codename()
    recipe = [
        "--variant=essential",  # no apt in the image: nothing installs packages at run time
        "--hook-dir=/usr/share/mmdebstrap/hooks/merged-usr",  # /usr merged without perl
        f"--include={BASE_PACKAGES}",
        "--dpkgopt=path-exclude=/usr/share/man/*",
        "--dpkgopt=path-exclude=/usr/share/doc/*",
        "--dpkgopt=path-exclude=/usr/share/locale/*",
        f"--customize-hook=copy-in {CA_BUNDLE} /etc/ssl/certs",
        suite,
    ]
    digest = hashlib.sha256(json.dumps(recipe).encode() + CA_BUNDLE.read_bytes()).hexdigest()
    name = f"{BASE_REPOSITORY}:{suite}-{digest[:12]}"
    if podman("image", "exists", name, check=False).returncode == 0:
        return name
    with tempfile.TemporaryDirectory() as tmp:
        tarball = Path(tmp) / "base.tar"
        result = subprocess.run(
            ["mmdebstrap", *recipe, str(tarball)], capture_output=True, text=True, timeout=900
        )
        if result.returncode != 0:
            raise AssertionError(f"mmdebstrap failed:\n{result.stderr[-4000:]}")
        podman("import", str(tarball), name, timeout=300)
    return name


def build_image(base: str) -> str:
    """The repository's Dockerfile built on ``base``; returns the image name."""
    podman(
        "build",
        "--format=docker",  # keeps HEALTHCHECK (the OCI format has no field for it)
        "--layers=false",  # no intermediate images left behind
        f"--build-arg=BASE={base}",
        f"--tag={IMAGE}",
        str(ROOT),
        timeout=900,
    )
    return IMAGE


def inspect(name: str, kind: str = "image") -> dict[str, Any]:
    return json.loads(podman(kind, "inspect", name).stdout)[0]


@dataclass
class Container:
    name: str
    url: str

    def logs(self) -> str:
        result = podman("logs", self.name, check=False)
        return result.stdout + result.stderr

    def exec(self, *args: str) -> subprocess.CompletedProcess:
        return podman("exec", self.name, *args, check=False, timeout=60)

    def stop(self) -> None:
        podman("stop", "--time=20", self.name, check=False, timeout=60)

    def remove(self) -> None:
        podman("rm", "--force", "--time=5", self.name, check=False, timeout=60)


def run_container(
    image: str,
    name: str,
    port: int,
    *,
    volume: str,
    args: tuple[str, ...] = (),
    inside: int = 8080,
) -> Container:
    """``podman run -d -p 127.0.0.1:PORT:INSIDE``; returns once the server answers on the port."""
    podman(
        "run",
        "--detach",
        f"--name={name}",
        f"--publish=127.0.0.1:{port}:{inside}",
        f"--volume={volume}:/data",
        "--health-interval=disable",  # `podman healthcheck run` runs it (no systemd timers here)
        *args,
        image,
    )
    container = Container(name, f"http://127.0.0.1:{port}")
    deadline = time.time() + 60
    while True:
        try:
            urllib.request.urlopen(container.url + "/__mock__/health", timeout=2).close()
            return container
        except urllib.error.HTTPError:
            return container  # it answers (403: the control plane wants the admin token)
        except OSError:
            state = inspect(name, "container")["State"]
            if not state["Running"] or time.time() > deadline:
                logs = container.logs()
                container.remove()
                raise AssertionError(
                    f"the container did not start ({state['Status']}):\n{logs}"
                ) from None
            time.sleep(0.2)
