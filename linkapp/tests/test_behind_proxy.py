"""README, Production: behind a TLS proxy, gunicorn's FORWARDED_ALLOW_IPS alone makes the proxy's https count."""

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
