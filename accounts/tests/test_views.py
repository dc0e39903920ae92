"""accounts/views.py as a person meets it: the first step and the avatar served from our origin."""

from __future__ import annotations

import re

import pytest
from allauth.socialaccount.models import SocialAccount
from django.core.cache import cache

from demo.providers import Fault
from tests.wizard import sign_in_with_discord

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_person_without_a_discord_avatar_gets_none_and_the_cdn_is_not_asked(browser, providers):
    """Discord gives no avatar hash for a person who never set one: there is no image to ask the CDN for."""
    sign_in_with_discord(browser)
    account = SocialAccount.objects.get(provider="discord")
    account.extra_data["avatar"] = None
    account.save()

    step2 = browser.get("/github/")
    missing = browser.get("/avatar/")

    assert step2.status_code == 200 and "/avatar/" not in step2.text
    assert missing.status_code == 404
    assert not [call.path for call in providers.calls if "/avatars/" in call.path]


def test_a_new_discord_avatar_is_fetched_not_the_old_one_served_from_cache(browser, providers):
    """A new avatar comes with a new hash at the next sign-in: it is shown at once, not after a day (our cache)
    or an hour (the browser's: the page asks for it at another address)."""
    step2 = sign_in_with_discord(browser)
    old = browser.get("/avatar/")
    account = SocialAccount.objects.get(provider="discord")
    account.extra_data["avatar"] = "0123456789abcdef0123456789abcdef"
    account.save()

    page = browser.get("/github/")
    new = browser.get("/avatar/")

    (old_address,) = re.findall(r'<img src="([^"]*)"', step2.text)
    assert re.findall(r'<img src="([^"]*)"', page.text) == ["/avatar/?v=0123456789abcdef0123456789abcdef"]
    assert old_address.startswith("/avatar/?v=") and old_address != "/avatar/?v=0123456789abcdef0123456789abcdef"
    assert old.status_code == new.status_code == 200
    assert new.content != old.content
    assert len(providers.calls_to("discord.avatar")) == 2


def test_an_avatar_is_kept_for_a_day_and_a_missing_one_only_minutes(browser, providers):
    """A CDN that failed for a moment costs the person their avatar for minutes, not for a day."""
    sign_in_with_discord(browser)
    account = SocialAccount.objects.get(provider="discord")
    found = browser.get("/avatar/")
    (kept,) = cache.keys("avatar:*")
    providers.faults["discord.avatar"] = Fault(status=503)
    account.extra_data["avatar"] = "0123456789abcdef0123456789abcdef"
    account.save()
    missing = browser.get("/avatar/")
    (miss,) = set(cache.keys("avatar:*")) - {kept}

    assert found.status_code == 200 and missing.status_code == 404
    assert cache.ttl(kept) > 3600
    assert 0 < cache.ttl(miss) <= 300


def test_the_first_page_shows_discord_as_the_current_step_and_none_done(client):
    page = client.get("/").content.decode()

    current = re.findall(r'<li aria-current="step" class="current">\s*<span[^>]*>(\d)</span>\s*([^<]+)', page)
    assert [(number, label.strip()) for number, label in current] == [("1", "Discord")]
    assert "(done)" not in page


def test_the_account_menu_is_only_for_a_signed_in_person(browser, providers):
    anonymous = browser.get("/")
    assert 'aria-label="Account"' not in anonymous.text
    assert ">Sign out</button>" not in anonymous.text and ">Dashboard</a>" not in anonymous.text

    step2 = sign_in_with_discord(browser)

    dashboard = browser.follow(step2, "Dashboard")
    assert dashboard.url.endswith("/dashboard/") and "Signed in with Discord as" in dashboard.text
    assert browser.submit(dashboard, "Sign out").url.endswith("/")
    assert browser.get("/dashboard/").status_code == 403
