"""The worker's thread pool (mockserver.turns): requests run on as few threads as keep them
moving, yet a request that waits never holds back the others."""

from __future__ import annotations

import threading
import time

import pytest

from mockserver.turns import TakeoverPool, waiting


def _spin(seconds: float) -> str:
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        pass
    return threading.current_thread().name


@pytest.fixture
def pool():
    pool = TakeoverPool(4, takeover_after=0.05)
    yield pool
    pool.shutdown(wait=True)


def test_a_steady_stream_of_short_requests_runs_on_one_thread(pool):
    names: list[str] = []
    done = threading.Event()
    left = [300]

    def next_one(future):
        names.append(future.result())
        left[0] -= 1
        if left[0] >= 4:
            pool.submit(_spin, 0.0005).add_done_callback(next_one)
        elif left[0] == 0:
            done.set()

    for _ in range(4):  # 4 clients, each sending its next request when answered
        pool.submit(_spin, 0.0005).add_done_callback(next_one)
    assert done.wait(30)
    assert len(names) == 300
    assert len(set(names)) <= 2  # one runner (and the standby, at most once, at the start)


def test_requests_that_say_they_wait_overlap(pool):
    def delayed() -> float:
        with waiting():
            time.sleep(0.2)
        return time.monotonic()

    started = time.monotonic()
    futures = [pool.submit(delayed) for _ in range(4)]
    ends = [f.result(timeout=10) for f in futures]
    assert max(ends) - started < 0.2 * 2  # all four slept at once, not one after another


def test_a_request_held_up_without_saying_so_is_overtaken(pool):
    blocker = threading.Event()
    slow = pool.submit(blocker.wait, 10)  # waits on something the pool cannot see
    time.sleep(0.01)
    quick = pool.submit(lambda: "answered")
    assert quick.result(timeout=2) == "answered"  # taken over after takeover_after
    assert not slow.done()
    blocker.set()
    assert slow.result(timeout=2) is True


def test_no_more_threads_than_allowed(pool):
    release = threading.Event()
    running = []

    def held() -> None:
        running.append(threading.current_thread().name)
        with waiting():
            release.wait(10)

    futures = [pool.submit(held) for _ in range(6)]
    time.sleep(0.3)
    assert len(running) == 4  # the two others queue
    release.set()
    for future in futures:
        future.result(timeout=5)
    assert len(running) == 6
    assert len(set(running)) == 4


def test_an_exception_reaches_the_caller_and_the_thread_goes_on(pool):
    def broken() -> None:
        raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        pool.submit(broken).result(timeout=5)
    assert pool.submit(lambda: 7).result(timeout=5) == 7


def test_a_pool_shut_down_refuses_new_work():
    pool = TakeoverPool(2)
    assert pool.submit(lambda: 1).result(timeout=5) == 1
    pool.shutdown(wait=True)
    with pytest.raises(RuntimeError):
        pool.submit(lambda: 2)


def test_waiting_outside_a_pool_does_nothing():
    with waiting():
        pass


def test_a_queued_request_behind_a_held_up_and_a_fresh_one_waits_without_spinning():
    pool = TakeoverPool(4, takeover_after=0.3)
    release = threading.Event()
    try:
        pool.submit(release.wait, 10)  # held up from the start, without saying so
        time.sleep(0.35)
        pool.submit(release.wait, 10)  # taken over at once: the first is held up
        pool.submit(lambda: None)  # queued: one runner held up, one fresh for 0.3 s
        time.sleep(0.02)
        cpu = time.process_time()
        time.sleep(0.2)  # the standby sleeps until the fresh one is held up too
        assert time.process_time() - cpu < 0.05
    finally:
        release.set()
        pool.shutdown(wait=True)
