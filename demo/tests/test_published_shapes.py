"""The demo providers answer with the published examples' shapes (demo/payloads, copied verbatim from
../shared/provider-examples) and keep to Discord's and GitHub's documented rules, checked against those files
rather than against values written out here."""

from __future__ import annotations

import re
import time

import pytest
import requests

from demo import oauth as demo_oauth
from demo.examples import load as example
from demo.providers import DemoProviders, Fault
from demo.tests.test_providers import (
    CLIENT,
    REDIRECT,
    code_from,
    decide,
    discord_exchange,
    discord_token,
    get_repos,
    github_exchange,
    github_token,
)


def profile(p: DemoProviders, token: str, scheme: str = "Bearer") -> requests.Response:
    return requests.get(f"{p.discord_url}/api/users/@me", headers={"Authorization": f"{scheme} {token}"}, timeout=5)


def github_get(p: DemoProviders, path: str, token: str) -> requests.Response:
    return requests.get(f"{p.github_api_url}{path}", headers={"Authorization": f"Bearer {token}"}, timeout=5)


# --- Discord --------------------------------------------------------------------------------


def test_discord_token_answer_is_the_published_one_with_space_separated_scopes(providers: DemoProviders) -> None:
    published_token = example("discord_token_response")
    code = code_from(decide(providers, "discord", scope="identify email"))
    body = discord_exchange(providers, code, "").json()
    assert set(body) == set(published_token)
    for name in ("token_type", "expires_in"):
        assert body[name] == published_token[name] and type(body[name]) is type(published_token[name])
    assert body["scope"] == "identify email"  # Discord separates scopes with spaces, as it asks for them


def test_discord_profile_has_the_published_users_fields(providers: DemoProviders) -> None:
    user = example("discord_user_me")
    plain = profile(providers, discord_token(providers, "ada")).json()
    # email and verified come with the email scope only (provider-examples README)
    assert set(plain) == set(user) - {"email", "verified"}
    assert plain["discriminator"] == user["discriminator"]  # the new username system

    code = code_from(decide(providers, "discord", scope="identify email", login="ada"))
    token = discord_exchange(providers, code, "").json()["access_token"]
    with_email = profile(providers, token).json()
    assert set(with_email) == set(user)
    assert with_email["email"] != user["email"] and with_email["email"].startswith("ada@")


def test_discord_takes_bearer_tokens_only(providers: DemoProviders) -> None:
    token = discord_token(providers)
    assert profile(providers, token).status_code == 200
    refused = profile(providers, token, scheme="token")
    assert (refused.status_code, refused.json()) == (
        401,
        example("discord_errors")["unofficial_observed"]["401_body"]["body"],
    )


def exchange(p: DemoProviders, **changes: str | None) -> requests.Response:
    """A Discord code exchange with some of the documented parameters changed (None leaves one out)."""
    code = code_from(decide(p, "discord", scope="identify"))
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT, **changes}
    form = {k: v for k, v in data.items() if v is not None}
    return requests.post(
        f"{p.discord_url}/api/oauth2/token", data=form, auth=(CLIENT["client_id"], CLIENT["client_secret"]), timeout=5
    )


@pytest.mark.parametrize(
    "changes",
    [{"grant_type": "client_credentials"}, {"grant_type": None}, {"redirect_uri": None}],
    ids=["other-grant-type", "no-grant-type", "no-redirect-uri"],
)
def test_discord_token_exchange_needs_its_documented_parameters(providers: DemoProviders, changes: dict) -> None:
    """discord_authorize_params.md: grant_type must be authorization_code; redirect_uri is sent with the code."""
    refused = exchange(providers, **changes)
    invalid_grant = example("discord_token_error_invalid_grant")
    assert refused.status_code == 400
    assert set(refused.json()) == set(invalid_grant) and refused.json()["error"] == invalid_grant["error"]


def test_discord_refuses_a_code_github_issued(providers: DemoProviders) -> None:
    github_code = code_from(decide(providers, "github", scope="read:user"))
    refused = discord_exchange(providers, github_code, "")
    assert (refused.status_code, refused.json()["error"]) == (400, "invalid_grant")


def test_an_expired_code_is_refused_by_both(providers: DemoProviders, monkeypatch: pytest.MonkeyPatch) -> None:
    discord_code = code_from(decide(providers, "discord", scope="identify"))
    github_code = code_from(decide(providers, "github", scope="read:user"))
    monkeypatch.setattr(demo_oauth, "_CODE_LIFETIME", -1.0)  # every code already past its lifetime
    assert discord_exchange(providers, discord_code, "").json()["error"] == "invalid_grant"
    assert (
        github_exchange(providers, github_code).json()
        == example("github_token_response_errors")["bad_verification_code"]
    )


def discord_revoke(p: DemoProviders, token: str, auth: tuple[str, str] | None) -> requests.Response:
    return requests.post(f"{p.discord_url}/api/oauth2/token/revoke", data={"token": token}, auth=auth, timeout=5)


def test_discord_revocation_needs_the_client_and_takes_either_token(providers: DemoProviders) -> None:
    """discord_authorize_params.md: every OAuth2 call authenticates the client, and revoking either token of a
    grant revokes the whole grant."""
    code = code_from(decide(providers, "discord", scope="identify"))
    issued = discord_exchange(providers, code, "").json()
    assert discord_revoke(providers, issued["access_token"], None).status_code == 401
    assert discord_revoke(providers, issued["access_token"], (CLIENT["client_id"], "wrong")).status_code == 401
    assert profile(providers, issued["access_token"]).status_code == 200
    assert (
        discord_revoke(providers, issued["refresh_token"], (CLIENT["client_id"], CLIENT["client_secret"])).status_code
        == 200
    )
    assert profile(providers, issued["access_token"]).status_code == 401


def test_unknown_discord_paths_answer_discords_published_404(providers: DemoProviders) -> None:
    response = requests.get(f"{providers.discord_url}/api/nowhere", timeout=5)
    assert (response.status_code, response.json()) == (404, example("discord_errors")["404_not_found"]["body"])
    assert response.headers["Content-Type"] == "application/json"


def test_discord_token_400_fault_is_the_published_invalid_grant(providers: DemoProviders) -> None:
    providers.faults["discord.token"] = Fault(status=400)
    response = requests.post(f"{providers.discord_url}/api/oauth2/token", data={"code": "x"}, timeout=5)
    assert (response.status_code, response.json()) == (400, example("discord_token_error_invalid_grant"))


def test_discord_rate_limit_reset_is_now_plus_reset_after(providers: DemoProviders) -> None:
    published_429 = example("discord_errors")["429_user_rate_limit"]["headers"]
    providers.faults["discord.profile"] = Fault(status=429)
    asked = time.time()
    response = requests.get(f"{providers.discord_url}/api/users/@me", timeout=5)
    after = float(published_429["X-RateLimit-Reset-After"])
    assert set(response.headers) >= set(published_429)
    assert asked + after - 1 <= float(response.headers["X-RateLimit-Reset"]) <= time.time() + after + 1


# --- GitHub OAuth -----------------------------------------------------------------------------


def test_github_token_errors_are_the_published_bodies(providers: DemoProviders) -> None:
    errors = example("github_token_response_errors")
    url = f"{providers.github_url}/login/oauth/access_token"
    json_accept = {"Accept": "application/json"}
    code = code_from(decide(providers, "github", scope="read:user"))
    wrong_secret = requests.post(
        url, data={**CLIENT, "client_secret": "wrong", "code": code}, headers=json_accept, timeout=5
    )
    assert wrong_secret.json() == errors["incorrect_client_credentials"]
    mismatch = requests.post(
        url, data={**CLIENT, "code": code, "redirect_uri": "http://elsewhere/"}, headers=json_accept, timeout=5
    )
    assert mismatch.json() == errors["redirect_uri_mismatch"]
    assert github_exchange(providers, "no-such-code").json() == errors["bad_verification_code"]


def test_github_revocation_takes_basic_auth_only_and_a_token_once(providers: DemoProviders) -> None:
    """CONTRACT.md: DELETE /applications/{client_id}/token with basic auth; an unknown token is a 404."""
    token = github_token(providers, "octocat")
    url = f"{providers.github_api_url}/applications/{CLIENT['client_id']}/token"
    in_body = requests.delete(url, json={"access_token": token, **CLIENT}, timeout=5)
    assert (in_body.status_code, in_body.json()) == (401, example("github_errors")["401_bad_credentials"]["body"])
    auth = (CLIENT["client_id"], CLIENT["client_secret"])
    assert requests.delete(url, json={"access_token": token}, auth=auth, timeout=5).status_code == 204
    assert requests.delete(url, json={"access_token": token}, auth=auth, timeout=5).status_code == 404


# --- GitHub REST ------------------------------------------------------------------------------


def test_github_user_has_the_published_fields_and_content_type(providers: DemoProviders) -> None:
    response = github_get(providers, "/user", github_token(providers, "mona"))
    assert set(response.json()) == set(example("github_user"))
    # GitHub's JSON content type, as in github_errors.json's example headers
    assert (
        response.headers["Content-Type"]
        == example("github_errors")["403_secondary_rate_limit"]["headers"]["Content-Type"]
    )


def rate_headers(response: requests.Response) -> dict[str, int]:
    return {name: int(value) for name, value in response.headers.items() if name.lower().startswith("x-ratelimit-")}


@pytest.mark.parametrize("path", ["/user", "/user/repos"])
def test_github_answers_carry_consistent_rate_limit_headers(providers: DemoProviders, path: str) -> None:
    published_headers = example("github_errors")["200_rate_limit_headers_examples"]["client_id_secret_GET_user_repos"][
        "headers"
    ]
    token = github_token(providers, f"counter{path.count('/')}")
    first, second = (rate_headers(github_get(providers, path, token)) for _ in range(2))
    names = {name for name in published_headers if name.startswith("x-ratelimit-")}
    assert {name.lower() for name in first} == names
    lower = {name.lower(): value for name, value in second.items()}
    assert lower["x-ratelimit-limit"] == int(published_headers["x-ratelimit-limit"])
    assert lower["x-ratelimit-remaining"] + lower["x-ratelimit-used"] == lower["x-ratelimit-limit"]
    assert lower["x-ratelimit-used"] == {k.lower(): v for k, v in first.items()}["x-ratelimit-used"] + 1


def test_github_repos_page_sizes_are_githubs(providers: DemoProviders) -> None:
    """GitHub's default per_page is 30 and its most is 100."""
    token = github_token(providers, "sizes")
    providers.repo_counts["sizes"] = 250
    default = get_repos(providers, token)
    assert len(default.json()) == 30 and "page=9" in default.links["last"]["url"]
    assert len(get_repos(providers, token, per_page=0).json()) == 30
    most = get_repos(providers, token, per_page=500)
    assert len(most.json()) == 100 and "per_page=100&page=3" in most.links["last"]["url"]


# ../shared/provider-examples/github_link_header.txt's example (1), from GitHub's pagination docs, quoted: the demo
# builds its own headers, so the file is not among demo/payloads.
DOCUMENTED_LINK = (
    'link: <https://api.github.com/repositories/1300192/issues?page=2>; rel="prev", '
    '<https://api.github.com/repositories/1300192/issues?page=4>; rel="next", '
    '<https://api.github.com/repositories/1300192/issues?page=515>; rel="last", '
    '<https://api.github.com/repositories/1300192/issues?page=1>; rel="first"'
)


def test_link_rels_come_in_the_published_order(providers: DemoProviders) -> None:
    order = re.findall(r'rel="(\w+)"', DOCUMENTED_LINK)
    token = github_token(providers, "order")
    middle = get_repos(providers, token, per_page=30, page=2).headers["Link"]
    assert re.findall(r'rel="(\w+)"', middle) == order


def test_repository_objects_have_the_published_fields(providers: DemoProviders) -> None:
    listed = example("github_user_repos")[0]
    full = example("github_repository_full")
    token = github_token(providers, "shapes")
    repos = get_repos(providers, token, per_page=100).json()
    for repo in repos:
        assert set(repo) == set(listed)
        assert set(repo["owner"]) == set(listed["owner"])
        assert set(repo["permissions"]) >= set(listed["permissions"])

    # The full shape has `organization` only for an organisation's repository, `parent`/`source` only for a fork.
    def fetched(repo: dict) -> dict:
        return github_get(providers, f"/repositories/{repo['id']}", token).json()

    user_own = fetched(next(r for r in repos if r["owner"]["type"] == "User" and not r["fork"]))
    assert set(user_own) == set(full) - {"organization", "parent", "source"}
    org_fork = fetched(next(r for r in repos if r["owner"]["type"] == "Organization" and r["fork"]))
    assert set(org_fork) == set(full)


def test_each_permission_level_implies_the_ones_below(providers: DemoProviders) -> None:
    levels = ["admin", "maintain", "push", "triage", "pull"]
    repos = get_repos(providers, github_token(providers, "ranks"), per_page=100).json()
    seen = set()
    for repo in repos:
        granted = [repo["permissions"][level] for level in levels]
        assert granted == sorted(granted)  # False for the levels above, then True from the person's own down
        seen.add(granted.count(True))
    assert seen == {1, 2, 3, 4, 5}


# --- Fault controls -------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [403, 429])
def test_github_rate_limit_faults_are_the_published_primary_rate_limit(providers: DemoProviders, status: int) -> None:
    primary = example("github_errors")["403_primary_rate_limit_exceeded"]
    providers.faults["github.user"] = Fault(status=status)
    response = github_get(providers, "/user", github_token(providers, "octocat"))
    assert (response.status_code, response.json()) == (status, primary["body"])
    assert {name.lower() for name in rate_headers(response)} == {n for n in primary["headers"] if n.startswith("x-")}
    assert response.headers["x-ratelimit-remaining"] == "0" and int(response.headers["x-ratelimit-reset"]) > time.time()


def test_a_fault_header_set_to_none_is_left_out(providers: DemoProviders) -> None:
    providers.faults["github.user"] = Fault(status=200, body="<html>maintenance</html>", headers={"Content-Type": None})
    response = requests.get(f"{providers.github_api_url}/user", timeout=5)
    assert response.status_code == 200 and "Content-Type" not in response.headers


@pytest.mark.parametrize(
    ("body", "content_type"),
    [("<html>maintenance</html>", "text/html; charset=utf-8"), ("upstream down", "text/plain; charset=utf-8")],
)
def test_a_fault_body_without_a_content_type_gets_the_one_it_looks_like(
    providers: DemoProviders, body: str, content_type: str
) -> None:
    providers.faults["github.user"] = Fault(status=502, body=body)
    response = requests.get(f"{providers.github_api_url}/user", timeout=5)
    assert (response.status_code, response.text, response.headers["Content-Type"]) == (502, body, content_type)
