"""Fixtures shared by every app's tests: real services, the demo providers, a browser."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from demo.providers import DemoProviders
from tests.browser import Browser
from tests.services import free_port

DEFAULT_PORTS = {"postgres": 5432, "postgresql": 5432, "pgsql": 5432, "postgis": 5432, "redis": 6379}
POSTGRES_SCHEMES = {"postgres", "postgresql", "pgsql", "postgis"}  # dj-database-url's names for Postgres


def _reachable(url: str) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname, parts.port or DEFAULT_PORTS.get(parts.scheme)), timeout=2):
            return True
    except OSError:
        return False


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Postgres and Redis are required; outside CI a missing one skips the suite, in CI it fails."""
    if urlsplit(os.environ["DATABASE_URL"]).scheme not in POSTGRES_SCHEMES:
        # A shell's DATABASE_URL for the demo's SQLite, say: the suite would skip as "not reachable" and pass.
        pytest.exit("the tests need Postgres: DATABASE_URL names another database (unset it)", returncode=1)
    missing = [name for name in ("DATABASE_URL", "REDIS_URL") if not _reachable(os.environ[name])]
    if not missing:
        return
    message = f"not reachable: {', '.join(missing)} (see README.md: `make test` needs Postgres and Redis)"
    if os.environ.get("CI") == "true":
        pytest.exit(message, returncode=1)
    for item in items:
        item.add_marker(pytest.mark.skip(reason=message))


@pytest.fixture
def free_tcp_port() -> int:
    """Our own, rather than the one anyio's pytest plugin happens to bring along with schemathesis."""
    return free_port()


@pytest.fixture(scope="session")
def providers() -> Iterator[DemoProviders]:
    server = DemoProviders(repo_count=150).start()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def _provider_settings(request: pytest.FixtureRequest, settings) -> Iterator[None]:
    """Point the app at the demo providers (started only for tests that need them)."""
    if "providers" not in request.fixturenames:
        yield
        return
    server = request.getfixturevalue("providers")
    for name, address in server.addresses().items():
        setattr(settings, name, address)
    yield
    server.reset()


@pytest.fixture(autouse=True)
def _empty_cache() -> Iterator[None]:
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture
def browser(live_server, providers) -> Browser:
    return Browser(live_server.url)


@pytest.fixture
def last_second_of_a_window() -> dict:
    """django-ratelimit's usage in the last second of a window, which may end at this very second: still a limit,
    with no time left."""
    return {"should_limit": True, "time_left": 0, "count": 11, "limit": 10}
