"""The container image: built from the Dockerfile on a Debian-made base, run with its port mapped
to 127.0.0.1, data kept in the volume across containers, the control plane reachable from the
host with the admin token only, and the contract suite passing over HTTP against it.

With CI=true a machine where podman cannot run fails these tests; elsewhere they are skipped.
"""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from mockserver.auth import mint_token
from mockserver.settings import DEV_APP, DEV_STREAM_ID
from tests.conftest import in_ci
from tests.container import podman as pm
from tests.live import contract_env, free_port
from tests.spec_check import check_response

MAX_IMAGE_BYTES = 250 * 1000 * 1000
CONTACTS = f"/agentassist/api/v1/public/{DEV_STREAM_ID}/contacts"
ADMIN = "X-Mock-Admin-Token"
EXAMPLE_CSV = pm.ROOT / "examples" / "contacts.csv"


@pytest.fixture(scope="module")
def image() -> Iterator[str]:
    try:
        pm.check_available()
    except pm.PodmanUnavailable as exc:
        if in_ci():
            pytest.fail(f"CI needs podman for the container image tests: {exc}")
        pytest.skip(str(exc))
    started = time.monotonic()
    base = pm.base_image()
    based = time.monotonic()
    name = pm.build_image(base)
    print(
        f"\nbase image {base}: {based - started:.0f} s; "
        f"kore-mock image build: {time.monotonic() - based:.0f} s"
    )
    yield name
    pm.podman("rmi", "--force", name, check=False)


@pytest.fixture
def volume() -> Iterator[str]:
    name = f"kore-mock-test-{uuid.uuid4().hex[:8]}"
    pm.podman("volume", "create", name)
    yield name
    pm.podman("volume", "rm", "--force", name, check=False)


@pytest.fixture
def containers() -> Iterator[list[pm.Container]]:
    started: list[pm.Container] = []
    yield started
    for container in started:
        container.remove()


def vendor_headers() -> dict[str, str]:
    return {"auth": mint_token(DEV_APP), "accountId": DEV_APP.account_id}


def checked(response: requests.Response) -> requests.Response:
    path = requests.utils.urlparse(response.url).path
    check_response(
        response.request.method,
        path,
        response.status_code,
        dict(response.headers),
        response.content,
    )
    return response


def test_the_image_is_small_runs_as_non_root_and_declares_port_volume_and_health(image):
    info = pm.inspect(image)
    size = info["Size"]
    print(f"\nimage size: {size / 1e6:.1f} MB")
    assert size < MAX_IMAGE_BYTES, f"the image is {size / 1e6:.1f} MB"
    config = info["Config"]
    assert config["User"] == "kore"
    assert "8080/tcp" in config["ExposedPorts"]
    assert "/data" in config["Volumes"]
    assert "kore-mock health --live" in " ".join(info["Healthcheck"]["Test"])
    assert config["Entrypoint"] == ["kore-mock"] and config["Cmd"] == ["serve"]
    # No test extras in the image: contract and fidelity say where to run them, exit status 2.
    for verb in ("contract", "fidelity"):
        result = pm.podman("run", "--rm", image, verb, check=False)
        said = " ".join(result.stderr.split())
        assert result.returncode == 2, result.stdout + result.stderr
        assert "The container image does not include them" in said, said


def test_data_survives_a_new_container_on_the_volume_and_the_contract_suite_passes(
    image, volume, containers, tmp_path
):
    port = free_port()
    first = pm.run_container(image, f"kore-mock-a-{volume}", port, volume=volume)
    containers.append(first)
    assert first.exec("id", "-u").stdout.strip() != "0"
    # No gunicorn control socket in the volume ($HOME is /data): shared by its containers.
    assert ".gunicorn" not in first.exec("ls", "-A", "/data").stdout

    # The control plane: closed to the host without the token printed at start-up.
    found = re.search(r"admin\s+(\S+)\s+generated \(kept in /data/admin-token\)", first.logs())
    assert found, first.logs()
    token = found.group(1)
    # The banner's URLs can be called (it printed http://0.0.0.0:8080/...), and it says how.
    assert "http://0.0.0.0" not in first.logs()
    assert "base URL   http://127.0.0.1:8080/" in first.logs()
    assert "the port published for 8080" in first.logs()
    assert requests.get(first.url + "/__mock__/settings", timeout=10).status_code == 403
    assert requests.get(first.url + "/__mock__/ui", timeout=10).status_code == 200  # asks for it
    assert pm.podman("healthcheck", "run", first.name, check=False).returncode == 0
    # Another container on the volume writes its own token there: this one is healthy still.
    assert first.exec("sh", "-c", "echo another-token > /data/admin-token").returncode == 0
    assert pm.podman("healthcheck", "run", first.name, check=False).returncode == 0
    assert first.exec("sh", "-c", f"echo {token} > /data/admin-token").returncode == 0

    # Import the shipped example file through the mapped port.
    with EXAMPLE_CSV.open("rb") as handle:
        imported = checked(
            requests.post(
                first.url + CONTACTS + "/import-contacts",
                headers=vendor_headers(),
                files={"result_file": ("contacts.csv", handle, "text/csv")},
                timeout=30,
            )
        )
    assert imported.status_code == 200 and imported.headers["X-Mock-Rejected-Rows"] == "1"
    ids = sorted(c["id"] for c in imported.json())
    assert len(ids) == 4
    journal = requests.get(
        first.url + "/__mock__/journal?operation=importContacts",
        headers={ADMIN: token},
        timeout=10,
    )
    assert journal.status_code == 200 and len(journal.json()["entries"]) == 1
    first.stop()

    # A new container on the same volume, with a settings file mounted and a chosen token.
    settings = tmp_path / "kore-mock.yaml"
    settings.write_text("importPolicy: reject\njournalSize: 5000\n")
    settings.chmod(0o644)
    second = pm.run_container(
        image,
        f"kore-mock-b-{volume}",
        port,
        volume=volume,
        args=(
            f"--volume={settings}:/config/kore-mock.yaml:ro",
            "--env=KORE_MOCK_CONFIG=/config/kore-mock.yaml",
            "--env=KORE_MOCK_ADMIN_TOKEN=a-token-chosen-by-the-test",
        ),
    )
    containers.append(second)
    listed = checked(
        requests.get(second.url + CONTACTS + "?limit=50", headers=vendor_headers(), timeout=10)
    )
    assert listed.status_code == 200
    assert sorted(c["id"] for c in listed.json()["results"]) == ids
    assert requests.get(second.url + "/__mock__/settings", timeout=10).status_code == 403
    refused = requests.get(second.url + "/__mock__/settings", headers={ADMIN: token}, timeout=10)
    assert refused.status_code == 403  # the generated token gave way to the chosen one
    current = requests.get(
        second.url + "/__mock__/settings",
        headers={ADMIN: "a-token-chosen-by-the-test"},
        timeout=10,
    ).json()
    assert current["importPolicy"] == "reject" and current["journalSize"] == 5000
    # Verbs run inside the container find the token in the volume (the health check is one).
    inside = second.exec("kore-mock", "journal", "--operation", "importContacts", "--count", "1")
    assert inside.returncode == 0 and "OK: 1 matching" in inside.stdout, inside.stderr
    assert pm.podman("healthcheck", "run", second.name, check=False).returncode == 0

    suite = run_contract_suite(second.url, tmp_path)
    assert suite.returncode == 0, suite.stdout[-6000:] + suite.stderr[-3000:]
    assert second.url in suite.stdout  # the summary's target: it ran over HTTP, not in-process


def test_without_a_token_the_control_plane_is_closed_to_the_host(image, volume, containers):
    container = pm.run_container(
        image,
        f"kore-mock-c-{volume}",
        free_port(),
        volume=volume,
        args=("--env=KORE_MOCK_ADMIN_TOKEN_FILE=", "--env=KORE_MOCK_PORT=9090"),
        inside=9090,  # the port moved as the README says
    )
    containers.append(container)
    refused = requests.get(container.url + "/__mock__/journal", timeout=10)
    assert refused.status_code == 403
    assert "loopback callers only" in refused.json()["errors"][0]["msg"]
    assert "no token: the control plane answers loopback callers only" in container.logs()
    # Inside the container it is loopback, and the health check still works.
    assert pm.podman("healthcheck", "run", container.name, check=False).returncode == 0
    # The verbs run inside follow KORE_MOCK_PORT (they asked 8080).
    inside = container.exec("kore-mock", "journal", "--count", "0")
    assert inside.returncode == 0 and "OK: 0 matching" in inside.stdout, inside.stderr

    # A client that sent half a request head does not hold up `podman stop` (10 s, then SIGKILL).
    port = int(container.url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=10) as stalled:
        stalled.sendall(b"GET /__mock__/health HTTP/1.1\r\nHo")
        time.sleep(0.5)
        started = time.monotonic()
        pm.podman("stop", "--time=10", container.name, timeout=60)
        took = time.monotonic() - started
    assert took < 5, f"podman stop took {took:.1f} s"
    assert pm.inspect(container.name, "container")["State"]["ExitCode"] == 0, container.logs()


def test_a_service_link_in_kore_mock_port_leaves_the_server_on_8080_and_healthy(
    image, volume, containers
):
    # Docker's links and Kubernetes set KORE_MOCK_PORT=tcp://ADDRESS:PORT for a service named
    # kore-mock; the health check built its URL from the variable itself and always failed
    container = pm.run_container(
        image,
        f"kore-mock-d-{volume}",
        free_port(),
        volume=volume,
        args=("--env=KORE_MOCK_PORT=tcp://10.96.0.12:8080",),
    )
    containers.append(container)
    assert "is a service link" in container.logs()
    checked = pm.podman("healthcheck", "run", container.name, check=False)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def run_contract_suite(url: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = contract_env(
        url,
        JWT=mint_token(DEV_APP),
        EXAMPLES="15",
        STATEFUL_EXAMPLES="5",
        RATE_PER_MINUTE="0",
        COVERAGE="1",
    )
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            str(pm.ROOT / "contract_tests"),
            "--kore-target",  # the host the KORE_* variables name: the container
            "-q",
            "-p",
            "no:cacheprovider",
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
