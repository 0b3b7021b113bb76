"""Soak: a bounded mixed load on `kore-mock serve`, then is the server still the same?

Starts `kore-mock serve` (gunicorn, N worker processes, a SQLite file) on a free loopback port
and runs client threads for a fixed time, each on its own stream: CSV imports, JSON creates,
lists, updates, deletes and hostile requests (bad tokens, malformed CSV, deep JSON, invalid
UTF-8, oversized bodies, broken multipart). After a warm-up the server's resident memory
(master + workers) is taken as the baseline; at the end it must have grown by less than 10 %,
and no request may have been answered 5xx or failed at the transport level.

    python bench/soak.py [--seconds 60] [--workers 4] [--clients 8]

Prints the figures and exits 1 when the run fails. tests/test_soak.py runs a short version that
counts requests instead of seconds (``soak_counted``), so a busy machine makes it slower, never
different.
"""

from __future__ import annotations

import argparse
import io
import itertools
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from mockserver.auth import mint_token  # noqa: E402
from mockserver.settings import DEV_APP  # noqa: E402
from mockserver.spec import API_PREFIX  # noqa: E402

MAX_GROWTH = 0.10
START_SECONDS = 90  # for kore-mock serve to answer its first request
BARRIER_SECONDS = 600  # a counted soak's clients wait this long at most for each other
HEADER = "firstName,lastName,salutation,cellPhoneNumber,cellPhoneCountryCode,cellPhoneExtension"
WEIGHTS = {"import": 2, "create": 3, "list": 4, "update": 2, "delete": 1, "bad": 3}


@dataclass
class SoakResult:
    seconds: float  # measured, after the warm-up
    warmup: float
    workers: int
    clients: int
    rss_start_kb: int = 0
    rss_end_kb: int = 0
    by_kind: Counter = field(default_factory=Counter)
    statuses: Counter = field(default_factory=Counter)
    unexpected: list[str] = field(default_factory=list)

    @property
    def requests(self) -> int:
        return sum(self.by_kind.values())

    @property
    def growth(self) -> float:
        return (self.rss_end_kb - self.rss_start_kb) / self.rss_start_kb

    @property
    def server_errors(self) -> int:
        return sum(n for status, n in self.statuses.items() if status >= 500)

    @property
    def passed(self) -> bool:
        return self.growth < MAX_GROWTH and self.server_errors == 0 and not self.unexpected

    def report(self) -> str:
        rate = self.requests / (self.warmup + self.seconds)
        lines = [
            f"soak: {self.warmup:.0f} s warm-up + {self.seconds:.0f} s, {self.workers} workers, "
            f"{self.clients} clients",
            f"  requests    {self.requests} ({rate:.0f}/s): "
            + ", ".join(f"{kind} {n}" for kind, n in sorted(self.by_kind.items())),
            "  statuses    " + ", ".join(f"{s}: {n}" for s, n in sorted(self.statuses.items())),
            f"  5xx         {self.server_errors}",
            f"  unexpected  {len(self.unexpected)}"
            + "".join(f"\n    {u}" for u in self.unexpected[:10]),
            f"  RSS         {self.rss_start_kb / 1024:.1f} MiB after warm-up -> "
            f"{self.rss_end_kb / 1024:.1f} MiB at the end: {self.growth * 100:+.1f} % "
            f"(limit +{MAX_GROWTH * 100:.0f} %)",
            f"  result      {'pass' if self.passed else 'FAIL'}",
        ]
        return "\n".join(lines)


class Server:
    """`kore-mock serve --port 0` as a subprocess; its URL comes from the banner."""

    def __init__(self, workdir: Path, workers: int) -> None:
        command = [sys.executable, "-m", "mockserver.cli", "serve", "--port", "0"]
        command += ["--workers", str(workers), "--db", str(workdir / "soak.db")]
        self.process = subprocess.Popen(
            command,
            cwd=workdir,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, "PYTHONPATH": str(REPO)},
        )
        self.output: list[str] = []
        threading.Thread(target=self._drain, daemon=True).start()
        self.url = self._wait_for_url()

    def _drain(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.output.append(line)

    def _wait_for_url(self) -> str:
        deadline = time.time() + START_SECONDS
        while time.time() < deadline:
            found = re.search(r"base URL\s+(http://[^/\s]+)/", "".join(self.output))
            if found:
                url = found.group(1)
                try:
                    self._wait_healthy(url, deadline)
                except requests.RequestException:
                    self.stop()  # never leave a server running behind a failed start
                    raise
                return url
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        self.stop()
        raise RuntimeError("kore-mock serve did not start:\n" + "".join(self.output))

    def _wait_healthy(self, url: str, deadline: float) -> None:
        """The banner comes before the workers have loaded the app (4 of them on 2 busy cores
        take 10-15 s): ask until one answers."""
        while True:
            try:
                requests.get(url + "/__mock__/health", timeout=5).raise_for_status()
                return
            except requests.RequestException:
                if time.time() > deadline or self.process.poll() is not None:
                    raise
                time.sleep(0.2)

    def rss_kb(self) -> int:
        """Resident memory of the gunicorn master and its workers."""
        pids = [self.process.pid]
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        pids += [int(pid) for pid in children.read_text().split()]
        total = 0
        for pid in pids:
            status = Path(f"/proc/{pid}/status").read_text()
            total += int(re.search(r"VmRSS:\s+(\d+)", status).group(1))
        return total

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


class Client:
    """One thread of load on its own stream; it knows what every answer should be."""

    numbers = itertools.count(9_000_000_000)
    lock = threading.Lock()

    def __init__(self, url: str, index: int, result: SoakResult, seed: int) -> None:
        self.contacts = f"{url}{API_PREFIX}/st-soak-{index:03d}/contacts"
        self.session = requests.Session()
        self.session.headers.update({"auth": mint_token(DEV_APP), "accountId": DEV_APP.account_id})
        self.result = result
        self.random = random.Random(seed)
        self.ids: list[str] = []

    def next_number(self) -> int:
        with self.lock:
            return next(self.numbers)

    def run_until(self, deadline: float) -> None:
        while time.time() < deadline:
            self.step()

    def run_actions(self, count: int) -> None:
        for _ in range(count):
            self.step()

    def step(self) -> None:
        """One request of a kind drawn by the weights (the same sequence for the same seed)."""
        actions = {
            "import": self.import_csv,
            "create": self.create,
            "list": self.list,
            "update": self.update,
            "delete": self.delete,
            "bad": self.bad,
        }
        kinds, weights = zip(*WEIGHTS.items(), strict=True)
        kind = self.random.choices(kinds, weights)[0]
        try:
            actions[kind]()
        except requests.RequestException as exc:
            self.result.unexpected.append(f"{kind}: {type(exc).__name__}: {exc}")

    def _check(self, kind: str, response: requests.Response, expected: set[int]) -> None:
        self.result.by_kind[kind.split(":")[0]] += 1
        self.result.statuses[response.status_code] += 1
        if response.status_code not in expected:
            self.result.unexpected.append(f"{kind}: {response.status_code} {response.text[:200]}")

    def _remember(self, response: requests.Response) -> None:
        if response.status_code == 200:
            self.ids += [c["id"] for c in response.json()]

    def import_csv(self) -> None:
        rows = [f"imp,row{i},Mr,{self.next_number()},+91," for i in range(20)]
        data = "\n".join([HEADER, *rows]) + "\n"
        response = self.session.post(
            self.contacts + "/import-contacts",
            files={"result_file": ("c.csv", data, "text/csv")},
            timeout=60,
        )
        self._check("import", response, {200})
        self._remember(response)

    def create(self) -> None:
        items = [
            {
                "firstName": "json",
                "lastName": f"item{i}",
                "salutation": "",
                "cellPhone": {
                    "phoneNumber": str(self.next_number()),
                    "countryCode": "+91",
                    "extension": "",
                },
            }
            for i in range(5)
        ]
        response = self.session.post(self.contacts, json=items, timeout=60)
        self._check("create", response, {200})
        self._remember(response)

    def list(self) -> None:
        skip = self.random.randrange(0, max(1, len(self.ids)))
        response = self.session.get(self.contacts, params={"skip": skip, "limit": 100}, timeout=60)
        self._check("list", response, {200})

    def update(self) -> None:
        if not self.ids:
            return self.create()
        contact_id = self.random.choice(self.ids)
        response = self.session.put(
            f"{self.contacts}/{contact_id}", json={"lastName": "updated"}, timeout=60
        )
        self._check("update", response, {200})

    def delete(self) -> None:
        if not self.ids:
            return self.create()
        contact_id = self.ids.pop(self.random.randrange(len(self.ids)))
        response = self.session.delete(f"{self.contacts}/{contact_id}", timeout=60)
        self._check("delete", response, {200})

    def bad(self) -> None:
        name, send, expected = self.random.choice(BAD_REQUESTS)
        self._check(f"bad: {name}", send(self), expected)


TRUNCATED_MULTIPART = (
    b'--b\r\nContent-Disposition: form-data; name="result_file"; filename="c"\r\n\r\n'
)
BAD_REQUESTS = [
    (
        "bad token",
        lambda c: c.session.get(c.contacts, headers={"auth": "a.b.c"}, timeout=60),
        {401},
    ),
    (
        "deep json",
        lambda c: c.session.post(
            c.contacts,
            data=b"[" * 20_000 + b"]" * 20_000,
            headers={"Content-Type": "application/json"},
            timeout=60,
        ),
        {400},
    ),
    (
        "invalid utf-8",
        lambda c: c.session.post(
            c.contacts,
            data=b'[{"firstName":"\xff"}]',
            headers={"Content-Type": "application/json"},
            timeout=60,
        ),
        {400},
    ),
    (
        "binary csv",
        lambda c: c.session.post(
            c.contacts + "/import-contacts",
            files={"result_file": ("c.csv", io.BytesIO(os.urandom(4096)), "text/csv")},
            timeout=60,
        ),
        {400},
    ),
    (
        "formula row",
        lambda c: c.session.post(
            c.contacts,
            json=[
                {
                    "firstName": "=cmd|' /C calc'!A0",
                    "lastName": "x",
                    "salutation": "",
                    "cellPhone": {
                        "phoneNumber": "9876543210",
                        "countryCode": "+91",
                        "extension": "",
                    },
                }
            ],
            timeout=60,
        ),
        {412},  # a value the contract does not allow: Kore's validation answer
    ),
    (
        "oversized json",
        lambda c: c.session.post(
            c.contacts,
            data=b"[" + b" " * (3 * 1024 * 1024) + b"]",
            headers={"Content-Type": "application/json"},
            timeout=60,
        ),
        {413},
    ),
    (
        "truncated multipart",
        lambda c: c.session.post(
            c.contacts + "/import-contacts",
            data=TRUNCATED_MULTIPART,
            headers={"Content-Type": "multipart/form-data; boundary=b"},
            timeout=60,
        ),
        {400},
    ),
    ("unknown contact", lambda c: c.session.delete(f"{c.contacts}/{'0' * 24}", timeout=60), {404}),
]


def soak(
    seconds: float, *, workers: int = 4, clients: int = 8, warmup: float | None = None
) -> SoakResult:
    """Run the load for ``warmup`` + ``seconds``; RSS is compared between the two marks."""
    warmup = max(3.0, seconds / 5) if warmup is None else warmup
    result = SoakResult(seconds=seconds, warmup=warmup, workers=workers, clients=clients)
    with tempfile.TemporaryDirectory(prefix="kore-soak-") as tmp:
        server = Server(Path(tmp), workers)
        try:
            load = [Client(server.url, i, result, seed=i) for i in range(clients)]
            deadline = time.time() + warmup + seconds
            threads = [threading.Thread(target=c.run_until, args=(deadline,)) for c in load]
            for thread in threads:
                thread.start()
            time.sleep(warmup)
            result.rss_start_kb = server.rss_kb()
            for thread in threads:
                thread.join()
            result.rss_end_kb = server.rss_kb()
            crashed = [
                line for line in server.output if "Traceback" in line or "WORKER TIMEOUT" in line
            ]
            result.unexpected += [f"server log: {line.strip()}" for line in crashed]
        finally:
            server.stop()
    return result


def soak_counted(
    actions: int, *, workers: int = 4, clients: int = 8, warmup_actions: int | None = None
) -> SoakResult:
    """A fixed amount of work instead of a fixed time: each client sends ``warmup_actions``
    requests, the RSS baseline is taken once all have, then each sends ``actions`` more. What
    it checks does not depend on the machine's speed (tests/test_soak.py runs it)."""
    warmup_actions = max(10, actions // 4) if warmup_actions is None else warmup_actions
    result = SoakResult(seconds=0.0, warmup=0.0, workers=workers, clients=clients)
    barrier = threading.Barrier(clients + 1)

    def work(client: Client) -> None:
        try:
            client.run_actions(warmup_actions)
            barrier.wait(BARRIER_SECONDS)
            client.run_actions(actions)
        except BaseException:
            barrier.abort()
            raise

    with tempfile.TemporaryDirectory(prefix="kore-soak-") as tmp:
        server = Server(Path(tmp), workers)
        try:
            load = [Client(server.url, i, result, seed=i) for i in range(clients)]
            threads = [threading.Thread(target=work, args=(c,)) for c in load]
            began = time.time()
            for thread in threads:
                thread.start()
            barrier.wait(BARRIER_SECONDS)
            result.warmup = time.time() - began
            result.rss_start_kb = server.rss_kb()
            for thread in threads:
                thread.join()
            result.seconds = time.time() - began - result.warmup
            result.rss_end_kb = server.rss_kb()
            crashed = [
                line for line in server.output if "Traceback" in line or "WORKER TIMEOUT" in line
            ]
            result.unexpected += [f"server log: {line.strip()}" for line in crashed]
        finally:
            server.stop()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args()
    result = soak(args.seconds, workers=args.workers, clients=args.clients)
    print(result.report())
    sys.exit(0 if result.passed else 1)


if __name__ == "__main__":
    main()
