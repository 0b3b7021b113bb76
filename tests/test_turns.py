"""Threads taking turns at a worker's event loop (mockserver.turns): the loop's own thread
serves what it reads, and a request that holds it up — saying so or not — never holds back the
others.

The ``Loop`` below stands in for the worker (``http_worker``): a queue of requests that the
thread holding the baton takes and serves itself.
"""

from __future__ import annotations

import email.utils
import queue
import socket
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from mockserver.auth import mint_token
from mockserver.settings import DEV_APP, DEV_STREAM_ID
from mockserver.spec import API_PREFIX
from mockserver.turns import Baton, waiting
from tests.hostile.live import LiveServer, read_response, request_head


class Loop:
    """A worker's event loop reduced to a queue: whoever leads takes the next request."""

    def __init__(self, threads: int, takeover_after: float = 0.05) -> None:
        self.requests: queue.Queue[Callable[[], object] | None] = queue.Queue()
        self.served_by: list[str] = []
        self.baton = Baton(threads, self._lead, takeover_after=takeover_after)
        self.runner = threading.Thread(target=self.baton.run, name="loop-main", daemon=True)

    def __enter__(self) -> Loop:
        self.runner.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.requests.put(None)
        self.runner.join(10)
        assert not self.runner.is_alive()

    def _lead(self) -> bool:
        while True:
            request = self.requests.get()
            if request is None:  # the worker stops
                self.baton.close()
                return False
            self.baton.begin()
            request()
            self.served_by.append(threading.current_thread().name)
            if not self.baton.end():
                return True  # held up: another thread leads now

    def serve(self, request: Callable[[], object]) -> threading.Event:
        done = threading.Event()

        def run() -> None:
            request()
            done.set()

        self.requests.put(run)
        return done


def _spin(seconds: float) -> None:
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        pass


def test_a_steady_stream_of_short_requests_is_served_by_the_loops_own_thread():
    with Loop(threads=5) as loop:
        dones = [loop.serve(lambda: _spin(0.0005)) for _ in range(300)]
        assert all(done.wait(10) for done in dones)
        assert set(loop.served_by) == {"loop-main"}
        assert loop.baton.takeovers == 0


def test_requests_that_say_they_wait_overlap():
    def delayed() -> None:
        with waiting():
            time.sleep(0.3)

    with Loop(threads=5) as loop:
        started = time.monotonic()
        dones = [loop.serve(delayed) for _ in range(4)]
        assert all(done.wait(10) for done in dones)
        assert time.monotonic() - started < 0.3 * 2  # all four slept at once
        assert len(set(loop.served_by)) == 4


def test_a_request_held_up_without_saying_so_is_overtaken():
    blocker = threading.Event()
    with Loop(threads=3, takeover_after=0.05) as loop:
        slow = loop.serve(lambda: blocker.wait(10))  # waits on something the loop cannot see
        time.sleep(0.01)
        quick = loop.serve(lambda: None)
        assert quick.wait(2)  # taken over after takeover_after
        assert not slow.is_set()
        assert loop.baton.takeovers == 1
        blocker.set()
        assert slow.wait(2)


def test_no_more_threads_than_allowed_serve_at_once():
    release = threading.Event()
    running: list[str] = []

    def held() -> None:
        running.append(threading.current_thread().name)
        with waiting():
            release.wait(10)

    with Loop(threads=3) as loop:
        dones = [loop.serve(held) for _ in range(6)]
        time.sleep(0.3)
        assert len(running) == 3  # the three others wait for a thread
        release.set()
        assert all(done.wait(5) for done in dones)
        assert len(running) == 6
        assert len(set(running)) == 3


def test_followers_of_a_held_up_leader_sleep_instead_of_spinning():
    release = threading.Event()
    with Loop(threads=4, takeover_after=0.3) as loop:
        loop.serve(lambda: release.wait(10))  # held up from the start, without saying so
        time.sleep(0.35)  # taken over: the new leader waits for requests, one standby watches
        cpu = time.process_time()
        time.sleep(0.3)
        assert time.process_time() - cpu < 0.05
        release.set()


def test_a_closed_baton_lets_every_follower_go():
    with Loop(threads=4) as loop:
        loop.serve(lambda: None).wait(5)
    time.sleep(0.1)
    assert not [t for t in threading.enumerate() if t.name.startswith("kore-mock-request")]


def test_gunicorns_shutdown_call_closes_the_baton():
    # gunicorn calls tpool.shutdown(wait=False) on SIGINT/SIGQUIT: a Ctrl-C printed TypeErrors
    with Loop(threads=4) as loop:
        loop.serve(lambda: None).wait(5)
        loop.baton.shutdown(wait=False)
        assert loop.baton._closed


def test_at_least_a_leader_and_a_follower():
    with pytest.raises(ValueError):
        Baton(1, lambda: False)


def test_waiting_outside_a_worker_does_nothing():
    with waiting():
        pass


# -- the same over HTTP, against `kore-mock serve --workers 1` (4 threads) ----------------------

HEADERS = {"auth": mint_token(DEV_APP), "accountId": DEV_APP.account_id}
DELAY = 1.0  # s, the latency fault of the delayed requests


@pytest.fixture(scope="module")
def one_worker(tmp_path_factory) -> LiveServer:
    live = LiveServer(tmp_path_factory.mktemp("turns"), {}, workers=1)
    yield live
    live.stop()


def test_delayed_requests_overlap_and_others_are_answered_meanwhile(one_worker):
    contacts = f"{one_worker.url}{API_PREFIX}/{DEV_STREAM_ID}/contacts"
    faults = f"{one_worker.url}/__mock__/faults/listContacts?scenario=slow"
    requests.put(faults, json={"latencyMs": int(DELAY * 1000)}, timeout=10).raise_for_status()
    try:
        slow = {**HEADERS, "X-Mock-Scenario": "slow"}
        with ThreadPoolExecutor(3) as pool:
            started = time.monotonic()
            delayed = [
                pool.submit(requests.get, contacts, headers=slow, timeout=30) for _ in range(3)
            ]
            time.sleep(DELAY / 4)
            quick = requests.get(contacts, headers=HEADERS, timeout=30)
            answered_quick = time.monotonic() - started
            answers = [f.result() for f in delayed]
        elapsed = time.monotonic() - started
        assert quick.status_code == 200
        assert answered_quick < DELAY  # not behind the delayed ones
        assert [a.status_code for a in answers] == [200, 200, 200]
        assert elapsed < DELAY * 2  # the three delays ran at once
    finally:
        requests.delete(faults, timeout=10).raise_for_status()


def test_files_of_the_console_are_sent_whole_from_the_non_blocking_socket(one_worker):
    page = requests.get(f"{one_worker.url}/__mock__/ui", timeout=10)
    assert page.status_code == 200
    assert len(page.content) == int(page.headers["Content-Length"]) > 1000


def test_an_answer_carries_the_head_an_http_1_1_client_expects(one_worker):
    with socket.create_connection(("127.0.0.1", one_worker.port), timeout=10) as sock:
        for _ in range(2):  # the same connection, kept alive
            sock.sendall(
                request_head(
                    "GET",
                    f"{API_PREFIX}/{DEV_STREAM_ID}/contacts",
                    list(HEADERS.items()),
                    host=f"127.0.0.1:{one_worker.port}",
                )
            )
            answer = read_response(sock)
            assert answer.status == 200
            assert answer.headers["connection"] == "keep-alive"
            assert answer.headers["server"].startswith("gunicorn")
            sent = email.utils.parsedate_to_datetime(answer.headers["date"]).timestamp()
            assert abs(sent - time.time()) < 5
            assert int(answer.headers["content-length"]) == len(answer.body)
            assert answer.json()["totalResults"] >= 0


def test_a_streamed_answer_is_chunked_and_whole(one_worker):
    rows = "".join(f"Big,Import{i},Mr,{2025550000 + i},+1,\n" for i in range(1_200))
    csv = "firstName,lastName,salutation,cellPhoneNumber,cellPhoneCountryCode,cellPhoneExtension\n"
    answer = requests.post(
        f"{one_worker.url}{API_PREFIX}/st-streamed-answer/contacts/import-contacts",
        headers=HEADERS,
        files={"result_file": ("c.csv", (csv + rows).encode(), "text/csv")},
        timeout=60,
    )
    assert answer.status_code == 200
    assert answer.headers.get("Transfer-Encoding") == "chunked"
    assert len(answer.json()) == 1_200
