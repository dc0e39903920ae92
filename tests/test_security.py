"""Attacks a hostile person would try (RFC 9700, OWASP ASVS 5); each must get a 4xx and change nothing."""

from __future__ import annotations

import base64
import hashlib
import html
import io
import json
import logging
import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs, parse_qsl, quote, urlencode, urlsplit

import pytest
from allauth.socialaccount.models import SocialAccount
from django.conf import settings
from django.contrib.admin import exceptions as admin_exceptions
from django.contrib.sessions import exceptions as session_exceptions
from django.contrib.sessions.backends.cache import SessionStore
from django.core.cache import cache
from django.core.exceptions import SuspiciousOperation
from django.db import connection
from django.test import Client, RequestFactory
from django_ratelimit.core import get_usage

import linkapp.ratelimits
from demo import examples
from demo.providers import DemoProviders, Fault
from linkapp.failures import in_words
from repos.models import Link
from tests.browser import Browser
from tests.wizard import (
    age_state,
    connect_github,
    csrf_token,
    first_linkable_repo,
    github_token_of,
    repo_ids,
    sign_in_with_discord,
    walk_to_picker,
    wizard_of,
)

pytestmark = pytest.mark.django_db(transaction=True)
ROOT = Path(__file__).resolve().parents[1]


def start_login(browser: Browser, provider: str = "discord", page=None) -> dict[str, str]:
    """Press the connect button but stop at the provider: the authorize request's parameters."""
    page = page or browser.get("/")
    data = {"csrfmiddlewaretoken": csrf_token(page)}
    if provider == "github":
        data["process"] = "connect"
    response = browser.session.post(
        f"{browser.base_url}accounts/{provider}/login/", data=data, allow_redirects=False, timeout=10
    )
    assert response.status_code == 302, response.text
    return {k: v[0] for k, v in parse_qs(urlsplit(response.headers["Location"]).query).items()}


# --- state -------------------------------------------------------------------------------


def test_state_from_another_browser_is_refused(live_server, providers):
    alice, mallory = Browser(live_server.url), Browser(live_server.url)
    state = start_login(alice)["state"]
    mallory.get("/")
    page = mallory.get("/accounts/discord/login/callback/", params={"code": "stolen", "state": state})

    assert page.status_code == 400
    assert not providers.calls_to("discord.token")


def test_githubs_state_at_the_discord_callback_never_reaches_discord(browser, providers):
    step2 = sign_in_with_discord(browser)
    tokens_before = len(providers.calls_to("discord.token"))
    github_state = start_login(browser, "github", step2)["state"]

    page = browser.get("/accounts/discord/login/callback/", params={"code": "x", "state": github_state})

    assert page.status_code == 400
    assert len(providers.calls_to("discord.token")) == tokens_before
    assert not providers.calls_to("github.token")


def test_state_expires_with_the_wizard_ttl(browser, providers, settings):
    """Only the state grows old (one second past WIZARD_TTL), not the session that holds it: a session gone
    too would be refused as "no state" whether or not the state's own age is checked."""
    authorize = browser.submit(browser.get("/"), "Connect with Discord")
    session = age_state(browser, settings.WIZARD_TTL + 1)
    page = browser.submit(authorize, "Authorize")

    assert page.status_code == 400 and "Sign-in expired" in page.text
    assert not providers.calls_to("discord.token")
    assert session.exists(session.session_key)


def authorize_without_following(browser: Browser, providers: DemoProviders, provider: str) -> str:
    """Consent at the demo provider; the callback URL it sends the browser to."""
    params = start_login(browser, provider)
    response = browser.session.post(
        providers.authorize_url(provider),
        data={**params, "decision": "authorize", "login": "nelly"},
        allow_redirects=False,
        timeout=10,
    )
    return response.headers["Location"]


@pytest.mark.parametrize("issuer,status", [("https://evil.test", 400), (None, 200)])
def test_callback_issuer_must_be_the_provider(browser, providers, issuer, status):
    callback = authorize_without_following(browser, providers, "discord")
    page = browser.get(f"{callback}&{urlencode({'iss': issuer or providers.discord_url})}")

    assert page.status_code == status
    assert len(providers.calls_to("discord.token")) == (0 if status == 400 else 1)


@pytest.mark.parametrize("issuer,status", [("https://evil.test/login/oauth", 400), (None, 200)])
def test_github_callback_issuer_is_githubs_oauth_address(browser, providers, issuer, status):
    """GitHub sends `iss=https://github.com/login/oauth` (RFC 9207): the demo does the same."""
    sign_in_with_discord(browser)
    callback = urlsplit(authorize_without_following(browser, providers, "github"))
    query = dict(parse_qsl(callback.query))
    assert query["iss"] == f"{providers.github_url}/login/oauth"
    if issuer:
        query["iss"] = issuer
    page = browser.get(f"{callback.path}?{urlencode(query)}")

    assert page.status_code == status
    assert len(providers.calls_to("github.token")) == (0 if status == 400 else 1)


def test_github_callback_issuer_matches_an_address_written_otherwise(browser, providers, settings):
    """GITHUB_URL written with capitals (or GitHub Enterprise's default port) is the same address: GitHub's
    `iss` still names it, written as GitHub writes it."""
    settings.GITHUB_URL = providers.github_url.replace("http://", "HTTP://")
    sign_in_with_discord(browser)
    callback = authorize_without_following(browser, providers, "github")
    page = browser.get(callback)

    assert f"iss={quote(providers.github_url, safe='')}" in callback and page.status_code == 200
    assert len(providers.calls_to("github.token")) == 1


# --- PKCE and scope ------------------------------------------------------------------------


def test_pkce_s256_with_a_verifier_per_transaction(live_server, providers):
    for person in ("nelly", "bob"):
        walk_to_picker(Browser(live_server.url), discord=person, github=person)
    verifiers = []
    for provider in ("discord", "github"):
        authorizes = providers.calls_to(f"{provider}.authorize")
        tokens = providers.calls_to(f"{provider}.token")
        assert len(authorizes) == len(tokens) == 2
        for authorize, token in zip(authorizes, tokens, strict=True):
            verifier = token.form["code_verifier"]
            challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
            assert authorize.query["code_challenge_method"] == "S256"
            assert authorize.query["code_challenge"] == challenge
            verifiers.append(verifier)
    assert len(set(verifiers)) == 4  # a new verifier for every sign-in, never one per provider


def test_scope_on_discord_login_url_is_ignored(browser, providers):
    page = browser.get("/")
    browser.post(
        "/accounts/discord/login/?scope=email+guilds.join", {"csrfmiddlewaretoken": csrf_token(page), "scope": "email"}
    )
    assert providers.calls_to("discord.authorize")[-1].query["scope"] == "identify"


@pytest.mark.parametrize(
    ("path", "process"),
    [
        ("/accounts/discord/login/", "x" * 60_000),
        ("/accounts/discord/login/", "connect"),
        ("/accounts/github/login/", "login"),
    ],
)
def test_a_sign_in_of_another_process_is_refused_before_anything_is_kept(browser, providers, caplog, path, process):
    """allauth would keep any posted `process` in the session (and we log it): only the provider's own passes."""
    page = browser.get("/")
    with caplog.at_level(logging.INFO):
        refused = browser.post(path, {"csrfmiddlewaretoken": csrf_token(page), "process": process})

    assert refused.status_code == 400 and "That sign-in request is not valid." in refused.text
    assert not providers.calls_to("discord.authorize") and not providers.calls_to("github.authorize")
    assert "sessionid" not in browser.session.cookies  # nothing was stored for this visitor
    assert "step=started" not in caplog.text and "x" * 100 not in caplog.text


def test_a_body_larger_than_any_form_of_ours_is_refused_in_one_warning_line(browser, providers, caplog):
    page = browser.get("/")
    with caplog.at_level(logging.WARNING):
        refused = browser.post("/accounts/discord/login/", {"csrfmiddlewaretoken": csrf_token(page), "x": "y" * 70_000})

    assert refused.status_code == 400 and "Try again" in refused.text
    assert "sessionid" not in browser.session.cookies and not providers.calls_to("discord.authorize")
    (logged,) = [r for r in caplog.records if r.name == "django.security.RequestDataTooBig"]
    assert logged.levelname == "WARNING" and logged.exc_info is None  # anyone can send one: no alert, no traceback


def test_a_body_with_more_files_than_allowed_is_refused_in_one_warning_line(browser, providers, caplog):
    """101 empty file parts are 15 KB, which any proxy lets through: Django refuses them (TooManyFilesSent)."""
    page = browser.get("/")
    files = [("f", ("a", b"")) for _ in range(101)]
    with caplog.at_level(logging.WARNING):
        refused = browser.post("/accounts/discord/login/", {"csrfmiddlewaretoken": csrf_token(page)}, files=files)

    assert refused.status_code == 400 and not providers.calls_to("discord.authorize")
    (logged,) = [r for r in caplog.records if r.name == "django.security.TooManyFilesSent"]
    assert logged.levelname == "WARNING" and logged.exc_info is None


def test_login_starts_only_by_post(browser, providers):
    page = browser.get("/accounts/discord/login/")
    assert page.status_code == 200
    assert '<form method="post"' in page.text
    assert not providers.calls_to("discord.authorize")


# --- redirects -----------------------------------------------------------------------------


@pytest.mark.parametrize("target", ["//evil.test", "/\\evil.test", "https://evil.test", "javascript:alert(1)"])
def test_next_never_leaves_the_site(browser, providers, target):
    authorize = browser.submit(browser.get("/"), "Connect with Discord", {"next": target})
    landed = browser.submit(authorize, "Authorize")

    assert landed.status_code == 200
    assert urlsplit(landed.url).netloc == urlsplit(browser.base_url).netloc
    assert landed.url.endswith("/github/")
    for response in browser.responses:
        location = response.headers.get("Location", "")
        assert "evil.test" not in location and not location.startswith("javascript:")


@pytest.mark.parametrize("target", ["//evil.test", "https://evil.test"])
def test_sign_out_next_never_leaves_the_site(browser, providers, target):
    step2 = sign_in_with_discord(browser)
    landed = browser.submit(step2, "Sign out", {"next": target})
    assert urlsplit(landed.url).netloc == urlsplit(browser.base_url).netloc


# --- CSRF ------------------------------------------------------------------------------------


def post_targets(browser: Browser) -> list[tuple[str, dict]]:
    picker = walk_to_picker(browser)
    _, repo_id = first_linkable_repo(picker)
    browser.submit(picker, "Link repository", {"repo_id": str(repo_id)})
    link = Link.objects.get()
    walk_to_picker(browser)
    return [
        (f"/links/{link.pk}/unlink/", {}),
        ("/accounts/discord/login/", {}),
        ("/accounts/github/login/", {"process": "connect"}),
        ("/repositories/", {"repo_id": "1"}),
        ("/repositories/", {"refresh": "1"}),
        ("/accounts/3rdparty/", {"account": str(SocialAccount.objects.get(provider="github").pk)}),
        ("/accounts/logout/", {}),
    ]


def test_every_post_needs_a_csrf_token(browser, providers):
    for url, data in post_targets(browser):
        response = browser.post(url, data, allow_redirects=False)
        assert response.status_code == 403, url
        # "Try again" opens the page the form was on again, not the first step: the form's own address, or
        # for a sign-in start the step with the provider's button (its own GET page drops what was asked).
        page = {"/accounts/discord/login/": "/", "/accounts/github/login/": "/github/"}.get(url, url)
        assert "Form expired" in response.text and f'href="{page}">Try again' in response.text, url
        assert "Please open the page again." in response.text, url
        assert browser.get(page).status_code == 200, url
    assert len(providers.calls_to("github.authorize")) == 2  # only the two walks' own
    assert Link.objects.count() == 1
    # The admin's sign-in form, expired: staff are sent back to it, not into the wizard.
    admin = browser.post("/admin/login/", {"username": "root", "password": "x"}, allow_redirects=False)
    assert admin.status_code == 403 and "Please sign in again." in admin.text
    assert 'href="/admin/login/">Try again' in admin.text
    action = browser.post("/admin/repos/link/", {"action": "export_csv"}, allow_redirects=False)
    assert action.status_code == 403 and "Please open the page again." in action.text
    assert 'href="/admin/repos/link/">Try again' in action.text
    signed_out = browser.post("/admin/logout/", {}, allow_redirects=False)  # a POST-only address
    assert signed_out.status_code == 403 and 'href="/admin/">Try again' in signed_out.text


def test_a_browser_refusing_cookies_is_told_so(live_server):
    """Without the CSRF cookie no form can work here: "the form was too old" would have the person retry forever."""
    refused = Browser(live_server.url).post("/accounts/discord/login/", {"csrfmiddlewaretoken": "x" * 64})

    assert refused.status_code == 403 and "allow cookies for this site" in refused.text
    assert "too old" not in refused.text


def test_every_post_refuses_a_foreign_origin(browser, providers, caplog):
    for url, data in post_targets(browser):
        token = browser.session.cookies.get("csrftoken")
        assert token  # a valid token: only the Origin is wrong
        caplog.clear()
        response = browser.post(
            url, {**data, "csrfmiddlewaretoken": token}, headers={"Origin": "https://evil.test"}, allow_redirects=False
        )
        assert response.status_code == 403, url
        assert "Origin checking failed - https://evil.test" in caplog.text, url
    assert Link.objects.count() == 1


# --- repository choice and identities ----------------------------------------------------------


def test_another_persons_repository_is_refused(live_server, providers):
    alice = Browser(live_server.url)
    alice_repos = repo_ids(walk_to_picker(alice, discord="alice", github="alice-gh"))
    own = next(repo_id for name, repo_id in alice_repos.items() if name.startswith("alice-gh/"))

    mallory = Browser(live_server.url)
    picker = walk_to_picker(mallory, discord="mallory", github="mallory-gh")
    page = mallory.submit(picker, "Link repository", {"repo_id": str(own)})

    assert page.status_code == 400
    assert not Link.objects.exists()


def test_signing_in_as_someone_else_in_the_same_browser_leaves_nothing_of_the_first(live_server, providers):
    """A shared computer: the next person presses "Connect with Discord" without signing the first one out."""
    browser = Browser(live_server.url)
    alice_picker = walk_to_picker(browser, discord="alice", github="alice-gh")
    alice_token, alice_keys = github_token_of(browser), set(cache.keys("wizard:*"))
    assert alice_keys

    step2 = sign_in_with_discord(browser, "bob")
    assert step2.status_code == 200 and "Bob" in step2.text and "Alice" not in step2.text
    assert providers.tokens[alice_token].revoked
    assert not alice_keys & set(cache.keys("wizard:*"))
    assert wizard_of(browser).github_token() is None  # bob has to connect a GitHub account of his own

    picker = connect_github(browser, step2, "bob-gh")
    assert picker.status_code == 200 and repo_ids(picker)
    assert "alice" not in picker.text.lower()
    # Alice's page, still open in another tab: its form was for her sign-in, and links nothing for bob.
    _, alice_repo = first_linkable_repo(alice_picker)
    stale = browser.submit(alice_picker, "Link repository", {"repo_id": str(alice_repo)})
    assert stale.status_code == 403 and "Form expired" in stale.text
    assert not Link.objects.exists()


def test_a_github_account_moves_to_the_discord_user_who_connects_it(live_server, providers):
    """GitHub signs no one in: whoever has just proved the GitHub account is theirs may link with it."""
    first = Browser(live_server.url)
    first_picker = walk_to_picker(first, discord="nelly", github="octocat")
    name, repo_id = first_linkable_repo(first_picker)
    first_token = github_token_of(first)

    second = Browser(live_server.url)
    picker = connect_github(second, sign_in_with_discord(second, "bob"), "octocat")
    assert picker.status_code == 200 and name in picker.text
    assert second.submit(picker, "Link repository", {"repo_id": str(repo_id)}).status_code == 200

    # The first person's open wizard no longer holds the GitHub account: they are asked to connect it again.
    again = first.submit(first_picker, "Link repository", {"repo_id": str(repo_id)})
    assert again.status_code == 409 and "Connect with GitHub first" in again.text
    assert providers.tokens[first_token].revoked  # not left alive at GitHub once it can no longer be used
    assert list(Link.objects.values_list("discord_username", flat=True)) == ["bob"]
    picker = connect_github(first, first.follow(again, "Try again"), "octocat")
    first.submit(picker, "Link repository", {"repo_id": str(repo_id)})

    github = SocialAccount.objects.get(provider="github")
    assert github.user.socialaccount_set.get(provider="discord").extra_data["username"] == "nelly"
    linked = Link.objects.filter(repo_id=repo_id, repo_full_name=name)
    assert sorted(linked.values_list("discord_username", flat=True)) == ["bob", "nelly"]


def test_a_wizard_whose_github_account_moved_lets_go_of_its_grant_at_the_github_step(live_server, providers):
    """The first person goes Back to "Connect with GitHub" rather than on to the picker: their grant, now useless
    there, is revoked all the same."""
    first = Browser(live_server.url)
    walk_to_picker(first, discord="nelly", github="octocat")
    first_token = github_token_of(first)
    second = Browser(live_server.url)
    assert connect_github(second, sign_in_with_discord(second, "bob"), "octocat").status_code == 200

    step2 = first.get("/github/")
    assert step2.status_code == 200 and "Connect with GitHub" in step2.text
    assert providers.tokens[first_token].revoked
    assert wizard_of(first).github_token() is None


def test_a_github_account_of_a_deactivated_person_cannot_be_taken_over(live_server, providers, django_user_model):
    """README, "Stopping someone": an admin unticked Active on nelly. Her GitHub account does not move to another
    Discord account for linking again; that one may still connect a GitHub account of its own."""
    first = Browser(live_server.url)
    walk_to_picker(first, discord="nelly", github="octocat")
    django_user_model.objects.filter(socialaccount__provider="github").update(is_active=False)

    second = Browser(live_server.url)
    step2 = sign_in_with_discord(second, "bob")
    earlier = providers.token_names()
    refused = connect_github(second, step2, "octocat")
    assert refused.status_code == 403 and "deactivated" in refused.text
    (granted,) = providers.tokens_since(earlier, "github").values()
    assert granted.revoked
    assert wizard_of(second).github_token() is None
    github = SocialAccount.objects.get(provider="github")
    assert github.user.socialaccount_set.get(provider="discord").extra_data["username"] == "nelly"

    picker = connect_github(second, second.follow(refused, "Try again"), "bob-gh")
    assert picker.status_code == 200 and any(name.startswith("bob-gh/") for name in repo_ids(picker))
    assert not Link.objects.exists()


def test_failed_revocation_is_logged_and_the_link_still_saved(browser, providers, caplog):
    providers.faults["github.revoke"] = Fault(status=500)
    providers.faults["discord.revoke"] = Fault(status=503)
    picker = walk_to_picker(browser)
    _, repo_id = first_linkable_repo(picker)
    with caplog.at_level(logging.WARNING):
        page = browser.submit(picker, "Link repository", {"repo_id": str(repo_id)})

    assert page.url.endswith("/dashboard/")
    assert Link.objects.count() == 1
    assert "github token revocation failed" in caplog.text
    assert "discord token revocation failed" in caplog.text


# --- sessions, cookies, headers ----------------------------------------------------------------


def test_session_is_cycled_at_sign_in_and_deleted_at_sign_out(browser, providers):
    authorize = browser.submit(browser.get("/"), "Connect with Discord")
    before = browser.session.cookies.get("sessionid")
    # A sign-in begun and left keeps its session only as long as its state is valid; a signed-in one lives on.
    assert 0 < cache.ttl(SessionStore(before).cache_key) <= settings.WIZARD_TTL
    step2 = browser.submit(authorize, "Authorize")
    after = browser.session.cookies.get("sessionid")

    assert before and after and before != after
    assert SessionStore().exists(after)
    assert cache.ttl(SessionStore(after).cache_key) > settings.SESSION_COOKIE_AGE - 60
    browser.submit(step2, "Sign out")
    assert not SessionStore().exists(after)
    assert browser.get("/github/").status_code == 403


def test_connecting_github_keeps_a_signed_in_persons_session_age(browser, providers):
    """Connecting is no sign-in, so nothing would give SESSION_COOKIE_AGE back once it was cut to WIZARD_TTL."""
    step2 = sign_in_with_discord(browser)
    browser.submit(step2, "Connect with GitHub")  # GitHub's consent page, never answered

    assert (
        cache.ttl(SessionStore(browser.session.cookies.get("sessionid")).cache_key) > settings.SESSION_COOKIE_AGE - 60
    )


def test_a_sign_in_begun_and_left_does_not_shorten_an_admins_session(browser, providers, django_user_model):
    django_user_model.objects.create_superuser("root", password="right horse battery")
    browser.submit(browser.get("/"), "Connect with Discord")  # never authorized
    login = browser.get("/admin/login/")
    browser.post(
        "/admin/login/",
        {"csrfmiddlewaretoken": csrf_token(login), "username": "root", "password": "right horse battery"},
    )

    assert browser.get("/admin/").status_code == 200
    assert (
        cache.ttl(SessionStore(browser.session.cookies.get("sessionid")).cache_key) > settings.SESSION_COOKIE_AGE - 60
    )


MARKUP = "<img src=x onerror=alert(1)>"


def test_what_providers_send_is_shown_as_text_never_as_markup(browser, providers):
    """A Discord display name and a repository's name and description are written by people: shown, never run."""
    as_json = {"Content-Type": "application/json"}
    profile = {**examples.DISCORD_USER.copy(), "global_name": MARKUP}
    repository = {**examples.GITHUB_REPO.copy(), "full_name": f"octocat/{MARKUP}", "description": MARKUP}
    providers.faults["discord.profile"] = Fault(status=200, body=json.dumps(profile), headers=as_json)
    providers.faults["github.repos"] = Fault(status=200, body=json.dumps([repository]), headers=as_json)

    picker = walk_to_picker(browser)

    assert picker.status_code == 200 and MARKUP not in picker.text
    assert picker.text.count(html.escape(MARKUP)) >= 3  # the person's name, the repository's name and description


def test_security_headers_and_cookie_flags(browser, providers):
    page = browser.get("/")
    csp = page.headers["Content-Security-Policy"]
    for directive in ("default-src 'self'", "object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'"):
        assert directive in csp
    assert set(re.findall(r"https?://[^ ;]+", csp)) == {providers.discord_url, providers.github_url}
    assert "form-action 'self' " in csp
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert page.headers["Referrer-Policy"] == "same-origin"
    assert page.headers["X-Frame-Options"] == "DENY"
    assert "no-store" in page.headers["Cache-Control"]

    step2 = sign_in_with_discord(browser)
    picker = connect_github(browser, step2)
    refused = browser.get("/repositories/", params={"sort": "nonsense"})
    assert refused.status_code == 400
    _, repo_id = first_linkable_repo(picker)
    dashboard = browser.submit(picker, "Link repository", {"repo_id": str(repo_id)})
    connections = browser.get("/accounts/3rdparty/")
    assert connections.status_code == 200
    for page in (step2, picker, dashboard, refused, connections):  # a person's data or their own failure
        assert "no-store" in page.headers["Cache-Control"], page.url
        assert page.headers.get("Content-Security-Policy") == csp, page.url  # the pages showing their data too
    cookie = next(c for c in browser.session.cookies if c.name == "sessionid")
    assert cookie.has_nonstandard_attr("HttpOnly")
    assert cookie.get_nonstandard_attr("SameSite") == "Lax"


def test_production_cookies_and_hsts():
    """With HTTPS=1 (production), through Django's test client in a separate process."""
    script = """
import json
from django.test import Client
c = Client()
home = c.get("/", secure=True)
start = c.post("/accounts/discord/login/", {"csrfmiddlewaretoken": home.cookies["__Host-csrftoken"].value}, secure=True)
out = {"hsts": home.headers.get("Strict-Transport-Security"), "redirect": c.get("/").status_code}
for name, morsel in list(home.cookies.items()) + list(start.cookies.items()):
    out[name] = {"secure": bool(morsel["secure"]), "httponly": bool(morsel["httponly"]), "samesite": morsel["samesite"], "path": morsel["path"], "domain": morsel["domain"]}
print(json.dumps(out))
"""
    test_database = connection.settings_dict["NAME"]  # the schema pytest-django created
    env = {
        **os.environ,
        "DEBUG": "0",
        "HTTPS": "1",
        "SECRET_KEY": "x" * 50,
        "ALLOWED_HOSTS": "testserver",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{test_database}",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout.strip().splitlines()[-1])

    assert out["redirect"] == 301  # plain HTTP goes to HTTPS
    assert "max-age=31536000" in out["hsts"]
    session = out["__Host-sessionid"]
    assert session == {"secure": True, "httponly": True, "samesite": "Lax", "path": "/", "domain": ""}
    assert out["__Host-csrftoken"]["secure"] and out["__Host-csrftoken"]["domain"] == ""


def test_wrong_host_header_is_400(live_server):
    response = Browser(live_server.url).get("/", headers={"Host": "evil.test"})
    assert response.status_code == 400


def test_a_wrong_host_header_is_logged_in_one_line_without_a_traceback(client):
    console = next(h for h in logging.getLogger().handlers if h.get_name() == "console")  # settings.LOGGING's
    written = io.StringIO()
    original = console.setStream(written)
    try:
        assert client.get("/", HTTP_HOST="evil.test").status_code == 400
    finally:
        console.setStream(original)
    logged = written.getvalue().strip().splitlines()
    assert len(logged) == 1
    assert (
        "WARNING django.security.DisallowedHost" in logged[0] and "Invalid HTTP_HOST header: 'evil.test'" in logged[0]
    )


def seconds_left_in_window(rate: str) -> int:
    """What django-ratelimit says is left of the current window for 127.0.0.1 (the test client)."""
    return get_usage(RequestFactory().get("/"), group="any", key="ip", rate=rate)["time_left"]


def test_sign_in_start_and_callback_are_rate_limited(browser, providers, settings):
    settings.LOGIN_RATE_LIMIT = "3/d"  # a day's window: a run hardly ever straddles its edge
    page = browser.get("/")
    statuses = [
        browser.post(
            "/accounts/discord/login/", {"csrfmiddlewaretoken": csrf_token(page)}, allow_redirects=False
        ).status_code
        for _ in range(4)
    ]
    callback = browser.get("/accounts/discord/login/callback/", params={"code": "x", "state": "y"})

    assert statuses == [302, 302, 302, 429]
    assert callback.status_code == 429
    assert "Try again" in callback.text
    # Retry-After is what is left of the day's window, not a fixed minute.
    wait = int(callback.headers["Retry-After"])
    assert abs(wait - seconds_left_in_window("3/d")) <= 1
    assert f"try again in {in_words(wait)}." in callback.text


def test_a_wizards_oauth_steps_count_against_one_limit_and_the_admins_password_form_against_its_own(
    browser, client, providers, settings
):
    """README, Security: the four OAuth steps of a wizard, Discord's and GitHub's, count against one
    LOGIN_RATE_LIMIT (linkapp.oauth.SIGN_IN_STEPS)."""
    settings.LOGIN_RATE_LIMIT = "3/d"  # a day's window: a run hardly ever straddles its edge
    token = csrf_token(browser.get("/"))
    discord = [
        browser.post("/accounts/discord/login/", {"csrfmiddlewaretoken": token}, allow_redirects=False).status_code
        for _ in range(3)
    ]
    github = browser.post("/accounts/github/login/", {"csrfmiddlewaretoken": token, "process": "connect"})
    github_callback = browser.get("/accounts/github/login/callback/", params={"code": "x", "state": "y"})

    assert (discord, github.status_code, github_callback.status_code) == ([302, 302, 302], 429, 429)
    assert len(cache.keys("rl:*")) == 1
    assert client.post("/admin/login/", {"username": "root", "password": "guess"}).status_code == 200  # the form again


def test_github_cannot_be_connected_without_discord(browser, providers):
    """Refused before GitHub: the person would consent there, only to be refused on the way back."""
    page = browser.get("/")
    refused = browser.post("/accounts/github/login/", {"csrfmiddlewaretoken": csrf_token(page), "process": "connect"})

    assert refused.status_code == 403
    assert "Please connect with Discord first" in refused.text
    assert 'href="/?next=%2Fgithub%2F">Try again' in refused.text
    assert not providers.calls_to("github.authorize")


def test_a_github_grant_for_a_sign_in_that_ended_meanwhile_is_refused_and_revoked(
    browser, providers, django_user_model
):
    """The callback checks again: an admin deactivated the person while they were at GitHub."""
    step2 = sign_in_with_discord(browser)
    authorize = browser.submit(step2, "Connect with GitHub")
    django_user_model.objects.update(is_active=False)
    landed = browser.submit(authorize, "Authorize")

    assert landed.status_code == 403 and "An administrator has deactivated this account" in landed.text
    assert not SocialAccount.objects.filter(provider="github").exists()
    assert not cache.keys("wizard:*")
    (revoke,) = providers.calls_to("github.revoke")  # the grant is not left alive at GitHub
    assert providers.tokens[revoke.form["access_token"]].revoked


@pytest.mark.parametrize("other_tab", ["signs out", "signs in again with Discord"])
def test_a_github_grant_for_a_sign_in_that_ended_during_its_callback_is_revoked(
    browser, providers, monkeypatch, other_tab
):
    """The sign-out in another tab came while GitHub's callback was asking for the list: it found no grant to
    revoke then, so the callback must, instead of saving it under a wizard no session names any more."""
    from repos.github_api import GitHubClient

    step2 = sign_in_with_discord(browser)
    authorize = browser.submit(step2, "Connect with GitHub")
    tab = browser.new_tab()
    fetch = GitHubClient.get_user_and_repositories

    def ended_meanwhile(client):
        if other_tab == "signs out":
            tab.post("/accounts/logout/", {"csrfmiddlewaretoken": csrf_token(step2)})
        else:
            sign_in_with_discord(tab)
        return fetch(client)

    monkeypatch.setattr(GitHubClient, "get_user_and_repositories", ended_meanwhile)
    before = providers.token_names()
    landed = browser.submit(authorize, "Authorize")

    assert landed.status_code == 403 and "Please connect with Discord first" in landed.text
    assert "sessionid" not in landed.headers.get("Set-Cookie", "")  # the other tab's sign-in stands
    if other_tab == "signs in again with Discord":
        assert tab.get("/github/").status_code == 200
    (grant,) = providers.tokens_since(before, "github").values()
    assert grant.revoked  # not left alive at GitHub, where it would never expire
    assert not cache.keys("wizard:*")  # nor its list kept under the ended wizard's keys
    assert not SocialAccount.objects.filter(provider="github").exists()


def test_github_cannot_be_connected_onto_an_admin_signed_in_with_a_password(browser, providers, django_user_model):
    """Only a Discord sign-in starts a wizard: an admin's session gets no GitHub account and keeps no token."""
    django_user_model.objects.create_superuser("root", password="right horse battery")
    login = browser.get("/admin/login/")
    signed_in = browser.post(
        "/admin/login/",
        {
            "csrfmiddlewaretoken": csrf_token(login),
            "username": "root",
            "password": "right horse battery",
            "next": "/admin/",
        },
    )
    assert signed_in.url.endswith("/admin/")
    refused = browser.post(
        "/accounts/github/login/", {"csrfmiddlewaretoken": csrf_token(browser.get("/")), "process": "connect"}
    )

    assert refused.status_code == 403
    assert "Please connect with Discord first" in refused.text
    assert not providers.calls_to("github.authorize")


@pytest.mark.parametrize("repo_id", ["²", "9" * 5000, "-1", "1e3", " 12"])
def test_odd_repository_ids_are_refused_not_crashed(browser, providers, repo_id):
    anonymous = browser.post(
        "/repositories/", {"csrfmiddlewaretoken": csrf_token(browser.get("/")), "repo_id": repo_id}
    )
    assert anonymous.status_code == 403
    picker = walk_to_picker(browser)
    signed_in = browser.submit(picker, "Link repository", {"repo_id": repo_id})
    assert signed_in.status_code == 400
    assert not Link.objects.exists()


@pytest.mark.parametrize("fallbacks", [True, False], ids=["rotated-with-fallback", "replaced-outright"])
def test_a_rotated_secret_key_keeps_people_signed_in_while_the_old_one_is_a_fallback(
    browser, providers, settings, fallbacks
):
    """SECRET_KEY_FALLBACKS: a planned rotation signs no one out; a leaked key, replaced outright, signs all out."""
    picker = walk_to_picker(browser)
    name, repo_id = first_linkable_repo(picker)
    old = settings.SECRET_KEY
    settings.SECRET_KEY = "a new key for a rotation " * 3
    settings.SECRET_KEY_FALLBACKS = [old] if fallbacks else []

    page = browser.submit(picker, "Link repository", {"repo_id": str(repo_id)})
    if fallbacks:
        assert page.status_code == 200 and f"{name} is now linked" in page.text
        assert Link.objects.filter(repo_id=repo_id).exists()
    else:
        assert page.status_code == 403 and "Please connect with Discord first" in page.text
        assert not Link.objects.exists()


def test_sign_out_revokes_and_forgets_the_github_token(browser, providers):
    step2 = sign_in_with_discord(browser)
    picker = connect_github(browser, step2)
    github = github_token_of(browser)
    assert cache.keys("wizard:*")

    browser.submit(picker, "Sign out")

    assert providers.tokens[github].revoked
    assert not cache.keys("wizard:*")


def test_a_new_github_grant_revokes_the_one_it_replaces(browser, providers):
    picker = walk_to_picker(browser)
    first = github_token_of(browser)
    widened = browser.submit(browser.submit(picker, "Include private repositories"), "Authorize")

    assert widened.status_code == 200
    assert providers.tokens[first].revoked
    second = github_token_of(browser)
    assert second != first and not providers.tokens[second].revoked


def test_admin_password_guesses_are_rate_limited(client, settings, django_user_model):
    settings.LOGIN_RATE_LIMIT = "3/d"  # a day's window: a run hardly ever straddles its edge
    django_user_model.objects.create_superuser("root", password="right horse battery")
    assert client.get("/admin/login/").status_code == 200
    guesses = [
        client.post("/admin/login/", {"username": "root", "password": f"guess{i}"}).status_code for i in range(4)
    ]

    assert guesses == [200, 200, 200, 429]  # the login form again with its error, then refused
    refused = client.post("/admin/login/", {"username": "root", "password": "right horse battery"})
    assert refused.status_code == 429 and "Too many sign-in attempts" in refused.content.decode()
    assert len(cache.keys("rl:*")) == 1  # the wait was read from the admin's own counter, no other made
    assert abs(int(refused["Retry-After"]) - seconds_left_in_window("3/d")) <= 1


def test_a_sign_in_refused_in_the_last_second_of_its_window_says_a_second(
    client, settings, monkeypatch, last_second_of_a_window
):
    """Not "Retry-After: 0", which a client would read as "now"."""
    settings.LOGIN_RATE_LIMIT = "1/d"
    client.post("/admin/login/", {"username": "root", "password": "guess"})
    monkeypatch.setattr(linkapp.ratelimits, "get_usage", lambda *args, **kwargs: last_second_of_a_window)

    refused = client.post("/admin/login/", {"username": "root", "password": "guess"})

    assert refused.status_code == 429 and refused["Retry-After"] == "1"
    assert f"try again in {in_words(1)}." in refused.content.decode()


def test_without_trusted_proxies_a_forged_forwarded_for_changes_nothing(client, settings):
    settings.LOGIN_RATE_LIMIT = "2/d"
    statuses = [
        client.post(
            "/admin/login/", {"username": "root", "password": "x"}, HTTP_X_FORWARDED_FOR=f"192.0.2.{i}"
        ).status_code
        for i in range(3)
    ]
    assert statuses == [200, 200, 429]


def test_behind_a_proxy_that_sets_a_header_each_client_has_its_own_sign_in_limit(client, settings):
    """RATELIMIT_IP_META_KEY=HTTP_X_REAL_IP: the header's address; a request without it, or with something else
    in it, counts against the peer's address instead of being a 500."""
    settings.LOGIN_RATE_LIMIT = "2/d"
    settings.CLIENT_ADDRESS_META_KEY = "HTTP_X_REAL_IP"

    def guesses(**headers: str) -> list[int]:
        return [
            client.post("/admin/login/", {"username": "root", "password": "x"}, **headers).status_code for _ in range(3)
        ]

    assert guesses(HTTP_X_REAL_IP="203.0.113.7") == [200, 200, 429]
    assert guesses(HTTP_X_REAL_IP=" 203.0.113.7 ") == [429, 429, 429]  # the same client, the proxy's padding aside
    assert guesses(HTTP_X_REAL_IP="2001:db8::7") == [200, 200, 429]  # another person behind the same proxy
    assert guesses() == [200, 200, 429]  # past the proxy: the peer's counter
    assert guesses(HTTP_X_REAL_IP="unknown") == [429, 429, 429]  # the peer's counter again
    assert guesses(REMOTE_ADDR="192.0.2.2") == [200, 200, 429]  # another peer past the proxy: a counter of its own


def test_a_request_past_the_proxy_is_one_warning_refused_or_not(client, settings, caplog):
    """A refused attempt reads the client's address twice (its counter, then the page's wait): still one line."""
    settings.LOGIN_RATE_LIMIT = "1/d"
    settings.CLIENT_ADDRESS_META_KEY = "HTTP_X_REAL_IP"

    statuses = [client.post("/admin/login/", {"username": "root", "password": "x"}).status_code for _ in range(2)]

    warned = [
        r for r in caplog.records if r.getMessage() == "no client address in HTTP_X_REAL_IP; limiting by the peer's"
    ]
    assert statuses == [200, 429] and len(warned) == 2


@pytest.mark.parametrize("where", ["REMOTE_ADDR", "HTTP_X_REAL_IP"])
def test_ipv4_clients_seen_through_a_dual_stack_socket_each_have_their_own_limit(client, settings, where):
    """`::ffff:a.b.c.d` from gunicorn bound to [::] (or such a proxy): django-ratelimit counts IPv6 by its /64,
    which every such address shares, so one client's guesses would lock out every IPv4 client."""
    settings.LOGIN_RATE_LIMIT = "2/d"
    settings.CLIENT_ADDRESS_META_KEY = "HTTP_X_REAL_IP" if where == "HTTP_X_REAL_IP" else ""

    def guesses(address: str) -> list[int]:
        return [
            client.post("/admin/login/", {"username": "root", "password": "x"}, **{where: address}).status_code
            for _ in range(3)
        ]

    assert guesses("::ffff:203.0.113.7") == [200, 200, 429]
    assert guesses("::ffff:198.51.100.4") == [200, 200, 429]  # another IPv4 client: a counter of its own
    assert guesses("198.51.100.4") == [429, 429, 429]  # the same client, written as IPv4: the same counter


def test_behind_a_proxy_each_client_has_its_own_sign_in_limit(client, settings):
    """With TRUSTED_PROXY_COUNT set, the limit follows X-Forwarded-For, not the proxy's own address."""
    settings.LOGIN_RATE_LIMIT = "2/d"
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1

    def guesses(forwarded_for: str) -> list[int]:
        return [
            client.post(
                "/admin/login/", {"username": "root", "password": "x"}, HTTP_X_FORWARDED_FOR=forwarded_for
            ).status_code
            for _ in range(3)
        ]

    assert guesses("203.0.113.7") == [200, 200, 429]
    assert guesses("198.51.100.4") == [200, 200, 429]  # another person behind the same proxy
    assert guesses("198.51.100.99, 203.0.113.7") == [429, 429, 429]  # only the proxy's own entry counts
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 2
    assert guesses("192.0.2.1") == [200, 200, 429]  # fewer entries than proxies: the peer's address, not a 500
    # ...each peer's own: not one counter for every request with too few entries.
    assert [
        client.post(
            "/admin/login/", {"username": "root", "password": "x"}, HTTP_X_FORWARDED_FOR="192.0.2.1", REMOTE_ADDR=peer
        ).status_code
        for peer in ("192.0.2.50", "192.0.2.50", "192.0.2.51")
    ] == [200, 200, 200]
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    assert guesses("not-an-address") == [429, 429, 429]  # the peer's counter again, not a 403


def test_a_body_that_cannot_be_parsed_is_refused_in_one_warning_line(caplog):
    """A multipart body without its boundary: Django logs the 400 on django.request, with a traceback."""
    client = Client(enforce_csrf_checks=True)  # the CSRF check reads the body, as for every POST with its cookie
    client.cookies[settings.CSRF_COOKIE_NAME] = "a" * 32
    with caplog.at_level(logging.WARNING):
        refused = client.generic("POST", "/accounts/discord/login/", b"x", content_type="multipart/form-data")

    assert refused.status_code == 400
    (logged,) = [r for r in caplog.records if r.name == "django.request"]
    assert logged.levelname == "WARNING" and logged.exc_info is None


def test_every_suspicious_request_django_can_log_is_logged_in_one_line():
    """Each SuspiciousOperation is logged on its own logger, which a filter on django.security does not reach."""

    def subclasses(cls: type) -> set[str]:
        return {name for sub in cls.__subclasses__() for name in {sub.__name__, *subclasses(sub)}}

    assert admin_exceptions.DisallowedModelAdminLookup and session_exceptions.SuspiciousSession  # imported: defined
    raised = {"SuspiciousOperation", *subclasses(SuspiciousOperation)} - {"DisallowedRasterLookup"}  # GeoDjango's
    assert raised == set(settings.SUSPICIOUS_OPERATIONS)
    for name in raised:
        assert "one_line_warning" in settings.LOGGING["loggers"][f"django.security.{name}"]["filters"]
