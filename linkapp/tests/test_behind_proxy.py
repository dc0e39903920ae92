"""README, Production: behind a TLS proxy, gunicorn's FORWARDED_ALLOW_IPS alone makes the proxy's https count."""

import http.client

import pytest
import requests

from linkapp.tests.gunicorn_process import gunicorn_serving


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
    env = {"HTTPS": "1", "BEHIND_PROXY": "0", "ALLOWED_HOSTS": "links.example.org"}
    with gunicorn_serving(free_tcp_port, {**env, "FORWARDED_ALLOW_IPS": forwarded_allow_ips}):
        proxied = _get_from("127.0.0.2", free_tcp_port, {"Host": "links.example.org", "X-Forwarded-Proto": "https"})

    if trusted:
        assert proxied.status == 200
    else:  # the loop an operator would see: https://links.example.org/ sent back to https://links.example.org/
        assert proxied.status == 301 and proxied.getheader("Location") == "https://links.example.org/"
