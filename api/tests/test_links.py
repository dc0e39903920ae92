"""The links API: by Discord user and by repository, its pages and `next`, its parameters, and its answers
to what it refuses (the token side is test_tokens.py)."""

from __future__ import annotations

import socket

import pytest
import requests
from allauth.socialaccount.models import SocialAccount
from django.contrib.auth.models import User
from django.db import IntegrityError, ProgrammingError

from api.models import ApiToken
from api.tests.calls import get
from linkapp.tests.gunicorn_process import gunicorn_serving
from repos.models import Link
from tests.links import make_link

pytestmark = pytest.mark.django_db


def repo_ids_following_next(client, token: str, url: str) -> list[int]:
    """Every page from `url` on, as a service walks them: by their `next`."""
    seen = []
    while url:
        page = client.get(url, HTTP_AUTHORIZATION=f"Bearer {token}").json()
        seen += [link["repo_id"] for link in page["links"]]
        url = page["next"]
    return seen


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
    the body is left out (linkapp/head_requests.py, and here the test client too)."""
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
    link = schema["components"]["schemas"]["LinkOut"]
    assert "matches on the ids" in link["description"]  # names change, and may be taken by someone else
    assert all(field.get("description") for field in link["properties"].values())


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
