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
def test_cache_down_is_503(client, settings):
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
