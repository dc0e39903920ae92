from __future__ import annotations

import traceback

import pytest
from allauth.socialaccount.providers.oauth2.client import OAuth2Error

from linkapp.addresses import as_providers_write
from linkapp.oauth import TokenAnswerMixin


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


class RefusedAnswer:
    """allauth's token exchange on an answer it cannot read: its message is the whole answer."""

    def get_access_token_data(self, request, app, client, pkce_code_verifier=None) -> dict:
        raise OAuth2Error('Error retrieving access token: b\'{ "access_token": "gho_live16C7e42F292c6912E7710c8" }\'')


class Adapter(TokenAnswerMixin, RefusedAnswer):
    pass


def test_a_refused_token_answer_stays_out_of_a_later_failures_traceback():
    try:
        try:
            Adapter().get_access_token_data(None, None, None)
        except OAuth2Error:
            # A failure while allauth's `except` block renders the failure page (Redis gone): its logged
            # traceback shows the OAuth2Error it happened during.
            raise ConnectionError("Redis went away")  # noqa: B904
    except ConnectionError as exc:
        logged = "".join(traceback.format_exception(exc))

    assert "Redis went away" in logged and "OAuth2Error: a refused or unreadable token answer" in logged
    assert "gho_live" not in logged
