"""Every fault a person can meet mid-wizard (Redis, Postgres, Discord, GitHub), one test per kind, against
real Redis and Postgres with injected faults: a clear page, the right status, no stack trace, a way to go on."""

from __future__ import annotations

import logging
import threading
import time

import pytest
import requests
from allauth.socialaccount.models import SocialAccount, SocialLogin
from django.conf import settings as django_settings
from django.contrib.sessions.backends.cache import SessionStore
from django.core.cache import cache
from django.db import IntegrityError, connection

from accounts.wizard_store import CHOICE, GITHUB_TOKEN, REPO_LIST, WizardStore
from demo.providers import Fault
from repos.github_api import GitHubClient
from repos.models import Link, LinkEvent
from tests.database_faults import locked, read_only_database
from tests.services import UnansweredPort
from tests.tcp_proxy import cut_after
from tests.wizard import (
    app_seconds,
    connect_github,
    csrf_token,
    first_linkable_repo,
    github_token_of,
    quoted_reference,
    retry_url,
    sign_in_with_discord,
    walk_to_picker,
    wizard_of,
)

pytestmark = pytest.mark.django_db(transaction=True)
CONNECT_TIMEOUT = django_settings.CACHES["default"]["OPTIONS"]["SOCKET_CONNECT_TIMEOUT"]
SOCKET_TIMEOUT = django_settings.CACHES["default"]["OPTIONS"]["SOCKET_TIMEOUT"]
POSTGRES_CONNECT_TIMEOUT = float(django_settings.DATABASES["default"]["OPTIONS"]["connect_timeout"])


@pytest.mark.parametrize("mode", ["refuse", "hang", "unreachable"])
def test_redis_down_when_a_person_starts(browser, providers, redis_proxy, settings, mode):
    """Refused at once; accepted and never answered (SOCKET_TIMEOUT); or never even connected
    (SOCKET_CONNECT_TIMEOUT): each is a 503 within about twice the connect timeout."""
    home = browser.get("/")
    unanswered = UnansweredPort()
    if mode == "unreachable":
        # A read timeout far longer than the connect timeout: were the connection made after all, the
        # wait would be the read timeout's and overrun the bound below.
        redis_cache = settings.CACHES["default"]
        options = {**redis_cache["OPTIONS"], "SOCKET_TIMEOUT": 10 * CONNECT_TIMEOUT}
        settings.CACHES = {
            "default": {**redis_cache, "LOCATION": f"redis://127.0.0.1:{unanswered.port}/0", "OPTIONS": options}
        }
    else:
        redis_proxy.set_mode(mode)

    started = time.monotonic()
    try:
        page = browser.post(
            "/accounts/discord/login/", {"csrfmiddlewaretoken": csrf_token(home)}, allow_redirects=False
        )
    finally:
        unanswered.close()
    elapsed = time.monotonic() - started

    assert page.status_code == 503
    assert int(page.headers["Retry-After"]) > 0
    assert "Try again" in page.text
    assert elapsed < 2 * CONNECT_TIMEOUT + 0.5  # the 503 itself says there was no redirect to Discord
    if mode == "unreachable":
        assert elapsed >= CONNECT_TIMEOUT  # it was the connect timeout that ended the wait


@pytest.mark.parametrize("step", ["github step", "picker", "link"])
def test_redis_wiped_mid_wizard_sends_the_person_back(browser, providers, redis_proxy, private_redis, step):
    if step == "github step":
        sign_in_with_discord(browser)
    else:
        picker = walk_to_picker(browser)
        _, repo_id = first_linkable_repo(picker)
    private_redis.client().flushall()

    if step == "github step":
        page = browser.get("/github/")
    elif step == "picker":
        page = browser.get("/repositories/")
    else:
        page = browser.submit(picker, "Link repository", {"repo_id": str(repo_id)})

    assert page.status_code == 403
    # "Try again" signs in anew and, from a page (not a form), ends where the person can go on.
    retry = {"github step": "/?next=%2Fgithub%2F", "picker": "/", "link": "/"}[step]
    assert "Please connect with Discord first" in page.text and f'href="{retry}">Try again' in page.text
    assert browser.get("/dashboard/").status_code == 403  # not signed in on an empty session
    assert not Link.objects.exists()


def test_redis_failing_after_github_granted_revokes_the_grant(browser, providers, redis_proxy, monkeypatch):
    """Redis goes between the token exchange and storing the token: the grant is kept nowhere, so it is revoked."""
    step2 = sign_in_with_discord(browser)
    cut_after(redis_proxy, monkeypatch, GitHubClient, "get_user_and_repositories")
    earlier = providers.token_names()
    page = connect_github(browser, step2)

    assert page.status_code == 503 and "please start again" in page.text
    assert quoted_reference(page) == page.headers["X-Request-ID"]
    (granted,) = providers.tokens_since(earlier, "github").values()
    assert granted.revoked
    assert not SocialAccount.objects.filter(provider="github").exists() and not Link.objects.exists()


def test_redis_wiped_before_github_calls_back_exchanges_no_code(browser, providers, redis_proxy, private_redis):
    """The sign-in state went with Redis: the callback is refused before it asks GitHub for a token."""
    authorize = browser.submit(sign_in_with_discord(browser), "Connect with GitHub")
    private_redis.client().flushall()
    page = browser.submit(authorize, "Authorize", {"login": "octocat"})

    assert page.status_code == 400 and "Connection expired" in page.text and "Try again" in page.text
    assert not providers.calls_to("github.token")
    assert not SocialAccount.objects.filter(provider="github").exists()


@pytest.mark.parametrize("mode", ["refuse", "hang"])
def test_redis_down_mid_wizard_sends_the_person_back(browser, providers, redis_proxy, mode):
    picker = walk_to_picker(browser)
    _, repo_id = first_linkable_repo(picker)
    redis_proxy.set_mode(mode)

    started = time.monotonic()
    page = browser.submit(picker, "Link repository", {"repo_id": str(repo_id)})
    elapsed = time.monotonic() - started

    assert page.status_code == 503 and not page.history
    assert elapsed < 2 * SOCKET_TIMEOUT  # one wait on Redis, not one per attempt
    assert int(page.headers["Retry-After"]) > 0
    assert "please start again" in page.text and 'href="/">Try again' in page.text
    assert not Link.objects.exists()
    # Never signed in on an empty session: the dashboard is not shown while the session is unreadable.
    assert browser.get("/dashboard/").status_code == 503
    redis_proxy.set_mode("pass")
    assert browser.get("/").status_code == 200
    assert browser.get("/repositories/").status_code == 200  # Redis back: the session was never lost


@pytest.mark.parametrize("fault", ["full", "replica"])
def test_a_redis_that_refuses_writes_is_a_503_that_loses_nothing(browser, providers, redis_proxy, private_redis, fault):
    """Redis answers reads but refuses writes: full under the `noeviction` policy README asks for, or a replica
    that the app's address reaches after a failover. Pressing "Link repository" (which stores the choice first)
    and starting a sign-in are 503s, never 500s, and /readyz takes the instance out of rotation. Nothing is
    written half-way: once Redis takes writes again, the picker is still there and one row is saved."""
    picker = walk_to_picker(browser)
    _, repo_id = first_linkable_repo(picker)
    token = github_token_of(browser)
    with private_redis.refusing_writes(fault):
        down = browser.submit(picker, "Link repository", {"repo_id": str(repo_id)})
        start = browser.post("/accounts/discord/login/", {"csrfmiddlewaretoken": csrf_token(browser.get("/"))})
        ready = browser.get("/readyz")

    assert down.status_code == 503 and int(down.headers["Retry-After"]) > 0 and "Try again" in down.text
    assert not Link.objects.exists() and not providers.tokens[token].revoked
    assert start.status_code == 503 and not start.history  # not redirected to Discord
    assert ready.status_code == 503 and ready.json()["failed"] == ["cache"]
    again = browser.get("/repositories/")
    assert again.status_code == 200
    saved = browser.submit(again, "Link repository", {"repo_id": str(repo_id)})
    assert saved.url.endswith("/dashboard/")
    assert list(Link.objects.values_list("repo_id", flat=True)) == [repo_id]
    assert providers.tokens[token].revoked


@pytest.mark.parametrize("limited", [True, False], ids=["rate-limited", "not-rate-limited"])
@pytest.mark.parametrize("fault", ["full", "replica"])
@pytest.mark.parametrize(("step", "name"), [("discord", "Discord"), ("github", "GitHub")])
def test_a_redis_that_refuses_writes_at_a_callback_spends_no_code(
    browser, providers, redis_proxy, private_redis, settings, fault, step, name, limited
):
    """The person comes back from the provider to a Redis that refuses writes: a 503, and no grant made. Two
    writes come before the code is exchanged, and each alone stops the callback: the rate limit's count, and
    allauth storing the sign-in state as used (it is single use)."""
    settings.RATELIMIT_ENABLE = limited
    page = browser.get("/")
    if step == "github":
        page = sign_in_with_discord(browser)
    authorize = browser.submit(page, f"Connect with {name}")
    with private_redis.refusing_writes(fault):
        down = browser.submit(authorize, "Authorize")

    assert down.status_code == 503 and int(down.headers["Retry-After"]) > 0 and "Try again" in down.text
    assert not providers.calls_to(f"{step}.token")
    assert not SocialAccount.objects.filter(provider=step).exists()


def test_signing_out_on_a_redis_that_refuses_writes_revokes_the_token_and_claims_nothing(
    browser, providers, redis_proxy, private_redis
):
    """A replica after a failover reads but refuses every write, a deletion too, so the session cannot be ended:
    a 503. The wizard's GitHub token, which could be read, is revoked at GitHub all the same, and no page
    afterwards says that the person signed out."""
    walk_to_picker(browser)
    token = github_token_of(browser)
    confirm = browser.get("/accounts/logout/")
    with private_redis.refusing_writes("replica"):
        down = browser.submit(confirm, "Sign out")

    assert down.status_code == 503 and "Try again" in down.text
    assert providers.tokens[token].revoked
    after = browser.get("/dashboard/")
    assert after.status_code == 200 and "signed out" not in after.text.lower()


@pytest.mark.parametrize("fault", ["redis-replica", "read-only-postgres"])
def test_disconnecting_github_that_fails_claims_nothing(browser, providers, redis_proxy, private_redis, fault):
    """allauth says "GitHub account disconnected." before it deletes the account: where the deletion fails
    (a database that only reads) that is untrue, and the 503 page must not leave it for the next page. Where
    Redis only reads the account does go, and the wizard's token for it, read, is revoked at GitHub."""
    walk_to_picker(browser)
    token = github_token_of(browser)
    connections = browser.get("/accounts/3rdparty/")
    github = SocialAccount.objects.get(provider="github")
    form = {"csrfmiddlewaretoken": csrf_token(connections), "account": github.pk}
    if fault == "redis-replica":
        with private_redis.refusing_writes("replica"):
            answer = browser.post("/accounts/3rdparty/", data=form)
        assert not SocialAccount.objects.filter(pk=github.pk).exists()
        assert providers.tokens[token].revoked
    else:
        with read_only_database():
            answer = browser.post("/accounts/3rdparty/", data=form)
        assert answer.status_code == 503
        assert SocialAccount.objects.filter(pk=github.pk).exists() and not providers.tokens[token].revoked
        after = browser.get("/accounts/3rdparty/")
        assert "disconnected" not in after.text and "Disconnect</button>" in after.text


@pytest.mark.parametrize("mode", ["refuse", "hang"])
def test_postgres_down_when_link_repository_is_pressed(browser, providers, redis_proxy, postgres_proxy, mode):
    """Refused, or accepting and never answering (each request connects anew here, CONN_MAX_AGE=0):
    the request's first query fails, a 503 within the connect timeout, never a redirect, and nothing
    the person did is lost. (A commit that fails after the row is written: further below.)"""
    picker = walk_to_picker(browser)
    _, repo_id = first_linkable_repo(picker)
    postgres_proxy.set_mode(mode)

    started = time.monotonic()
    down = browser.submit(picker, "Link repository", {"repo_id": str(repo_id)})
    elapsed = time.monotonic() - started

    assert down.status_code == 503 and not down.history  # answered where it was asked, not redirected
    assert int(down.headers["Retry-After"]) > 0
    assert "Try again" in down.text and "Traceback" not in down.text
    assert elapsed < 1.5 * POSTGRES_CONNECT_TIMEOUT  # one connect timeout, not two
    store = wizard_of(browser)
    assert store.github_token() and store.get(CHOICE) == repo_id

    postgres_proxy.set_mode("pass")
    retry = browser.get(down.url)  # "Try again": the picker, with the choice kept
    assert f'value="{repo_id}" id="repo-{repo_id}" required checked' in retry.text
    saved = browser.submit(retry, "Link repository")
    assert saved.url.endswith("/dashboard/")
    assert Link.objects.count() == 1


def cut_just_before_the_commit(proxy, monkeypatch) -> None:
    """The final save's last write (its audit row) goes through, then the proxy cuts the service:
    the commit comes next, inside the same transaction."""
    cut_after(proxy, monkeypatch, LinkEvent, "record")


def test_redis_failing_right_after_the_final_save_still_ends_the_wizard(browser, providers, redis_proxy, monkeypatch):
    """Redis goes down between the commit and the clean-up: the saved link is not reported as a
    failure, and the token is revoked at GitHub although Redis cannot be cleared."""
    picker = walk_to_picker(browser)
    _, repo_id = first_linkable_repo(picker)
    token = github_token_of(browser)
    cut_just_before_the_commit(redis_proxy, monkeypatch)
    saved = browser.submit(picker, "Link repository", {"repo_id": str(repo_id)})

    assert saved.history and saved.history[0].status_code == 302
    assert saved.history[0].headers["Location"] == "/dashboard/"
    assert Link.objects.count() == 1
    assert providers.tokens[token].revoked
    redis_proxy.set_mode("pass")
    dashboard = browser.get("/dashboard/")
    assert dashboard.status_code == 200 and 'class="links"' in dashboard.text


def test_try_again_after_postgres_failed_returns_to_the_same_picker_page(browser, providers, postgres_proxy):
    page2 = browser.get(walk_to_picker(browser).url + "?page=2")
    _, repo_id = first_linkable_repo(page2)
    postgres_proxy.set_mode("refuse")
    down = browser.submit(page2, "Link repository", {"repo_id": str(repo_id)})
    postgres_proxy.set_mode("pass")

    assert down.status_code == 503 and quoted_reference(down) == down.headers["X-Request-ID"]
    retry = retry_url(down)
    assert retry == "/repositories/?page=2"
    again = browser.get(retry)
    assert f'value="{repo_id}" id="repo-{repo_id}" required checked' in again.text


def revoke_at_github(providers, token: str) -> None:
    """What the person does on GitHub's settings page: the app is not told."""
    requests.delete(
        f"{providers.github_api_url}/applications/{providers.client_id}/token",
        json={"access_token": token},
        auth=(providers.client_id, providers.client_secret),
        timeout=5,
    )


@pytest.mark.parametrize("button", ["Refresh list", "Link repository"])
def test_github_token_revoked_meanwhile(browser, providers, button):
    picker = walk_to_picker(browser)
    _, repo_id = first_linkable_repo(picker)
    revoke_at_github(providers, github_token_of(browser))
    page = browser.submit(picker, button, {"repo_id": str(repo_id)})

    assert page.status_code == 403  # GitHub refused the grant: no WWW-Authenticate of ours to name
    assert "connect with GitHub again" in page.text and 'href="/github/">Try again' in page.text
    assert page.url.endswith("/repositories/")
    assert not Link.objects.exists()
    # "Try again": still signed in with Discord, at the GitHub step, the dead token forgotten.
    again = browser.follow(page, "Try again")
    assert again.status_code == 200 and "Connect with GitHub" in again.text
    assert wizard_of(browser).github_token() is None


def test_repository_page_timeout(browser, providers, settings):
    settings.GITHUB_SCOPES = ["read:user", "repo"]
    providers.repo_counts["octocat"] = 250
    providers.faults["github.repos"] = Fault(delay=settings.PROVIDER_TIMEOUT + 5, pages={3}, times=1)
    authorize = browser.submit(sign_in_with_discord(browser), "Connect with GitHub")
    page = browser.submit(authorize, "Authorize")  # GitHub's redirect back: the callback walks the pages

    assert page.status_code == 504
    assert "Try again" in page.text
    assert app_seconds(page) < settings.PROVIDER_TIMEOUT + 1
    retry = browser.get("/repositories/")  # the session was kept: "Try again" lists them all
    assert retry.status_code == 200 and "250 of 250" in retry.text


def test_two_tabs_submitting_at_once_save_one_row(browser, providers, monkeypatch):
    picker = walk_to_picker(browser)
    _, repo_id = first_linkable_repo(picker)
    results = []
    # Both presses have re-checked the repository before either saves: they provably overlap.
    both_checked = threading.Barrier(2, timeout=10)
    get_repository = GitHubClient.get_repository

    def get_repository_then_wait(self, repo_id):
        repo = get_repository(self, repo_id)
        both_checked.wait()
        return repo

    monkeypatch.setattr(GitHubClient, "get_repository", get_repository_then_wait)

    def submit(tab):
        results.append(tab.submit(picker, "Link repository", {"repo_id": str(repo_id)}))

    tabs = [threading.Thread(target=submit, args=(tab,)) for tab in (browser, browser.new_tab())]
    for tab in tabs:
        tab.start()
    for tab in tabs:
        tab.join()

    assert [r.url.endswith("/dashboard/") for r in results] == [True, True]
    assert Link.objects.count() == 1
    # The second save found the first one's row (after waiting on its unique index) and refreshed it.
    assert sorted(LinkEvent.objects.values_list("action", flat=True)) == ["created", "relinked"]


def saved_first_by(owner):
    """SocialLogin.connect, with another tab (of `owner(user)`) saving the same account just before."""
    connect = SocialLogin.connect

    def the_other_tab_first(sociallogin, request, user):
        SocialAccount.objects.create(
            user=owner(user), provider="github", uid=sociallogin.account.uid, extra_data=sociallogin.account.extra_data
        )
        connect(sociallogin, request, user)

    return the_other_tab_first


def test_two_tabs_connecting_the_same_github_account_at_once(browser, providers, monkeypatch):
    """The other tab saved the GitHub account after this one checked for it and before it saved it."""
    monkeypatch.setattr(SocialLogin, "connect", saved_first_by(lambda user: user))
    page = connect_github(browser, sign_in_with_discord(browser))

    assert page.status_code == 409
    assert "just connected in another tab" in page.text
    assert 'href="/repositories/">Try again</a>' in page.text
    assert SocialAccount.objects.filter(provider="github").count() == 1
    picker = browser.get("/repositories/")  # the connection stands, with this tab's token
    assert picker.status_code == 200 and "120 of 120" in picker.text


def test_another_discord_user_connecting_the_same_github_account_at_once(
    browser, providers, monkeypatch, django_user_model, caplog
):
    """Refused with a "Try again" (which moves the account here), and this grant revoked and forgotten."""
    monkeypatch.setattr(
        SocialLogin, "connect", saved_first_by(lambda user: django_user_model.objects.create(username="b"))
    )
    earlier = providers.token_names()
    caplog.set_level(logging.INFO, logger="linkapp.wizard")
    page = connect_github(browser, sign_in_with_discord(browser))

    assert page.status_code == 409 and "Another Discord user connected this GitHub account" in page.text
    assert 'href="/github/">Try again</a>' in page.text
    (granted,) = providers.tokens_since(earlier, "github").values()
    assert granted.revoked
    assert not cache.keys("wizard:*:token:github") and not cache.keys("wizard:*:repos")
    discord_id = SocialAccount.objects.get(provider="discord").uid
    assert f"step=refused reason=github_connected_meanwhile discord_id={discord_id}" in caplog.messages


def test_any_other_failure_to_save_an_account_stays_a_500(browser, providers, monkeypatch):
    """Only the race is a 409: a constraint failing for any other reason is a bug, shown as one."""

    def broken(*args, **kwargs):
        raise IntegrityError("some other constraint")

    step2 = sign_in_with_discord(browser)
    monkeypatch.setattr(SocialLogin, "connect", broken)
    assert connect_github(browser, step2).status_code == 500
    monkeypatch.setattr(SocialLogin, "save", broken)
    assert sign_in_with_discord(browser, "ada").status_code == 500  # a new Discord user's sign-up


def test_two_tabs_signing_up_the_same_discord_account_at_once(browser, providers, monkeypatch, django_user_model):
    """The other tab signed the same new Discord account up while this one was saving it."""
    save = SocialLogin.save

    def the_other_tab_first(sociallogin, request, connect=False):
        def other_tab():  # on a connection of its own, committed at once
            other = django_user_model.objects.create(username="other-tab")
            SocialAccount.objects.create(user=other, provider="discord", uid=sociallogin.account.uid, extra_data={})
            connection.close()

        tab = threading.Thread(target=other_tab)
        tab.start()
        tab.join()
        save(sociallogin, request, connect)

    monkeypatch.setattr(SocialLogin, "save", the_other_tab_first)
    page = sign_in_with_discord(browser)

    assert page.status_code == 409 and 'href="/">Try again</a>' in page.text  # this tab is not signed in
    assert list(django_user_model.objects.values_list("username", flat=True)) == ["other-tab"]  # none half-made
    monkeypatch.undo()
    assert "Connect with GitHub" in sign_in_with_discord(browser).text  # "Try again" signs in to that account


def test_a_second_press_that_finds_the_token_revoked_by_the_first_shows_the_link(browser, providers, monkeypatch):
    """The second press read the token, and the first press saved the link, cleared the wizard and revoked
    the token before the second one's re-check reached GitHub: GitHub's 401 is the first press's doing,
    not a broken connection."""
    picker = walk_to_picker(browser)
    _, repo_id = first_linkable_repo(picker)
    token = github_token_of(browser)
    first = []
    get_repository = GitHubClient.get_repository

    def first_press_lands_meanwhile(self, repo_id):
        if not first:  # the second press, token in hand: the first press runs to its end, from another tab
            first.append(None)
            first[0] = browser.new_tab().submit(picker, "Link repository", {"repo_id": str(repo_id)})
        return get_repository(self, repo_id)

    monkeypatch.setattr(GitHubClient, "get_repository", first_press_lands_meanwhile)
    before = len(providers.calls)

    second = browser.submit(picker, "Link repository", {"repo_id": str(repo_id)})

    assert first[0].url.endswith("/dashboard/") and providers.tokens[token].revoked
    assert second.url.endswith("/dashboard/"), (second.status_code, second.text[:300])
    rechecks = [call for call in providers.calls[before:] if call.endpoint == "github.repository"]
    assert len(rechecks) == 2  # the first press's, then the second's, which GitHub refused
    assert all(call.headers["Authorization"].endswith(token) for call in rechecks)
    assert Link.objects.count() == 1
    assert list(LinkEvent.objects.values_list("action", flat=True)) == ["created"]  # the second was refused


@pytest.mark.parametrize("stored_by", ["this release", "an earlier release"])
def test_a_second_press_after_the_first_could_not_clear_the_wizard_shows_the_link(browser, providers, stored_by):
    """Redis failed as the first press cleared the wizard: its token, revoked all the same, is still stored.
    (An earlier release stored no grant time: a link made within WIZARD_TTL counts.)"""
    picker = walk_to_picker(browser)
    _, repo_id = first_linkable_repo(picker)
    store = wizard_of(browser)
    token, repositories = store.github_token(), store.get(REPO_LIST)
    if stored_by == "an earlier release":
        del token["granted_at"]
        store.set(GITHUB_TOKEN, token)
    first = browser.submit(picker, "Link repository", {"repo_id": str(repo_id)})
    assert first.url.endswith("/dashboard/") and providers.tokens[token["access_token"]].revoked
    store.set(GITHUB_TOKEN, token)  # what the failed clear left behind
    store.set(REPO_LIST, repositories)
    before = len(providers.calls)

    second = browser.submit(picker, "Link repository", {"repo_id": str(repo_id)})

    assert second.url.endswith("/dashboard/"), (second.status_code, second.text[:300])
    # GitHub's 401 came from the final re-check itself, not from fetching the list again.
    assert [call.endpoint for call in providers.calls[before:] if call.endpoint.startswith("github.")] == [
        "github.repository"
    ]
    assert list(LinkEvent.objects.values_list("action", flat=True)) == ["created"]


def test_linking_an_already_linked_repository_with_a_token_revoked_at_github_asks_to_connect_again(browser, providers):
    """The repository was linked in an earlier wizard; this wizard's token the person has since revoked on
    GitHub's settings page. Their press is no second press of a saved link: they connect again."""
    picker = walk_to_picker(browser)
    _, repo_id = first_linkable_repo(picker)
    browser.submit(picker, "Link repository", {"repo_id": str(repo_id)})
    picker = connect_github(browser, browser.get("/github/"))  # "Link another repository"
    revoke_at_github(providers, github_token_of(browser))

    page = browser.submit(picker, "Link repository", {"repo_id": str(repo_id)})

    assert page.status_code == 403, page.url
    assert "connect with GitHub again" in page.text and 'href="/github/">Try again' in page.text
    assert wizard_of(browser).github_token() is None  # the dead token forgotten
    assert list(LinkEvent.objects.values_list("action", flat=True)) == ["created"]


def test_an_instance_dying_before_it_saves_the_session_leaves_no_token_behind(browser, providers):
    """An instance killed after storing the GitHub token but before saving the session: the
    wizard id was saved at the Discord sign-in, so the token sits where the next connect
    replaces (and revokes) it, and the saved link clears it."""
    step2 = sign_in_with_discord(browser)
    session = SessionStore(browser.session.cookies.get("sessionid"))
    WizardStore(session).save_github_token("gho_from_a_dead_instance", "read:user", "1")  # never session.save()

    picker = connect_github(browser, step2)
    _, repo_id = first_linkable_repo(picker)
    browser.submit(picker, "Link repository", {"repo_id": str(repo_id)})

    assert Link.objects.count() == 1
    assert not cache.keys("wizard:*")
    assert providers.calls_to("github.revoke")[0].form["access_token"] == "gho_from_a_dead_instance"


@pytest.mark.parametrize("at", ["the save", "the commit"])
def test_postgres_failing_in_the_final_save_keeps_the_tokens(browser, providers, postgres_proxy, monkeypatch, at):
    """Postgres goes once GitHub has re-checked the repository (the save's first statement fails), or once
    the row is written (its commit fails): nothing is saved, the token is neither revoked nor forgotten
    (it is cleared only after the commit), and "Link repository" again saves one row."""
    picker = walk_to_picker(browser)
    _, repo_id = first_linkable_repo(picker)
    store = wizard_of(browser)
    token = store.github_token()["access_token"]
    if at == "the save":
        cut_after(postgres_proxy, monkeypatch, GitHubClient, "get_repository")
    else:
        cut_just_before_the_commit(postgres_proxy, monkeypatch)
    down = browser.submit(picker, "Link repository", {"repo_id": str(repo_id)})
    monkeypatch.undo()
    postgres_proxy.set_mode("pass")

    assert down.status_code == 503 and not down.history
    assert not Link.objects.exists()
    assert not providers.tokens[token].revoked
    assert providers.calls_to("github.repository")  # GitHub's re-check came before the failure
    assert store.github_token()["access_token"] == token and store.get(CHOICE) == repo_id
    retry = browser.get(retry_url(down))
    saved = browser.submit(retry, "Link repository")
    assert saved.url.endswith("/dashboard/")
    assert list(Link.objects.values_list("repo_id", flat=True)) == [repo_id]
    assert providers.tokens[token].revoked


def test_a_database_that_only_reads_at_the_final_save_is_the_503_page(browser, providers):
    """A standby during a failover, or a server its host made read-only: Postgres answers, but refuses the write.
    That is the database being unavailable, as much as one that is down: 503, "Try again" on the picker,
    the token kept, and once it takes writes again "Link repository" saves one row."""
    picker = walk_to_picker(browser)
    _, repo_id = first_linkable_repo(picker)
    store = wizard_of(browser)
    token = store.github_token()["access_token"]
    with read_only_database():
        down = browser.submit(picker, "Link repository", {"repo_id": str(repo_id)})

    assert down.status_code == 503 and down.headers["Retry-After"] and "Nothing you did was lost" in down.text
    assert retry_url(down) == "/repositories/"
    assert not Link.objects.exists() and not providers.tokens[token].revoked
    saved = browser.submit(browser.get(retry_url(down)), "Link repository")
    assert saved.url.endswith("/dashboard/")
    assert list(Link.objects.values_list("repo_id", flat=True)) == [repo_id]


def test_a_table_locked_at_the_final_save_is_a_503_not_a_hang(browser, providers):
    """Another session holds the links table locked: Postgres would keep the save waiting, and a worker's
    thread with it, for as long as the lock lasts. Its lock_timeout ends the wait as the 503 page, the token
    kept, and once the lock is gone "Link repository" saves one row."""
    picker = walk_to_picker(browser)
    _, repo_id = first_linkable_repo(picker)
    token = github_token_of(browser)
    with connection.cursor() as cursor:  # what the app's connections are given too (DATABASE_LOCK_TIMEOUT)
        cursor.execute("SELECT extract(epoch FROM current_setting('lock_timeout')::interval)")
        lock_timeout = float(cursor.fetchone()[0])
    with locked(Link._meta.db_table):
        down = browser.submit(picker, "Link repository", {"repo_id": str(repo_id)})

    assert down.status_code == 503 and down.headers["Retry-After"] and "Nothing you did was lost" in down.text
    assert lock_timeout <= app_seconds(down) < 2 * lock_timeout  # it waited for the lock once, and no longer
    assert retry_url(down) == "/repositories/"
    assert not Link.objects.exists() and not providers.tokens[token].revoked
    saved = browser.submit(browser.get(retry_url(down)), "Link repository")
    assert saved.url.endswith("/dashboard/")
    assert list(Link.objects.values_list("repo_id", flat=True)) == [repo_id]


@pytest.mark.parametrize("fault", ["refuse", "read-only"])
@pytest.mark.parametrize(("step", "name", "login"), [("discord", "Discord", "nelly"), ("github", "GitHub", "octocat")])
def test_postgres_down_at_a_callback_is_a_503_not_a_redirect(
    browser, providers, postgres_proxy, step, name, login, fault
):
    """A callback that cannot reach the database, or whose database only reads, answers with an error page,
    never with the redirect onwards that a success gives, and its "Try again" starts that step again. The
    token just granted is revoked, unless the wizard holds it already (GitHub's, when only allauth's write of
    the account failed): the next connect or the saved link revokes it there."""
    page = browser.get("/")
    if step == "github":
        page = sign_in_with_discord(browser)
    authorize = browser.submit(page, f"Connect with {name}")
    earlier = providers.token_names()
    if fault == "refuse":
        postgres_proxy.set_mode("refuse")
        down = browser.submit(authorize, "Authorize", {"login": login})
        postgres_proxy.set_mode("pass")
    else:
        with read_only_database():
            down = browser.submit(authorize, "Authorize", {"login": login})

    assert down.url.split("?")[0].endswith(f"/accounts/{step}/login/callback/")  # the callback did not redirect
    assert down.status_code == 503
    assert down.headers["Retry-After"] and "Nothing you did was lost" in down.text
    ((token, granted),) = providers.tokens_since(earlier).items()
    held = step == "github" and (wizard_of(browser).github_token() or {}).get("access_token") == token
    assert granted.provider == step and granted.revoked != held
    assert held == (fault == "read-only" and step == "github")
    retry = browser.get(retry_url(down))
    assert retry.status_code == 200 and f"Connect with {name}" in retry.text


@pytest.mark.parametrize("mode", ["refuse", "hang"])
def test_health_reports_postgres_down(client, postgres_proxy, mode):
    """What a load balancer reads to take an instance out of rotation, and back in; a Postgres that
    accepts and never answers costs the check its connect timeout, not a hung worker."""
    postgres_proxy.set_mode(mode)
    connect_timeout = float(django_settings.DATABASES["default"]["OPTIONS"]["connect_timeout"])
    for path in ("/healthz", "/readyz"):
        started = time.monotonic()
        response = client.get(path)
        assert time.monotonic() - started < 1.5 * connect_timeout  # one connect timeout, not two
        assert response.status_code == 503
        assert response.json() == {"status": "unavailable", "failed": ["database"]}
    postgres_proxy.set_mode("pass")
    assert client.get("/readyz").json() == {"status": "ok"}
