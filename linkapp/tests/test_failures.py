from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test import RequestFactory

from linkapp.database import DATABASE_UNAVAILABLE
from linkapp.failures import database_unavailable, in_words, retry_time, server_error
from linkapp.logs import request_id
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
    ],
)
def test_a_nul_character_in_the_address_is_bad_input_not_a_500(admin_client, url):
    """Postgres text cannot hold one: wherever it reached a query (admin's filters above all) it was a 500."""
    Link.objects.create(discord_id="1", github_id=1, github_login="a", repo_id=1, repo_full_name="a/b")
    admin_client.raise_request_exception = False
    page = admin_client.get(url)
    assert page.status_code == 400 and "Try again" in page.content.decode()
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
