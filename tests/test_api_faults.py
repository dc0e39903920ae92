"""The API with Postgres or Redis down, as other services meet it: JSON they can read, never
the HTML page people get, and when to retry."""

from __future__ import annotations

import logging

import pytest
from allauth.socialaccount.models import SocialAccount
from django.contrib.auth.models import User
from django.core.cache import cache
from django.db import InterfaceError, connection
from django.test.utils import CaptureQueriesContext

from api.models import STAMPS_PAUSED, ApiToken
from tests.database_faults import locked, read_only_database
from tests.tcp_proxy import cut_after

pytestmark = pytest.mark.django_db(transaction=True)


def assert_json_503(response) -> None:
    assert response.status_code == 503
    assert response["Content-Type"].startswith("application/json")
    assert response.json() == {"detail": "Service unavailable; try again shortly."}
    assert int(response["Retry-After"]) > 0
    assert "no-store" in response["Cache-Control"]


def test_postgres_down(client, postgres_proxy, caplog):
    _, token = ApiToken.issue("discord-bot")
    postgres_proxy.set_mode("refuse")

    assert_json_503(client.get("/api/v1/links", {"discord_id": "1"}, HTTP_AUTHORIZATION=f"Bearer {token}"))
    # One line naming the cause, not a traceback per request through the outage.
    (warned,) = [r for r in caplog.records if r.name == "linkapp.api"]
    assert warned.getMessage().startswith("api unavailable: database unavailable: OperationalError: ")
    assert warned.exc_info is None

    postgres_proxy.set_mode("pass")
    connection.close()  # a server drops a broken connection after the request; the test client does not
    assert client.get("/api/v1/links", {"discord_id": "1"}, HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200


def test_redis_down(client, redis_proxy):
    """The bearer API needs Redis for its rate limit; /me/links for the session."""
    _, token = ApiToken.issue("discord-bot")
    user = User.objects.create(username="nelly")
    SocialAccount.objects.create(user=user, provider="discord", uid="111", extra_data={})
    client.force_login(user)
    redis_proxy.set_mode("refuse")

    assert_json_503(client.get("/api/v1/links", {"discord_id": "1"}, HTTP_AUTHORIZATION=f"Bearer {token}"))
    assert_json_503(client.get("/api/v1/me/links"))

    redis_proxy.set_mode("pass")
    assert client.get("/api/v1/me/links").status_code == 200


@pytest.mark.parametrize("fault", ["full", "replica"])
def test_a_redis_that_refuses_writes(client, redis_proxy, private_redis, fault):
    """The bearer API counts each request in Redis for its rate limit, which a full Redis or a replica refuses:
    a 503 rather than answers without a limit. /me/links only reads the session, so it goes on answering."""
    _, token = ApiToken.issue("discord-bot")
    user = User.objects.create(username="nelly")
    SocialAccount.objects.create(user=user, provider="discord", uid="111", extra_data={})
    client.force_login(user)
    with private_redis.refusing_writes(fault):
        assert_json_503(client.get("/api/v1/links", {"discord_id": "1"}, HTTP_AUTHORIZATION=f"Bearer {token}"))
        assert client.get("/api/v1/me/links").status_code == 200

    assert client.get("/api/v1/links", {"discord_id": "1"}, HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200


def test_a_connection_the_driver_reports_unusable_is_json_too(client, monkeypatch):
    """Django's InterfaceError (a connection already closed) is no DatabaseError: it must not fall through to the
    HTML page people get."""
    _, token = ApiToken.issue("discord-bot")

    def closed(_raw):
        raise InterfaceError("connection already closed")

    monkeypatch.setattr(ApiToken, "authenticate", closed)
    client.raise_request_exception = False
    assert_json_503(client.get("/api/v1/links", {"discord_id": "1"}, HTTP_AUTHORIZATION=f"Bearer {token}"))


def test_postgres_failing_after_the_token_was_accepted(client, postgres_proxy, monkeypatch):
    """The failure comes from the view's own query this time, not from authentication."""
    _, token = ApiToken.issue("discord-bot")
    cut_after(postgres_proxy, monkeypatch, ApiToken, "authenticate")
    assert_json_503(client.get("/api/v1/links", {"discord_id": "1"}, HTTP_AUTHORIZATION=f"Bearer {token}"))


def test_a_database_that_only_reads_still_answers_reads(client, caplog):
    """A standby during a failover: the token's last-used stamp cannot be written, which must not cost
    other services the links they read. The stamp is written once the database takes writes again."""
    _, token = ApiToken.issue("discord-bot")
    with read_only_database():
        connection.close()  # the next request's connection is one that only reads
        with CaptureQueriesContext(connection) as queries, caplog.at_level(logging.WARNING, "linkapp.api"):
            responses = [
                client.get("/api/v1/links", {"discord_id": "1"}, HTTP_AUTHORIZATION=f"Bearer {token}") for _ in range(3)
            ]
        assert ApiToken.objects.get().last_used_at is None
    assert [(r.status_code, r.json()["links"]) for r in responses] == [(200, [])] * 3
    # Tried once, not on every request: a busy service's requests would each add a failing write and a warning.
    assert sum("UPDATE" in query["sql"] for query in queries.captured_queries) == 1
    assert caplog.text.count("last use not recorded") == 1
    assert 0 < cache.ttl(STAMPS_PAUSED) <= 60  # a pause, not for good
    cache.delete(STAMPS_PAUSED)  # as a minute later

    connection.close()
    assert client.get("/api/v1/links", {"discord_id": "1"}, HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200
    assert ApiToken.objects.get().last_used_at is not None


def test_a_token_row_held_locked_still_answers_reads(client, caplog):
    """Another session holds the token's row (an admin's open transaction, say): the last-used stamp gives up
    at the lock timeout, and the service gets its links, not a 503. Later requests skip the stamp a while."""
    stored, token = ApiToken.issue("discord-bot")
    with locked(ApiToken._meta.db_table, stored.pk), caplog.at_level(logging.WARNING, "linkapp.api"):
        responses = [
            client.get("/api/v1/links", {"discord_id": "1"}, HTTP_AUTHORIZATION=f"Bearer {token}") for _ in range(2)
        ]

    assert [(r.status_code, r.json()["links"]) for r in responses] == [(200, [])] * 2
    assert caplog.text.count("last use not recorded") == 1 and "LockNotAvailable" in caplog.text
    assert ApiToken.objects.get().last_used_at is None
