"""CONTRACT.md, provider endpoints: GitHub is called at the addresses written there, its token asked for with
`Accept: application/json`, and the browser is only ever sent to `{GITHUB_URL}/login/oauth/authorize`. (The demo
GitHub answers the token form-encoded without that header, as GitHub does, and allauth reads both: only this test
would notice the header gone.)"""

from urllib.parse import urlsplit

import pytest

from tests.wizard import first_linkable_repo, sign_in_with_discord, walk_to_picker


@pytest.mark.django_db(transaction=True)
def test_a_connect_sends_the_browser_to_githubs_authorize_address(browser, providers):
    step2 = sign_in_with_discord(browser)

    consent = browser.submit(step2, "Connect with GitHub")

    app = urlsplit(consent.history[0].url).netloc
    sent_to = [urlsplit(hop.headers["Location"]) for hop in consent.history if "Location" in hop.headers]
    leaving = [f"{url.scheme}://{url.netloc}{url.path}" for url in sent_to if url.netloc not in ("", app)]
    assert leaving == [f"{providers.github_url}/login/oauth/authorize"]


@pytest.mark.django_db(transaction=True)
def test_github_is_called_at_the_contracts_addresses(browser, providers, settings):
    picker = walk_to_picker(browser)
    _, repo_id = first_linkable_repo(picker)

    dashboard = browser.submit(picker, "Link repository", {"repo_id": str(repo_id)})

    assert dashboard.status_code == 200, dashboard.text
    base, api = urlsplit(providers.github_url).path, urlsplit(providers.github_api_url).path
    called = {
        (call.endpoint, call.method, call.path) for call in providers.calls if call.endpoint.startswith("github.")
    }
    assert called >= {
        ("github.authorize", "GET", f"{base}/login/oauth/authorize"),
        ("github.token", "POST", f"{base}/login/oauth/access_token"),
        ("github.user", "GET", f"{api}/user"),
        ("github.repos", "GET", f"{api}/user/repos"),
        ("github.repository", "GET", f"{api}/repositories/{repo_id}"),
        ("github.revoke", "DELETE", f"{api}/applications/{settings.GITHUB_CLIENT_ID}/token"),
    }
    token_requests = providers.calls_to("github.token")
    assert token_requests
    assert all(call.headers.get("Accept") == "application/json" for call in token_requests)
