"""README, Production: behind a TLS proxy, gunicorn's FORWARDED_ALLOW_IPS alone makes the proxy's https count."""

import http.client
import logging

import pytest
import requests
from django.core.exceptions import MiddlewareNotUsed
from django.http import HttpResponse

from linkapp.tests.gunicorn_process import gunicorn_serving
from linkapp.untrusted_proxy import UntrustedProxyWarning


@pytest.mark.parametrize(("forwarded_allow_ips", "trusted"), [("127.0.0.1", True), ("", False)])
def test_the_scheme_comes_from_a_trusted_proxy_only(free_tcp_port, forwarded_allow_ips, trusted):
    env = {
        "HTTPS": "1",
        "BEHIND_PROXY": "0",
        "ALLOWED_HOSTS": "links.example.org",
        "FORWARDED_ALLOW_IPS": forwarded_allow_ips,
    }
    url = f"http://127.0.0.1:{free_tcp_port}/"
    with gunicorn_serving(free_tcp_port, env):
        plain = requests.get(url, headers={"Host": "links.example.org"}, allow_redirects=False, timeout=10)
        proxied = requests.get(
            url,
            headers={"Host": "links.example.org", "X-Forwarded-Proto": "https"},
            allow_redirects=False,
            timeout=10,
        )

    assert plain.status_code == 301 and plain.headers["Location"] == "https://links.example.org/"
    if trusted:
        assert proxied.status_code == 200 and "Connect with Discord" in proxied.text
        assert "max-age=31536000" in proxied.headers["Strict-Transport-Security"]
    else:
        assert proxied.status_code == 301  # anyone may send the header: from an untrusted peer it means nothing


def _get_from(source: str, port: int, headers: dict[str, str]) -> http.client.HTTPResponse:
    """A request whose peer address, as gunicorn sees it, is `source` (any 127.x address reaches loopback)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10, source_address=(source, 0))
    connection.request("GET", "/", headers=headers)
    response = connection.getresponse()
    response.read()
    connection.close()
    return response


@pytest.mark.parametrize(("forwarded_allow_ips", "trusted"), [("127.0.0.1,::1", False), ("*", True)])
def test_a_platforms_proxy_at_an_address_of_its_own_is_trusted_only_with_a_star(
    free_tcp_port, forwarded_allow_ips, trusted
):
    """README, "On a container platform": the platform's proxy reaches the app from addresses the default
    (127.0.0.1,::1) does not name. Without FORWARDED_ALLOW_IPS=* each page redirects to its own https address."""
    env = {"HTTPS": "1", "BEHIND_PROXY": "0", "ALLOWED_HOSTS": "links.example.org"}  # one worker: gunicorn_serving
    headers = {"Host": "links.example.org", "X-Forwarded-Proto": "https"}
    with gunicorn_serving(free_tcp_port, {**env, "FORWARDED_ALLOW_IPS": forwarded_allow_ips}) as served:
        proxied = _get_from("127.0.0.2", free_tcp_port, headers)
        again = _get_from("127.0.0.2", free_tcp_port, headers)
    logged = served.printed[1].count("If 127.0.0.2 is your TLS proxy, add it to FORWARDED_ALLOW_IPS (gunicorn")

    if trusted:
        assert (proxied.status, again.status, logged) == (200, 200, 0)
    else:
        # The loop an operator would see (https://links.example.org/ sent back to itself), named once in the log.
        assert proxied.status == again.status == 301 and proxied.getheader("Location") == "https://links.example.org/"
        assert logged == 1


@pytest.mark.parametrize(("redirect", "proxy_header"), [(False, None), (True, ("HTTP_X_FORWARDED_PROTO", "https"))])
def test_the_warning_stands_aside_where_no_redirect_can_loop(settings, redirect, proxy_header):
    """HTTPS=0 (no redirect), or BEHIND_PROXY=1 (Django itself trusts the header): nothing to warn about."""
    settings.SECURE_SSL_REDIRECT, settings.SECURE_PROXY_SSL_HEADER = redirect, proxy_header
    with pytest.raises(MiddlewareNotUsed):
        UntrustedProxyWarning(lambda request: HttpResponse())


def test_the_warning_names_only_a_proxy_that_says_https(settings, rf, caplog):
    """A proxy that says `http` asks for the redirect it gets: nothing loops."""
    settings.SECURE_SSL_REDIRECT, settings.SECURE_PROXY_SSL_HEADER = True, None
    middleware = UntrustedProxyWarning(lambda request: HttpResponse())

    with caplog.at_level(logging.WARNING, logger="linkapp.proxy"):
        middleware(rf.get("/", HTTP_X_FORWARDED_PROTO="http"))
        middleware(rf.get("/"))
        assert caplog.records == []
        middleware(rf.get("/", HTTP_X_FORWARDED_PROTO="https"))
        middleware(rf.get("/", HTTP_X_FORWARDED_PROTO="https"))

    (warned,) = caplog.records
    assert "If 127.0.0.1 is your TLS proxy" in warned.getMessage()
