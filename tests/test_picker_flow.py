"""The picker at size: concurrent paging, rate limits, search, paging, the private step-up."""

from __future__ import annotations

import html
import logging
import re
import time
from datetime import UTC, datetime

import pytest
import requests
from allauth.socialaccount.models import SocialAccount

import repos.views
from accounts.wizard_store import REPO_LIST
from demo.github_objects import LONG_FILLER
from demo.providers import Fault
from linkapp.failures import in_words, retry_time
from linkapp.providers import ProviderRateLimited, ProviderUnavailable
from repos.github_api import GitHubClient
from repos.models import Link
from repos.picker_query import PAGE_SIZE
from repos.repo_store import load, save_failure
from tests.browser import Browser
from tests.database_faults import read_only_database
from tests.wizard import (
    age_state,
    all_repo_ids,
    connect_github,
    csrf_token,
    disabled_ids,
    first_linkable_repo,
    github_token_of,
    linkable_ids,
    repo_ids,
    retry_url,
    sign_in_with_discord,
    walk_to_picker,
    wizard_of,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def many(providers, settings):
    settings.GITHUB_SCOPES = ["read:user", "repo"]
    providers.repo_counts["octocat"] = 2000
    return providers


def repos_calls(providers) -> list[int]:
    return sorted(int(c.query.get("page", 1)) for c in providers.calls_to("github.repos"))


def connect_counting_in_flight(browser, providers, settings, *, first_wave: int, delay: float = 1.0):
    """Connect GitHub, counting provider requests in flight from then on. `GET /user` and the first
    `first_wave` pages of the list answer after `delay`: time for all of them to be on their way at once,
    on a slow machine too. The other pages answer at once."""
    settings.PROVIDER_TIMEOUT = 10  # the delay is not a timeout
    step2 = sign_in_with_discord(browser)
    providers.faults["github.user"] = Fault(delay=delay)
    providers.faults["github.repos"] = Fault(delay=delay, pages=set(range(1, first_wave + 1)))
    providers.reset_stats()
    return connect_github(browser, step2)


def test_pages_after_the_first_are_fetched_concurrently_within_the_bound(browser, many, settings):
    settings.GITHUB_MAX_CONCURRENCY = 3
    picker = connect_counting_in_flight(browser, many, settings, first_wave=2)

    assert picker.status_code == 200
    assert repos_calls(many) == list(range(1, 21))
    # GET /user and the first wave of 2 pages together, then never more than the bound (a plain
    # walk of the next links would give 2).
    assert many.max_in_flight == 3
    assert "2000 of 2000" in picker.text


def test_without_a_last_link_the_next_links_are_followed(browser, many, settings):
    settings.GITHUB_MAX_CONCURRENCY = 8
    many.link_last = False
    picker = walk_to_picker(browser)

    pages = repos_calls(many)
    assert sorted(set(pages)) == list(range(1, 21))
    # The first wave (pages 1..7, beside GET /user) is asked for before page 1 can tell whether
    # `last` comes; then the next links are followed from page 2, so pages 2..7 are asked twice.
    assert pages == sorted([*range(1, 21), *range(2, 8)])
    assert "2000 of 2000" in picker.text


def test_at_concurrency_one_the_walk_is_plain_and_sequential(browser, many, settings):
    settings.GITHUB_MAX_CONCURRENCY = 1
    picker = connect_counting_in_flight(browser, many, settings, first_wave=1, delay=0.5)

    calls = [c for c in many.calls if c.endpoint.startswith("github.")]
    names = [c.endpoint for c in calls]
    assert names.index("github.user") < names.index("github.repos")  # the list waits for the user
    assert [int(c.query.get("page", 1)) for c in calls if c.endpoint == "github.repos"] == list(range(1, 21))
    assert many.max_in_flight == 1
    assert "2000 of 2000" in picker.text


def test_the_list_is_fetched_while_github_is_asked_who_the_person_is(browser, many, settings, monkeypatch):
    settings.GITHUB_MAX_CONCURRENCY = 8
    ask_for_the_user = GitHubClient.get_user
    listed_first = []

    def ask_once_the_list_is_on_its_way(client: GitHubClient) -> dict:
        # Asking for the user first and the list after would wait here in vain.
        deadline = time.monotonic() + 5
        while not many.calls_to("github.repos") and time.monotonic() < deadline:
            time.sleep(0.01)
        listed_first.append(bool(many.calls_to("github.repos")))
        return ask_for_the_user(client)

    monkeypatch.setattr(GitHubClient, "get_user", ask_once_the_list_is_on_its_way)
    picker = connect_counting_in_flight(browser, many, settings, first_wave=7)

    assert listed_first == [True]
    assert "2000 of 2000" in picker.text
    # GET /user and the first wave of 7 pages were in flight together: the bound of 8. Asking for
    # the user first and the list after would give 7.
    assert many.max_in_flight == 8
    assert repos_calls(many) == list(range(1, 21))
    assert len(many.calls_to("github.user")) == 1


def test_a_one_page_list_ignores_the_rest_of_the_first_wave(browser, many, settings):
    settings.GITHUB_MAX_CONCURRENCY = 8
    many.repo_counts["octocat"] = 42
    many.faults["github.repos"] = Fault(status=502, pages={5})  # a page that is not needed fails
    many.delay = 0.5  # every page of the first wave is on its way before page 1 answers
    picker = walk_to_picker(browser)

    assert picker.status_code == 200
    assert "42 of 42" in picker.text
    # 7 beside GET /user, all sent before page 1 answers: pages 2..7 come back empty, page 5 failed.
    pages = repos_calls(many)
    assert 1 in pages and 5 in pages and set(pages) <= set(range(1, 8))


def rate_limit(reset: int, page: int) -> Fault:
    return Fault(
        status=403,
        headers={"x-ratelimit-limit": "5000", "x-ratelimit-remaining": "0", "x-ratelimit-reset": str(reset)},
        pages={page},
        times=1,
    )


@pytest.mark.parametrize("page", [1, 7])
def test_rate_limit_stops_at_once_and_says_when(browser, many, settings, page):
    settings.GITHUB_MAX_CONCURRENCY = 2
    many.delay = 0.02
    reset = int(time.time()) + 3600
    many.faults["github.repos"] = rate_limit(reset, page)

    failed = connect_github(browser, sign_in_with_discord(browser))

    expected = retry_time(reset)  # the minute it ends, rounded up (test_failures.py)
    assert failed.status_code == 503
    assert 3590 < int(failed.headers["Retry-After"]) <= 3600
    assert f"GitHub is limiting requests; try again at {expected} UTC (in 60 min)." in failed.text
    assert "Try again" in failed.text
    # The walk stopped at the limited page (one page at a time beside GET /user at this bound),
    # and the picker showed why without asking GitHub again; no retry loop.
    assert len(many.calls_to("github.repos")) == page
    # "Try again" before the wait is over asks GitHub nothing (GitHub: requests while limited may get an
    # integration banned), and still says when.
    early = browser.get("/repositories/")
    assert early.status_code == 503 and 3580 < int(early.headers["Retry-After"]) <= 3600
    assert f"try again at {expected} UTC" in early.text
    assert len(many.calls_to("github.repos")) == page
    # The session is kept: once GitHub allows it again, the person continues where they were.
    ended = ProviderRateLimited("GitHub", 0)
    ended.retry_at = time.time() - 1  # as if the hour had passed
    save_failure(wizard_of(browser), ended)
    retry = browser.get("/repositories/")
    assert retry.status_code == 200
    assert "2000 of 2000" in retry.text


def test_a_rate_limit_met_again_by_the_pickers_own_fetch_is_kept_too(browser, many, settings):
    """The stored limit ended, the picker asks GitHub, and GitHub still limits (secondary limits grow): "Try
    again" must not keep asking."""
    settings.GITHUB_MAX_CONCURRENCY = 2
    many.faults["github.repos"] = rate_limit(int(time.time()) + 3600, 1)
    connect_github(browser, sign_in_with_discord(browser))
    ended = ProviderRateLimited("GitHub", 0)
    ended.retry_at = time.time() - 1  # as if the hour had passed
    save_failure(wizard_of(browser), ended)
    many.faults["github.repos"] = Fault(**{**vars(rate_limit(int(time.time()) + 600, 1)), "times": None})

    again = browser.get("/repositories/")
    calls = len(many.calls_to("github.repos"))
    early = browser.get("/repositories/")

    assert again.status_code == early.status_code == 503
    assert "GitHub is limiting requests" in early.text
    assert len(many.calls_to("github.repos")) == calls


def test_a_head_leaves_the_stored_failure_for_the_page_that_shows_it(browser, providers):
    """A prefetch or a monitor asking first must not cost the person the explanation (and a second walk
    of their list at GitHub, into the same limit)."""
    walk_to_picker(browser)
    save_failure(wizard_of(browser), ProviderRateLimited("GitHub", 600))
    before = len(providers.calls_to("github.repos"))

    head = browser.session.head(browser.base_url + "repositories/")
    shown = browser.get("/repositories/")

    assert head.status_code == shown.status_code == 503
    assert "GitHub is limiting requests" in shown.text
    assert len(providers.calls_to("github.repos")) == before


def test_a_head_leaves_a_stored_outage_for_the_page_that_shows_it(browser, providers, caplog):
    """Not only a rate limit (kept until its wait is over anyway): a list GitHub failed to give is explained once,
    to the page a person sees, not used up by a HEAD before it. Each is a WARNING (LOG_LEVEL=WARNING keeps it)."""
    walk_to_picker(browser)
    save_failure(wizard_of(browser), ProviderUnavailable("GitHub", "HTTP 502"))
    before = len(providers.calls_to("github.repos"))
    caplog.set_level(logging.INFO, logger="linkapp.wizard")

    head = browser.session.head(browser.base_url + "repositories/")
    shown = browser.get("/repositories/")

    assert head.status_code == shown.status_code == 503
    assert "GitHub is not answering" in shown.text
    assert len(providers.calls_to("github.repos")) == before
    discord_id = SocialAccount.objects.get(provider="discord").uid
    logged = {(r.levelno, r.getMessage()) for r in caplog.records}
    assert logged >= {(logging.WARNING, f"step=failed provider=github reason=HTTP 502 discord_id={discord_id}")}


def test_a_page_where_nothing_can_be_linked_has_no_link_button(browser, providers):
    """Other pages hold linkable repositories, this one none: a button here could only post nothing."""
    picker = walk_to_picker(browser)
    name = next(name for name, repo_id in repo_ids(picker).items() if repo_id in disabled_ids(picker))

    found = browser.get("/repositories/", params={"q": name})

    assert list(repo_ids(found)) == [name]
    assert "Link repository" not in found.text
    assert "None of the repositories shown give you <strong>write</strong> access" in found.text


def test_search_filter_sort_and_pages(browser, many):
    picker = walk_to_picker(browser)
    assert "page 1 of 40" in picker.text

    by_owner = browser.get("/repositories/", params={"owner": "acme-org", "sort": "name"})
    names = list(repo_ids(by_owner))
    assert names and all(name.startswith("acme-org/") for name in names)
    assert names == sorted(names, key=str.lower)
    # The form shows what was asked: the order and the owner chosen, the search typed.
    assert '<option value="name" selected>Name</option>' in by_owner.text
    assert '<option value="name" selected>' not in picker.text
    assert '<option value="acme-org" selected>acme-org</option>' in by_owner.text

    one = browser.get("/repositories/", params={"q": names[0].upper()})
    assert list(repo_ids(one)) == [names[0]]
    assert re.search(rf'<input type="search" name="q" value="{re.escape(names[0].upper())}"', one.text)

    none = browser.get("/repositories/", params={"q": "no-such-repository-anywhere"})
    assert none.status_code == 200
    assert "No repository matches your search" in none.text

    every = all_repo_ids(browser, browser.get("/repositories/", params={"owner": "widgets-inc"}))
    assert len(every) == len([n for n in every if n.startswith("widgets-inc/")]) > 50


def test_a_long_description_is_shown_cut_and_searched_whole(browser, providers):
    """The demo's every 13th repository has a 300-character description: the picker shows its first 140,
    and search finds words past them."""
    picker = walk_to_picker(browser)
    shown = [html.unescape(text) for text in re.findall(r'<p class="description">([^<]*)</p>', picker.text)]
    assert any(text.endswith("…") for text in shown) and max(map(len, shown)) == 140

    # 98 characters across two fillers, from character 85 to 183: past the 140 shown.
    past_the_cut = "exercised." + LONG_FILLER + " It is deliberately"
    found = browser.get("/repositories/", params={"q": past_the_cut})
    numbers = [int(name.rsplit("-", 1)[1]) for name in repo_ids(found)]  # owner/project-0013
    assert numbers and all(number % 13 == 0 for number in numbers), found.text[-800:]


def test_bad_search_parameters_get_a_400(browser, providers):
    walk_to_picker(browser)
    page = browser.get("/repositories/", params={"sort": "'; drop table"})
    assert page.status_code == 400
    assert "Try again" in page.text


def test_refresh_fetches_the_list_again(browser, providers, caplog):
    picker = walk_to_picker(browser)
    assert "Your repositories: 120 of 120" in picker.text
    before = repos_calls(providers).count(1)
    providers.repo_counts["octocat"] = 200  # the person created repositories meanwhile
    caplog.set_level(logging.INFO, logger="linkapp.wizard")
    refreshed = browser.submit(picker, "Refresh list")

    assert refreshed.status_code == 200
    assert repos_calls(providers).count(1) == before + 1
    shown = int(re.search(r"Your repositories: (\d+) of \1", refreshed.text).group(1))
    assert shown > 120
    assert f"Your list was fetched again from GitHub: {shown} repositories." in refreshed.text
    assert len(all_repo_ids(browser, refreshed)) == shown  # later pages are read from the new list
    discord_id = SocialAccount.objects.get(provider="discord").uid
    assert f"step=repos_fetched discord_id={discord_id} count={shown}" in caplog.messages


def test_a_list_read_with_a_token_replaced_meanwhile_does_not_replace_the_new_tokens_list(
    browser, providers, monkeypatch
):
    """While "Refresh list" was reading octocat's list, another tab switched to hubot: the picker must show
    hubot's list with hubot's grant, not octocat's read with a token since revoked."""
    picker = walk_to_picker(browser)
    list_repositories = GitHubClient.list_repositories
    switched = {}

    def switched_meanwhile(client, *args, **kwargs):
        repos = list_repositories(client, *args, **kwargs)
        if not switched:
            switched["tab"] = tab = browser.new_tab()
            tab.submit(tab.submit(picker, "Use another GitHub account"), "Authorize", {"login": "hubot"})
            switched["list"] = load(wizard_of(browser))
        return repos

    monkeypatch.setattr(GitHubClient, "list_repositories", switched_meanwhile)
    refreshed = browser.submit(picker, "Refresh list")

    assert refreshed.status_code == 200 and "hubot" in refreshed.text
    assert switched["list"] and load(wizard_of(browser)) == switched["list"]
    assert "Your list was fetched again" not in refreshed.text  # a count of the list let go would mislead
    assert all(repo.owner != "octocat" for repo in switched["list"])


def test_a_choice_made_after_the_list_expired_is_checked_against_a_fresh_one(browser, providers):
    picker = walk_to_picker(browser)
    _, repo_id = first_linkable_repo(picker)
    stranger = Browser(browser.base_url)
    _, strangers_repo = next(
        (n, i) for n, i in repo_ids(walk_to_picker(stranger, "bob", "bob-gh")).items() if n.startswith("bob-gh/")
    )
    wizard_of(browser).delete(REPO_LIST)  # the list's own TTL ran out first
    fetched = repos_calls(providers).count(1)

    refused = browser.submit(picker, "Link repository", {"repo_id": str(strangers_repo)})
    assert refused.status_code == 400 and "That repository is not in your list." in refused.text
    assert repos_calls(providers).count(1) == fetched + 1  # checked against a list fetched again
    assert not Link.objects.exists()

    wizard_of(browser).delete(REPO_LIST)
    saved = browser.submit(picker, "Link repository", {"repo_id": str(repo_id)})

    assert saved.url.endswith("/dashboard/")
    assert repos_calls(providers).count(1) == fetched + 2
    assert list(Link.objects.values_list("repo_id", flat=True)) == [repo_id]


def test_refreshing_again_and_again_is_slowed_down(browser, providers, monkeypatch):
    monkeypatch.setattr(repos.views, "REFRESH_RATE_LIMIT", "3/d")  # a day's window: a run hardly straddles its edge
    picker = walk_to_picker(browser)
    for _ in range(3):
        picker = browser.submit(picker, "Refresh list")
        assert picker.status_code == 200
    asked = len(providers.calls_to("github.repos"))

    slowed = browser.submit(picker, "Refresh list")

    wait = int(slowed.headers["Retry-After"])  # what is left of the day's window, which starts per person
    assert slowed.status_code == 429 and 0 < wait <= 86400
    assert f"Please try again in {in_words(wait)}" in slowed.text and 'href="/repositories/">Try again' in slowed.text
    assert len(providers.calls_to("github.repos")) == asked  # GitHub was not asked again
    assert "Your repositories: 120 of 120" in browser.get("/repositories/").text  # the list is kept


def test_a_refresh_in_the_last_second_of_the_window_is_still_refused(
    browser, providers, monkeypatch, last_second_of_a_window
):
    """django-ratelimit says no time left in its window's last second: refused all the same, wait a second."""
    picker = walk_to_picker(browser)
    asked = len(providers.calls_to("github.repos"))
    monkeypatch.setattr(repos.views, "get_usage", lambda *args, **kwargs: last_second_of_a_window)

    slowed = browser.submit(picker, "Refresh list")

    assert slowed.status_code == 429 and slowed.headers["Retry-After"] == "1"
    assert f"Please try again in {in_words(1)}." in slowed.text
    assert len(providers.calls_to("github.repos")) == asked


def test_refresh_works_with_rate_limits_switched_off(browser, providers, settings):
    settings.RATELIMIT_ENABLE = False
    refreshed = browser.submit(walk_to_picker(browser), "Refresh list")
    assert refreshed.status_code == 200 and "Your repositories: 120 of 120" in refreshed.text


def test_missing_repository_help_links_to_the_app_settings(browser, providers, settings):
    picker = walk_to_picker(browser)
    assert "Missing a repository?" in picker.text
    assert f"{providers.github_url}/settings/connections/applications/{settings.GITHUB_CLIENT_ID}" in picker.text


def test_private_repositories_need_a_step_up(browser, providers, settings):
    picker = walk_to_picker(browser)
    first_scope = providers.calls_to("github.authorize")[-1].query["scope"]
    assert "repo" not in re.split(r"[ ,]", first_scope)
    assert "Private</span>" not in picker.text
    public = len(all_repo_ids(browser, picker))

    authorize = browser.submit(picker, "Include private repositories")
    assert set(settings.GITHUB_PRIVATE_SCOPES) <= set(
        re.split(r"[ ,]", providers.calls_to("github.authorize")[-1].query["scope"])
    )
    widened = browser.submit(authorize, "Authorize")

    assert widened.url.endswith("/repositories/")
    assert len(all_repo_ids(browser, widened)) > public
    assert ">Include private repositories</button>" not in widened.text


def test_another_github_account_through_githubs_account_picker(browser, providers):
    """The browser is signed in to one GitHub account (GitHub would grant it at once); the person wants another."""
    picker = walk_to_picker(browser, github="octocat")
    assert "prompt" not in providers.calls_to("github.authorize")[-1].query  # a first connect: no picker forced
    first_token = github_token_of(browser)

    authorize = browser.submit(picker, "Use another GitHub account")
    query = providers.calls_to("github.authorize")[-1].query
    assert query["prompt"] == "select_account" and "Choose the account to use." in authorize.text
    assert query["scope"] == providers.calls_to("github.authorize")[0].query["scope"]  # the scope granted so far
    other = browser.submit(authorize, "Authorize", {"login": "hubot"})

    assert other.url.endswith("/repositories/") and "GitHub: <strong>hubot</strong>" in other.text
    assert providers.tokens[first_token].revoked  # the first account's grant is not left alive at GitHub
    name, repo_id = next((n, i) for n, i in repo_ids(other).items() if n.startswith("hubot/"))
    assert browser.submit(other, "Link repository", {"repo_id": str(repo_id)}).url.endswith("/dashboard/")
    assert Link.objects.get().github_login == "hubot"


def test_another_github_account_keeps_private_repositories_once_included(browser, providers, settings):
    picker = walk_to_picker(browser)
    widened = browser.submit(browser.submit(picker, "Include private repositories"), "Authorize")

    browser.submit(widened, "Use another GitHub account")

    query = providers.calls_to("github.authorize")[-1].query
    assert query["prompt"] == "select_account"
    assert set(settings.GITHUB_PRIVATE_SCOPES) <= set(re.split(r"[ ,]", query["scope"]))


def test_no_private_step_up_when_the_grant_is_exactly_the_private_scopes(browser, providers, settings):
    """GITHUB_SCOPES=repo: the first grant already reaches private repositories; asking for them again would
    send the person through GitHub for nothing."""
    settings.GITHUB_SCOPES = ["repo"]
    picker = walk_to_picker(browser)

    assert wizard_of(browser).github_token()["scope"] == "repo"
    assert ">Include private repositories</button>" not in picker.text
    assert "include private repositories below" not in picker.text


def test_the_account_picker_is_only_asked_for_by_our_own_button(browser, providers):
    step2 = sign_in_with_discord(browser)
    browser.post(
        "/accounts/github/login/?auth_params=prompt%3Dconsent",
        {"csrfmiddlewaretoken": csrf_token(step2), "process": "connect", "another_account": "yes"},
    )
    assert "prompt" not in providers.calls_to("github.authorize")[-1].query


def test_no_private_step_up_when_no_private_scopes_are_configured(browser, providers, settings):
    settings.GITHUB_PRIVATE_SCOPES = []
    step2 = sign_in_with_discord(browser)
    picker = connect_github(browser, step2)

    assert "Connect with GitHub" in step2.text and "include private ones" not in step2.text
    assert picker.status_code == 200 and "Include private repositories" not in picker.text


def test_scope_on_the_login_url_is_ignored(browser, providers):
    step2 = sign_in_with_discord(browser)
    token = csrf_token(step2)
    browser.post(
        "/accounts/github/login/?scope=delete_repo",
        {"csrfmiddlewaretoken": token, "process": "connect", "scope": "delete_repo"},
    )
    scope = providers.calls_to("github.authorize")[-1].query["scope"]
    assert "delete_repo" not in scope


def test_auth_params_on_the_login_url_are_ignored(browser, providers):
    step2 = sign_in_with_discord(browser)
    browser.post(
        "/accounts/github/login/?auth_params=login%3Dmallory%26allow_signup%3Dtrue",
        {"csrfmiddlewaretoken": csrf_token(step2), "process": "connect"},
    )
    query = providers.calls_to("github.authorize")[-1].query
    assert "login" not in query and "allow_signup" not in query


def test_the_badges_say_what_github_says(browser, providers, settings):
    settings.GITHUB_SCOPES = ["read:user", "repo"]  # private repositories too
    picker = walk_to_picker(browser)
    (first_page,) = [call for call in providers.calls_to("github.repos") if call.query.get("page", "1") == "1"]
    # GitHub is asked oldest first, an order no push changes while the pages are read (test_github_api.py) ...
    assert (first_page.query["sort"], first_page.query["direction"]) == ("created", "asc")
    github = requests.get(
        f"{providers.github_api_url}/user/repos",
        params={"per_page": 100, "sort": "pushed"},
        headers={"Authorization": f"Bearer {github_token_of(browser)}"},
        timeout=10,
    ).json()

    shown = repo_ids(picker)
    assert len(shown) == PAGE_SIZE  # the whole first page, each checked below
    # ... and the picker shows the most recently pushed first, as GitHub would sort them.
    assert list(shown) == [repo["full_name"] for repo in github[: len(shown)]]
    for repo in github[: len(shown)]:
        item = re.search(rf'id="repo-{repo["id"]}".*?</li>', picker.text, re.S).group(0)
        # As a screen reader says them: a visually hidden " access" follows the permission.
        badges = [re.sub(r"<[^>]+>", "", badge) for badge in re.findall(r'<span class="badge[^"]*">(.*?)</span>', item)]
        best = next(level for level in ("admin", "maintain", "push", "triage", "pull") if repo["permissions"][level])
        access = {"pull": "read", "push": "write"}.get(best, best)  # as GitHub's own pages say
        expected = [name for name in ("Private", "Fork", "Archived") if repo[name.lower()]] + [f"{access} access"]
        assert badges == expected, repo["full_name"]
    assert "You need at least <strong>write</strong> access to it." in picker.text
    assert "You have read access; linking needs write." in picker.text  # beside a disabled one
    assert {"Private", "Fork", "Archived", "admin", "read"} <= set(
        re.findall(r'class="badge[^"]*">([^<]+)<', picker.text)
    )


def test_a_refused_step_up_keeps_the_connection_made_before(browser, providers):
    picker = walk_to_picker(browser)
    refused = browser.submit(browser.submit(picker, "Include private repositories"), "Cancel")

    assert refused.status_code == 403
    assert retry_url(refused) == "/repositories/"
    assert "Your repositories: 120 of 120" in browser.get("/repositories/").text


@pytest.mark.parametrize("how", ["expired", "unknown"])
def test_a_step_up_that_cannot_be_trusted_returns_to_the_picker(browser, providers, settings, how):
    """Its state expired, or is not ours: refused as any such callback is, but the connection
    made before still works, so "Try again" is the picker."""
    picker = walk_to_picker(browser)
    if how == "expired":
        authorize = browser.submit(picker, "Include private repositories")
        age_state(browser, settings.WIZARD_TTL + 1)  # one second past WIZARD_TTL; the connection made before is not
        refused = browser.submit(authorize, "Authorize")
    else:
        refused = browser.get("/accounts/github/login/callback/", params={"code": "x", "state": "not-ours"})

    assert refused.status_code == 400 and "Connection expired" in refused.text
    assert retry_url(refused) == "/repositories/"
    again = browser.follow(refused, "Try again")
    assert again.status_code == 200 and "Link repository" in again.text


def test_a_step_up_whose_new_token_is_refused_asks_to_connect_again(browser, providers):
    picker = walk_to_picker(browser)
    providers.faults["github.user"] = Fault(status=401)
    refused = browser.submit(browser.submit(picker, "Include private repositories"), "Authorize")

    assert refused.status_code == 403 and "Connect with GitHub again" in refused.text
    assert retry_url(refused) == "/github/"


def test_already_linked_badge(browser, providers):
    picker = walk_to_picker(browser)
    repo_id = linkable_ids(picker)[0]
    browser.submit(picker, "Link repository", {"repo_id": str(repo_id)})
    assert Link.objects.count() == 1

    again = connect_github(browser, browser.get("/github/"))
    item = re.search(rf'id="repo-{repo_id}".*?</li>', again.text, re.S).group(0)
    assert "Already linked" in item


def test_the_picker_brings_the_names_of_earlier_links_up_to_date(browser, providers, caplog):
    """Links are keyed by ids; a new Discord handle, a renamed login and a renamed or now private
    repository reach the earlier links too, not only the next one saved, and the link time stays.
    A database that cannot take the write still shows the picker."""
    picker = walk_to_picker(browser)
    names = {repo_id: name for name, repo_id in repo_ids(picker).items()}
    first, second = linkable_ids(picker)[:2]
    browser.submit(picker, "Link repository", {"repo_id": str(first)})
    connect_github(browser, browser.get("/github/"))  # a new wizard: the picker again
    saved = Link.objects.get()
    linked_at = datetime(2026, 1, 1, tzinfo=UTC)
    stale = {"discord_username": "old-handle", "github_login": "old-login", "repo_full_name": "old/name"}
    Link.objects.filter(pk=saved.pk).update(**stale, repo_private=True, updated_at=linked_at)
    elsewhere = Link.objects.create(  # linked with another GitHub account, a repository not in this list
        discord_id=saved.discord_id, github_id=saved.github_id + 1, repo_id=1, **stale
    )

    with read_only_database():
        shown = browser.get("/repositories/")
    assert shown.status_code == 200 and f"{names[second]}</label>" in shown.text
    assert "links not refreshed" in caplog.text and "ReadOnlySqlTransaction" in caplog.text
    assert Link.objects.get(pk=saved.pk).discord_username == "old-handle"

    again = browser.get("/repositories/")
    assert again.status_code == 200 and f"{names[second]}</label>" in again.text
    saved.refresh_from_db()
    assert (saved.discord_username, saved.github_login) == ("nelly", "octocat")
    assert (saved.repo_full_name, saved.repo_private, saved.updated_at) == (names[first], False, linked_at)
    elsewhere.refresh_from_db()
    assert (elsewhere.discord_username, elsewhere.github_login, elsewhere.repo_full_name) == (
        "nelly",
        "old-login",
        "old/name",
    )
    browser.get("/repositories/")  # nothing left to bring up to date: no write
    assert caplog.text.count("step=links_refreshed") == 1


def test_repository_ids_are_never_written_with_thousand_separators(browser, providers, settings):
    settings.USE_THOUSAND_SEPARATOR = True
    picker = walk_to_picker(browser)
    ids = linkable_ids(picker)
    assert ids and all(repo_id >= 1000 for repo_id in ids)
    browser.submit(picker, "Link repository", {"repo_id": str(ids[0])})
    assert list(Link.objects.values_list("repo_id", flat=True)) == [ids[0]]


def test_an_owner_without_repositories_is_shown_as_the_filter_in_use(browser, providers):
    picker = walk_to_picker(browser)
    filtered = browser.get(picker.url + "?owner=nobody-org")

    assert "No repository matches your search" in filtered.text
    assert '<option value="nobody-org" selected>nobody-org</option>' in filtered.text


def test_a_person_who_may_link_none_is_told_so_and_refresh_shows_new_access(browser, providers):
    providers.readers.add("octocat")
    providers.repo_counts["octocat"] = 30
    picker = walk_to_picker(browser)

    assert picker.status_code == 200 and repo_ids(picker)
    assert not linkable_ids(picker) and disabled_ids(picker)
    total = len(all_repo_ids(browser, picker))
    assert f"None of your {total} repositories give you <strong>write</strong> access, which linking" in picker.text
    assert "Link repository" not in picker.text  # a button that could only answer "Choose a repository"

    providers.readers.clear()  # an owner gave them write access
    refreshed = browser.submit(picker, "Refresh list", {})
    assert linkable_ids(refreshed) and "None of your" not in refreshed.text
    assert browser.submit(refreshed, "Link repository", {"repo_id": str(linkable_ids(refreshed)[0])}).ok
    assert Link.objects.count() == 1


def test_a_search_that_matches_none_of_one_repository_offers_it_in_the_singular(browser, providers):
    providers.repo_counts["octocat"] = 1
    picker = walk_to_picker(browser)
    assert len(repo_ids(picker)) == 1

    none = browser.get("/repositories/", params={"q": "no-such-repository-anywhere"})

    assert ">Show all 1 repository</a>" in none.text


def test_an_empty_list_names_the_github_account_and_offers_private_repositories_until_included(browser, providers):
    providers.repo_counts["nobody-gh"] = 0
    step2 = sign_in_with_discord(browser)
    empty = connect_github(browser, step2, "nobody-gh")

    assert "GitHub shows no repositories for <strong>nobody-gh</strong> yet." in empty.text
    assert "If yours are private, include private repositories below." in empty.text

    authorize = browser.submit(empty, "Include private repositories")
    widened = browser.submit(authorize, "Authorize", {"login": "nobody-gh"})

    assert widened.url.endswith("/repositories/") and "GitHub shows no repositories for" in widened.text
    assert "If yours are private" not in widened.text  # they are included already: nothing below to press


def test_show_all_after_a_search_that_matches_nothing_drops_the_search(browser, providers):
    picker = walk_to_picker(browser)

    for params in ({"q": "no-such-repository-anywhere"}, {"owner": "nobody-org", "sort": "name"}):
        none = browser.get("/repositories/", params=params)
        assert "No repository matches your search" in none.text
        total = re.search(r">Show all (\d+) repositories</a>", none.text).group(1)

        every = browser.follow(none, f"Show all {total} repositories")

        assert "No repository matches your search" not in every.text
        assert f"Your repositories: {total} of {total}" in every.text
        assert repo_ids(every) == repo_ids(picker)


def test_previous_keeps_the_search_filter_and_order(browser, many):
    walk_to_picker(browser)
    query = {"owner": "widgets-inc", "sort": "name"}
    first = browser.get("/repositories/", params=query)
    legend = re.search(r"Your repositories: (\d+) of (\d+), page 1 of (\d+)", first.text)
    shown, total, pages = map(int, legend.groups())
    assert shown < total  # widgets-inc's of everyone's
    second = browser.follow(first, "Next")
    assert "page 2 of" in second.text and repo_ids(second).keys().isdisjoint(repo_ids(first))

    previous = browser.follow(second, "Previous")

    assert "page 1 of" in previous.text
    assert repo_ids(previous) == repo_ids(first)  # widgets-inc's, by name: not everyone's first page

    last = browser.get("/repositories/", params={**query, "page": pages})  # no "Next" here: "Previous" is the way on
    assert f"page {pages} of {pages}" in last.text and 'rel="next"' not in last.text
    assert f"page {pages - 1} of {pages}" in browser.follow(last, "Previous").text


def test_a_person_whose_only_repository_gives_too_little_access_is_told_so_in_the_singular(browser, providers):
    providers.readers.add("octocat")
    providers.repo_counts["octocat"] = 1
    picker = walk_to_picker(browser)

    assert len(disabled_ids(picker)) == 1 and not linkable_ids(picker)
    assert "Your repository does not give you <strong>write</strong> access, which linking needs." in picker.text
    assert "None of your" not in picker.text
    assert "None of the repositories shown" not in picker.text  # no other page or search would have one


def test_a_disabled_repository_is_described_by_why_it_cannot_be_linked(browser, providers):
    """A screen reader moving onto a disabled choice hears the reason, not only its badges."""
    picker = walk_to_picker(browser)
    repo_id = disabled_ids(picker)[0]
    radio = re.search(rf'<input [^>]*id="repo-{repo_id}"[^>]*>', picker.text).group(0)

    described_by = re.search(r'aria-describedby="([^"]+)"', radio).group(1).split()

    reasons = [re.search(rf'id="{name}">([^<]*)</span>', picker.text) for name in described_by]
    assert "You have read access; linking needs write." in [reason.group(1) for reason in reasons if reason]


def test_the_picker_says_which_accounts_are_linking_and_which_steps_are_done(browser, providers):
    picker = walk_to_picker(browser, discord="nelly", github="octocat")

    assert "Discord: <strong><bdi>Nelly</bdi></strong>" in picker.text
    assert "GitHub: <strong>octocat</strong>" in picker.text
    progress = re.search(r'<nav class="steps" aria-label="Progress">(.*?)</nav>', picker.text, re.S).group(1)
    steps = re.findall(r"<li[^>]*>\s*<span[^>]*>[^<]*</span>\s*([^<]+)(<span[^>]*>[^<]*</span>)?", progress)
    # A screen reader hears which steps are done: a visually hidden "(done)" follows their names.
    said = {label.strip(): re.sub(r"<[^>]+>", "", done) for label, done in steps}
    assert said == {"Discord": " (done)", "GitHub": " (done)", "Repository": "", "Done": ""}


def test_the_github_step_is_the_current_step_once_discord_is_done(browser, providers):
    step2 = sign_in_with_discord(browser)

    progress = re.search(r'<nav class="steps" aria-label="Progress">(.*?)</nav>', step2.text, re.S).group(1)
    current = re.findall(r'<li aria-current="step"[^>]*>\s*<span[^>]*>([^<]*)</span>\s*([^<]+)', progress)
    assert [(number, label.strip()) for number, label in current] == [("2", "GitHub")]
    assert re.search(r"Discord<span[^>]*> \(done\)</span>", progress)


def test_a_higher_least_permission_is_what_the_picker_asks_for_and_explains(browser, providers, settings):
    settings.LINK_MIN_PERMISSION = "maintain"
    picker = walk_to_picker(browser)

    assert "You need at least <strong>maintain</strong> access to it." in picker.text
    assert "You have write access; linking needs maintain." in picker.text
    assert linkable_ids(picker) and disabled_ids(picker)
