import pytest


# The project's conftest.py points Django at its own session providers and clears the
# Redis cache around every test. These tests start their own servers and need neither
# Django nor Redis, so those autouse fixtures are replaced here by same-named no-ops.
@pytest.fixture(autouse=True)
def _provider_settings() -> None:
    """No Django settings to point anywhere."""


@pytest.fixture(autouse=True)
def _empty_cache() -> None:
    """No cache to empty."""
