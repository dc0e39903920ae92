"""The whole wizard over real HTTP: app in live_server, demo providers on a thread, Postgres, Redis."""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from allauth.socialaccount.internal.statekit import STATE_TTL, STATES_SESSION_KEY
from allauth.socialaccount.models import SocialAccount
from django.conf import settings as django_settings
from django.contrib.auth.models import User
from django.contrib.sessions.backends.cache import SessionStore
from django.core.cache import cache

from accounts.wizard_store import WizardStore
from demo import examples
from demo.providers import Fault
from linkapp.failures import in_words
from linkapp.providers import LARGEST_ANSWER, ProviderRateLimited
from repos.github_api import GitHubClient
from repos.models import Link, LinkEvent
from repos.repo_store import load, save_failure
from tests.wizard import (
    all_repo_ids,
    app_seconds,
    connect_github,
    csrf_token,
    disabled_ids,
    first_linkable_repo,
    github_token_of,
    linkable_ids,
    quoted_reference,
    repo_ids,
    retry_url,
    sign_in_with_discord,
    walk_to_picker,
    wizard_of,
)

pytestmark = pytest.mark.django_db(transaction=True)


def test_whole_wizard_with_250_repositories(browser, providers, settings):
    settings.GITHUB_SCOPES = ["read:user", "repo"]  # private ones too: all 250 are listed
    settings.GITHUB_MAX_CONCURRENCY = 8
    providers.repo_counts["octocat"] = 250
    issued_before = providers.token_names()
    picker = walk_to_picker(browser)

    # Three pages of 100, each asked for once, in the first wave beside GET /user; pages 4..7 of that
    # wave come back empty (or are never sent, when the walk ends before their thread starts).
    pages = sorted(int(c.query["page"]) for c in providers.calls_to("github.repos"))
    assert pages[:3] == [1, 2, 3] and pages == sorted(set(pages)) and pages[-1] <= 7
    assert len(repo_ids(picker)) == 50  # the first page
    assert len(all_repo_ids(browser, picker)) == 250
    name, repo_id = first_linkable_repo(picker)

    dashboard = browser.submit(picker, "Link repository", {"repo_id": str(repo_id)})

    assert dashboard.url.endswith("/dashboard/")
    assert name in dashboard.text
    assert "Signed in with Discord as <strong><bdi>Nelly</bdi></strong> (@<bdi>nelly</bdi>)." in dashboard.text
    assert f"{name} is now linked to your Discord account." in dashboard.text
    link = Link.objects.get()
    assert (link.repo_id, link.repo_full_name, link.github_login) == (repo_id, name, "octocat")
    assert link.discord_username == "nelly"  # the Discord username; "Nelly" is only the display name
    # Every temporary item is gone from Redis, and both tokens were revoked at their providers.
    assert not [k for k in cache.keys("wizard:*")]
    issued = providers.tokens_since(issued_before)
    assert sorted(info.provider for info in issued.values()) == ["discord", "github"]
    assert all(info.revoked for info in issued.values())
    assert len(providers.calls_to("github.repository")) == 1  # the re-check before saving


def test_each_step_is_logged_at_info_with_whose_wizard_it_is(browser, providers, caplog):
    """The operator's trail of a wizard (LOG_LEVEL=INFO): who signed in, connected, and how many repositories came."""
    caplog.set_level(logging.INFO, logger="linkapp.wizard")
    walk_to_picker(browser)

    discord_id = SocialAccount.objects.get(provider="discord").uid
    count = len(load(wizard_of(browser)))
    assert count > 1
    assert f"step=connected provider=discord discord_id={discord_id}" in caplog.messages
    assert f"step=connected provider=github discord_id={discord_id}" in caplog.messages
    assert f"step=repos_fetched discord_id={discord_id} count={count}" in caplog.messages


def test_identities_come_from_the_server_not_the_form(browser, providers):
    picker = walk_to_picker(browser)
    _, repo_id = first_linkable_repo(picker)

    browser.submit(picker, "Link repository", {"repo_id": str(repo_id), "discord_id": "1", "github_id": "2"})

    link = Link.objects.get()
    discord = SocialAccount.objects.get(provider="discord")  # what Discord's profile answer said
    github = SocialAccount.objects.get(provider="github")
    assert (link.discord_id, link.github_id) == (discord.uid, int(github.uid))
    assert link.discord_id != "1" and link.github_id != 2


@pytest.mark.parametrize("step", ["discord", "github"])
def test_consent_denied(browser, providers, step):
    if step == "discord":
        authorize = browser.submit(browser.get("/"), "Connect with Discord")
    else:
        authorize = browser.submit(sign_in_with_discord(browser), "Connect with GitHub")
    page = browser.submit(authorize, "Cancel")

    name, retry = {"discord": ("Discord", "/"), "github": ("GitHub", "/github/")}[step]
    assert page.status_code == 403
    assert f"You chose not to allow access at {name}, so nothing was linked." in page.text
    assert f'href="{retry}">Try again' in page.text
    assert quoted_reference(page) is None  # the person's own choice: nothing for support to look up
    assert not providers.calls_to(f"{step}.token")
    assert not Link.objects.exists()
    if step == "github":  # the Discord sign-in made before is kept
        assert browser.get("/github/").status_code == 200


def test_discord_consent_denied_over_a_wizard_begun_offers_the_discord_sign_in_again(browser, providers):
    """At a shared computer the next person presses "Connect with Discord" over the first one's wizard, then
    cancels: "Try again" signs in with Discord; it does not open the first person's picker."""
    walk_to_picker(browser)
    authorize = browser.submit(browser.get("/"), "Connect with Discord")

    page = browser.submit(authorize, "Cancel")

    assert page.status_code == 403 and "You chose not to allow access at Discord" in page.text
    assert retry_url(page) == "/"


@pytest.mark.parametrize(
    ("error", "status", "says"),
    [
        ({}, 400, "The address that brought you back from Discord was incomplete"),  # cut short: the person's
        ({"error": "server_error"}, 502, "Discord reported an error during the sign-in."),  # the provider's
    ],
)
def test_a_callback_with_neither_code_nor_a_cancel(browser, providers, error, status, says):
    authorize = browser.submit(browser.get("/"), "Connect with Discord")
    state = parse_qs(urlsplit(authorize.url).query)["state"][0]
    page = browser.get("/accounts/discord/login/callback/", params={"state": state, **error})

    assert page.status_code == status
    assert says in page.text and 'href="/">Try again' in page.text
    assert not providers.calls_to("discord.token")


def test_forged_state_is_refused(browser, providers):
    browser.submit(browser.get("/"), "Connect with Discord")  # a real state exists in the session
    page = browser.get("/accounts/discord/login/callback/", params={"code": "x", "state": "forged"})

    assert page.status_code == 400
    assert "Try again" in page.text
    assert not providers.calls_to("discord.token")


def test_missing_state_is_refused(browser, providers):
    page = browser.get("/accounts/discord/login/callback/", params={"code": "x"})
    assert page.status_code == 400
    assert not providers.calls_to("discord.token")


def test_messages_say_what_happened_in_plain_words(browser, providers):
    step2 = sign_in_with_discord(browser)
    picker = connect_github(browser, step2)

    assert "Signed in with Discord." in step2.text
    assert "GitHub account octocat connected." in picker.text
    assert "third-party" not in picker.text


def test_a_replayed_callback_is_refused(browser, providers):
    step2 = sign_in_with_discord(browser)
    callback = next(r for r in browser.responses if "/login/callback/" in r.url)
    browser.post("/accounts/logout/", {"csrfmiddlewaretoken": csrf_token(step2)})
    replay = browser.get(callback.url)

    assert step2.status_code == 200
    assert replay.status_code == 400 and "Try again" in replay.text
    assert len(providers.calls_to("discord.token")) == 1


def test_allauths_continue_page_for_github_connects(browser, providers):
    """A GET of the login address (a link, a reload) shows allauth's "Continue" page: it must post GitHub's own
    process, or "Continue" ends on "That sign-in request is not valid."."""
    step2 = sign_in_with_discord(browser)
    page = browser.get("/accounts/github/login/")
    assert page.status_code == 200 and "to connect your account" in page.text
    authorize = browser.submit(page, "Continue")

    assert step2.status_code == 200 and authorize.status_code == 200
    assert providers.calls_to("github.authorize")


@pytest.mark.parametrize("provider", ["discord", "github"])
def test_back_to_the_consent_page_and_authorize_again_goes_on(browser, providers, provider, caplog):
    """The browser's Back button from the next step to the provider's consent page, and Authorize again (GitHub
    even redirects at once for a grant it already gave): the callback's state was used, but this step is done."""
    picker = walk_to_picker(browser)
    callback = next(r for r in browser.responses if f"/accounts/{provider}/login/callback/" in r.url)
    caplog.set_level(logging.INFO, logger="linkapp")
    caplog.clear()
    again = browser.get(callback.url)

    assert picker.status_code == 200 and again.status_code == 200
    if provider == "discord":
        assert again.url.endswith("/github/") and "You are already signed in with Discord." in again.text
    else:
        assert again.url.endswith("/repositories/") and "Your GitHub account is still connected." in again.text
    assert len(providers.calls_to(f"{provider}.token")) == 1  # the code in the replayed address is not used
    discord_id = SocialAccount.objects.get(provider="discord").uid
    steps = [record.getMessage() for record in caplog.records if record.getMessage().startswith("step=")]
    assert steps == [f"step=already_done provider={provider} discord_id={discord_id}"]  # not logged as a failure


def test_back_to_githubs_consent_page_after_linking_is_the_dashboard(browser, providers, caplog):
    """Back from the dashboard passes the picker (now the dashboard) and reaches GitHub's consent page; GitHub
    sends the person back with the same state. The grant ended with the link: the dashboard, not a failure."""
    picker = walk_to_picker(browser)
    callback = next(r for r in browser.responses if "/accounts/github/login/callback/" in r.url)
    browser.submit(picker, "Link repository", {"repo_id": str(first_linkable_repo(picker)[1])})
    caplog.set_level(logging.INFO, logger="linkapp")
    caplog.clear()
    again = browser.get(callback.url)

    assert again.status_code == 200 and again.url.endswith("/dashboard/")
    assert "Your GitHub connection ended when your link was saved." in again.text
    assert len(providers.calls_to("github.token")) == 1 and Link.objects.count() == 1
    assert [r.getMessage() for r in caplog.records if r.getMessage().startswith("step=")] == [
        f"step=already_done provider=github discord_id={Link.objects.get().discord_id}"
    ]


def test_back_to_githubs_consent_page_after_the_grant_expired_asks_to_connect_again(browser, providers):
    walk_to_picker(browser)
    callback = next(r for r in browser.responses if "/accounts/github/login/callback/" in r.url)
    store = wizard_of(browser)
    store.forget_github_token(github_token_of(browser))  # as WIZARD_TTL unused would
    again = browser.get(callback.url)

    assert again.status_code == 409 and "Connect with GitHub first" in again.text
    assert retry_url(again) == "/github/"
    assert len(providers.calls_to("github.token")) == 1


def test_back_to_the_github_step_offers_the_connection_still_made(browser, providers):
    """The Back button from the picker: continuing asks GitHub nothing; only a connection made is offered."""
    first = sign_in_with_discord(browser)
    picker = connect_github(browser, first)
    step = browser.get("/github/")
    asked = len(providers.calls)
    again = browser.follow(step, "continue to your repositories")

    assert "still connected" not in first.text
    assert step.status_code == 200 and "Your GitHub account <bdi>octocat</bdi> is still connected" in step.text
    assert again.url.endswith("/repositories/") and repo_ids(again) == repo_ids(picker)
    assert len(providers.calls) == asked
    browser.submit(again, "Link repository", {"repo_id": str(first_linkable_repo(again)[1])})
    assert "still connected" not in browser.get("/github/").text  # the link ended the connection


def test_an_attempt_that_expired_is_not_taken_for_a_step_done(browser, providers):
    """Another GitHub account asked for, and back only after allauth's 10 minutes: that attempt expired; the
    connection made before is not what the person asked for."""
    authorize = browser.submit(walk_to_picker(browser), "Use another GitHub account")
    session = SessionStore(browser.session.cookies.get("sessionid"))
    ((state_id, (state, stashed_at, provider)),) = session[STATES_SESSION_KEY].items()
    session[STATES_SESSION_KEY] = {state_id: (state, stashed_at - STATE_TTL - 1, provider)}
    session.save()
    page = browser.submit(authorize, "Authorize")

    assert page.status_code == 400 and "Connection expired" in page.text
    assert len(providers.calls_to("github.token")) == 1


def test_repository_not_in_the_list_is_refused(browser, providers):
    picker = walk_to_picker(browser)
    page = browser.submit(picker, "Link repository", {"repo_id": "999999999"})

    assert page.status_code == 400
    assert "not in your list" in page.text
    assert re.search(r'role="alert">.*<a href="/repositories/">Try again</a>', page.text, re.S)
    assert not providers.calls_to("github.repository")
    assert not Link.objects.exists()


def test_a_refused_choice_is_explained_even_when_the_search_matches_nothing(browser, providers):
    picker = walk_to_picker(browser)
    page = browser.post(
        "/repositories/?q=no-such-repository", {"repo_id": "999999999", "csrfmiddlewaretoken": csrf_token(picker)}
    )

    assert page.status_code == 400
    assert "No repository matches your search" in page.text
    assert "not in your list" in page.text
    assert re.search(r'role="alert">.*<a href="/repositories/\?q=no-such-repository">Try again</a>', page.text, re.S)
    assert not Link.objects.exists()


def test_repository_below_min_permission_is_refused(browser, providers):
    picker = walk_to_picker(browser)
    disabled = disabled_ids(picker)
    assert disabled, "the demo user has some pull-only repositories"
    name = next(name for name, repo_id in repo_ids(picker).items() if repo_id == disabled[0])
    page = browser.submit(picker, "Link repository", {"repo_id": str(disabled[0])})

    assert page.status_code == 400
    refusal = f"You need at least write access to {name} to link it."
    assert re.search(rf'role="alert">.*{re.escape(refusal)}.*>Try again</a>', page.text, re.S)
    assert not Link.objects.exists()


def test_a_repository_whose_permission_github_lowered_meanwhile_is_refused(browser, providers):
    """The picker's list may be minutes old: the re-check at the save asks GitHub again."""
    picker = walk_to_picker(browser)
    name, repo_id = first_linkable_repo(picker)
    token = wizard_of(browser).github_token()
    now = GitHubClient(token["access_token"]).get_repository(repo_id)
    now["permissions"] = {"admin": False, "maintain": False, "push": False, "triage": True, "pull": True}
    providers.faults["github.repository"] = Fault(
        status=200, body=json.dumps(now), headers={"Content-Type": "application/json"}
    )

    page = browser.submit(picker, "Link repository", {"repo_id": str(repo_id)})

    assert page.status_code == 403
    assert f"You need at least write access to {name} to link it." in page.text
    assert "Try again" in page.text
    assert not Link.objects.exists()


def test_double_submit_saves_one_row(browser, providers):
    picker = walk_to_picker(browser)
    _, repo_id = first_linkable_repo(picker)
    first = browser.submit(picker, "Link repository", {"repo_id": str(repo_id)})
    second = browser.submit(picker, "Link repository", {"repo_id": str(repo_id)})

    assert first.url.endswith("/dashboard/") and second.url.endswith("/dashboard/")
    assert Link.objects.count() == 1
    # The late press found the wizard ended: it leaves no choice behind for "Link another repository".
    again = connect_github(browser, browser.get("/github/"))
    assert f'value="{repo_id}"' in again.text and " checked" not in again.text


def test_linking_again_updates_the_row(browser, providers):
    picker = walk_to_picker(browser)
    _, repo_id = first_linkable_repo(picker)
    browser.submit(picker, "Link repository", {"repo_id": str(repo_id)})
    first = Link.objects.get()

    again = connect_github(browser, browser.get("/github/"))
    browser.submit(again, "Link repository", {"repo_id": str(repo_id)})

    second = Link.objects.get()
    assert second.pk == first.pk and second.updated_at > first.updated_at


def test_each_event_names_the_github_account_that_vouched_for_the_link(browser, providers):
    """The same organisation repository linked with one GitHub account, then again with another of the person's."""
    picker = walk_to_picker(browser, github="octocat")
    shared = next(i for n, i in repo_ids(picker).items() if n.startswith("acme-org/") and i in linkable_ids(picker))
    browser.submit(picker, "Link repository", {"repo_id": str(shared)})
    picker = connect_github(browser, browser.get("/github/"))  # "Link another repository"
    other = browser.submit(browser.submit(picker, "Use another GitHub account"), "Authorize", {"login": "hubot"})
    assert browser.submit(other, "Link repository", {"repo_id": str(shared)}).url.endswith("/dashboard/")

    hubot = SocialAccount.objects.get(provider="github", uid=str(Link.objects.get().github_id))
    assert hubot.extra_data["login"] == "hubot"
    events = LinkEvent.objects.order_by("id").values_list("action", "github_login", "github_id")
    assert [event[:2] for event in events] == [("created", "octocat"), ("relinked", "hubot")]
    assert events[1][2] == int(hubot.uid) != events[0][2]


def test_expired_step(browser, providers, settings):
    picker = walk_to_picker(browser)
    _, repo_id = first_linkable_repo(picker)
    settings.WIZARD_TTL = 1
    browser.get("/repositories/")  # reading the token and the list gives them the new, short TTL
    time.sleep(2.1)
    page = browser.submit(picker, "Link repository", {"repo_id": str(repo_id)})

    assert page.status_code == 409
    assert "Connect with GitHub first" in page.text and 'href="/github/">Try again' in page.text
    assert not Link.objects.exists()


def test_github_step_before_discord(browser):
    page = browser.get("/github/")
    assert page.status_code == 403
    assert "Please connect with Discord first" in page.text and "Try again" in page.text


PAYLOADS = Path(__file__).resolve().parents[1] / "demo/payloads"
DISCORD_ERRORS = json.loads((PAYLOADS / "discord_errors.json").read_text())
GITHUB_ERRORS = json.loads((PAYLOADS / "github_errors.json").read_text())
SECONDARY_RATE_LIMIT = json.dumps(GITHUB_ERRORS["403_secondary_rate_limit"]["body"])
MAX_LOGIN_ATTEMPTS = json.dumps(GITHUB_ERRORS["403_max_login_attempts"]["body"])

# A provider that stops answering: far longer than PROVIDER_TIMEOUT (the demo's reset() cuts it short).
STALL = django_settings.PROVIDER_TIMEOUT + 5

FAULTS = {
    "500": (Fault(status=500), 503),
    "502-html": (Fault(status=502, body="<html>Bad gateway</html>", headers={"Content-Type": "text/html"}), 503),
    "timeout": (Fault(delay=STALL), 504),
    # The real answer a byte a second: each wait within the timeout, the whole far past it.
    "trickle": (Fault(trickle=1.0), 504),
    "html": (Fault(status=200, body="<html>maintenance</html>", headers={"Content-Type": "text/html"}), 502),
    "no-content-type": (Fault(status=200, body="<html>maintenance</html>", headers={"Content-Type": None}), 502),
    "broken-json": (Fault(status=200, body='{"access_token": ', headers={"Content-Type": "application/json"}), 502),
    # JSON nested deeper than Python's parser goes, and a number longer than Python reads (4,300 digits).
    "deep-json": (Fault(status=200, body="[" * 5000 + "]" * 5000, headers={"Content-Type": "application/json"}), 502),
    "huge-number": (
        Fault(status=200, body='{"id": ' + "9" * 5000 + "}", headers={"Content-Type": "application/json"}),
        502,
    ),
    # The real answer stops half-way and the connection closes: as unreachable as no answer.
    "cut": (Fault(cut=True), 503),
    # The real answer padded past the most we read of one, as sent, and gzipped small to unpack past it.
    "too-large": (Fault(padding=LARGEST_ANSWER), 502),
    "gzip-bomb": (Fault(padding=4 * LARGEST_ANSWER, gzipped=True), 502),
}


@pytest.mark.parametrize("fault", FAULTS)
@pytest.mark.parametrize(
    "endpoint", ["discord.token", "discord.profile", "github.token", "github.user", "github.repos"]
)
def test_provider_faults_give_a_clear_page(browser, providers, endpoint, fault, caplog):
    spec, status = FAULTS[fault]
    providers.faults[endpoint] = spec
    step = browser.get("/") if endpoint.startswith("discord") else sign_in_with_discord(browser)
    authorize = browser.submit(step, f"Connect with {'Discord' if endpoint.startswith('discord') else 'GitHub'}")
    caplog.set_level(logging.INFO, logger="linkapp")
    page = browser.submit(authorize, "Authorize")  # the redirect back: the callback meets the fault

    assert page.status_code == status, page.text[:500]
    assert "Try again" in page.text
    assert not re.search(r"HTTP \d{3}|non-JSON|[a-z](Error|Timeout)\b", page.text)  # no reason for the log only
    assert quoted_reference(page) == page.headers["X-Request-ID"]  # what support looks up in the logs
    assert app_seconds(page) < django_settings.PROVIDER_TIMEOUT + 1
    assert not Link.objects.exists()
    # Django logs the 5xx page as an ERROR without its reason: the reason, logged by the request that answered the
    # page (the last), is a WARNING, kept at LOG_LEVEL=WARNING.
    failed = [r for r in caplog.records if r.getMessage().startswith("step=failed")]
    assert failed[-1].levelname == "WARNING"
    if spec.delay or spec.trickle:
        assert providers.in_flight > 0  # the page came while the provider was still stalling
    if endpoint in ("github.user", "github.repos"):
        # No worker left hanging: no thread of the list's pool still waits on GitHub.
        assert _waiting_threads() == []


def _waiting_threads() -> list[str]:
    """The app's own threads (the GitHub list's pool) still alive, given a moment to finish: one
    waiting on a stalled GitHub would be alive for STALL, far longer."""
    deadline = time.monotonic() + django_settings.PROVIDER_TIMEOUT
    while True:
        names = [t.name for t in threading.enumerate() if t.name.startswith(("github-list", "github-pages"))]
        if not names or time.monotonic() > deadline:
            return names
        time.sleep(0.05)


def test_discord_not_answering_after_the_token_exchange_is_not_asked_to_revoke(browser, providers, settings):
    """The token is revoked whenever Discord answered; when it hangs, a revocation would hang too."""
    providers.faults["discord.profile"] = Fault(delay=STALL)
    providers.faults["discord.revoke"] = Fault(delay=STALL)
    page = browser.submit(browser.submit(browser.get("/"), "Connect with Discord"), "Authorize")

    assert page.status_code == 504 and "Try again" in page.text
    assert app_seconds(page) < 2 * settings.PROVIDER_TIMEOUT  # a revocation would add another timeout
    assert not providers.calls_to("discord.revoke")


def test_discord_token_is_revoked_when_the_profile_is_refused(browser, providers):
    providers.faults["discord.profile"] = Fault(status=401)  # Discord's own 401 body
    page = browser.submit(browser.submit(browser.get("/"), "Connect with Discord"), "Authorize")

    assert page.status_code == 403
    assert len(providers.calls_to("discord.revoke")) == 1


@pytest.mark.parametrize("endpoint", ["discord.profile", "github.user"])
def test_a_grant_whose_answer_is_too_large_to_read_is_revoked(browser, providers, endpoint):
    """The provider did answer, only past what we read: unusable, not unavailable, so the grant goes."""
    providers.faults[endpoint] = Fault(padding=LARGEST_ANSWER)
    name = "Discord" if endpoint.startswith("discord") else "GitHub"
    step = browser.get("/") if name == "Discord" else sign_in_with_discord(browser)
    earlier = providers.token_names()
    page = browser.submit(browser.submit(step, f"Connect with {name}"), "Authorize")

    assert page.status_code == 502 and "Try again" in page.text
    (granted,) = providers.tokens_since(earlier).values()
    assert granted.revoked


def json_answer(body: object) -> Fault:
    return Fault(status=200, body=json.dumps(body), headers={"Content-Type": "application/json"})


@pytest.mark.parametrize(
    "profile",
    [
        [],
        {"id": 80351110224678912, "username": "nelly"},  # Discord's ids are strings
        {"id": "80351110224678912\n", "username": "nelly"},
        {"id": "80351110224678912", "username": None},
        {"id": "80351110224678912", "username": "nelly", "global_name": 5},
        {"id": "80351110224678912", "username": "nelly", "avatar": ["x"]},
        {"id": "80351110224678912", "username": "n" * 96, "discriminator": "1337"},  # longer than a link keeps
        {"id": "80351110224678912", "username": "nelly", "bio": "\x00"},  # kept whole, in a jsonb: no NUL
        {"id": "80351110224678912", "username": "nelly", "global_name": "\ud800"},  # half a surrogate pair
        {"id": "80351110224678912", "username": "nelly", "premium_type": float("nan")},  # NaN, which JSON allows
    ],
    ids=[
        "list",
        "number-id",
        "newline-id",
        "no-username",
        "number-name",
        "list-avatar",
        "long-username",
        "nul",
        "surrogate",
        "nan",
    ],
)
def test_a_discord_profile_of_another_shape_is_a_clear_page_and_its_token_revoked(browser, providers, profile):
    providers.faults["discord.profile"] = json_answer(profile)
    page = browser.submit(browser.submit(browser.get("/"), "Connect with Discord"), "Authorize")

    assert page.status_code == 502 and "Try again" in page.text
    assert len(providers.calls_to("discord.revoke")) == 1
    assert not SocialAccount.objects.exists()


@pytest.mark.parametrize(
    ("endpoint", "answer"),
    [
        ("discord.token", 1),
        ("discord.token", "access_token"),
        ("discord.token", ["access_token"]),
        ("discord.token", {"access_token": "x", "token_type": "Bearer", "expires_in": "soon"}),
        ("discord.token", {"access_token": "x", "token_type": "Bearer", "expires_in": 10**30}),
        ("github.token", True),
        ("github.token", {"access_token": None}),
        ("github.token", {"access_token": "gho_x", "token_type": "bearer", "scope": ["repo"]}),
        # Not a bearer token (RFC 6750): it could not even be sent in a header.
        ("github.token", {"access_token": "gho_€", "token_type": "bearer", "scope": "read:user"}),
        ("discord.token", {"access_token": "a b", "token_type": "Bearer", "expires_in": 604800, "scope": "identify"}),
    ],
)
def test_a_token_answer_of_another_shape_is_a_clear_page(browser, providers, endpoint, answer):
    """allauth reads the token answer as it comes: each of these was a 500. A token that came with
    it is kept nowhere, so it is revoked."""
    provider = endpoint.split(".")[0]
    providers.faults[endpoint] = json_answer(answer)
    step = browser.get("/") if provider == "discord" else sign_in_with_discord(browser)
    authorize = browser.submit(step, f"Connect with {'Discord' if provider == 'discord' else 'GitHub'}")
    revocations = len(providers.calls_to(f"{provider}.revoke"))
    page = browser.submit(authorize, "Authorize")

    assert page.status_code == 502, page.text[:500]
    assert "Try again" in page.text and "refused to complete" in page.text
    assert not Link.objects.exists()
    revoked = [
        call.form.get("token") or call.form.get("access_token") for call in providers.calls_to(f"{provider}.revoke")
    ]
    token = answer.get("access_token") if isinstance(answer, dict) else None
    assert revoked[revocations:] == ([token] if token else [])


def test_a_github_account_without_a_verified_email_is_told_to_verify_it_then_connects(browser, providers, caplog):
    """GitHub refuses the token to an account whose primary email is unverified (its documented
    `unverified_user_email`): only the person can mend that, on GitHub, so the page says how, and the
    operator's WARNING log is left to what they can mend."""
    caplog.set_level(logging.INFO)
    step2 = sign_in_with_discord(browser)
    providers.faults["github.token"] = json_answer(examples.GITHUB_TOKEN_ERRORS["unverified_user_email"])

    page = connect_github(browser, step2)

    assert page.status_code == 403, page.text[:500]
    assert "Verify your email address" in page.text and "primary email address is verified" in page.text
    assert "refused to complete" not in page.text
    (refusal,) = [r for r in caplog.records if r.getMessage() == "token exchange refused: error=unverified_user_email"]
    assert refusal.levelno == logging.INFO
    assert not [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING and r.name == "linkapp.wizard"]
    providers.faults.clear()  # verified on GitHub meanwhile
    picker = browser.submit(browser.get(retry_url(page)), "Connect with GitHub")
    picker = browser.submit(picker, "Authorize")
    assert picker.status_code == 200 and "Link repository" in picker.text


@pytest.mark.parametrize("provider", ["discord", "github"])
def test_a_token_answer_that_says_json_but_is_cut_short_is_a_refusal_not_an_outage(browser, providers, provider):
    """The provider did answer, with JSON it cannot have meant: "refused to complete" (502), not "unavailable"."""
    providers.faults[f"{provider}.token"] = Fault(
        status=200, body='{"access_token": "gho_', headers={"Content-Type": "application/json"}
    )
    step = browser.get("/") if provider == "discord" else sign_in_with_discord(browser)
    authorize = browser.submit(step, f"Connect with {'Discord' if provider == 'discord' else 'GitHub'}")

    page = browser.submit(authorize, "Authorize")

    assert page.status_code == 502, page.text[:500]
    assert "refused to complete" in page.text and "Try again" in page.text
    assert not Link.objects.exists()


@pytest.mark.parametrize(
    "fault",
    [
        Fault(status=200, body="<html>maintenance</html>", headers={"Content-Type": "text/html"}),
        Fault(status=401),
        Fault(status=429, headers={"Retry-After": "60"}),
        json_answer([]),
        json_answer({}),
        json_answer({"id": None, "login": "octocat"}),
        json_answer({"id": 1.5, "login": "octocat"}),
        json_answer({"id": 1, "login": None}),
        json_answer({"id": 1, "login": "octocat", "name": 5}),
        json_answer({"id": 1, "login": "o" * 101}),
        json_answer({"id": 1, "login": "octocat", "bio": "\x00"}),
    ],
    ids=[
        "html",
        "unauthorized",
        "rate-limited",
        "list",
        "empty",
        "null-id",
        "float-id",
        "null-login",
        "number-name",
        "long-login",
        "nul",
    ],
)
def test_a_github_grant_whose_user_cannot_be_read_is_revoked(browser, providers, fault):
    """The token is kept nowhere, and GitHub's do not expire: it is not left alive at GitHub."""
    providers.faults["github.user"] = fault
    earlier = providers.token_names()
    page = connect_github(browser, sign_in_with_discord(browser))

    assert page.status_code >= 400 and "Try again" in page.text
    (granted,) = providers.tokens_since(earlier, "github").values()
    assert granted.revoked
    assert not cache.keys("wizard:*:token:github")


def test_github_not_answering_after_the_token_exchange_is_not_asked_to_revoke(browser, providers, settings):
    providers.faults["github.user"] = Fault(delay=STALL)
    providers.faults["github.revoke"] = Fault(delay=STALL)
    page = connect_github(browser, sign_in_with_discord(browser))

    assert page.status_code == 504 and "Try again" in page.text
    assert app_seconds(page) < 2 * settings.PROVIDER_TIMEOUT  # a revocation would add another timeout
    assert not providers.calls_to("github.revoke")


def test_discord_rate_limit_says_when_to_retry(browser, providers):
    providers.faults["discord.profile"] = Fault(status=429)
    page = browser.submit(browser.submit(browser.get("/"), "Connect with Discord"), "Authorize")

    assert page.status_code == 503
    wait = page.headers["Retry-After"]
    assert wait in {"64", "65"}  # the body's 64.57 s, less what passed before the page was written
    assert f"(in {wait} s)" in page.text


def test_discord_rate_limit_waits_as_long_as_its_body_says(browser, providers):
    """The body's `retry_after` is Discord's precise wait; the header is only what an edge may add."""
    body = {**DISCORD_ERRORS["429_user_rate_limit"]["body"], "retry_after": 12.9}
    providers.faults["discord.profile"] = Fault(status=429, body=json.dumps(body), headers={"Retry-After": "65"})
    page = browser.submit(browser.submit(browser.get("/"), "Connect with Discord"), "Authorize")

    assert page.status_code == 503
    assert "(in 13 s)" in page.text
    assert page.headers["Retry-After"] == "13"


def test_discord_rate_limit_as_an_html_page_still_says_when_to_retry(browser, providers):
    providers.faults["discord.profile"] = Fault(
        status=429,
        body="<html>You are being rate limited.</html>",
        headers={"Content-Type": "text/html", "Retry-After": "30"},
    )
    page = browser.submit(browser.submit(browser.get("/"), "Connect with Discord"), "Authorize")

    assert page.status_code == 503
    assert "(in 30 s)" in page.text
    assert page.headers["Retry-After"] == "30"


def test_a_wait_of_nothing_is_asked_as_a_second(browser, providers):
    """A provider saying "retry after 0": not "Retry-After: 0", which a client reads as "now", nor "in 0 s"."""
    providers.faults["discord.token"] = Fault(
        status=429,
        body=json.dumps({"message": "You are being rate limited.", "retry_after": 0, "global": False}),
        headers={"Content-Type": "application/json", "Retry-After": "0"},
    )
    page = browser.submit(browser.submit(browser.get("/"), "Connect with Discord"), "Authorize")

    assert page.status_code == 503
    assert page.headers["Retry-After"] == "1" and "(in 1 s)" in page.text


@pytest.mark.parametrize(
    ("provider", "name", "reset_in", "longest"),
    [("discord", "Discord", None, 65), ("github", "GitHub", 600, 600)],  # Discord's body: retry_after 64.57
)
def test_a_rate_limited_token_exchange_says_when_to_retry(browser, providers, provider, name, reset_in, longest):
    """allauth calls any refused exchange a refusal; a 429 is a wait (Discord's example body,
    GitHub's rate-limit headers), not "refused to complete the sign-in"."""
    step = browser.get("/") if provider == "discord" else sign_in_with_discord(browser)
    authorize = browser.submit(step, f"Connect with {name}")
    # Set just before the exchange, so that the walk to it takes nothing off GitHub's reset.
    asked = time.time()
    headers = {} if reset_in is None else {"x-ratelimit-reset": str(int(asked) + reset_in)}
    providers.faults[f"{provider}.token"] = Fault(status=429, headers=headers)
    page = browser.submit(authorize, "Authorize")
    took = time.time() - asked

    assert page.status_code == 503, page.text[:300]
    assert f"{name} is busy" in page.text
    # What is left of the wait when the page was written: the whole of it, less the time the answer took.
    assert longest - 1 - took <= int(page.headers["Retry-After"]) <= longest
    assert f"(in {in_words(int(page.headers['Retry-After']))})" in page.text


@pytest.mark.parametrize("status", [403, 429])
def test_secondary_rate_limit_on_a_later_page_asks_to_wait_and_keeps_the_session(browser, providers, settings, status):
    settings.GITHUB_SCOPES = ["read:user", "repo"]
    providers.repo_counts["octocat"] = 250
    providers.faults["github.repos"] = Fault(
        status=status, body=SECONDARY_RATE_LIMIT, headers={"Content-Type": "application/json"}, pages={2}, times=1
    )
    page = connect_github(browser, sign_in_with_discord(browser))

    assert page.status_code == 503
    assert "GitHub is busy" in page.text and 0 < int(page.headers["Retry-After"]) <= 60
    assert "Try again" in page.text
    calls = len(providers.calls_to("github.repos"))
    assert browser.get("/repositories/").status_code == 503  # before the wait is over: GitHub is not asked
    assert len(providers.calls_to("github.repos")) == calls
    ended = ProviderRateLimited("GitHub", 0)
    ended.retry_at = time.time() - 1  # as if the minute had passed
    save_failure(wizard_of(browser), ended)
    retry = browser.get("/repositories/")
    assert retry.status_code == 200
    assert len(all_repo_ids(browser, retry)) == 250


@pytest.mark.parametrize(
    ("count", "failing"), [(250, 2), (1000, 9)], ids=["in the first wave", "after page 1 named the last"]
)
def test_repos_page_failing_midway_keeps_the_session(browser, providers, settings, count, failing):
    settings.GITHUB_SCOPES = ["read:user", "repo"]
    providers.repo_counts["octocat"] = count
    providers.faults["github.repos"] = Fault(status=502, pages={failing}, times=1)
    page = connect_github(browser, sign_in_with_discord(browser))

    assert page.status_code == 503
    assert "GitHub is not answering" in page.text and "Try again" in page.text
    assert "HTTP 502" not in page.text  # the reason is for the log, not for the person
    retry = browser.get("/repositories/")
    assert retry.status_code == 200
    assert len(all_repo_ids(browser, retry)) == count


SSO_REFUSAL = json.dumps(
    {
        "message": "Resource protected by organization SAML enforcement. You must grant your OAuth token access to this organization.",
        "documentation_url": "https://docs.github.com/rest",
    }
)


@pytest.mark.parametrize(
    "fault",
    [
        Fault(status=403, body=SECONDARY_RATE_LIMIT, headers={"Content-Type": "application/json; charset=utf-8"}),
        Fault(status=403),  # the primary rate limit, with its x-ratelimit headers
        Fault(status=429, body=SECONDARY_RATE_LIMIT, headers={"Content-Type": "application/json; charset=utf-8"}),
        Fault(status=403, body=MAX_LOGIN_ATTEMPTS, headers={"Content-Type": "application/json; charset=utf-8"}),
    ],
    ids=["secondary-403-without-headers", "primary-403", "secondary-429", "max-login-attempts-403"],
)
def test_rate_limit_at_the_recheck_asks_to_wait_and_keeps_the_choice(browser, providers, fault):
    picker = walk_to_picker(browser)
    _, repo_id = first_linkable_repo(picker)
    providers.faults["github.repository"] = fault

    page = browser.submit(picker, "Link repository", {"repo_id": str(repo_id)})

    assert page.status_code == 503, page.text[:300]
    assert "GitHub is busy" in page.text and 0 < int(page.headers["Retry-After"]) <= 60
    assert not Link.objects.exists()
    providers.faults.clear()
    again = browser.get("/repositories/")
    assert f'value="{repo_id}" id="repo-{repo_id}" required checked' in again.text


def test_repository_hidden_by_github_at_the_recheck_is_refused(browser, providers):
    picker = walk_to_picker(browser)
    name, repo_id = first_linkable_repo(picker)
    # e.g. an organisation's SAML single sign-on not authorised for this token
    providers.faults["github.repository"] = Fault(
        status=403, body=SSO_REFUSAL, headers={"Content-Type": "application/json"}
    )

    page = browser.submit(browser.get("/repositories/?q=project"), "Link repository", {"repo_id": str(repo_id)})

    assert page.status_code == 403
    assert f"GitHub no longer shows you {name}" in page.text and "single sign-on" in page.text
    assert not Link.objects.exists()
    retry = retry_url(page)
    assert retry == "/repositories/?q=project"  # back to the same search


@pytest.mark.parametrize("body", [None, [], "octocat/Hello-World"], ids=["null", "list", "text"])
def test_an_answer_of_another_shape_at_the_recheck_is_githubs_error_not_a_hidden_repository(browser, providers, body):
    """Only GitHub's status says a repository is gone: a 200 that is no repository must not tell the person
    GitHub hides it from them."""
    picker = walk_to_picker(browser)
    name, repo_id = first_linkable_repo(picker)
    providers.faults["github.repository"] = json_answer(body)

    page = browser.submit(picker, "Link repository", {"repo_id": str(repo_id)})

    assert page.status_code == 502
    assert "GitHub did not answer as expected" in page.text and "GitHub no longer shows you" not in page.text
    assert not Link.objects.exists()
    providers.faults.clear()
    again = browser.submit(browser.get(retry_url(page)), "Link repository", {"repo_id": str(repo_id)})
    assert again.url.endswith("/dashboard/") and Link.objects.get().repo_full_name == name


@pytest.mark.parametrize(
    "broken",
    [(GitHubClient, "get_user_and_repositories"), (WizardStore, "save_github_token")],
    ids=["reading-github", "storing-the-token"],
)
def test_a_bug_in_the_github_callback_revokes_the_grant_it_kept_nowhere(browser, providers, monkeypatch, broken):
    """Whatever fails after the token exchange, GitHub's grant does not stay alive there: its tokens never
    expire. It is revoked once."""
    step2 = sign_in_with_discord(browser)

    def bug(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(*broken, bug)
    earlier = providers.token_names()
    page = connect_github(browser, step2)

    assert page.status_code == 500 and "Try again" in page.text and "RuntimeError" not in page.text
    assert quoted_reference(page) == page.headers["X-Request-ID"]
    (granted,) = providers.tokens_since(earlier, "github").values()
    assert granted.revoked
    assert len(providers.calls_to("github.revoke")) == 1


def test_signing_in_again_after_an_admin_deleted_the_user_keeps_the_new_wizard(browser, providers):
    """The session still names the deleted user; signing in must not flush the wizard it begins."""
    sign_in_with_discord(browser)
    User.objects.all().delete()

    picker = walk_to_picker(browser)  # asserts the picker page

    assert repo_ids(picker) and wizard_of(browser).github_token() is not None


def test_a_deactivated_account_gets_a_clear_page(browser, providers, caplog):
    browser.submit(sign_in_with_discord(browser), "Sign out")
    User.objects.update(is_active=False)
    caplog.set_level(logging.INFO, logger="linkapp.wizard")

    page = sign_in_with_discord(browser)

    assert page.status_code == 403
    assert "An administrator has deactivated this account" in page.text and "Try again" in page.text
    assert browser.get("/github/").status_code == 403  # not signed in
    # An operator asked "why can't I sign in?" finds the refusal, and whose, in one line.
    discord_id = SocialAccount.objects.get(provider="discord").uid
    assert f"step=refused reason=inactive discord_id={discord_id}" in caplog.messages


def test_an_account_deactivated_mid_wizard_is_told_so_not_that_the_session_expired(browser, providers):
    picker = walk_to_picker(browser)
    _, repo_id = first_linkable_repo(picker)
    github = github_token_of(browser)
    User.objects.update(is_active=False)  # an admin unticks Active meanwhile

    for page in (browser.get("/dashboard/"), browser.submit(picker, "Link repository", {"repo_id": str(repo_id)})):
        assert page.status_code == 403
        assert "An administrator has deactivated this account" in page.text and "Try again" in page.text
        assert "your session has expired" not in page.text
    assert not Link.objects.exists()
    # Sign out is not offered to someone Django no longer signs in: the wizard ends here, its token revoked, once.
    assert providers.tokens[github].revoked and len(providers.calls_to("github.revoke")) == 1
    assert not cache.keys("wizard:*")


def test_an_account_deactivated_at_githubs_consent_page_leaves_no_github_token_alive(browser, providers):
    """Deactivated while on GitHub's page: the callback connects onto no one's wizard, and revokes the grant."""
    authorize = browser.submit(sign_in_with_discord(browser), "Connect with GitHub")
    earlier = providers.token_names()
    User.objects.update(is_active=False)  # an admin unticks Active meanwhile

    page = browser.submit(authorize, "Authorize", {"login": "octocat"})

    assert page.status_code == 403 and "Try again" in page.text
    assert "An administrator has deactivated this account" in page.text  # not "connect with Discord first"
    (granted,) = providers.tokens_since(earlier, "github").values()
    assert granted.revoked
    assert not SocialAccount.objects.filter(provider="github").exists()
    assert not cache.keys("wizard:*:token:github")


def test_an_account_deleted_mid_wizard_leaves_no_github_token_alive(browser, providers):
    picker = walk_to_picker(browser)
    github = github_token_of(browser)
    User.objects.all().delete()  # an admin deletes the user meanwhile

    page = browser.get("/repositories/")
    assert page.status_code == 403 and "Please connect with Discord first" in page.text
    assert providers.tokens[github].revoked
    assert not cache.keys("wizard:*")
    assert (
        browser.submit(picker, "Link repository", {"repo_id": str(first_linkable_repo(picker)[1])}).status_code == 403
    )
    assert not Link.objects.exists()
