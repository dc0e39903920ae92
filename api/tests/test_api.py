from __future__ import annotations

import hashlib
import io
import logging
import socket
from datetime import timedelta
from types import SimpleNamespace

import pytest
import requests
from allauth.socialaccount.models import SocialAccount
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Permission, User
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.db import IntegrityError, ProgrammingError
from django.db.models import QuerySet
from django.utils import timezone

import api.admin
import api.auth
from api.models import STAMPS_PAUSED, ApiToken, digest
from linkapp.tests.gunicorn_process import gunicorn_serving
from repos.models import Link
from tests.links import make_link

pytestmark = pytest.mark.django_db


@pytest.fixture
def token() -> str:
    out = io.StringIO()
    call_command("create_api_token", "discord-bot", stdout=out)
    return out.getvalue().strip()


def get(client, token: str | None, **params):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    return client.get("/api/v1/links", params, **headers)


def repo_ids_following_next(client, token: str, url: str) -> list[int]:
    """Every page from `url` on, as a service walks them: by their `next`."""
    seen = []
    while url:
        page = client.get(url, HTTP_AUTHORIZATION=f"Bearer {token}").json()
        seen += [link["repo_id"] for link in page["links"]]
        url = page["next"]
    return seen


def revoke(client, token_pk: int, **kwargs):
    """The admin's "Revoke" action on one token, as the list page posts it."""
    return client.post("/admin/api/apitoken/", {"action": "revoke", "_selected_action": [token_pk]}, **kwargs)


def test_the_token_is_printed_and_only_its_hash_is_stored(token):
    stored = ApiToken.objects.get(name="discord-bot")
    assert token.startswith("lk_") and len(token) >= 3 + 43  # 32 random bytes, URL-safe base64
    assert stored.key_hash == hashlib.sha256(token.encode()).hexdigest()
    row = ApiToken.objects.filter(pk=stored.pk).values().get()
    assert not [column for column, value in row.items() if token in str(value)]


def test_links_by_discord_id_and_by_repo_id(client, token):
    make_link("111", 1, "acme/one")
    make_link("111", 2, "acme/two")
    make_link("222", 1, "acme/one")

    mine = get(client, token, discord_id="111").json()
    assert [link["repo_full_name"] for link in mine["links"]] == ["acme/one", "acme/two"]
    assert mine["count"] == 2
    by_repo = get(client, token, repo_id=1).json()
    assert sorted(link["discord_id"] for link in by_repo["links"]) == ["111", "222"]
    assert "token" not in str(mine).lower()


def test_pagination(client, token):
    for repo_id in range(1, 121):
        make_link("111", repo_id, f"acme/r{repo_id}")

    first = get(client, token, discord_id="111").json()
    third = get(client, token, discord_id="111", page=3).json()
    small = get(client, token, discord_id="111", page_size=7).json()

    assert first["count"] == 120 and len(first["links"]) == 50
    assert len(third["links"]) == 20
    assert len(small["links"]) == 7
    fiftieth = Link.objects.get(repo_id=50).pk
    assert first["next"] == f"http://testserver/api/v1/links?discord_id=111&after={fiftieth}"
    assert third["next"] is None
    assert small["next"].endswith(f"/api/v1/links?discord_id=111&page_size=7&after={Link.objects.get(repo_id=7).pk}")


def test_next_from_a_numbered_page_goes_on_after_its_last_link(client, token):
    """`next` drops the page number: with it and `after` both, following `next` would be refused."""
    for repo_id in range(1, 121):
        make_link("111", repo_id, f"acme/r{repo_id}")

    second = get(client, token, discord_id="111", page=2).json()
    hundredth = Link.objects.get(repo_id=100).pk
    assert second["next"] == f"http://testserver/api/v1/links?discord_id=111&after={hundredth}"
    rest = client.get(second["next"], HTTP_AUTHORIZATION=f"Bearer {token}")
    assert rest.status_code == 200
    assert [link["repo_id"] for link in rest.json()["links"]] == list(range(101, 121))


@pytest.mark.parametrize(
    ("params", "status"),
    [({"page_size": "200"}, 200), ({"page_size": "201"}, 400), ({"page": "100000"}, 200), ({"page": "100001"}, 400)],
)
def test_page_size_and_page_number_have_their_documented_limits(client, token, params, status):
    """At most 200 links a page, and page numbers no OFFSET can overflow."""
    assert get(client, token, discord_id="111", **params).status_code == status


def test_following_next_walks_every_link_once(client, token):
    for repo_id in range(1, 13):
        make_link("111", repo_id, f"acme/r{repo_id}")

    seen = repo_ids_following_next(client, token, "/api/v1/links?discord_id=111&page_size=5")

    assert seen == list(range(1, 13))


@pytest.mark.parametrize("page_size", [3, 4])  # a last page full, and not
def test_following_next_misses_no_link_when_an_earlier_one_is_removed_meanwhile(client, token, page_size):
    """A service walking a person's links must not skip one because someone unlinked a repository on a page it
    has read: with pages by position, every later link would move up one place."""
    for repo_id in range(1, 9):
        make_link("111", repo_id, f"acme/r{repo_id}")

    first = get(client, token, discord_id="111", page_size=page_size).json()
    Link.objects.filter(repo_id=2).delete()
    seen = [link["repo_id"] for link in first["links"]] + repo_ids_following_next(client, token, first["next"])

    assert seen == [1, 2, *range(3, 9)]


def test_a_full_last_page_has_no_next(client, token):
    for repo_id in range(1, 7):
        make_link("111", repo_id)

    second = client.get(
        get(client, token, discord_id="111", page_size=3).json()["next"], HTTP_AUTHORIZATION=f"Bearer {token}"
    ).json()

    assert [link["repo_id"] for link in second["links"]] == [4, 5, 6]
    assert second["next"] is None


def test_after_and_page_together_are_refused(client, token):
    response = get(client, token, discord_id="111", page=2, after=5)

    assert response.status_code == 400
    assert response.json()["detail"] == "Give page or after, not both."


def test_next_is_an_https_address_where_the_site_is_https(client, token, settings):
    """Behind a proxy whose X-Forwarded-Proto is not trusted (SECURE_SSL_REDIRECT=0) the request arrives as
    plain HTTP; a service following an http:// next would send its token in clear text."""
    settings.HTTPS = True
    for repo_id in range(1, 4):
        make_link("111", repo_id)

    plain = get(client, token, discord_id="111", page_size=2).json()
    secure = client.get(
        "/api/v1/links", {"discord_id": "111", "page_size": 2}, secure=True, HTTP_AUTHORIZATION=f"Bearer {token}"
    ).json()

    assert plain["next"].startswith("https://testserver/api/v1/links?")
    assert secure["next"].startswith("https://testserver/api/v1/links?")


def test_head_is_answered_as_get_without_the_body(client, token):
    """RFC 9110 9.1: a server supports GET and HEAD. Uptime probes and HTTP libraries check a resource with HEAD;
    the body is left out by the server (gunicorn, runserver; here the test client)."""
    make_link("111", 1)

    found = client.head("/api/v1/links", {"discord_id": "111"}, HTTP_AUTHORIZATION=f"Bearer {token}")
    refused = client.head("/api/v1/links", {"discord_id": "111"})
    mine = client.head("/api/v1/me/links")

    assert (found.status_code, found["Content-Type"], found.content) == (200, "application/json; charset=utf-8", b"")
    assert "no-store" in found["Cache-Control"]
    assert (refused.status_code, refused["WWW-Authenticate"]) == (401, 'Bearer realm="linkapp"')
    assert mine.status_code == 403


def test_gunicorn_sends_no_body_after_the_headers_of_a_head(free_tcp_port):
    with gunicorn_serving(free_tcp_port, {}), socket.create_connection(("127.0.0.1", free_tcp_port), 10) as conn:
        conn.sendall(b"HEAD /api/v1/me/links HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        answer = b""
        while chunk := conn.recv(65536):
            answer += chunk

    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 403 ") and b"Content-Type: application/json" in head
    assert body == b""


def test_gunicorn_refuses_an_address_or_a_header_too_long_before_django(free_tcp_port):
    """README: gunicorn's own 414 and 431, before the app could answer JSON (its limits as gunicorn sets them)."""
    with gunicorn_serving(free_tcp_port, {}):
        address = requests.get(f"http://127.0.0.1:{free_tcp_port}/api/v1/links?discord_id={'1' * 4100}", timeout=10)
        header = requests.get(
            f"http://127.0.0.1:{free_tcp_port}/api/v1/links", headers={"X-Long": "x" * 8200}, timeout=10
        )
        within = requests.get(f"http://127.0.0.1:{free_tcp_port}/api/v1/links?discord_id={'1' * 4000}", timeout=10)

    assert (address.status_code, header.status_code) == (414, 431)
    assert within.status_code == 401 and within.json()["detail"]  # as long as gunicorn takes: the API's own answer


@pytest.mark.parametrize("spaces", ["  ", "   "])
def test_the_token_may_follow_the_scheme_after_more_than_one_space(client, token, spaces):
    """RFC 6750 2.1 takes one or more spaces between "Bearer" and the token."""
    response = client.get("/api/v1/links", {"discord_id": "1"}, HTTP_AUTHORIZATION=f"Bearer{spaces}{token}")
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("header", "challenge"),
    [
        (None, 'Bearer realm="linkapp"'),
        ("Basic abc", 'Bearer realm="linkapp"'),
        ("Bearer ", 'Bearer realm="linkapp"'),
        ("Bearer wrong", 'Bearer realm="linkapp", error="invalid_token"'),
    ],
)
def test_a_refused_token_is_told_apart_from_none_in_the_challenge(client, header, challenge):
    """RFC 6750 3.1: a token sent and refused gets error="invalid_token"; a request without one, no error code."""
    extra = {"HTTP_AUTHORIZATION": header} if header else {}
    assert client.get("/api/v1/links", {"discord_id": "1"}, **extra)["WWW-Authenticate"] == challenge


@pytest.mark.parametrize("header", [None, "Bearer wrong", "Basic abc", "Bearer "])
def test_missing_or_wrong_token_is_401_json(client, header):
    extra = {"HTTP_AUTHORIZATION": header} if header else {}
    response = client.get("/api/v1/links", {"discord_id": "1"}, **extra)
    assert response.status_code == 401
    assert response.json()["detail"]
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_header_of_another_scheme_is_never_logged(client, settings, caplog):
    settings.DEBUG = True  # ninja's own check logs the whole header under DEBUG
    response = client.get("/api/v1/links", {"discord_id": "1"}, HTTP_AUTHORIZATION="Basic c2VjcmV0LXZhbHVl")
    assert response.status_code == 401
    assert "c2VjcmV0LXZhbHVl" not in caplog.text


def test_issuing_and_revoking_a_token_is_logged_outside_the_database(admin_client, caplog):
    """A restore from a backup undoes the database's record; the log says what to revoke again."""
    caplog.set_level(logging.INFO, logger="linkapp.api")
    out = io.StringIO()
    call_command("create_api_token", "discord-bot", stdout=out)
    stored = ApiToken.objects.get()
    revoke(admin_client, stored.pk)

    lines = [r.getMessage() for r in caplog.records if r.name == "linkapp.api"]
    assert lines == [
        f"api_token=issued id={stored.pk} name=discord-bot",
        f"api_token=revoked id={stored.pk} name=discord-bot by=admin",
    ]
    assert out.getvalue().strip() not in caplog.text


def test_a_revocation_is_in_admin_history_and_needs_the_change_permission(client, token, admin_client):
    viewer = User.objects.create_user("viewer", password="pw", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_apitoken"))
    client.force_login(viewer)
    stored = ApiToken.objects.get()

    assert 'value="revoke"' not in client.get("/admin/api/apitoken/").content.decode()
    revoke(client, stored.pk)
    stored.refresh_from_db()
    assert stored.revoked_at is None

    revoke(admin_client, stored.pk)
    stored.refresh_from_db()
    assert stored.revoked_at is not None
    entry = LogEntry.objects.get(object_id=str(stored.pk))
    assert entry.user.username == "admin" and entry.get_change_message() == "Revoked."
    assert get(client, token, discord_id="1").status_code == 401

    User.objects.get(username="admin").delete()  # admin's history goes with the account; the token's own record stays
    stored.refresh_from_db()
    assert not LogEntry.objects.exists() and stored.revoked_by == "admin"


def test_a_token_page_is_for_viewing_and_the_action_for_revoking(client, token):
    """A Save on the token's page would write back the row as loaded, un-revoking a token revoked meanwhile."""
    staff = User.objects.create_user("keeper", password="pw", is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="change_apitoken"))
    client.force_login(staff)
    stored = ApiToken.objects.get()

    page = client.get(f"/admin/api/apitoken/{stored.pk}/change/")
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    assert client.post(f"/admin/api/apitoken/{stored.pk}/change/", {}).status_code == 403

    revoke(client, stored.pk)
    stored.refresh_from_db()
    assert stored.revoked_at is not None


def test_a_second_token_for_a_name_rotates_without_downtime(client, token):
    out, err = io.StringIO(), io.StringIO()
    call_command("create_api_token", "discord-bot", stdout=out, stderr=err)
    new = out.getvalue().strip()

    assert new != token and "2 live tokens" in err.getvalue()
    call_command("create_api_token", " discord-bot ", stdout=io.StringIO(), stderr=err)
    assert "3 live tokens" in err.getvalue() and set(ApiToken.objects.values_list("name", flat=True)) == {"discord-bot"}
    assert get(client, token, discord_id="1").status_code == 200  # the old one works until revoked
    assert get(client, new, discord_id="1").status_code == 200
    ApiToken.objects.filter(key_hash=digest(token)).update(revoked_at=timezone.now())
    assert get(client, token, discord_id="1").status_code == 401
    assert get(client, new, discord_id="1").status_code == 200


def test_a_new_token_after_the_old_one_was_revoked_is_not_a_rotation(token):
    ApiToken.objects.update(revoked_at=timezone.now())
    out, err = io.StringIO(), io.StringIO()

    call_command("create_api_token", "discord-bot", stdout=out, stderr=err)

    assert out.getvalue().strip().startswith("lk_")
    assert err.getvalue() == ""


def test_last_use_is_recorded_to_the_minute(client, token):
    assert ApiToken.objects.get().last_used_at is None
    get(client, token, discord_id="1")
    first = ApiToken.objects.get().last_used_at
    assert first is not None
    get(client, token, discord_id="1")
    assert ApiToken.objects.get().last_used_at == first  # not a write per request
    ApiToken.objects.update(last_used_at=first - timedelta(seconds=58))
    get(client, token, discord_id="1")
    assert ApiToken.objects.get().last_used_at == first - timedelta(seconds=58)  # within the minute
    ApiToken.objects.update(last_used_at=first - timedelta(seconds=61))
    get(client, token, discord_id="1")
    assert ApiToken.objects.get().last_used_at > first


def test_last_use_is_recorded_on_the_token_used_only(client, token):
    """Whether an old token is still in use is what tells an admin it can be revoked after a rotation."""
    other, _ = ApiToken.issue("discord-bot")

    get(client, token, discord_id="1")

    other.refresh_from_db()
    assert ApiToken.objects.get(key_hash=digest(token)).last_used_at is not None
    assert other.last_used_at is None


def test_tokens_are_listed_by_name_and_the_newest_of_a_name_first():
    old, _ = ApiToken.issue("discord-bot")
    ci, _ = ApiToken.issue("ci-reporter")
    new, _ = ApiToken.issue("discord-bot")

    assert list(ApiToken.objects.all()) == [ci, new, old]


def test_tokens_are_revoked_never_deleted(admin_client, token):
    api_token = ApiToken.objects.get()
    assert admin_client.get(f"/admin/api/apitoken/{api_token.pk}/delete/").status_code == 403
    assert 'value="delete_selected"' not in admin_client.get("/admin/api/apitoken/").content.decode()


def test_tokens_are_issued_by_the_command_not_added_in_admin(admin_client):
    """A row added in admin would have no secret to hand over: `create_api_token` is the one way to make one."""
    assert admin_client.get("/admin/api/apitoken/add/").status_code == 403
    assert admin_client.post("/admin/api/apitoken/add/", {"name": "discord-bot"}).status_code == 403
    assert not ApiToken.objects.exists()


def test_tokens_are_found_by_name_in_admin(admin_client):
    ApiToken.issue("discord-bot")
    ApiToken.issue("ci-reporter")

    found = admin_client.get("/admin/api/apitoken/", {"q": "discord"}).content.decode()

    assert "discord-bot" in found and "ci-reporter" not in found


@pytest.mark.parametrize(
    "params",
    [
        {"discord_id": "1", "scope": "x"},
        {},
        {"discord_id": "1", "repo_id": "2"},
        {"repo_id": "abc"},
        {"discord_id": "1", "page": "0"},
        {"discord_id": "\x00"},  # Postgres text cannot hold NUL: refused here, not a 500 there
        {"discord_id": "nelly"},  # a Discord id is a snowflake, digits only
    ],
)
def test_bad_parameters_are_400(client, token, params):
    response = get(client, token, **params)
    assert response.status_code == 400
    assert response.json()["detail"]


@pytest.mark.parametrize("params", [{"discord_id": ["1", "2"]}, {"repo_id": "1", "page": ["1", "2"]}])
def test_a_parameter_given_twice_is_400_not_the_last_one(client, token, params):
    response = get(client, token, **params)
    assert response.status_code == 400
    assert "more than once" in response.json()["detail"]


@pytest.mark.parametrize("name", ["", "   ", "x" * 101])
def test_a_token_needs_a_name_that_fits(name):
    with pytest.raises(CommandError, match="1 to 100 characters"):
        call_command("create_api_token", name, stdout=io.StringIO())
    assert not ApiToken.objects.exists()


@pytest.mark.parametrize("name", ["x", "x" * 100], ids=["1-character", "100-characters"])
def test_a_name_of_one_to_100_characters_is_taken(name):
    call_command("create_api_token", name, stdout=io.StringIO())
    assert ApiToken.objects.get().name == name


def test_rate_limited_per_token(client, token, settings):
    settings.API_RATE_LIMIT = "3/h"  # an hour's window: a run never straddles its edge
    statuses = [get(client, token, discord_id="1").status_code for _ in range(4)]
    _, other = ApiToken.issue("ci")
    assert statuses == [200, 200, 200, 429]
    refused = get(client, token, discord_id="1")
    assert refused.status_code == 429 and 0 < int(refused["Retry-After"]) <= 3600
    assert get(client, other, discord_id="1").status_code == 200


def test_refused_tokens_are_limited_per_address(client, token, settings):
    settings.LOGIN_RATE_LIMIT = "2/h"
    statuses = [get(client, "not-a-token", discord_id="1").status_code for _ in range(4)]
    assert statuses == [401, 401, 429, 429]
    refused = get(client, "not-a-token", discord_id="1")
    assert refused.status_code == 429 and 0 < int(refused["Retry-After"]) <= 3600
    assert refused.json() == {"detail": "Too many refused tokens from this address; check the token."}
    # A valid token from the same address (a service behind the same NAT) is not locked out.
    assert get(client, token, discord_id="1").status_code == 200


@pytest.mark.parametrize("path", ["/api/v1/nothing", "/api/v2/links", "/api/"])
def test_an_unknown_api_address_is_a_json_404(client, token, path):
    response = client.get(path, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}
    assert "no-store" in response["Cache-Control"]
    page = client.get("/nothing/")
    assert page.status_code == 404 and "Try again" in page.content.decode()  # people still get the page


def test_a_request_django_refuses_before_any_view_is_a_json_400_under_api(client, token):
    """More fields than DATA_UPLOAD_MAX_NUMBER_FIELDS, or an unknown Host: Django's 400, before the API runs."""
    too_many = "&".join(f"a{n}=1" for n in range(1001))
    response = client.get(f"/api/v1/links?{too_many}", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 400
    assert response.json() == {"detail": "Bad request."}
    assert "no-store" in response["Cache-Control"]
    assert client.get("/api/v1/links?discord_id=1", HTTP_HOST="evil.example").json() == {"detail": "Bad request."}
    page = client.get(f"/?{too_many}")
    assert page.status_code == 400 and "Try again" in page.content.decode()  # people still get the page


@pytest.mark.parametrize("refused", [False, True], ids=["token", "refused-tokens"])
def test_a_limit_in_the_last_second_of_its_window_says_a_second(
    client, token, monkeypatch, last_second_of_a_window, refused
):
    """Not "Retry-After: 0", which a client would read as "now"."""
    monkeypatch.setattr(api.auth, "get_usage", lambda *args, **kwargs: last_second_of_a_window)
    response = get(client, "lk_wrong" if refused else token, discord_id="1")
    assert response.status_code == 429 and response["Retry-After"] == "1"


def test_a_bug_in_the_last_use_stamp_is_a_500_not_a_pause(client, token, monkeypatch):
    """Only an unavailable database pauses the stamps: an SQL error of ours is a bug to see, not a warning."""
    update = QuerySet.update

    def broken_for_tokens(queryset, **fields):
        if queryset.model is ApiToken:
            raise ProgrammingError("a bug")
        return update(queryset, **fields)

    monkeypatch.setattr(QuerySet, "update", broken_for_tokens)
    client.raise_request_exception = False
    response = get(client, token, discord_id="1")

    assert response.status_code == 500 and response.json() == {"detail": "Internal error."}
    assert cache.get(STAMPS_PAUSED) is None


@pytest.mark.parametrize("bug", [RuntimeError("a bug"), IntegrityError("a bug"), ProgrammingError("a bug")])
def test_a_bug_in_the_api_is_a_json_500(client, token, monkeypatch, bug):
    """A database error that is no outage (an integrity or SQL error: ours) is a 500, not a 503 to retry."""

    def broken(_raw):
        raise bug

    monkeypatch.setattr(ApiToken, "authenticate", broken)
    client.raise_request_exception = False
    response = client.get("/api/v1/links", {"discord_id": "1"}, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 500
    assert response.json() == {"detail": "Internal error."}
    assert "no-store" in response["Cache-Control"]


def test_schema_is_published(client):
    schema = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/links" in schema["paths"] and "/api/v1/me/links" in schema["paths"]
    assert schema["components"]["securitySchemes"]


def test_me_links_needs_a_session_and_shows_only_mine(client):
    anonymous = client.get("/api/v1/me/links")
    # RFC 9110 15.5.2: a 401 names a scheme to authenticate with (WWW-Authenticate); a session cookie is none.
    assert anonymous.status_code == 403 and "WWW-Authenticate" not in anonymous
    assert anonymous.json() == {"detail": "Sign in to see your links."}
    user = User.objects.create(username="nelly")
    SocialAccount.objects.create(user=user, provider="discord", uid="111", extra_data={})
    make_link("111", 1, "acme/mine")
    make_link("222", 2, "acme/theirs")
    client.force_login(user)

    response = client.get("/api/v1/me/links")
    assert [link["repo_full_name"] for link in response.json()["links"]] == ["acme/mine"]
    assert "no-store" in response["Cache-Control"]  # a person's own data, as on the dashboard
    assert "no-store" in get(client, None, discord_id="1")["Cache-Control"]
    # The same rules for parameters as /links.
    repeated = client.get("/api/v1/me/links", {"page": ["1", "3"]})
    assert (repeated.status_code, repeated.json()["detail"]) == (400, "Parameter(s) given more than once: page.")
    unknown = client.get("/api/v1/me/links", {"pgae": "2"})
    assert (unknown.status_code, unknown.json()["detail"]) == (400, "Unknown parameter(s): pgae.")


def test_revoking_says_how_many_and_warns_when_none_was_left_to_revoke(token, admin_client):
    stored = ApiToken.objects.get()
    action = {"action": "revoke", "_selected_action": [stored.pk]}

    first = admin_client.post("/admin/api/apitoken/", action, follow=True)
    again = admin_client.post("/admin/api/apitoken/", action, follow=True)

    assert [(m.level_tag, m.message) for m in first.context["messages"]] == [("info", "Revoked 1 token.")]
    assert [(m.level_tag, m.message) for m in again.context["messages"]] == [
        ("warning", "The selected tokens were already revoked.")
    ]


def test_of_two_staff_revoking_at_once_the_first_is_recorded(token, admin_client, monkeypatch):
    """Another admin's revocation lands between this action's read of the token and its write."""
    stored = ApiToken.objects.get()
    first = timezone.now() - timedelta(seconds=5)

    def revoked_by_alice_meanwhile():
        ApiToken.objects.filter(pk=stored.pk).update(revoked_at=first, revoked_by="alice")
        return timezone.now()

    monkeypatch.setattr(api.admin, "timezone", SimpleNamespace(now=revoked_by_alice_meanwhile))
    page = revoke(admin_client, stored.pk, follow=True)

    stored.refresh_from_db()
    assert (stored.revoked_by, stored.revoked_at) == ("alice", first)
    assert not LogEntry.objects.filter(change_message="Revoked.").exists()
    assert [m.message for m in page.context["messages"]] == ["The selected tokens were already revoked."]
