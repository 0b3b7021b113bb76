"""How long `with kore_mock()` takes to start and stop (the pytest fixture's cost per test).

Prints the first start (imports + reading openapi.yaml once per process) and the median of
the following starts, against the target of 0.3 s, and a floor measured in the same run: a
bare werkzeug server on a free port, started and stopped the same way.

    python bench/fixture_startup.py [--runs 30]
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time


def _bare_server_cycle() -> float:
    from werkzeug.serving import make_server

    def hello(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"hello"]

    started = time.perf_counter()
    server = make_server("127.0.0.1", 0, hello, threaded=True)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
    )
    thread.start()
    server.shutdown()
    server.server_close()
    thread.join()
    return time.perf_counter() - started


def _fixture_cycle() -> float:
    import requests

    from mockserver.testing import kore_mock

    started = time.perf_counter()
    with kore_mock() as kore:
        requests.get(kore.contacts_url, headers=kore.headers(), timeout=5).raise_for_status()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    runs = parser.parse_args().runs
    started = time.perf_counter()
    first = _fixture_cycle()
    first_with_imports = time.perf_counter() - started
    cycles = [_fixture_cycle() for _ in range(runs)]
    floor = statistics.median(_bare_server_cycle() for _ in range(runs))
    median = statistics.median(cycles)
    target = 0.3
    print("| measure | seconds | target | result |")
    print("|---|---|---|---|")
    print(f"| first start, incl. imports and spec load | {first_with_imports:.3f} | | |")
    print(f"| first start after imports | {first:.3f} | | |")
    print(
        f"| start + 1 request + stop, median of {runs} | {median:.4f} | < {target} | "
        f"{'pass' if median < target else 'FAIL'} |"
    )
    print(f"| p95 of {runs} | {sorted(cycles)[int(runs * 0.95) - 1]:.4f} | | |")
    print(f"| floor: bare werkzeug start + stop | {floor:.4f} | | ratio {median / floor:.1f}x |")


if __name__ == "__main__":
    main()
