from collections.abc import Iterator

import pytest

from demo.providers import DemoProviders


# The project's conftest.py points Django at its own session providers and clears the
# Redis cache around every test. These tests start their own servers and need neither
# Django nor Redis, so those autouse fixtures are replaced here by same-named no-ops.
@pytest.fixture(autouse=True)
def _provider_settings() -> None:
    """No Django settings to point anywhere."""


@pytest.fixture(autouse=True)
def _empty_cache() -> None:
    """No cache to empty."""


@pytest.fixture(scope="module")
def server() -> Iterator[DemoProviders]:
    with DemoProviders() as providers:
        yield providers


@pytest.fixture
def providers(server: DemoProviders) -> Iterator[DemoProviders]:
    """One server per test module, as new for each test."""
    server.reset()
    server.delay = 0.0
    server.repo_count = 150
    yield server
