import gzip
import http.server
import itertools
import json
import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from types import SimpleNamespace

import pytest
import requests

from linkapp import providers as calls


@pytest.fixture
def fresh_proxies():
    calls.environment_proxies.cache_clear()
    yield
    calls.environment_proxies.cache_clear()


def test_proxies_from_the_environment_are_read_once_per_provider_host(monkeypatch, settings, fresh_proxies):
    settings.DISCORD_URL = "https://discord.com"
    settings.DISCORD_CDN_URL = "https://cdn.discordapp.com"
    settings.GITHUB_URL = "https://github.example.org"
    settings.GITHUB_API_URL = "https://github.example.org/api/v3"
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.internal:3128")
    monkeypatch.setenv("NO_PROXY", "github.example.org")

    assert calls.environment_proxies() == {
        "https://discord.com": "http://proxy.internal:3128",
        "https://cdn.discordapp.com": "http://proxy.internal:3128",
    }
    session = calls.provider_session()
    assert session.trust_env is False  # not read again on every call
    assert session.proxies == calls.environment_proxies()


def test_no_proxy_in_the_environment_means_none(monkeypatch, fresh_proxies):
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)

    assert calls.environment_proxies() == {}


def test_a_ca_bundle_from_the_environment_is_kept(monkeypatch, fresh_proxies):
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/internal-ca.pem")

    assert calls.provider_session().verify == "/etc/ssl/internal-ca.pem"


def test_closing_allauths_session_keeps_the_shared_pool(providers, fresh_proxies):
    """allauth closes the session of each token exchange; the kept-alive connections must outlive it."""
    calls.http_session().get(f"{providers.github_api_url}/rate_limit", timeout=5)
    pools = calls.http_session().get_adapter(providers.github_api_url).poolmanager.pools
    before = len(pools)
    assert before >= 1  # this host's pool, at least

    with calls.provider_session() as exchange:
        exchange.get(f"{providers.github_api_url}/rate_limit", timeout=5)

    assert len(pools) == before
    assert exchange.get_adapter(providers.github_api_url) is calls.http_session().get_adapter(providers.github_api_url)


class QuietHandler(http.server.BaseHTTPRequestHandler):
    """A test server's handler that does not print each request on stderr."""

    def log_message(self, *args) -> None:
        pass


class CookieSetter(QuietHandler):
    """Sets a cookie, as Cloudflare in front of Discord does, and answers with the Cookie header it got."""

    def do_GET(self) -> None:
        body = (self.headers.get("Cookie") or "").encode()
        self.send_response(200)
        self.send_header("Set-Cookie", "__cfruid=person-a; Path=/; HttpOnly")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@contextmanager
def serving(handler: type[http.server.BaseHTTPRequestHandler]) -> Iterator[str]:
    """A small HTTP server on 127.0.0.1 for the test's length; its address. Handlers may wait on `server.stop`."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.stop = threading.Event()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.stop.set()
        server.shutdown()
        server.server_close()


@pytest.fixture
def cookie_setter():
    with serving(CookieSetter) as address:
        yield address


def test_a_providers_cookie_never_goes_with_the_next_persons_call(cookie_setter):
    """The process-wide session serves everyone: a cookie kept from one call would follow the next person."""
    session = calls.provider_session()
    session.get(f"{cookie_setter}/users/@me", timeout=5)
    second = session.get(f"{cookie_setter}/users/@me", timeout=5)

    assert second.text == ""
    assert len(session.cookies) == 0


ANSWER = {"repositories": [{"id": n, "full_name": f"acme/repo-{n}", "description": "x" * 200} for n in range(1500)]}


class EncodedAnswers(QuietHandler):
    """The same JSON (about 400 KB) as GitHub may send it: gzip-compressed or not, sized or chunked,
    or cut off before its Content-Length."""

    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        body = json.dumps(ANSWER).encode()
        if "gzip" in self.path:
            body = gzip.compress(body)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        if "gzip" in self.path:
            self.send_header("Content-Encoding", "gzip")
        if "chunked" in self.path:
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            size = len(body) // 4 + 1  # four chunks
            for start in range(0, len(body), size):
                if "stall" in self.path and start >= len(body) // 2 and self.server.stop.wait(10):
                    return  # half of it sent, then nothing more (until the test ends)
                piece = body[start : start + size]
                self.wfile.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
            self.wfile.write(b"0\r\n\r\n")
            return
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if "cut" in self.path:
            self.wfile.write(body[: len(body) // 2])
            self.close_connection = True
            return
        self.wfile.write(body)


@pytest.fixture
def encoded_answers():
    with serving(EncodedAnswers) as address:
        yield address


@pytest.mark.parametrize("how", ["plain", "gzip", "chunked", "gzip-chunked"])
def test_every_answer_is_read_whole_and_decoded(encoded_answers, how):
    """The body is read by our deadline hook, not by `requests`: it must come out as `requests` would give it."""
    first = calls.request("GitHub", "GET", f"{encoded_answers}/{how}")
    second = calls.request("GitHub", "GET", f"{encoded_answers}/{how}")  # after the first, as people's calls follow

    assert first.json() == second.json() == ANSWER


def test_an_answer_cut_off_before_its_length_is_a_provider_failure(encoded_answers):
    with pytest.raises(calls.ProviderUnavailable):
        calls.request("GitHub", "GET", f"{encoded_answers}/cut")


@pytest.mark.parametrize("how", ["chunked-stall", "gzip-chunked-stall"])
def test_an_answer_that_stops_half_way_ends_at_the_timeout(encoded_answers, settings, how):
    """A body that stops coming ends at the call's timeout, compressed answers included. (One that trickles, each
    wait for bytes within the timeout and the whole past it: test_wizard_flow.py's "trickle" fault.)"""
    settings.PROVIDER_TIMEOUT = 1
    started = time.monotonic()
    with pytest.raises(calls.ProviderTimeout):
        calls.request("GitHub", "GET", f"{encoded_answers}/{how}")
    assert time.monotonic() - started < settings.PROVIDER_TIMEOUT + 1


class SlowAnswers(QuietHandler):
    """/<late>/<pieces>: the headers after `late` seconds, then a byte of the body every half second, `pieces`
    times, then nothing more until the test ends."""

    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        late, pieces = (float(part) for part in self.path.strip("/").split("/"))
        if self.server.stop.wait(late):
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for _ in range(int(pieces)):
            self.wfile.write(b"1\r\n \r\n")
            self.wfile.flush()
            if self.server.stop.wait(0.5):
                return
        self.server.stop.wait(30)


@pytest.fixture
def slow_answers():
    with serving(SlowAnswers) as address:
        yield address


def seconds_to_time_out(url: str, **kwargs) -> float:
    started = time.monotonic()
    with pytest.raises(calls.ProviderTimeout):
        calls.request("Discord", "GET", url, **kwargs)
    return time.monotonic() - started


def test_a_callers_shorter_timeout_bounds_the_whole_answer(slow_answers, settings):
    """The avatar's 2 s, say, under a PROVIDER_TIMEOUT of 5: a CDN trickling a byte each half second for 10 s."""
    settings.PROVIDER_TIMEOUT = 5
    assert seconds_to_time_out(f"{slow_answers}/0/20", timeout=1) < 2


def test_the_wait_for_the_headers_counts_against_the_timeout(slow_answers, settings):
    """Headers after 1.5 s of a 2 s timeout: half a second is left for the body, not another 2 s."""
    settings.PROVIDER_TIMEOUT = 2
    assert seconds_to_time_out(f"{slow_answers}/1.5/20") < 3


def test_a_body_that_stops_late_in_the_time_ends_at_the_timeout(slow_answers, settings):
    """The last byte at 1.5 s of 2, then silence: the wait for the next ends at 2 s, not a whole timeout later."""
    settings.PROVIDER_TIMEOUT = 2
    assert seconds_to_time_out(f"{slow_answers}/0/4") < 2.9


class EndlessBody:
    """A body whose pieces are always there at once, as a gzip's decoded pieces come from what was read."""

    closed = False
    connection = None

    def read1(self, amount: int, decode_content: bool = True) -> bytes:
        return b" " * amount

    def close(self) -> None:
        pass


def test_an_answer_whose_pieces_are_always_there_still_ends_at_its_deadline(monkeypatch):
    response = requests.Response()
    response.raw, response.elapsed, response.url = EndlessBody(), timedelta(0), "https://discord.com/api/users/@me"
    response.request = requests.Request("GET", response.url).prepare()
    now = iter(itertools.count(step=0.4))  # each look at the clock 0.4 s later: no socket wait is left to time out
    # providers' own `time` only: patching the module itself would give every thread of the run this clock.
    monkeypatch.setattr(calls, "time", SimpleNamespace(monotonic=lambda: next(now)))

    with pytest.raises(requests.ReadTimeout):  # not read on until it is too large
        calls.read_whole_answer(response, timeout=1)


class LargeAnswers(QuietHandler):
    """/<size>: a usable JSON answer of `size` bytes (padded with spaces)."""

    def do_GET(self) -> None:
        size = int(self.path.strip("/"))
        body = b'{"id": 1}'.ljust(size)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def test_answers_up_to_4_mib_are_read_and_larger_ones_refused_and_logged(caplog):
    with serving(LargeAnswers) as address, caplog.at_level(logging.INFO, logger="linkapp.providers"):
        assert calls.request("GitHub", "GET", f"{address}/4000000").json() == {"id": 1}
        assert calls.request("GitHub", "GET", f"{address}/{calls.LARGEST_ANSWER}").json() == {"id": 1}  # 4 MiB
        with pytest.raises(calls.ProviderError, match="answer too large"):
            calls.request("GitHub", "GET", f"{address}/5000000")

    refused = [(r.levelname, r.getMessage()) for r in caplog.records if "/5000000" in r.getMessage()]
    assert [level for level, _ in refused] == ["INFO", "WARNING"]
    assert refused[0][1].startswith(f"provider call GET {address.removeprefix('http://')}/5000000 status=200 ms=")
    assert refused[1][1] == "provider call GET /5000000 failed: AnswerTooLarge"


def test_an_answer_cut_off_is_logged_with_its_status_and_its_failure(encoded_answers, caplog):
    with caplog.at_level(logging.INFO, logger="linkapp.providers"), pytest.raises(calls.ProviderUnavailable):
        calls.request("GitHub", "GET", f"{encoded_answers}/cut")

    (answered,) = [r.getMessage() for r in caplog.records if r.levelname == "INFO"]
    (failed,) = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert answered.startswith(f"provider call GET {encoded_answers.removeprefix('http://')}/cut status=200 ms=")
    assert failed.startswith("provider call GET /cut failed: ")


def test_curls_ca_bundle_is_kept_when_requests_own_is_not_set(monkeypatch, fresh_proxies):
    """`requests` reads either variable; so does the session it no longer lets read the environment."""
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.setenv("CURL_CA_BUNDLE", "/etc/ssl/curl-ca.pem")

    assert calls.provider_session().verify == "/etc/ssl/curl-ca.pem"


def test_all_proxy_serves_every_provider_host_without_a_scheme_proxy(monkeypatch, settings, fresh_proxies):
    settings.DISCORD_URL = "https://discord.com"
    settings.DISCORD_CDN_URL = ""
    settings.GITHUB_URL = "https://github.com"
    settings.GITHUB_API_URL = "https://api.github.com"
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "NO_PROXY", "no_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ALL_PROXY", "socks5://proxy.internal:1080")

    assert calls.environment_proxies() == {
        "https://discord.com": "socks5://proxy.internal:1080",
        "https://github.com": "socks5://proxy.internal:1080",
        "https://api.github.com": "socks5://proxy.internal:1080",
    }


class Answers200(QuietHandler):
    def do_DELETE(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()


def revocation_warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelname == "WARNING" and "revocation" in r.getMessage()]


def test_a_revocation_that_gets_no_answer_is_a_warning_not_an_error(caplog):
    """What the person did goes on; the operator (LOG_LEVEL=WARNING) still sees the token may be alive."""
    with caplog.at_level(logging.INFO, logger="linkapp.providers"):
        calls.revoke("GitHub", "DELETE", "http://127.0.0.1:1/applications/x/grant", success=204)

    assert revocation_warnings(caplog) == ["github token revocation failed: ConnectionError"]


def test_a_revocation_answered_with_another_status_than_success_is_a_warning(caplog):
    with serving(Answers200) as address, caplog.at_level(logging.INFO, logger="linkapp.providers"):
        calls.revoke("GitHub", "DELETE", f"{address}/applications/x/grant", success=204)
        calls.revoke("Discord", "DELETE", f"{address}/oauth2/token/revoke", success=200)

    assert revocation_warnings(caplog) == ["github token revocation failed: HTTP 200"]


def test_a_provider_call_is_logged_with_its_time_in_milliseconds_and_no_query(caplog):
    response = requests.Response()
    response.status_code, response.elapsed = 200, timedelta(seconds=1.5)
    response.request = requests.Request("GET", "https://api.github.com/user?code=secret-code").prepare()

    with caplog.at_level(logging.INFO, logger="linkapp.providers"):
        calls.log_response(response)

    assert [(r.levelname, r.getMessage()) for r in caplog.records] == [
        ("INFO", "provider call GET api.github.com/user status=200 ms=1500")
    ]
