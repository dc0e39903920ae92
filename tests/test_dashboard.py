"""The person's dashboard: their links, unlinking, linking another, and nobody else's links."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
from allauth.socialaccount.models import SocialAccount
from django.core.cache import cache
from django.core.management import call_command
from django.utils import timezone

from accounts.discord_api import AVATAR_TIMEOUT
from accounts.wizard_store import GITHUB_TOKEN
from demo.providers import Fault
from repos import linking
from repos.models import Link, LinkEvent
from tests.browser import Browser
from tests.wizard import (
    connect_github,
    csrf_token,
    first_linkable_repo,
    linkable_ids,
    repo_ids,
    sign_in_with_discord,
    walk_to_picker,
    wizard_of,
)

pytestmark = pytest.mark.django_db(transaction=True)


def link_one(browser: Browser, discord: str, github: str):
    """Link one of the person's own repositories (the organisations' are shared between demo users)."""
    picker = walk_to_picker(browser, discord=discord, github=github)
    name, repo_id = next((n, i) for n, i in repo_ids(picker).items() if n.startswith(f"{github}/"))
    return browser.submit(picker, "Link repository", {"repo_id": str(repo_id)}), name


def test_link_another_then_unlink_with_confirmation(browser, providers):
    dashboard, first = link_one(browser, "nelly", "octocat")
    assert first in dashboard.text
    visibility = "Private" if Link.objects.get().repo_private else "Public"
    assert re.search(rf">{re.escape(first)}</a></td>\s*<td>{visibility}</td>", dashboard.text)
    authorizes = len(providers.calls_to("discord.authorize"))

    picker = connect_github(browser, browser.follow(dashboard, "Link another repository"))
    ids = linkable_ids(picker)
    second_id = next(i for i in ids if not Link.objects.filter(repo_id=i).exists())
    dashboard = browser.submit(picker, "Link repository", {"repo_id": str(second_id)})
    assert len(providers.calls_to("discord.authorize")) == authorizes  # no second Discord sign-in
    assert Link.objects.count() == 2

    link = Link.objects.get(repo_full_name=first)
    confirm = browser.get(f"/links/{link.pk}/unlink/")
    assert confirm.status_code == 200 and f"Unlink {first}?" in confirm.text
    assert Link.objects.count() == 2  # GET only asks
    after = browser.submit(confirm, "Unlink")

    assert after.url.endswith("/dashboard/")
    assert f"{first} is no longer linked" in after.text
    assert list(Link.objects.values_list("repo_id", flat=True)) == [second_id]
    actions = list(LinkEvent.objects.order_by("id").values_list("action", "actor"))
    assert [a for a, _ in actions] == ["created", "created", "removed"]
    assert {actor for _, actor in actions} == {f"discord:{link.discord_id}"}


def test_unlinking_twice_lands_on_the_dashboard_again(browser, providers):
    """A double click or a second tab: the second request finds the link gone and says so."""
    link_one(browser, "nelly", "octocat")
    link = Link.objects.get()
    confirm = browser.get(f"/links/{link.pk}/unlink/")
    browser.submit(confirm, "Unlink")

    second = browser.submit(confirm, "Unlink")
    assert second.status_code == 200 and second.url.endswith("/dashboard/")
    assert "not on your dashboard; it may have been removed already" in second.text
    assert browser.get(f"/links/{link.pk}/unlink/").url.endswith("/dashboard/")
    assert list(LinkEvent.objects.order_by("id").values_list("action", flat=True)) == ["created", "removed"]


def test_unlinking_at_the_same_moment_as_another_click_says_so(browser, providers, monkeypatch):
    """Both requests loaded the link; the other one's delete came first."""
    link_one(browser, "nelly", "octocat")
    confirm = browser.get(f"/links/{Link.objects.get().pk}/unlink/")
    real_unlink = linking.unlink

    def other_click_first(link, actor):
        assert real_unlink(Link.objects.get(pk=link.pk), actor)
        return real_unlink(link, actor)

    monkeypatch.setattr(linking, "unlink", other_click_first)
    after = browser.submit(confirm, "Unlink")

    assert after.url.endswith("/dashboard/") and "it may have been removed already" in after.text
    assert list(LinkEvent.objects.order_by("id").values_list("action", flat=True)) == ["created", "removed"]


def test_relinking_is_audited(browser, providers):
    picker = walk_to_picker(browser)
    _, repo_id = first_linkable_repo(picker)
    browser.submit(picker, "Link repository", {"repo_id": str(repo_id)})
    again = connect_github(browser, browser.get("/github/"))
    browser.submit(again, "Link repository", {"repo_id": str(repo_id)})

    assert list(LinkEvent.objects.order_by("id").values_list("action", flat=True)) == ["created", "relinked"]


def test_people_see_and_change_only_their_own_links(live_server, providers):
    alice, bob = Browser(live_server.url), Browser(live_server.url)
    _, alices = link_one(alice, "alice", "alice-gh")
    bobs_dashboard, bobs = link_one(bob, "bob", "bob-gh")
    alice_link = Link.objects.get(discord_username="alice")

    assert bobs in bobs_dashboard.text and alices not in bobs_dashboard.text
    page = bob.get("/")
    for answer in (
        bob.get(f"/links/{alice_link.pk}/unlink/"),
        bob.post(f"/links/{alice_link.pk}/unlink/", {"csrfmiddlewaretoken": csrf_token(page)}),
    ):
        assert answer.url.endswith("/dashboard/") and "not on your dashboard" in answer.text
        assert alices not in answer.text
    assert Link.objects.filter(pk=alice_link.pk).exists()
    assert not LinkEvent.objects.filter(action=LinkEvent.Action.REMOVED).exists()
    assert [link["repo_full_name"] for link in bob.get("/api/v1/me/links").json()["links"]] == [bobs]


def test_discord_cannot_be_disconnected_but_github_can(browser, providers):
    link_one(browser, "nelly", "octocat")
    connections = browser.get("/accounts/3rdparty/")
    assert "<bdi>Nelly</bdi> (Discord): how you sign in" in connections.text
    assert "Disconnecting GitHub does not unlink your repositories" in connections.text
    discord = SocialAccount.objects.get(provider="discord")
    github = SocialAccount.objects.get(provider="github")
    token = csrf_token(connections)

    refused = browser.post("/accounts/3rdparty/", data={"csrfmiddlewaretoken": token, "account": discord.pk})
    assert refused.status_code == 400 and "Discord is how you sign in here" in refused.text
    assert SocialAccount.objects.filter(pk=discord.pk).exists()

    nothing = browser.post("/accounts/3rdparty/", data={"csrfmiddlewaretoken": token})
    assert nothing.status_code == 400 and "This field is required" in nothing.text
    assert 'href="/accounts/3rdparty/">Try again' in nothing.text

    disconnected = browser.post("/accounts/3rdparty/", data={"csrfmiddlewaretoken": token, "account": github.pk})
    assert not SocialAccount.objects.filter(pk=github.pk).exists()
    assert "GitHub account disconnected." in disconnected.text
    assert "No GitHub account is connected" in disconnected.text and "Disconnect</button>" not in disconnected.text
    assert browser.get("/github/").status_code == 200  # still signed in with Discord
    assert Link.objects.count() == 1  # as the page said

    # A double click or a second tab: the account went with the first request, which is said as such.
    again = browser.post("/accounts/3rdparty/", data={"csrfmiddlewaretoken": token, "account": github.pk})
    assert again.status_code == 200 and again.url.endswith("/accounts/3rdparty/")
    assert "That account is not connected any more; it may have been disconnected already." in again.text
    assert "Select a valid choice" not in again.text


def test_disconnecting_github_mid_wizard_revokes_and_forgets_its_token(browser, providers):
    earlier = providers.token_names()
    walk_to_picker(browser)
    (token,) = providers.tokens_since(earlier, "github")
    github = SocialAccount.objects.get(provider="github")
    assert cache.keys("wizard:*")

    connections = browser.get("/accounts/3rdparty/")
    browser.post("/accounts/3rdparty/", data={"csrfmiddlewaretoken": csrf_token(connections), "account": github.pk})

    assert providers.tokens[token].revoked
    assert not cache.keys("wizard:*")  # the token, the list and any choice


def test_the_avatar_comes_from_our_origin_fetched_once(browser, providers):
    step2 = sign_in_with_discord(browser)
    avatar_hash = SocialAccount.objects.get(provider="discord").extra_data["avatar"]
    assert f'<img src="/avatar/?v={avatar_hash}"' in step2.text

    first, second = browser.get("/avatar/"), browser.get("/avatar/")

    assert first.status_code == 200 and first.headers["Content-Type"] == "image/png"
    assert first.content.startswith(b"\x89PNG") and second.content == first.content
    assert first.headers["Cache-Control"] == "private, max-age=3600"
    assert len(providers.calls_to("discord.avatar")) == 1  # the second came from our cache
    providers.faults["discord.avatar"] = Fault(
        status=200, body="<svg onload=alert(1)>", headers={"Content-Type": "image/svg+xml"}
    )
    cache.delete_pattern("avatar:*")
    refused = browser.get("/avatar/")  # only raster images are served as ours
    assert refused.status_code == 404 and "max-age" not in refused.headers.get("Cache-Control", "")
    assert browser.get("/avatar/").status_code == 404
    assert len(providers.calls_to("discord.avatar")) == 2  # a refused avatar is not asked for on every page


PNG_BYTES = b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize(
    ("status", "content_type"),
    [
        (200, "text/html"),  # a page, served from our origin, would run as ours
        (200, "application/xhtml+xml"),
        (200, "application/octet-stream"),
        (404, "image/png"),  # a CDN's error answer of an image type: no avatar to keep for an hour
    ],
)
def test_only_a_raster_image_the_cdn_found_is_an_avatar(browser, providers, status, content_type):
    sign_in_with_discord(browser)
    providers.faults["discord.avatar"] = Fault(status=status, body=PNG_BYTES, headers={"Content-Type": content_type})

    assert browser.get("/avatar/").status_code == 404
    assert len(providers.calls_to("discord.avatar")) == 1


def test_a_stalled_cdn_costs_an_avatar_a_moment_not_the_provider_timeout(browser, providers, settings):
    """An avatar is decoration on every wizard page: a Discord CDN that stalls must not hold a worker's thread
    for PROVIDER_TIMEOUT on each new person's first page. It is given up after AVATAR_TIMEOUT, and not asked
    for again on the next page."""
    settings.PROVIDER_TIMEOUT = 10
    sign_in_with_discord(browser)
    providers.faults["discord.avatar"] = Fault(delay=settings.PROVIDER_TIMEOUT + 5)
    missing = browser.get("/avatar/")

    assert missing.status_code == 404
    assert missing.elapsed.total_seconds() < 2 * AVATAR_TIMEOUT  # one wait of it, not PROVIDER_TIMEOUT (10 s)
    assert browser.get("/avatar/").status_code == 404
    assert len(providers.calls_to("discord.avatar")) == 1


def test_without_a_cdn_no_avatar_is_shown_or_fetched(browser, providers, settings):
    """A stand-in Discord without DISCORD_CDN_URL: the server never calls the real CDN for it."""
    settings.DISCORD_CDN_URL = ""
    step2 = sign_in_with_discord(browser)

    assert step2.status_code == 200 and "/avatar/" not in step2.text
    assert browser.get("/avatar/").status_code == 404
    assert not providers.calls_to("discord.avatar")


def test_a_signed_in_person_on_the_first_step_can_go_on(browser, providers):
    sign_in_with_discord(browser)
    home = browser.get("/")
    assert "You are signed in as <strong><bdi>Nelly</bdi></strong>" in home.text
    assert browser.follow(home, "Continue with GitHub").url.endswith("/github/")
    assert browser.follow(home, "Your dashboard").status_code == 200
    assert "Connect with Discord" in home.text  # still there, to sign in as someone else


def test_a_name_written_right_to_left_does_not_turn_the_sentence_around_it(browser, providers):
    """A Discord display name may hold a right-to-left override (U+202E): isolated, it cannot reverse the
    words after it (the handle, "(Discord): how you sign in"). Nor can an old-style handle ("Name#1234"),
    which may hold any letters."""
    link_one(browser, "nelly", "octocat")
    account = SocialAccount.objects.get(provider="discord")
    account.extra_data.update(global_name="\u202eNelly", username="\u202enelly", discriminator="1337")
    account.save()

    for path in ("/", "/github/", "/dashboard/", "/accounts/3rdparty/"):
        page = browser.get(path)
        assert page.status_code == 200, path
        spans = re.findall(r"<bdi>([^<]*)</bdi>", page.text)
        assert any("\u202e" in span for span in spans), path
        assert "\u202e" not in re.sub(r"<bdi>[^<]*</bdi>", "", page.text), path
    assert {"\u202eNelly", "\u202enelly#1337"} <= set(
        re.findall(r"<bdi>([^<]*)</bdi>", browser.get("/dashboard/").text)
    )


def test_back_to_the_picker_page_and_link_the_same_repository_again_saves_nothing_more(browser, providers):
    """The Back button shows the picker page as it was: "Link repository" again on the repository just linked."""
    picker = walk_to_picker(browser)
    name, repo_id = first_linkable_repo(picker)
    dashboard = browser.submit(picker, "Link repository", {"repo_id": str(repo_id)})
    checks = len(providers.calls_to("github.repository"))

    again = browser.submit(picker, "Link repository", {"repo_id": str(repo_id)})

    assert dashboard.url.endswith("/dashboard/") and again.status_code == 200 and again.url.endswith("/dashboard/")
    assert name in again.text
    assert Link.objects.count() == 1
    assert list(LinkEvent.objects.values_list("action", flat=True)) == ["created"]
    assert len(providers.calls_to("github.repository")) == checks  # not checked with GitHub again


def test_back_to_the_picker_after_linking_is_the_dashboard_not_a_failure(browser, providers):
    dashboard, name = link_one(browser, "nelly", "octocat")

    back = browser.get("/repositories/")  # the browser's Back button: the token went with the saved link

    assert back.status_code == 200 and back.url.endswith("/dashboard/")
    assert name in back.text
    assert "Your GitHub connection ended when your link was saved." in back.text
    head = browser.session.head(browser.base_url + "repositories/", timeout=30)  # answered as GET is, without a body
    assert head.status_code == 302 and head.headers["Location"] == "/dashboard/"
    assert "Your GitHub connection ended" not in browser.get("/dashboard/").text  # the HEAD left no message


def test_a_head_request_leaves_the_message_for_the_page_the_person_sees_next(browser, providers):
    """A prefetch or a monitor with the person's cookie, between the redirect and the page that shows the message
    (linkapp/head_requests.py)."""
    link_one(browser, "nelly", "octocat")
    back = browser.session.get(browser.base_url + "repositories/", allow_redirects=False, timeout=30)
    assert back.status_code == 302 and back.headers["Location"] == "/dashboard/"

    head = browser.session.head(browser.base_url + "dashboard/", timeout=30)  # the page that shows messages

    assert head.status_code == 200
    assert "Your GitHub connection ended when your link was saved." in browser.get("/dashboard/").text


def test_an_expired_step_after_an_older_link_is_still_explained(browser, providers, settings):
    link_one(browser, "nelly", "octocat")
    picker = connect_github(browser, browser.get("/github/"))  # "Link another repository"
    wizard_of(browser).delete(GITHUB_TOKEN)  # unused for WIZARD_TTL: the token expired
    Link.objects.update(updated_at=timezone.now() - timedelta(seconds=settings.WIZARD_TTL + 1))

    linked = str(Link.objects.get().repo_id)  # pressed again: no repetition of that older link's press
    for expired in (
        browser.get(picker.url),
        browser.submit(picker, "Link repository", {"repo_id": "1"}),
        browser.submit(picker, "Link repository", {"repo_id": linked}),
    ):
        assert expired.status_code == 409 and "Connect with GitHub first" in expired.text
        assert "Try again" in expired.text


def test_a_dashboard_without_links_does_not_show_the_wizard_as_done(browser, providers):
    sign_in_with_discord(browser)
    dashboard = browser.get("/dashboard/")

    assert dashboard.status_code == 200 and "No repositories linked yet." in dashboard.text
    assert 'aria-label="Progress"' not in dashboard.text
    assert ">Link a repository</a>" in dashboard.text
    linked, _ = link_one(browser, "nelly", "octocat")
    assert 'aria-label="Progress"' in linked.text and ">Link another repository</a>" in linked.text


def test_a_bookmarked_dashboard_asks_for_discord_and_then_opens(browser, providers):
    refused = browser.get("/dashboard/")
    assert refused.status_code == 403 and "Please connect with Discord first" in refused.text

    home = browser.follow(refused, "Try again")
    assert '<input type="hidden" name="next" value="/dashboard/">' in home.text
    authorize = browser.submit(home, "Connect with Discord")
    dashboard = browser.submit(authorize, "Authorize", {"login": "nelly"})

    assert dashboard.status_code == 200 and dashboard.url.endswith("/dashboard/")
    assert "Signed in with Discord as" in dashboard.text


def test_a_bookmarked_dashboard_is_still_where_the_sign_in_ends_after_a_cancel_and_try_again(browser, providers):
    home = browser.follow(browser.get("/dashboard/"), "Try again")
    cancelled = browser.submit(browser.submit(home, "Connect with Discord"), "Cancel")
    assert cancelled.status_code == 403 and 'href="/?next=%2Fdashboard%2F">Try again' in cancelled.text

    authorize = browser.submit(browser.follow(cancelled, "Try again"), "Connect with Discord")
    dashboard = browser.submit(authorize, "Authorize", {"login": "nelly"})
    assert dashboard.status_code == 200 and dashboard.url.endswith("/dashboard/")


def test_a_bookmarked_picker_asks_for_discord_and_then_for_github(browser, providers):
    """The picker has nothing to show before GitHub is connected again: the sign-in ends at the GitHub step."""
    refused = browser.get("/repositories/", params={"q": "hello"})
    assert refused.status_code == 403 and "Please connect with Discord first" in refused.text

    home = browser.follow(refused, "Try again")
    authorize = browser.submit(home, "Connect with Discord")
    step2 = browser.submit(authorize, "Authorize", {"login": "nelly"})

    assert step2.status_code == 200 and step2.url.endswith("/github/")
    assert "Connect with GitHub" in step2.text


def test_a_next_address_elsewhere_is_dropped(browser, providers):
    home = browser.get("/", params={"next": "https://evil.example/"})
    assert 'name="next"' not in home.text
    authorize = browser.submit(home, "Connect with Discord")
    assert browser.submit(authorize, "Authorize", {"login": "nelly"}).url.endswith("/github/")


def test_the_sign_out_page_asks_in_the_apps_own_words(browser, providers):
    sign_in_with_discord(browser)
    confirm = browser.get("/accounts/logout/")

    assert confirm.status_code == 200 and "<h1>Sign out?</h1>" in confirm.text
    assert urlsplit(browser.submit(confirm, "Sign out").url).path == "/"
    assert browser.get("/dashboard/").status_code == 403


def test_a_new_discord_handle_reaches_the_links_at_the_next_sign_in(browser, providers):
    """What services read from the API follows Discord's handle from the person's next sign-in, without a
    new GitHub connect; the link's time stays."""
    sign_in_with_discord(browser)
    discord = SocialAccount.objects.get(provider="discord")
    link = Link.objects.create(
        discord_id=discord.uid, discord_username="old-handle", github_id=1, repo_id=1, repo_full_name="acme/rocket"
    )
    linked_at = link.updated_at
    others = Link.objects.create(  # another person's link keeps its handle
        discord_id="1", discord_username="someone", github_id=2, repo_id=2, repo_full_name="acme/other"
    )

    assert sign_in_with_discord(browser).status_code == 200
    link.refresh_from_db()
    assert (link.discord_username, link.updated_at) == ("nelly", linked_at)
    assert Link.objects.get(pk=others.pk).discord_username == "someone"


def test_the_linked_date_is_when_the_person_last_linked_in_a_valid_html_time(browser, providers):
    """Linking a repository again moves it to the top (links are ordered by `updated_at`); its date moves too."""
    dashboard, name = link_one(browser, "alice", "alice-gh")
    Link.objects.update(
        created_at=datetime(2020, 1, 2, 3, 4, 5, 123456, tzinfo=UTC),
        updated_at=datetime(2025, 6, 1, 12, 34, 56, 789012, tzinfo=UTC),
    )

    page = browser.get("/dashboard/").text

    assert '<time datetime="2025-06-01T12:34:56Z">2025-06-01 12:34 UTC</time>' in page
    assert "2020-01-02" not in page


def test_each_linked_repository_on_the_dashboard_opens_it_on_github(browser, providers):
    dashboard, name = link_one(browser, "nelly", "octocat")

    assert f'<a href="{providers.github_url}/{name}">{name}</a>' in dashboard.text


def test_cancel_on_the_unlink_page_returns_to_the_dashboard_with_the_link_kept(browser, providers):
    _, name = link_one(browser, "nelly", "octocat")
    confirm = browser.get(f"/links/{Link.objects.get().pk}/unlink/")

    back = browser.follow(confirm, "Cancel")

    assert back.url.endswith("/dashboard/") and f">{name}</a>" in back.text
    assert Link.objects.count() == 1


def test_only_github_is_offered_for_disconnecting(browser, providers):
    link_one(browser, "nelly", "octocat")
    discord = SocialAccount.objects.get(provider="discord")
    github = SocialAccount.objects.get(provider="github")

    connections = browser.get("/accounts/3rdparty/").text

    radios = {
        int(pk): tag for tag, pk in re.findall(r'(<input type="radio" name="account" value="(\d+)"[^>]*>)', connections)
    }
    assert radios.keys() == {discord.pk, github.pk}
    assert " disabled" in radios[discord.pk] and " required" not in radios[discord.pk]
    assert " disabled" not in radios[github.pk] and " required" in radios[github.pk]


def test_a_refused_disconnect_is_announced_as_an_alert(browser, providers):
    link_one(browser, "nelly", "octocat")
    connections = browser.get("/accounts/3rdparty/")
    discord = SocialAccount.objects.get(provider="discord")

    refused = browser.post(
        "/accounts/3rdparty/", {"csrfmiddlewaretoken": csrf_token(connections), "account": discord.pk}
    )

    assert refused.status_code == 400
    alert = re.search(r'<div [^>]*role="alert">(.*?)</div>', refused.text, re.S)
    assert alert and "Discord is how you sign in here" in alert.group(1) and "Try again" in alert.group(1)


def test_cancel_on_the_sign_out_page_keeps_the_person_signed_in(browser, providers):
    sign_in_with_discord(browser)
    confirm = browser.get("/accounts/logout/")

    back = browser.follow(confirm, "Cancel")

    assert back.status_code == 200 and back.url.endswith("/dashboard/")
    assert "Signed in with Discord as" in back.text


def test_without_github_the_connections_page_offers_to_connect_it_and_the_way_back(browser, providers):
    sign_in_with_discord(browser)
    connections = browser.get("/accounts/3rdparty/")
    assert "No GitHub account is connected" in connections.text

    step2 = browser.follow(connections, "Connect with GitHub")
    assert step2.url.endswith("/github/") and "Connect with GitHub" in step2.text
    dashboard = browser.follow(connections, "Back to the dashboard")
    assert dashboard.url.endswith("/dashboard/") and "Signed in with Discord as" in dashboard.text


def test_the_sign_out_pages_own_button_signs_out(browser, providers):
    sign_in_with_discord(browser)
    confirm = browser.get("/accounts/logout/")
    # The page's own form in <main>, not the header's "Sign out" form before it.
    page = SimpleNamespace(url=confirm.url, text=confirm.text.split("<main", 1)[1])

    signed_out = browser.submit(page, "Sign out")

    assert urlsplit(signed_out.url).path == "/"
    assert browser.get("/dashboard/").status_code == 403


def test_the_links_table_has_column_headers_a_screen_reader_announces(browser, providers):
    dashboard, name = link_one(browser, "nelly", "octocat")

    headers = re.findall(r'<th scope="col">([^<]*)</th>', dashboard.text)

    assert headers == ["Repository", "Visibility", "Linked"] and f">{name}</a></td>" in dashboard.text


def test_a_person_forgotten_mid_session_is_signed_out_and_starts_anew(browser, providers):
    """`forget_discord_user` while the person is signed in: their next page asks for Discord, as for someone
    never seen, and signing in again makes a new user with no links."""
    dashboard, name = link_one(browser, "nelly", "octocat")
    assert name in dashboard.text
    forgotten = SocialAccount.objects.get(provider="discord").user_id
    call_command("forget_discord_user", SocialAccount.objects.get(provider="discord").uid, stdout=io.StringIO())

    refused = browser.get("/dashboard/")
    assert refused.status_code == 403 and "Please connect with Discord first" in refused.text
    home = browser.follow(refused, "Try again")
    again = browser.submit(browser.submit(home, "Connect with Discord"), "Authorize", {"login": "nelly"})

    assert again.status_code == 200 and again.url.endswith("/dashboard/")
    assert name not in again.text and not Link.objects.exists() and not LinkEvent.objects.exists()
    assert SocialAccount.objects.get(provider="discord").user_id != forgotten
