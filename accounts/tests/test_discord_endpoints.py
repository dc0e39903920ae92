"""CONTRACT.md, provider endpoints: Discord is called at the addresses written there, and the browser is only
ever sent to `{DISCORD_URL}/oauth2/authorize`. (The demo Discord also answers versioned `/api/v10/` paths, as
Discord does; a stand-in that serves only the contract's would not.)"""

from urllib.parse import parse_qs, urlsplit

import pytest

from tests.wizard import sign_in_with_discord


@pytest.mark.django_db
def test_a_sign_in_sends_the_browser_to_discords_authorize_address(client, settings):
    settings.DISCORD_URL = "https://discord.example.org/base"

    response = client.post("/accounts/discord/login/")

    assert response.status_code == 302
    sent_to = urlsplit(response["Location"])
    assert f"{sent_to.scheme}://{sent_to.netloc}{sent_to.path}" == "https://discord.example.org/base/oauth2/authorize"
    assert parse_qs(sent_to.query)["scope"] == ["identify"]


@pytest.mark.django_db(transaction=True)
def test_discord_is_called_at_the_contracts_addresses(browser, providers):
    sign_in_with_discord(browser)

    base = urlsplit(providers.discord_url).path
    called = {
        (call.endpoint, call.method, call.path) for call in providers.calls if call.endpoint.startswith("discord.")
    }
    assert called >= {
        ("discord.authorize", "GET", f"{base}/oauth2/authorize"),
        ("discord.token", "POST", f"{base}/api/oauth2/token"),
        ("discord.profile", "GET", f"{base}/api/users/@me"),
        ("discord.revoke", "POST", f"{base}/api/oauth2/token/revoke"),
    }
