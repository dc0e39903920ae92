import logging

import pytest
from django.core.cache import cache
from django.db import OperationalError, connection
from django.test import Client
from django.test.utils import CaptureQueriesContext


@pytest.mark.django_db
def test_healthy(client):
    for path in ("/healthz", "/readyz"):
        response = client.get(path)
        assert response.status_code == 200
        assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_no_cache_in_front_keeps_an_answer(client, settings):
    """A balancer must see the instance as it is now, not a 200 (or a 503) a cache kept."""
    assert "no-store" in client.get("/healthz")["Cache-Control"]
    assert "no-store" in client.get("/readyz")["Cache-Control"]
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    unready = client.get("/readyz")
    assert unready.status_code == 503 and "no-store" in unready["Cache-Control"]


@pytest.mark.django_db
def test_a_database_down_is_one_line_naming_its_error(client, monkeypatch, caplog):
    def refused(*args, **kwargs):
        raise OperationalError("connection refused\n\tIs the server running on that host?")

    monkeypatch.setattr(connection, "cursor", refused)
    with caplog.at_level(logging.WARNING, logger="linkapp.health"):
        response = client.get("/readyz")

    assert (response.status_code, response.json()["failed"]) == (503, ["database"])
    (warned,) = [r for r in caplog.records if r.name == "linkapp.health"]
    assert warned.getMessage() == "health: database unavailable: OperationalError: connection refused"
    assert warned.exc_info is None


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["head", "options"])
def test_a_balancers_check_may_ask_with_head_or_options(client, method):
    """HAProxy's `option httpchk /healthz` sends OPTIONS; a 405 would mark every instance down."""
    assert getattr(client, method)("/healthz").status_code == 200


@pytest.mark.django_db
def test_cache_down_is_503(client, settings, caplog):
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.5, "SOCKET_TIMEOUT": 0.5},
        }
    }
    # Sessions live in that cache too; the health check needs no session.
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["failed"] == ["cache"]
    warnings = [r for r in caplog.records if r.name == "linkapp.health"]
    assert [r.levelname for r in warnings] == ["WARNING"]
    assert warnings[0].getMessage().startswith("health: cache unavailable: ")
    assert "Error" in warnings[0].getMessage()  # the cause, in the same line
    assert warnings[0].exc_info is None  # no traceback for each probe of an outage


@pytest.mark.django_db
def test_a_cache_that_takes_writes_and_loses_them_is_503(client, settings):
    """A Redis out of memory that evicts at once, or a cache set up wrong (the dummy one): it answers, but keeps
    no session."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    response = client.get("/readyz")
    assert (response.status_code, response.json()["failed"]) == (503, ["cache"])


@pytest.mark.django_db
def test_a_cross_site_post_to_the_health_check_changes_nothing(django_user_model):
    """Why /healthz may be csrf_exempt: a forged POST from another site, with a signed-in person's cookies,
    reads the database, writes only the check's own key to the cache, and touches no session or cookie."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(django_user_model.objects.create(username="nelly"))
    session_before = dict(client.session)
    keys_before = set(cache.keys("*"))
    with CaptureQueriesContext(connection) as queries:
        response = client.post("/healthz", {"anything": "1"}, HTTP_ORIGIN="https://evil.example")

    assert (response.status_code, response.json()) == (200, {"status": "ok"})
    assert [q["sql"] for q in queries.captured_queries] == ["SELECT 1"]
    assert not response.cookies  # no session, CSRF or messages cookie set or renewed
    assert dict(client.session) == session_before
    assert set(cache.keys("*")) - keys_before <= {"healthz"}
