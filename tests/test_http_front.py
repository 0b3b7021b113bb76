"""The event loop's rules (mockserver/http_front.py): where a request ends, and when a body is
too slow. The behaviour over real sockets is in tests/test_slow_clients.py."""

from __future__ import annotations

import pytest
from gunicorn.config import Config
from gunicorn.http import errors

from mockserver.http_front import ChunkScanner, body_deadline, parse_head

CFG = Config()
PEER = ("127.0.0.1", 5000)
GET = b"GET /x HTTP/1.1\r\nHost: h\r\n\r\n"


def test_a_head_is_incomplete_until_its_empty_line_arrives():
    for end in range(len(GET)):
        assert parse_head(CFG, GET[:end], PEER, 1) is None
    head = parse_head(CFG, GET + b"GET /next", PEER, 1)
    assert head is not None and head.size == len(GET) and head.length == 0


def test_a_head_says_how_its_body_is_framed():
    post = b"POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 12\r\nExpect: 100-continue\r\n\r\n"
    head = parse_head(CFG, post, PEER, 1)
    assert (head.length, head.expects_continue) == (12, True)
    chunked = b"POST /x HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n"
    assert parse_head(CFG, chunked, PEER, 1).length is None


def test_only_a_peer_in_forwarded_allow_ips_may_say_the_scheme_each_time_it_asks():
    cfg = Config()
    cfg.set("forwarded_allow_ips", "10.0.0.7")
    https = b"GET /x HTTP/1.1\r\nHost: h\r\nX-Forwarded-Proto: https\r\n\r\n"
    for _ in range(2):  # the peers' trust is remembered: the second time must agree
        assert parse_head(cfg, https, ("10.0.0.7", 5000), 1).message.scheme == "https"
        assert parse_head(cfg, https, ("10.0.0.8", 5000), 1).message.scheme == "http"
        assert parse_head(CFG, https, ("10.0.0.7", 5000), 1).message.scheme == "http"  # default
        assert parse_head(cfg, https, "/run/kore.sock", 1).message.scheme == "https"  # unix


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (b"GET /x HTTP/1.1\nHost: h\n\n", errors.InvalidRequestLine),  # bare LF, at once
        (b"GET /" + b"a" * 5000, errors.LimitRequestLine),  # no need to wait for its end
        (b"GET /x HTTP/1.1\r\n" + b"X: y\r\n" * 101 + b"\r\n", errors.LimitRequestHeaders),
        (
            b"GET /x HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
            errors.InvalidHeader,
        ),
    ],
)
def test_a_malformed_or_oversized_head_is_refused_as_gunicorn_refuses_it(data, error):
    with pytest.raises(error):
        parse_head(CFG, data, PEER, 1)


def test_headers_growing_past_every_limit_are_refused_before_their_end():
    endless = b"GET /x HTTP/1.1\r\n" + b"X-Long: " + b"a" * 900_000
    with pytest.raises(errors.LimitRequestHeaders):
        parse_head(CFG, endless, PEER, 1)


BODY = b"5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nTrailer: t\r\n\r\n"


def test_the_end_of_a_chunked_body_is_found_however_its_bytes_arrive():
    scanner = ChunkScanner()
    assert scanner.feed(BODY + b"GET /next") == len(BODY)
    assert scanner.payload == 11
    one_by_one = ChunkScanner()
    ends = [one_by_one.feed(BODY[i : i + 1]) for i in range(len(BODY))]
    assert ends == [None] * (len(BODY) - 1) + [1]


@pytest.mark.parametrize(
    "body", [b"zz\r\n", b"5\r\nhelloXX\r\n", b"5\nhello", b"f" * 5000 + b"\r\n"]
)
def test_chunk_framing_that_can_never_be_valid_is_a_parse_error(body):
    with pytest.raises(errors.ParseException):
        ChunkScanner().feed(body)


def test_a_body_is_too_slow_once_past_its_grace_period_it_averages_under_the_rate():
    assert body_deadline(100.0, 0, grace=10, min_rate=1024) == 110.0
    assert body_deadline(100.0, 20 * 1024, grace=10, min_rate=1024) == 120.0


def test_a_snapshot_body_one_byte_over_its_limit_is_refused_before_it_is_read():
    """(It was read whole — 256 MiB by default — and only then refused.)"""
    from types import SimpleNamespace

    from mockserver.http_front import SNAPSHOT_PATH, FrontConfig
    from mockserver.settings import Limits, Settings

    limits = Limits(max_upload_bytes=1000, max_json_bytes=100, max_snapshot_bytes=5000)
    front = FrontConfig.from_settings(Settings(limits=limits))
    snapshot = SimpleNamespace(message=SimpleNamespace(method="PUT", path=SNAPSHOT_PATH))
    other = SimpleNamespace(message=SimpleNamespace(method="POST", path="/x"))
    assert front.max_body_for(snapshot) == 5000  # a body of 5001 bytes is handed over unread
    assert front.max_body_for(other) == 1000
