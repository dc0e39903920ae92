import json
import logging
from datetime import UTC, datetime

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.test import RequestFactory
from django.urls import clear_script_prefix, set_script_prefix
from redis.exceptions import ConnectionError as RedisConnectionError

from linkapp.database import DATABASE_UNAVAILABLE
from linkapp.failures import (
    csrf_failure,
    database_unavailable,
    in_words,
    provider_failure,
    rate_limited,
    retry_time,
    saved_by_another_tab,
    server_error,
)
from linkapp.logs import request_id
from linkapp.providers import ProviderError, ProviderTimeout, ProviderUnauthorized, ProviderUnavailable, StateRefused
from repos.models import Link


@pytest.mark.parametrize(
    ("seconds", "words"),
    [
        (1, "1 s"),
        (89, "89 s"),
        (90, "2 min"),
        (719, "12 min"),
        (5340, "89 min"),
        (5400, "1 h 30 min"),
        (30632, "8 h 31 min"),
        (7200, "2 h"),
        (86400, "24 h"),
    ],
)
def test_a_wait_reads_as_a_person_would_say_it(seconds: int, words: str) -> None:
    assert in_words(seconds) == words


def at(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


@pytest.mark.parametrize(
    ("retry_at", "shown"),
    [
        ("2026-11-29 22:14:00", "22:14"),
        ("2026-11-29 22:14:00.000008", "22:14"),  # GitHub's reset on the minute, read through two clock reads
        ("2026-11-29 22:14:01", "22:15"),  # at 22:14 the provider would still refuse
        ("2026-11-29 22:14:25", "22:15"),
        ("2026-11-29 23:59:30", "2026-11-30 00:00"),  # another day than the page's
        ("2026-11-30 22:13:59", "2026-11-30 22:14"),  # a day's wait does not read as now
    ],
)
def test_the_time_to_retry_at_is_never_before_the_wait_ends(retry_at: str, shown: str) -> None:
    assert retry_time(at(retry_at), now=at("2026-11-29 22:13:59")) == shown


@pytest.mark.django_db
def test_a_query_ended_by_statement_timeout_is_the_database_unavailable_page():
    """README: `options=-c statement_timeout=N` in DATABASE_URL ends a held query with the 503 page (that the
    option reaches the connection: test_settings.py)."""
    with pytest.raises(DATABASE_UNAVAILABLE) as ended, connection.cursor() as cursor:
        cursor.execute("SET LOCAL statement_timeout = 50")
        cursor.execute("SELECT pg_sleep(2)")

    try:
        raise ended.value
    except DATABASE_UNAVAILABLE:
        page = server_error(RequestFactory().get("/repositories/"))
    assert page.status_code == 503 and page["Retry-After"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "/admin/repos/link/?owner=%00",
        "/admin/repos/linkevent/?action__exact=%00",
        "/admin/repos/link/?discord_id=%00",
        "/admin/repos/link/?repo_full_name=a%00b",
        "/admin/socialaccount/socialaccount/?provider=%00",
        "/admin/auth/user/?username=%00",
        "/admin/repos/link/?%00=1",
        "/admin/repos/link/?owner=%00&owner=1",  # in a value before the last of a repeated parameter
    ],
)
def test_a_nul_character_in_the_address_is_bad_input_not_a_500(admin_client, url):
    """Postgres text cannot hold one: wherever it reached a query (admin's filters above all) it was a 500."""
    Link.objects.create(discord_id="1", github_id=1, github_login="a", repo_id=1, repo_full_name="a/b")
    admin_client.raise_request_exception = False
    page = admin_client.get(url)
    text = page.content.decode()
    assert page.status_code == 400 and "<h1>Bad address</h1>" in text and "Try again" in text
    assert "This address holds a character no page can use." in text
    assert admin_client.get(url.replace("%00", "x")).status_code != 400  # the same address without it works


@pytest.mark.django_db
def test_a_nul_character_in_an_api_address_is_a_json_400(client):
    response = client.get("/api/v1/links", {"discord_id": "\x00"})
    assert response.status_code == 400 and response.json() == {"detail": "A parameter holds a NUL character."}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "status", "title"),
    [("/no-such-page/", 404, "Not found"), ("/?" + "&".join(["a=1"] * 1001), 400, "Bad request")],
)
def test_djangos_own_refusals_offer_to_try_again_from_the_first_page(client, url, status, title):
    page = client.get(url)

    assert page.status_code == status
    text = page.content.decode()
    assert f"<h1>{title}</h1>" in text and '<a class="button" href="/">Try again</a>' in text


@pytest.mark.django_db
def test_a_staff_member_refused_by_the_admin_is_offered_to_try_again(client, django_user_model):
    """The admin's own refusal (PermissionDenied) is Django's 403 page: ours, with "Try again"."""
    staff = django_user_model.objects.create_user("staff", is_staff=True)
    client.force_login(staff)

    page = client.get("/admin/repos/link/")

    assert page.status_code == 403
    text = page.content.decode()
    assert "<h1>Not allowed</h1>" in text and '<a class="button" href="/">Try again</a>' in text


@pytest.mark.parametrize(
    ("page", "says"),
    [
        (lambda: server_error(RequestFactory().get("/")), "Nothing you did was lost. Please try again in a moment."),
        (lambda: database_unavailable("/repositories/?q=a"), "Our database is not answering just now."),
    ],
    ids=["500", "503"],
)
def test_a_server_failure_page_reassures_and_gives_the_reference_to_quote(page, says):
    token = request_id.set("abc123")
    try:
        text = page().content.decode()
    finally:
        request_id.reset(token)

    assert says in text and "Try again</a>" in text
    assert "If you contact us about this, quote reference <code>abc123</code>." in text


@pytest.mark.parametrize(
    "page",
    [lambda: server_error(RequestFactory().get("/")), lambda: database_unavailable("/")],
    ids=["500", "503"],
)
def test_a_server_failure_page_names_the_apps_icon_as_every_page_does(page):
    """Written without base.html: without the icon a browser asks for /favicon.ico, one more request to an app
    that is failing, and one more "Not Found" in its log."""
    assert 'rel="icon" href="/static/favicon.svg"' in page().content.decode()


def test_the_server_error_page_leads_back_under_the_path_the_app_is_served_under(settings):
    """Rendered without the request, it still writes the path (README, "Under a path"; tests/test_under_a_path.py
    has the rest, under gunicorn)."""
    settings.FORCE_SCRIPT_NAME = "/linkapp"
    settings.STATIC_URL = "/linkapp/static/"  # as settings.py writes it then
    set_script_prefix("/linkapp/")  # as Django's handler does for each request
    try:
        text = server_error(RequestFactory().get("/")).content.decode()
    finally:
        clear_script_prefix()

    assert 'href="/linkapp/static/linkapp.css"' in text and '<a class="button" href="/linkapp/">Try again</a>' in text


def test_a_second_tab_saving_the_same_account_is_told_so_and_logged(rf, caplog):
    """Two tabs saved the same GitHub account at once: the second is told why, with a 409, and the log says so."""
    request = rf.post("/accounts/github/login/callback/")
    request.user = AnonymousUser()
    with caplog.at_level(logging.INFO, logger="linkapp.wizard"):
        page = saved_by_another_tab(request, "GitHub", retry_url="/repositories/")

    text = page.content.decode()
    assert page.status_code == 409
    assert "<h1>GitHub account already connected</h1>" in text
    assert "This GitHub account was just connected in another tab or window." in text
    assert '<a class="button" href="/repositories/">Try again</a>' in text
    assert [(r.levelname, r.getMessage()) for r in caplog.records] == [
        ("INFO", "step=refused reason=saved_by_another_tab provider=github")
    ]


@pytest.mark.parametrize(
    ("error", "status", "title", "says", "again"),
    [
        (
            ProviderUnavailable("GitHub", "HTTP 502"),
            503,
            "GitHub is not answering",
            "GitHub could not be reached just now. Nothing was lost; please try again in a moment.",
            "/repositories/",
        ),
        (
            ProviderTimeout("Discord", "timed out"),
            504,
            "Discord is not answering",
            "Discord could not be reached",
            "/repositories/",
        ),
        (
            ProviderError("GitHub", "non-JSON answer (HTTP 200)"),
            502,
            "GitHub did not answer as expected",
            "GitHub gave an answer we could not use, so we stopped there. Nothing was lost.",
            "/repositories/",
        ),
        (
            ProviderUnauthorized("Discord", "token not accepted"),
            403,
            "Connect with Discord again",
            "Discord no longer accepts this connection. Please connect with Discord again.",
            "/accounts/discord/login/",
        ),
        (
            StateRefused("Discord", "state"),
            400,
            "Sign-in expired",
            "This sign-in attempt has expired, was already used, or did not come back from Discord. Please start again.",
            "/repositories/",
        ),
        (
            StateRefused("GitHub", "state"),
            400,
            "Connection expired",
            "This connection attempt has expired, was already used, or did not come back from GitHub.",
            "/repositories/",
        ),
    ],
    ids=["unavailable", "timeout", "unusable", "unauthorized", "discord-state", "github-state"],
)
def test_a_provider_failure_says_what_happened_and_where_to_go_on(rf, error, status, title, says, again):
    """The reason (an HTTP status, an exception's name) stays in the log; the person reads what it means."""
    request = rf.get("/repositories/")
    request.user = AnonymousUser()

    token = request_id.set("abc123")
    try:
        page = provider_failure(request, error, retry_url="/repositories/", reconnect_url="/accounts/discord/login/")
    finally:
        request_id.reset(token)

    text = page.content.decode()
    assert page.status_code == status and f"<h1>{title}</h1>" in text and says in text
    assert f'<a class="button" href="{again}">Try again</a>' in text
    assert error.reason not in text and "Retry-After" not in page
    assert "no-store" in page["Cache-Control"]  # "Try again" must ask again, not show this page from the cache
    # Only a failure on our side or the provider's (5xx) has a reference worth quoting to support.
    assert ("quote reference <code>abc123</code>" in text) is (status >= 500)


def test_a_failure_outside_any_request_quotes_no_reference(rf):
    """No request id ("-" in the log): nothing a person could quote."""
    request = rf.get("/repositories/")
    request.user = AnonymousUser()

    page = provider_failure(request, ProviderUnavailable("GitHub", "HTTP 502"), retry_url="/", reconnect_url="/")

    assert page.status_code == 503 and "quote reference" not in page.content.decode()


def test_a_sign_in_limit_whose_window_is_unknown_asks_for_a_minute(rf):
    """A refusing view that cannot tell what is left of its window: the limit's usual minute, said plainly."""
    request = rf.get("/accounts/discord/login/")
    request.user, request.resolver_match = AnonymousUser(), None

    page = rate_limited(request, Exception("limited"))

    text = page.content.decode()
    assert page.status_code == 429 and page["Retry-After"] == "60" and "<h1>Slow down</h1>" in text
    assert "Too many sign-in attempts from your address. Please try again in 60 s." in text


def test_try_again_after_a_refused_form_never_leaves_the_site(rf):
    """An address that begins with two slashes: as a link, "//evil.test/..." would open another site."""
    request = rf.post("/", QUERY_STRING="q=a")
    request.path, request.user, request.resolver_match = "//evil.test/repositories/", AnonymousUser(), None

    page = csrf_failure(request)

    assert page.status_code == 403
    assert '<a class="button" href="/evil.test/repositories/?q=a">Try again</a>' in page.content.decode()


def test_a_server_failure_page_is_never_kept_by_a_cache(rf):
    """ "Try again" must ask the server again, not show the outage from a cache once the database is back."""
    assert "no-store" in server_error(rf.get("/"))["Cache-Control"]
    assert "no-store" in database_unavailable("/repositories/")["Cache-Control"]


def test_a_session_that_cannot_be_read_is_a_503_that_starts_again_from_the_first_step():
    """Redis is down: the session (tokens, list, choice) cannot be read, so "Try again" cannot go on where it was."""
    try:
        raise RedisConnectionError("Connection refused")
    except RedisConnectionError:
        page = server_error(RequestFactory().get("/repositories/?q=a"))

    text = page.content.decode()
    assert page.status_code == 503 and int(page["Retry-After"]) > 0 and "no-store" in page["Cache-Control"]
    assert "Your session cannot be read just now. Nothing was saved half-way; please start again in a moment." in text
    assert 'href="/">Try again' in text


def test_a_refused_form_post_under_the_api_is_the_apis_json(rf):
    """No API route takes a session's POST today (each is csrf_exempt); one that did would answer a service
    in JSON, as the API's other refusals do, not with a page."""
    page = csrf_failure(rf.post("/api/v1/links"))

    assert page.status_code == 403 and json.loads(page.content) == {
        "detail": "Forbidden: this address takes no form posts."
    }
