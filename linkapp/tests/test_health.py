import pytest


@pytest.mark.django_db
def test_healthy(client):
    for path in ("/healthz", "/readyz"):
        response = client.get(path)
        assert response.status_code == 200
        assert response.json() == {"status": "ok"}


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
