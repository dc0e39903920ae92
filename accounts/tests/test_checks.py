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


def test_allowed_hosts_left_at_this_machines_names_is_warned_about_with_https_on(settings):
    """Every request for the public name would be a 400, and `check --deploy` said nothing."""
    settings.HTTPS = True
    settings.ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
    assert "accounts.W003" in check_ids(deploy=True)

    settings.ALLOWED_HOSTS = [".localhost", "127.0.0.1", "[::1]"]  # Django's own for DEBUG
    assert "accounts.W003" in check_ids(deploy=True)

    settings.ALLOWED_HOSTS = ["links.example.org", "127.0.0.1"]
    assert "accounts.W003" not in check_ids(deploy=True)
    settings.HTTPS, settings.ALLOWED_HOSTS = False, ["127.0.0.1", "localhost"]  # the demo's
    assert "accounts.W003" not in check_ids(deploy=True)


def test_a_provider_across_the_network_over_plain_http_is_warned_about(settings):
    settings.HTTPS = True
    settings.GITHUB_URL = "http://ghe.example.com"
    messages = [m for m in run_checks(include_deployment_checks=True) if m.id == "accounts.W004"]
    assert len(messages) == 1 and messages[0].msg.startswith("GITHUB_URL is plain HTTP")

    for here in ("http://127.0.0.1:9000", "http://127.0.0.2:9000", "http://[::1]:9000", "http://localhost:9000"):
        settings.GITHUB_URL = here  # a stand-in on this machine (the demo's, the tests')
        assert "accounts.W004" not in check_ids(deploy=True), here


def test_a_client_address_function_that_cannot_be_imported_is_an_error_at_every_start(settings):
    """django-ratelimit imports it on a request: every sign-in was a 500."""
    settings.RATELIMIT_IP_META_KEY = "myproxy.client_ip"
    assert "accounts.E002" in check_ids(deploy=False)

    settings.RATELIMIT_IP_META_KEY = "linkapp.ratelimits.client_address"
    assert "accounts.E002" not in check_ids(deploy=False)
