"""Fixtures for fault tests: a private Redis behind a TCP proxy, and Postgres behind another; and Postgres
behind PgBouncer."""

from __future__ import annotations

import pytest
from django.db import connections

from tests.services import PrivatePgBouncer, PrivateRedis
from tests.tcp_proxy import TcpProxy


@pytest.fixture(scope="session")
def private_redis():
    server = PrivateRedis()
    yield server
    server.stop()


@pytest.fixture
def redis_proxy(private_redis, settings):
    """The app's cache and sessions on the private Redis, through a proxy the test controls;
    emptied first, so that nothing an earlier test left there can pass for this test's data."""
    private_redis.client().flushall()
    proxy = TcpProxy(private_redis.port)
    cache = dict(settings.CACHES["default"])
    cache["LOCATION"] = f"redis://127.0.0.1:{proxy.port}/0"
    settings.CACHES = {"default": cache}
    yield proxy
    proxy.stop()


@pytest.fixture
def postgres_proxy():
    """New database connections (every thread's, live_server's included) go through a proxy."""
    database = connections.settings["default"]
    proxy = TcpProxy(int(database.get("PORT") or 5432))
    original = database["PORT"]
    database["PORT"] = proxy.port
    connections.close_all()
    yield proxy
    proxy.set_mode("pass")
    database["PORT"] = original
    connections.close_all()
    proxy.stop()


@pytest.fixture(scope="session")
def pgbouncer(django_db_setup):
    """Stopped before the test database is dropped: its server connections would keep it in use."""
    database = connections.settings["default"]
    pooler = PrivatePgBouncer(database["HOST"] or "127.0.0.1", int(database["PORT"] or 5432), database["USER"])
    yield pooler
    pooler.stop()


@pytest.fixture
def through_pgbouncer(pgbouncer):
    """New database connections (every thread's, live_server's included) go through PgBouncer in transaction
    pooling, set up as README says: DATABASE_LOCK_TIMEOUT=0 (PgBouncer refuses startup options)."""
    database = connections.settings["default"]
    saved = {key: database[key] for key in ("PORT", "OPTIONS")}
    database["PORT"] = pgbouncer.port
    database["OPTIONS"] = {key: value for key, value in database["OPTIONS"].items() if key != "options"}
    connections.close_all()
    pgbouncer.wait_for_both_server_connections(database["NAME"])
    yield pgbouncer
    database.update(saved)
    connections.close_all()
