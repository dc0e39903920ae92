"""The picker, dashboard and unlink views as a person meets them, where the flow tests in tests/ leave a gap."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.wizard_store import REPO_LIST
from demo.providers import Fault
from linkapp.providers import ProviderRateLimited
from repos.github_api import GitHubClient
from repos.models import Link, LinkEvent
from tests.browser import Browser
from tests.wizard import (
    first_linkable_repo,
    linkable_ids,
    repo_ids,
    retry_url,
    sign_in_with_discord,
    walk_to_picker,
    wizard_of,
)

pytestmark = pytest.mark.django_db(transaction=True)


# 451: GitHub still lists a repository taken down for legal reasons (DMCA), and no press of "Try again" links it.
@pytest.mark.parametrize("status", [404, 451], ids=["deleted", "blocked-for-legal-reasons"])
def test_a_repository_deleted_or_blocked_on_github_before_the_save_is_refused_with_an_explanation(
    browser, providers, status
):
    picker = walk_to_picker(browser)
    name, repo_id = first_linkable_repo(picker)
    providers.faults["github.repository"] = Fault(status=status)

    page = browser.submit(picker, "Link repository", {"repo_id": str(repo_id)})

    assert page.status_code == 403
    assert "Repository not allowed" in page.text
    assert f"GitHub no longer shows you {name}. It may have been deleted, or blocked by GitHub" in page.text
    assert "Try again" in page.text
    assert not Link.objects.exists()
    assert wizard_of(browser).github_token() is not None  # another repository can still be chosen


def link_own_repository(browser) -> Link:
    picker = walk_to_picker(browser)
    _, repo_id = first_linkable_repo(picker)
    browser.submit(picker, "Link repository", {"repo_id": str(repo_id)})
    return Link.objects.get()


def test_a_head_request_to_the_unlink_page_removes_nothing(browser, providers):
    """A link prefetcher or a monitor may send HEAD: only the confirmation's POST removes."""
    link = link_own_repository(browser)

    head = browser.session.head(f"{browser.base_url}links/{link.pk}/unlink/", timeout=30)

    assert head.status_code == 200
    assert Link.objects.filter(pk=link.pk).exists()
    assert not LinkEvent.objects.filter(action=LinkEvent.Action.REMOVED).exists()


def test_a_head_request_for_a_removed_link_leaves_no_message_for_the_next_page(browser, providers):
    """A prefetch of the unlink address of a link already gone must not greet the person on the dashboard."""
    link = link_own_repository(browser)
    unlink_url = f"{browser.base_url}links/{link.pk}/unlink/"
    browser.submit(browser.get(unlink_url), "Unlink")

    head = browser.session.head(unlink_url, timeout=30)
    dashboard = browser.get(browser.base_url + "dashboard/")

    assert head.status_code == 302
    assert dashboard.status_code == 200
    assert "not on your dashboard" not in dashboard.text


def test_link_repository_pressed_without_a_choice_asks_for_one(browser, providers):
    """A browser that ignores the radio's `required` posts no repo_id at all: the form says what is missing."""
    picker = walk_to_picker(browser)

    page = browser.submit(picker, "Link repository")

    assert page.status_code == 400
    assert "Choose a repository." in page.text
    assert not Link.objects.exists()


def github_rate_limit(seconds: int) -> Fault:
    reset = str(int(time.time()) + seconds)
    return Fault(status=403, headers={"x-ratelimit-remaining": "0", "x-ratelimit-reset": reset}, pages={1}, times=1)


def test_a_refresh_that_meets_a_rate_limit_keeps_the_list_it_was_to_replace(browser, providers):
    """Refreshes have a limit of their own: GitHub's limit met by one says so, and the list stays usable."""
    picker = walk_to_picker(browser)
    providers.faults["github.repos"] = github_rate_limit(600)

    refused = browser.submit(picker, "Refresh list")
    again = browser.get("/repositories/")

    assert refused.status_code == 503 and "GitHub is limiting requests" in refused.text
    assert again.status_code == 200 and "Your repositories: 120 of 120" in again.text


def test_a_rate_limit_met_with_a_token_replaced_meanwhile_is_not_kept_for_the_new_one(browser, providers, monkeypatch):
    """Another tab connected another GitHub account while the list was read: that account's list is the one to
    show next, not a rate limit met by the grant it replaced."""
    picker = walk_to_picker(browser)
    wizard_of(browser).delete(REPO_LIST)  # the list's own TTL ran out: the next page reads it again

    def replaced_then_limited(client, *args, **kwargs):
        monkeypatch.undo()
        tab = browser.new_tab()
        tab.submit(tab.submit(picker, "Use another GitHub account"), "Authorize", {"login": "hubot"})
        raise ProviderRateLimited("GitHub", 600)

    monkeypatch.setattr(GitHubClient, "list_repositories", replaced_then_limited)
    refused = browser.get("/repositories/")
    again = browser.get("/repositories/")

    assert refused.status_code == 503
    assert again.status_code == 200 and "hubot/" in again.text


def test_someone_elses_link_just_saved_does_not_end_this_persons_wizard(live_server, providers):
    """The picker without a GitHub connection explains itself, whoever else has linked a repository meanwhile."""
    bob = Browser(live_server.url)
    link_own_repository(bob)  # bob's link, saved a moment ago
    alice = Browser(live_server.url)
    sign_in_with_discord(alice, "alice")  # and not connected to GitHub yet

    page = alice.get("/repositories/")

    assert page.status_code == 409 and "Connect with GitHub first" in page.text


def test_another_repository_pressed_on_a_picker_left_open_after_linking_asks_to_connect_again(browser, providers):
    """A second tab's picker, after the first linked a repository: only a repetition of that press is taken as
    done; another choice is explained, not dropped on the dashboard as if it were linked."""
    picker = walk_to_picker(browser)
    (_, first), (_, other) = [(n, i) for n, i in repo_ids(picker).items() if i in linkable_ids(picker)][:2]
    browser.submit(picker, "Link repository", {"repo_id": str(first)})

    page = browser.submit(picker, "Link repository", {"repo_id": str(other)})

    assert page.status_code == 409 and "Connect with GitHub first" in page.text
    assert list(Link.objects.values_list("repo_id", flat=True)) == [first]


def test_try_again_after_github_failed_at_the_save_returns_to_the_same_search(browser, providers):
    walk_to_picker(browser)
    searched = browser.get("/repositories/?q=project")
    _, repo_id = first_linkable_repo(searched)
    providers.faults["github.repository"] = Fault(status=502, times=1)

    down = browser.submit(searched, "Link repository", {"repo_id": str(repo_id)})

    assert down.status_code >= 500 and "Try again" in down.text
    assert retry_url(down) == "/repositories/?q=project"
    assert not Link.objects.exists()
    again = browser.get(retry_url(down))  # the choice is ready to be linked again
    assert f'value="{repo_id}" id="repo-{repo_id}" required checked>' in again.text
    assert again.text.count(" checked>") == 1


def test_a_link_from_an_earlier_wizard_is_not_taken_for_one_just_saved(browser, providers, settings):
    """The picker without a GitHub connection sends to the dashboard only right after a link was saved (the
    Back button); a person whose last link is older than WIZARD_TTL is asked to connect, not bounced."""
    picker = walk_to_picker(browser)
    _, repo_id = first_linkable_repo(picker)
    browser.submit(picker, "Link repository", {"repo_id": str(repo_id)})
    Link.objects.update(updated_at=timezone.now() - timedelta(seconds=settings.WIZARD_TTL + 60))

    for page in (browser.get("/repositories/"), browser.submit(picker, "Link repository", {"repo_id": str(repo_id)})):
        assert page.status_code == 409 and "Connect with GitHub first" in page.text
