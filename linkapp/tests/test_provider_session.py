import gzip
import http.server
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

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


class CookieSetter(http.server.BaseHTTPRequestHandler):
    """Sets a cookie, as Cloudflare in front of Discord does, and answers with the Cookie header it got."""

    def do_GET(self) -> None:
        body = (self.headers.get("Cookie") or "").encode()
        self.send_response(200)
        self.send_header("Set-Cookie", "__cfruid=person-a; Path=/; HttpOnly")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


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


class EncodedAnswers(http.server.BaseHTTPRequestHandler):
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

    def log_message(self, *args) -> None:
        pass


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
