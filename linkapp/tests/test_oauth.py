from __future__ import annotations

import pytest

from linkapp.oauth import as_providers_write


@pytest.mark.parametrize(
    "configured,written",
    [
        ("https://github.com/login/oauth", "https://github.com/login/oauth"),
        ("https://GHE.Example.com:443/login/oauth/", "https://ghe.example.com/login/oauth"),
        ("HTTP://127.0.0.1:80/github/login/oauth", "http://127.0.0.1/github/login/oauth"),
        ("https://ghe.example.com:8443/login/oauth", "https://ghe.example.com:8443/login/oauth"),
        ("https://[::1]:443/login/oauth", "https://[::1]/login/oauth"),
    ],
)
def test_an_issuer_is_compared_as_the_provider_writes_it(configured, written):
    assert as_providers_write(configured) == written
