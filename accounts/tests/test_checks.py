"""The deploy checks (`manage.py check --deploy`), run in-process on the settings they read."""

from django.core.checks import run_checks


def check_ids(deploy: bool) -> set[str]:
    return {message.id for message in run_checks(include_deployment_checks=deploy)}


def test_a_client_address_function_of_the_operators_own_is_not_warned_about(settings):
    """RATELIMIT_IP_META_KEY may name a function (README, Configuration): it finds the address behind the proxy."""
    settings.HTTPS = True
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 0
    settings.CLIENT_ADDRESS_META_KEY = ""
    assert "accounts.W002" in check_ids(deploy=True)

    settings.RATELIMIT_IP_META_KEY = "proxyaddress.client_ip"
    assert "accounts.W002" not in check_ids(deploy=True)


def test_the_shared_cache_warning_is_for_deploys_not_every_development_command(settings):
    """The demo runs without Redis on purpose: `runserver` and `migrate` there say nothing about it."""
    settings.REDIS_URL = ""
    assert "accounts.W001" in check_ids(deploy=True)
    assert "accounts.W001" not in check_ids(deploy=False)
