"""Tests for the fake Discord/GitHub providers, over real HTTP like the app uses them."""

from __future__ import annotations

import base64
import hashlib
import secrets
import threading
import time
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests

from demo import github as demo_github
from demo.providers import DemoProviders, Fault

CLIENT = {"client_id": "demo-client-id", "client_secret": "demo-client-secret"}
REDIRECT = "http://app.test/accounts/callback/"


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def decide(
    p: DemoProviders,
    provider: str,
    *,
    scope: str,
    challenge: str = "",
    login: str = "",
    decision: str = "authorize",
) -> requests.Response:
    """Load the consent page, then submit it the way a browser would."""
    params = {
        "client_id": CLIENT["client_id"],
        "redirect_uri": REDIRECT,
        "response_type": "code",
        "scope": scope,
        "state": "s t/a+te",
    }
    if challenge:
        params |= {"code_challenge": challenge, "code_challenge_method": "S256"}
    page = requests.get(p.authorize_url(provider), params=params, timeout=5)
    assert page.status_code == 200
    form = {**params, "decision": decision}
    if login:
        form["login"] = login
    response = requests.post(p.authorize_url(provider), data=form, allow_redirects=False, timeout=5)
    assert response.status_code == 302
    return response


def code_from(response: requests.Response) -> str:
    query = parse_qs(urlsplit(response.headers["Location"]).query)
    assert query["state"] == ["s t/a+te"]
    return query["code"][0]


def discord_exchange(p: DemoProviders, code: str, verifier: str) -> requests.Response:
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT,
        "code_verifier": verifier,
    }
    return requests.post(
        f"{p.discord_url}/api/oauth2/token",
        data=data,
        auth=(CLIENT["client_id"], CLIENT["client_secret"]),
        timeout=5,
    )


def github_exchange(p: DemoProviders, code: str, verifier: str = "", *, as_json: bool = True) -> requests.Response:
    data = {**CLIENT, "code": code, "redirect_uri": REDIRECT, "code_verifier": verifier}
    headers = {"Accept": "application/json"} if as_json else {}
    return requests.post(
        f"{p.github_url}/login/oauth/access_token",
        data=data,
        headers=headers,
        timeout=5,
    )


def github_token(p: DemoProviders, login: str, scope: str = "read:user,repo") -> str:
    code = code_from(decide(p, "github", scope=scope, login=login))
    return github_exchange(p, code).json()["access_token"]


def discord_token(p: DemoProviders, login: str = "nelly") -> str:
    code = code_from(decide(p, "discord", scope="identify", login=login))
    return discord_exchange(p, code, "").json()["access_token"]


def get_repos(p: DemoProviders, token: str, **params: object) -> requests.Response:
    return requests.get(
        f"{p.github_api_url}/user/repos",
        params=params,
        headers={"Authorization": f"Bearer {token}"},
        timeout=5,
    )


# --- OAuth flows ----------------------------------------------------------------------


def test_discord_consent_page_is_clearly_fake_and_keeps_params(
    providers: DemoProviders,
) -> None:
    page = requests.get(
        providers.authorize_url("discord"),
        params={
            "client_id": "demo-client-id",
            "redirect_uri": REDIRECT,
            "response_type": "code",
            "scope": "identify",
            "state": "xyz",
            "prompt": "none",
        },
        timeout=5,
    )
    assert "<title>Demo Discord — not the real Discord</title>" in page.text
    assert '<input type="hidden" name="prompt" value="none">' in page.text
    assert 'name="login" value="nelly"' in page.text
    assert '<button name="decision" value="authorize">Authorize</button>' in page.text
    assert '<button name="decision" value="cancel">Cancel</button>' in page.text


@pytest.mark.parametrize(
    "params",
    [
        {"client_id": "someone-else", "redirect_uri": REDIRECT, "response_type": "code"},
        {"client_id": "demo-client-id", "response_type": "code"},
        {"client_id": "demo-client-id", "redirect_uri": REDIRECT, "response_type": "token"},
    ],
)
def test_discord_bad_authorize_request_is_a_400_page_not_a_redirect(
    providers: DemoProviders, params: dict[str, str]
) -> None:
    response = requests.get(providers.authorize_url("discord"), params=params, allow_redirects=False, timeout=5)
    assert response.status_code == 400
    assert "text/html" in response.headers["Content-Type"]
    assert "Location" not in response.headers


@pytest.mark.parametrize("method", ["plain", None])
def test_github_refuses_pkce_other_than_s256(providers: DemoProviders, method: str | None) -> None:
    """GitHub accepts only S256 (provider-examples README): a regression to "plain" must not pass here."""
    params = {"client_id": CLIENT["client_id"], "redirect_uri": REDIRECT, "state": "s", "code_challenge": "x" * 43}
    if method:
        params["code_challenge_method"] = method
    url = providers.authorize_url("github")
    page = requests.get(url, params=params, allow_redirects=False, timeout=5)
    decided = requests.post(url, data={**params, "decision": "authorize"}, allow_redirects=False, timeout=5)
    for response in (page, decided):
        assert response.status_code == 400 and "S256" in response.text


def test_a_fault_with_a_body_but_no_status_is_refused() -> None:
    with pytest.raises(ValueError, match="needs a status"):
        Fault(body="<html>maintenance</html>")
    with pytest.raises(ValueError, match="needs a status"):
        Fault(headers={"Retry-After": "5"})


@pytest.mark.parametrize("times", [0, -1])
def test_a_fault_for_no_request_is_refused(times: int) -> None:
    """It would fake nothing, and the test that set it would pass without the fault it meant."""
    with pytest.raises(ValueError, match="at least one request"):
        Fault(status=500, times=times)


def test_discord_pkce_flow_profile_and_single_use_code(providers: DemoProviders) -> None:
    verifier, challenge = pkce_pair()
    wrong = discord_exchange(
        providers,
        code_from(decide(providers, "discord", scope="identify", challenge=challenge)),
        "not-the-verifier",
    )
    assert wrong.status_code == 400
    assert wrong.json()["error"] == "invalid_grant"

    code = code_from(decide(providers, "discord", scope="identify", challenge=challenge, login="ada"))
    token = discord_exchange(providers, code, verifier)
    assert token.status_code == 200
    body = token.json()
    assert set(body) == {"access_token", "token_type", "expires_in", "refresh_token", "scope"}
    assert body["scope"] == "identify"
    assert providers.tokens[body["access_token"]].login == "ada"
    assert discord_exchange(providers, code, verifier).status_code == 400  # used up

    profile = requests.get(
        f"{providers.discord_url}/api/users/@me",
        headers={"Authorization": f"Bearer {body['access_token']}"},
        timeout=5,
    ).json()
    assert profile["username"] == "ada"
    assert profile["global_name"] == "Ada"
    assert "email" not in profile and "verified" not in profile
    assert profile["id"].isdigit() and profile["id"] != "80351110224678912"
    assert len(profile["avatar"]) == 32


@pytest.mark.parametrize("path", ["/api/oauth2/token", "/api/oauth2/token/revoke"])
def test_discord_token_urls_refuse_json_bodies(providers: DemoProviders, path: str) -> None:
    response = requests.post(
        f"{providers.discord_url}{path}",
        json={"grant_type": "authorization_code", "code": "x", "token": "x"},
        auth=(CLIENT["client_id"], CLIENT["client_secret"]),
        timeout=5,
    )
    assert response.status_code == 400
    assert response.headers["Content-Type"] == "application/json"
    assert set(response.json()) == {"message", "code"}


def test_discord_rejects_wrong_client_secret(providers: DemoProviders) -> None:
    code = code_from(decide(providers, "discord", scope="identify"))
    response = requests.post(
        f"{providers.discord_url}/api/oauth2/token",
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT},
        auth=("demo-client-id", "wrong"),
        timeout=5,
    )
    assert response.status_code == 401
    assert response.json() == {"error": "invalid_client"}


def test_github_pkce_flow_json_and_form_encoding(providers: DemoProviders) -> None:
    verifier, challenge = pkce_pair()
    code = code_from(decide(providers, "github", scope="read:user repo", challenge=challenge, login="mona"))
    wrong = github_exchange(providers, code, "not-the-verifier")
    assert wrong.status_code == 200
    assert wrong.json()["error"] == "bad_verification_code"

    code = code_from(decide(providers, "github", scope="read:user,repo", challenge=challenge, login="mona"))
    form = github_exchange(providers, code, verifier, as_json=False)
    assert form.headers["Content-Type"].startswith("application/x-www-form-urlencoded")
    fields = parse_qs(form.text)
    assert fields["access_token"][0].startswith("gho_")
    assert fields["scope"] == ["read:user,repo"]
    assert fields["token_type"] == ["bearer"]
    reused = github_exchange(providers, code, verifier)
    assert reused.json()["error"] == "bad_verification_code"

    code = code_from(decide(providers, "github", scope="read:user", login="mona"))
    as_json = github_exchange(providers, code).json()
    assert set(as_json) == {"access_token", "scope", "token_type"}
    user = requests.get(
        f"{providers.github_api_url}/user",
        headers={"Authorization": f"token {as_json['access_token']}"},
        timeout=5,
    ).json()
    assert user["login"] == "mona"
    assert user["html_url"] == "https://github.com/mona"
    assert isinstance(user["id"], int) and user["id"] != 1


def test_github_token_errors_are_http_200(providers: DemoProviders) -> None:
    code = code_from(decide(providers, "github", scope="read:user"))
    response = requests.post(
        f"{providers.github_url}/login/oauth/access_token",
        data={"client_id": "demo-client-id", "client_secret": "wrong", "code": code},
        headers={"Accept": "application/json"},
        timeout=5,
    )
    assert response.status_code == 200
    assert response.json()["error"] == "incorrect_client_credentials"

    mismatch = requests.post(
        f"{providers.github_url}/login/oauth/access_token",
        data={**CLIENT, "code": code, "redirect_uri": "http://elsewhere/"},
        headers={"Accept": "application/json"},
        timeout=5,
    )
    assert mismatch.status_code == 200
    assert mismatch.json()["error"] == "redirect_uri_mismatch"


def test_cancel_redirects_with_each_providers_documented_params(
    providers: DemoProviders,
) -> None:
    discord = decide(providers, "discord", scope="identify", decision="cancel")
    assert discord.headers["Location"] == (
        f"{REDIRECT}?error=access_denied&error_description=The+resource+owner+or"
        "+authorization+server+denied+the+request&state=s+t%2Fa%2Bte"
    )
    github = decide(providers, "github", scope="read:user", decision="cancel")
    assert github.headers["Location"] == (
        f"{REDIRECT}?error=access_denied"
        "&error_description=The+user+has+denied+your+application+access."
        "&error_uri=/apps/building-integrations/setting-up-and-registering-oauth-apps"
        "/troubleshooting-authorization-request-errors/%23access-denied"
        "&state=s+t/a%2Bte&" + urlencode({"iss": f"{providers.github_url}/login/oauth"}, safe="/")
    )


# --- Revocation -----------------------------------------------------------------------


def test_discord_revoke_makes_token_unusable(providers: DemoProviders) -> None:
    token = discord_token(providers)
    me = f"{providers.discord_url}/api/users/@me"
    headers = {"Authorization": f"Bearer {token}"}
    assert requests.get(me, headers=headers, timeout=5).status_code == 200
    revoke = requests.post(
        f"{providers.discord_url}/api/oauth2/token/revoke",
        data={"token": token, "token_type_hint": "access_token", **CLIENT},
        timeout=5,
    )
    assert (revoke.status_code, revoke.json()) == (200, {})
    after = requests.get(me, headers=headers, timeout=5)
    assert after.status_code == 401
    assert after.json() == {"message": "401: Unauthorized", "code": 0}
    assert providers.tokens[token].revoked


def test_github_revoke_makes_token_unusable(providers: DemoProviders) -> None:
    token = github_token(providers, "octocat")

    def revoke(client_id: str, secret: str) -> requests.Response:
        url = f"{providers.github_api_url}/applications/{client_id}/token"
        return requests.delete(url, json={"access_token": token}, auth=("demo-client-id", secret), timeout=5)

    assert revoke("demo-client-id", "wrong").status_code == 401
    assert revoke("another-client", "demo-client-secret").status_code == 404
    assert revoke("demo-client-id", "demo-client-secret").status_code == 204
    assert providers.calls_to("github.revoke")[-1].form == {"access_token": token}
    user = requests.get(
        f"{providers.github_api_url}/user",
        headers={"Authorization": f"Bearer {token}"},
        timeout=5,
    )
    assert user.status_code == 401
    assert user.json()["message"] == "Bad credentials"


# --- Repositories ---------------------------------------------------------------------


def test_paging_250_repos_follows_github_link_header(providers: DemoProviders) -> None:
    token = github_token(providers, "pager")
    providers.repo_counts["pager"] = 250
    base = f"{providers.github_api_url}/user/repos"
    first = get_repos(providers, token, per_page=100, page=1)
    assert first.headers["Link"] == (
        f'<{base}?per_page=100&page=2>; rel="next", <{base}?per_page=100&page=3>; rel="last"'
    )
    assert first.headers["x-ratelimit-limit"] == "5000"
    second = get_repos(providers, token, per_page=100, page=2)
    assert set(second.links) == {"prev", "next", "last", "first"}
    third = requests.get(first.links["last"]["url"], headers={"Authorization": f"Bearer {token}"}, timeout=5)
    assert set(third.links) == {"prev", "first"}
    repos = first.json() + second.json() + third.json()
    ids = [repo["id"] for repo in repos]
    assert len(ids) == 250 == len(set(ids))
    names = [repo["full_name"] for repo in repos]
    assert names == sorted(names, key=str.lower)
    assert {repo["owner"]["login"] for repo in repos} == {"pager", "acme-org", "widgets-inc"}
    levels = {next(level for level, on in repo["permissions"].items() if on) for repo in repos}
    assert levels == {"admin", "maintain", "push", "triage", "pull"}
    assert any(len(repo["description"]) == 300 for repo in repos)
    assert all(repo["visibility"] == ("private" if repo["private"] else "public") for repo in repos)


def test_repo_ids_are_stable_across_servers(providers: DemoProviders) -> None:
    token = github_token(providers, "stable")
    ours = [repo["id"] for repo in get_repos(providers, token, per_page=50).json()]
    with DemoProviders() as other:
        theirs = [repo["id"] for repo in get_repos(other, github_token(other, "stable"), per_page=50).json()]
    assert ours == theirs


def test_small_listing_has_no_link_and_keeps_sort_in_links(providers: DemoProviders) -> None:
    token = github_token(providers, "small")
    providers.repo_counts["small"] = 20
    assert "Link" not in get_repos(providers, token).headers
    providers.repo_counts["small"] = 45
    pushed = get_repos(providers, token, sort="pushed", per_page=30)
    assert "sort=pushed" in pushed.links["next"]["url"]
    stamps = [repo["pushed_at"] for repo in pushed.json()]
    assert stamps == sorted(stamps, reverse=True) and len(set(stamps)) == 30


def test_private_repos_need_repo_scope(providers: DemoProviders) -> None:
    def listing(scope: str) -> list[dict]:
        token = github_token(providers, "hana", scope)
        pages = [get_repos(providers, token, per_page=100, page=n).json() for n in (1, 2)]
        return pages[0] + pages[1]

    everything = listing("read:user,repo")
    assert len(everything) == 150
    assert sum(repo["private"] for repo in everything) == 30
    public = listing("read:user")
    assert len(public) == 120
    assert not any(repo["private"] for repo in public)


def test_repository_by_id_respects_visibility(providers: DemoProviders) -> None:
    full = github_token(providers, "vic", "repo")
    limited = github_token(providers, "vic", "read:user")
    repos = get_repos(providers, full, per_page=100).json()
    private = next(repo for repo in repos if repo["private"])
    public = next(repo for repo in repos if not repo["private"] and repo["owner"]["type"] == "Organization")

    def fetch(token: str, repo_id: int) -> requests.Response:
        return requests.get(
            f"{providers.github_api_url}/repositories/{repo_id}",
            headers={"Authorization": f"Bearer {token}"},
            timeout=5,
        )

    shown = fetch(limited, public["id"]).json()
    assert shown["full_name"] == public["full_name"]
    assert shown["permissions"] == public["permissions"]
    assert shown["organization"]["login"] == public["owner"]["login"]
    assert shown["url"].endswith(f"/repos/{public['full_name']}")
    assert fetch(full, private["id"]).status_code == 200
    hidden = fetch(limited, private["id"])
    assert hidden.status_code == 404
    assert hidden.json() == {
        "message": "Not Found",
        "documentation_url": "https://docs.github.com/rest",
        "status": "404",
    }
    assert fetch(full, 1296269).status_code == 404


# --- Faults, delays and stats ---------------------------------------------------------


def test_fault_on_page_two_only(providers: DemoProviders) -> None:
    token = github_token(providers, "octocat")
    providers.faults["github.repos"] = Fault(status=500, pages={2})
    assert get_repos(providers, token, page=1).status_code == 200
    broken = get_repos(providers, token, page=2)
    assert broken.status_code == 500
    assert broken.json() == {"message": "Server Error"}
    assert get_repos(providers, token, page=3).status_code == 200
    assert [call.query.get("page") for call in providers.calls_to("github.repos")] == ["1", "2", "3"]


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (400, {"message": "Problems parsing JSON"}),
        (
            422,
            {
                "message": "Validation Failed",
                "errors": [{"resource": "Issue", "field": "title", "code": "missing_field"}],
            },
        ),
    ],
)
def test_github_client_error_faults_have_githubs_bodies(providers: DemoProviders, status: int, body: dict) -> None:
    providers.faults["github.repos"] = Fault(status=status)
    response = get_repos(providers, github_token(providers, "octocat"), page=1)
    assert (response.status_code, response.json()) == (status, body)


@pytest.mark.parametrize("gzipped", [False, True])
def test_a_padded_fault_is_the_real_answer_only_larger(providers: DemoProviders, gzipped: bool) -> None:
    token = github_token(providers, "octocat")
    url, headers = f"{providers.github_api_url}/user", {"Authorization": f"Bearer {token}"}
    real = requests.get(url, headers=headers, timeout=5)
    providers.faults["github.user"] = Fault(padding=1000, gzipped=gzipped)
    padded = requests.get(url, headers=headers, timeout=5)

    assert padded.json() == real.json() and len(padded.content) == len(real.content) + 1000
    assert padded.headers.get("Content-Encoding") == ("gzip" if gzipped else None)
    sent = int(padded.headers["Content-Length"])
    assert (sent < 1000) if gzipped else (sent == len(padded.content))


def test_fault_with_times_clears_itself(providers: DemoProviders) -> None:
    token = github_token(providers, "octocat")
    providers.faults["github.user"] = Fault(status=502, body="<html>oops</html>", times=1)
    url = f"{providers.github_api_url}/user"
    headers = {"Authorization": f"Bearer {token}"}
    broken = requests.get(url, headers=headers, timeout=5)
    assert (broken.status_code, broken.text) == (502, "<html>oops</html>")
    assert "github.user" not in providers.faults
    assert requests.get(url, headers=headers, timeout=5).status_code == 200


@pytest.mark.parametrize(
    ("status", "message"), [(500, "500: Internal Server Error"), (503, "503: Service Unavailable")]
)
def test_discord_server_error_faults_have_discords_body(providers: DemoProviders, status: int, message: str) -> None:
    """Discord's own shape (its 404 example, the observed 401), not GitHub's {"message": "Server Error"}."""
    providers.faults["discord.profile"] = Fault(status=status)
    response = requests.get(f"{providers.discord_url}/api/users/@me", timeout=5)
    assert (response.status_code, response.json()) == (status, {"message": message, "code": 0})
    assert response.headers["Content-Type"] == "application/json"


def test_rate_limit_fault_uses_provider_body_and_given_headers(providers: DemoProviders) -> None:
    providers.faults["discord.profile"] = Fault(status=429, headers={"Retry-After": "1"})
    response = requests.get(f"{providers.discord_url}/api/users/@me", timeout=5)
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "1"
    assert response.json()["message"] == "You are being rate limited."


def test_discord_rate_limit_fault_carries_discords_rate_limit_headers(providers: DemoProviders) -> None:
    providers.faults["discord.profile"] = Fault(status=429)
    response = requests.get(f"{providers.discord_url}/api/users/@me", timeout=5)
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "65" and response.json()["retry_after"] == 64.57
    assert response.headers["X-RateLimit-Remaining"] == "0" and response.headers["X-RateLimit-Scope"] == "user"
    assert float(response.headers["X-RateLimit-Reset"]) > time.time()


def test_discord_profile_answers_carry_discords_per_route_rate_limit_headers(providers: DemoProviders) -> None:
    url = f"{providers.discord_url}/api/users/@me"
    answered = requests.get(url, headers={"Authorization": f"Bearer {discord_token(providers)}"}, timeout=5)
    refused = requests.get(url, timeout=5)
    for response in (answered, refused):
        assert response.headers["X-RateLimit-Bucket"] == "abcd1234" and response.headers["X-RateLimit-Limit"] == "5"
        assert float(response.headers["X-RateLimit-Reset"]) > time.time() - 1
    assert (answered.status_code, refused.status_code) == (200, 401)


def test_a_json_fault_body_on_discord_has_discords_content_type(providers: DemoProviders) -> None:
    providers.faults["discord.profile"] = Fault(status=429, body='{"message": "You are being rate limited."}')
    response = requests.get(f"{providers.discord_url}/api/users/@me", timeout=5)
    assert response.headers["Content-Type"] == "application/json"


def test_the_github_api_is_where_the_app_looks_without_github_api_url(providers: DemoProviders) -> None:
    """CONTRACT.md: GITHUB_API_URL defaults to {GITHUB_URL}/api/v3 when GITHUB_URL is not github.com."""
    token = github_token(providers, "octocat")
    response = requests.get(
        f"{providers.github_url}/api/v3/user", headers={"Authorization": f"Bearer {token}"}, timeout=5
    )
    assert response.status_code == 200 and response.json()["login"] == "octocat"


def test_delay_fault_times_out_then_answers_normally(providers: DemoProviders) -> None:
    token = discord_token(providers)
    url = f"{providers.discord_url}/api/users/@me"
    headers = {"Authorization": f"Bearer {token}"}
    providers.faults["discord.profile"] = Fault(delay=0.5, times=2)
    with pytest.raises(requests.Timeout):
        requests.get(url, headers=headers, timeout=0.1)
    started = time.monotonic()
    slow = requests.get(url, headers=headers, timeout=5)
    assert slow.status_code == 200 and time.monotonic() - started >= 0.45
    assert "discord.profile" not in providers.faults  # used up: the next answer is not delayed
    assert requests.get(url, headers=headers, timeout=5).status_code == 200


def test_reset_cuts_a_stall_short(providers: DemoProviders) -> None:
    """A test's stall must not hold up the next test: reset() ends it, then waits for its answer."""
    token = discord_token(providers)
    providers.faults["discord.profile"] = Fault(delay=30)
    answers: list[int] = []
    stalled = threading.Thread(
        target=lambda: answers.append(
            requests.get(
                f"{providers.discord_url}/api/users/@me", headers={"Authorization": f"Bearer {token}"}, timeout=40
            ).status_code
        )
    )
    stalled.start()
    deadline = time.monotonic() + 10
    while providers.in_flight == 0:
        assert time.monotonic() < deadline, "the request never reached the demo Discord"
        time.sleep(0.01)
    started = time.monotonic()
    providers.reset()
    assert time.monotonic() - started < 5
    stalled.join(timeout=5)
    assert answers == [200]
    # Later stalls stall again.
    providers.faults["discord.profile"] = Fault(delay=0.3)
    started = time.monotonic()
    requests.get(f"{providers.discord_url}/api/users/@me", headers={"Authorization": f"Bearer {token}"}, timeout=5)
    assert time.monotonic() - started >= 0.25


def test_max_in_flight_counts_concurrent_requests(providers: DemoProviders) -> None:
    providers.delay = 0.2
    statuses: list[int] = []

    def hit() -> None:
        statuses.append(requests.get(f"{providers.base_url}/nowhere", timeout=5).status_code)

    threads = [threading.Thread(target=hit) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [404] * 5
    assert providers.max_in_flight >= 2
    deadline = time.monotonic() + 2  # the count drops just after the response is sent
    while providers.in_flight and time.monotonic() < deadline:
        time.sleep(0.01)
    assert providers.in_flight == 0
    assert len(providers.calls_to("not_found")) == 5


def test_unknown_paths_are_json_404s(providers: DemoProviders) -> None:
    response = requests.get(f"{providers.github_api_url}/nope", timeout=5)
    assert response.status_code == 404
    assert response.json()["message"] == "Not Found"


def test_a_big_listing_is_built_once_and_each_repository_encoded_once(providers: DemoProviders, monkeypatch) -> None:
    """What keeps a page of 100 cheap to serve (its speed is the picker benchmark's to measure)."""
    built, encoded = [], []
    generate, payload = demo_github.generate_repos, demo_github.repo_payload
    monkeypatch.setattr(demo_github, "generate_repos", lambda *a: built.append(a) or generate(*a))
    monkeypatch.setattr(demo_github, "repo_payload", lambda *a: encoded.append(a[1].id) or payload(*a))
    token = github_token(providers, "bench")
    providers.repo_counts["bench"] = 10_000
    seen = []
    with requests.Session() as session:
        session.headers["Authorization"] = f"Bearer {token}"
        url = f"{providers.github_api_url}/user/repos"
        for page in range(1, 12):
            response = session.get(url, params={"per_page": 100, "page": page}, timeout=5)
            assert len(response.json()) == 100
            seen += [repo["id"] for repo in response.json()]
        encoded_before = len(encoded)
        session.get(url, params={"per_page": 100, "page": 2}, timeout=5)
    assert len(built) == 1
    assert len(set(seen)) == 1100  # eleven different pages
    # At most once per repository (earlier tests may have encoded some of the shared organisations' already).
    assert encoded and len(set(encoded)) == len(encoded) <= 1100
    assert len(encoded) == encoded_before  # page 2 again: nothing built, nothing encoded
