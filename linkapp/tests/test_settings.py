"""Production settings, checked the way an operator would run them."""

import json
import logging
import os
import runpy
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.core.exceptions import ImproperlyConfigured

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "DEBUG": "0",
    "HTTPS": "1",
    "SECRET_KEY": "x9!k2#p" * 10,
    "ALLOWED_HOSTS": "links.example.org",
    "TRUSTED_PROXY_COUNT": "1",
    "REDIS_URL": "redis://127.0.0.1:6379/9",
    "DISCORD_CLIENT_ID": "1",
    "DISCORD_CLIENT_SECRET": "discord-secret",
    "GITHUB_CLIENT_ID": "Iv1.1",
    "GITHUB_CLIENT_SECRET": "github-secret",
}


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    # As an operator would run it: none of the test run's own variables (e2e sets DJANGO_ALLOW_ASYNC_UNSAFE).
    clean = {k: v for k, v in os.environ.items() if k not in PRODUCTION and k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def read_settings() -> dict:
    """settings.py as a process started with this one's environment (as the test set it) would read it."""
    return runpy.run_path(str(ROOT / "linkapp" / "settings.py"))


def production_answers(code: str, **env: str) -> list[str]:
    """The last line `code` prints in a production shell on the test run's own Postgres and Redis."""
    here = {"REDIS_URL": os.environ["REDIS_URL"], "DATABASE_URL": os.environ["DATABASE_URL"]}
    result = manage("shell", "-c", code, **{**PRODUCTION, **here, **env})
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()[-1].split()


def test_production_settings_pass_check_deploy():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_names_missing_credentials_and_redis():
    env = {name: value for name, value in PRODUCTION.items() if "CLIENT" not in name and name != "REDIS_URL"}
    result = manage("check", "--deploy", **env)
    assert result.returncode != 0
    assert "accounts.E001" in result.stderr and "GITHUB_CLIENT_SECRET" in result.stderr
    assert "accounts.W001" in result.stderr and "REDIS_URL is not set" in result.stderr


def test_check_deploy_warns_when_every_person_would_have_the_proxys_address():
    env = {name: value for name, value in PRODUCTION.items() if name != "TRUSTED_PROXY_COUNT"}
    result = manage("check", "--deploy", **env)
    assert "accounts.W002" in result.stderr and "TRUSTED_PROXY_COUNT is 0" in result.stderr
    # A header the proxy sets serves as well; and without HTTPS there is no TLS proxy to warn about.
    for quiet in ({**env, "RATELIMIT_IP_META_KEY": "HTTP_X_REAL_IP"}, {**env, "HTTPS": "0"}):
        result = manage("check", "--deploy", **quiet)
        assert result.returncode == 0 and "accounts.W002" not in result.stderr, result.stderr


@pytest.mark.parametrize("secret_key", [None, " "], ids=["unset", "spaces"])
def test_secret_key_is_required_in_production(secret_key):
    env = dict(PRODUCTION)
    env.pop("SECRET_KEY")
    result = manage("check", **env, **({} if secret_key is None else {"SECRET_KEY": secret_key}))
    assert result.returncode != 0
    assert "SECRET_KEY is required" in result.stderr


@pytest.mark.parametrize("blank", ["", "  "], ids=["empty", "spaces"])
def test_a_variable_set_but_empty_takes_its_default(blank):
    """`NAME=` in a compose file or a systemd unit means "not set", not "empty"."""
    empty = dict.fromkeys(
        ["ALLOWED_HOSTS", "DATABASE_URL", "REDIS_URL", "GITHUB_URL", "GITHUB_API_URL", "GITHUB_SCOPES"]
        + ["LINK_MIN_PERMISSION", "WIZARD_TTL", "PROVIDER_TIMEOUT"],
        blank,
    )
    shown = ["ALLOWED_HOSTS", "DATABASES", "GITHUB_API_URL", "GITHUB_SCOPES", "LINK_MIN_PERMISSION", "WIZARD_TTL"]
    code = f"import json; from django.conf import settings as s; print(json.dumps([getattr(s, n) for n in {shown}]))"
    result = manage("shell", "-c", code, **{**PRODUCTION, **empty})
    assert result.returncode == 0, result.stderr
    hosts, databases, api, scopes, permission, ttl = json.loads(result.stdout.splitlines()[-1])
    assert hosts == ["127.0.0.1", "localhost"]
    assert databases["default"]["NAME"].endswith("db.sqlite3")
    assert (api, scopes, permission, ttl) == ("https://api.github.com", ["read:user"], "push", 900)


def test_old_secret_keys_are_read_as_fallbacks(monkeypatch):
    monkeypatch.setenv("SECRET_KEY_FALLBACKS", "old-key-1!@#$%^&*(-_=+), old-key-2")
    assert read_settings()["SECRET_KEY_FALLBACKS"] == ["old-key-1!@#$%^&*(-_=+)", "old-key-2"]
    monkeypatch.delenv("SECRET_KEY_FALLBACKS")
    assert read_settings()["SECRET_KEY_FALLBACKS"] == []


def test_an_empty_private_scope_list_turns_the_private_step_up_off():
    code = "from django.conf import settings as s; print(s.GITHUB_PRIVATE_SCOPES)"
    assert manage("shell", "-c", code, **PRODUCTION, GITHUB_PRIVATE_SCOPES="").stdout.splitlines()[-1] == "[]"
    assert manage("shell", "-c", code, **PRODUCTION, GITHUB_PRIVATE_SCOPES=" ").stdout.splitlines()[-1] == "[]"
    assert manage("shell", "-c", code, **PRODUCTION).stdout.splitlines()[-1] == "['repo']"


def test_a_number_that_is_not_one_is_a_clear_error():
    result = manage("check", **PRODUCTION, WIZARD_TTL="15m")
    assert result.returncode != 0
    assert "WIZARD_TTL must be a number, not '15m'." in result.stderr


def test_log_level_applies_to_djangos_own_loggers_too():
    """Django configures its `django` logger at INFO with handlers of its own: LOG_LEVEL=ERROR still let
    through every "Not Found" a scanner causes, and under DEBUG=1 each of Django's lines was written twice."""
    code = (
        "import logging; request = logging.getLogger('django.request');"
        "print(request.getEffectiveLevel(), len(logging.getLogger('django').handlers))"
    )
    quiet = manage("shell", "-v", "0", "-c", code, **PRODUCTION, LOG_LEVEL="ERROR")
    debug = manage("shell", "-v", "0", "-c", code, DEBUG="1", LOG_LEVEL="INFO")

    assert quiet.stdout.split() == [str(logging.ERROR), "0"], quiet.stderr
    assert debug.stdout.split() == [str(logging.INFO), "0"], debug.stderr


@pytest.mark.parametrize(
    "name,value,error",
    [
        ("WIZARD_TTL", "0", "more than 0"),
        ("WIZARD_TTL", "-900", "more than 0"),
        ("PROVIDER_TIMEOUT", "0", "more than 0"),
        ("PROVIDER_TIMEOUT", "nan", "more than 0"),
        ("CONN_MAX_AGE", "-1", "0 or more"),
        ("DATABASE_LOCK_TIMEOUT", "-5", "0 or more"),
    ],
)
def test_a_number_out_of_range_is_a_clear_error(name, value, error):
    """WIZARD_TTL=0 passed every check and then expired every sign-in the moment it began."""
    result = manage("check", **PRODUCTION, **{name: value})
    assert result.returncode != 0
    assert f"{name} must be {error}, not {value!r}." in result.stderr


@pytest.mark.parametrize("rate", ["600 per minute", "0.5/s", "600/0m", "600/", "0/m"])
def test_a_rate_limit_that_is_not_a_count_per_period_is_a_clear_error(monkeypatch, rate):
    """django-ratelimit reads it only on a request: unchecked, every limited request would be a 500."""
    monkeypatch.setenv("LOGIN_RATE_LIMIT", "100/5M")
    monkeypatch.setenv("API_RATE_LIMIT", rate)
    with pytest.raises(ImproperlyConfigured) as refused:
        read_settings()
    assert str(refused.value) == f"API_RATE_LIMIT must be a count per period, such as 30/m or 100/5m, not {rate!r}."
    monkeypatch.setenv("API_RATE_LIMIT", " 10/h ")
    read = read_settings()
    assert (read["LOGIN_RATE_LIMIT"], read["API_RATE_LIMIT"]) == ("100/5m", "10/h")
    monkeypatch.setenv("API_RATE_LIMIT", " ")  # set but blank: unset, as for every other variable
    assert read_settings()["API_RATE_LIMIT"] == "600/m"


@pytest.mark.parametrize(
    "value,header,function",
    [
        ("", "", "linkapp.ratelimits.client_address"),
        ("REMOTE_ADDR", "", "linkapp.ratelimits.client_address"),  # the default, written out
        ("HTTP_X_REAL_IP", "HTTP_X_REAL_IP", "linkapp.ratelimits.client_address"),  # read by ours, with a fallback
        ("myproxy.addresses.client_ip", "", "myproxy.addresses.client_ip"),  # a function of the operator's own
    ],
)
def test_where_rate_limits_read_the_client_address(monkeypatch, value, header, function):
    monkeypatch.setenv("RATELIMIT_IP_META_KEY", value)
    read = read_settings()
    assert (read["CLIENT_ADDRESS_META_KEY"], read["RATELIMIT_IP_META_KEY"]) == (header, function)


def test_a_header_named_as_http_writes_it_is_a_clear_error(monkeypatch):
    """X-Real-IP is never in request.META: every person would count against the proxy's address, quietly."""
    monkeypatch.setenv("RATELIMIT_IP_META_KEY", "X-Real-IP")
    with pytest.raises(ImproperlyConfigured, match="X-Real-IP is HTTP_X_REAL_IP"):
        read_settings()


def test_a_switch_that_is_neither_on_nor_off_is_a_clear_error():
    result = manage("check", **{**PRODUCTION, "HTTPS": "ture"})
    assert result.returncode != 0
    assert "HTTPS must be 1 or 0 (true/false, yes/no, on/off), not 'ture'." in result.stderr
    off = manage(
        "shell", "-c", "from django.conf import settings as s; print(s.HTTPS)", **{**PRODUCTION, "HTTPS": "Off"}
    )
    assert off.stdout.splitlines()[-1] == "False"


def test_postgres_timeouts_have_defaults_and_the_url_may_set_them():
    code = "import json; from django.conf import settings as s; print(json.dumps(s.DATABASES['default']['OPTIONS']))"
    url = "postgres://linkapp@db.example.org:5432/linkapp"
    defaults = json.loads(manage("shell", "-c", code, **PRODUCTION, DATABASE_URL=url).stdout.splitlines()[-1])
    assert defaults == {
        "connect_timeout": 5,
        "keepalives": 1,
        "keepalives_idle": 5,
        "keepalives_interval": 2,
        "keepalives_count": 3,
        "tcp_user_timeout": 10000,
        "options": "-c lock_timeout=5000",
    }
    set_in_url = manage("shell", "-c", code, **PRODUCTION, DATABASE_URL=url + "?connect_timeout=2&keepalives_idle=30")
    options = json.loads(set_in_url.stdout.splitlines()[-1])
    assert int(options["connect_timeout"]) == 2 and int(options["keepalives_idle"]) == 30
    assert options["tcp_user_timeout"] == 10000


def test_the_cdn_follows_discord_url_unless_named(monkeypatch):
    def cdn(**env: str) -> str:
        for name in ("DISCORD_URL", "DISCORD_CDN_URL"):
            monkeypatch.delenv(name, raising=False)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        return read_settings()["DISCORD_CDN_URL"]

    assert cdn() == "https://cdn.discordapp.com"
    assert cdn(DISCORD_URL="http://127.0.0.1:9000/discord") == ""
    assert cdn(DISCORD_URL="http://127.0.0.1:9000/discord", DISCORD_CDN_URL="http://127.0.0.1:9000/cdn/") == (
        "http://127.0.0.1:9000/cdn"
    )


@pytest.mark.parametrize(
    "name,value",
    [
        ("GITHUB_URL", "github.com"),  # no scheme: a redirect relative to our own site
        ("GITHUB_URL", "https://ghe.example.com:99999"),  # passed, then a 500 on every callback
        ("GITHUB_URL", "https://ghe.example.com:443x"),
        ("GITHUB_API_URL", "https://:443"),
        ("DISCORD_URL", "ftp://discord.example.com"),
        ("DISCORD_URL", "https://user:password@discord.example.com"),
        ("DISCORD_CDN_URL", "https://cdn.example.com/?v=1"),
        ("GITHUB_URL", "https://github.com/?"),  # an empty query: its login address would be .../?/login/oauth
        ("GITHUB_URL", "https://github.com#"),  # a fragment: every path appended after it is never sent
        ("DISCORD_URL", "https://discord.example.com:0"),  # no server listens on port 0
    ],
)
def test_a_provider_address_that_is_not_one_is_a_clear_error(monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(ImproperlyConfigured) as refused:
        read_settings()
    assert str(refused.value) == f"{name} must be an address such as https://github.com, not {value!r}."


def test_a_provider_address_is_read_without_its_trailing_slash_and_blank_is_unset(monkeypatch):
    monkeypatch.setenv("GITHUB_URL", "HTTPS://GHE.example.com:8443/")
    monkeypatch.delenv("GITHUB_API_URL", raising=False)
    read = read_settings()
    assert (read["GITHUB_URL"], read["GITHUB_API_URL"]) == (
        "HTTPS://GHE.example.com:8443",  # as written: linkapp.oauth compares it with GitHub's `iss` as GitHub writes
        "HTTPS://GHE.example.com:8443/api/v3",
    )
    monkeypatch.setenv("GITHUB_URL", " ")
    monkeypatch.setenv("DISCORD_URL", " ")
    read = read_settings()
    assert (read["GITHUB_URL"], read["DISCORD_URL"]) == ("https://github.com", "https://discord.com")


def test_a_choice_may_be_written_in_any_case_and_anything_else_is_a_clear_error(monkeypatch):
    """`LOG_LEVEL=info`, as gunicorn's --log-level is written, would otherwise stop every worker from booting."""
    monkeypatch.setenv("LOG_LEVEL", "info")
    monkeypatch.setenv("LOG_FORMAT", "JSON")
    monkeypatch.setenv("LINK_MIN_PERMISSION", " Admin ")
    read = read_settings()
    assert (read["LOGGING"]["root"]["level"], read["LOG_FORMAT"], read["LINK_MIN_PERMISSION"]) == (
        "INFO",
        "json",
        "admin",
    )

    monkeypatch.setenv("LOG_FORMAT", " ")  # set but blank: unset, as for every other variable
    assert read_settings()["LOG_FORMAT"] == "plain"

    monkeypatch.setenv("LOG_LEVEL", "loud")
    with pytest.raises(ImproperlyConfigured) as refused:
        read_settings()
    assert str(refused.value) == "LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL, not 'loud'."


@pytest.mark.parametrize(
    ("query", "env", "timeouts"),
    [
        ("", {}, "0 5s"),
        ("options=-c%20statement_timeout%3D50", {}, "50ms 5s"),  # README: added to the lock_timeout
        ("options=-c%20lock_timeout%3D0", {}, "0 0"),  # README: `migrate` without a lock_timeout
        ("options=-c%20lock_timeout%3D70&options=-c%20statement_timeout%3D60", {}, "60ms 70ms"),
        ("", {"DATABASE_LOCK_TIMEOUT": "0.5"}, "0 500ms"),
        ("", {"DATABASE_LOCK_TIMEOUT": "0"}, "0 0"),
        ("", {"PGOPTIONS": "-c statement_timeout=80"}, "80ms 5s"),  # libpq's own variable, not overridden
        ("", {"PGOPTIONS": "-c lock_timeout=90"}, "0 90ms"),
        ("", {"PGOPTIONS": "-c statement_timeout=80", "DATABASE_LOCK_TIMEOUT": "0"}, "80ms 0"),
        ("options=-c%20lock_timeout%3D70", {"PGOPTIONS": "-c lock_timeout=90"}, "0 70ms"),  # the URL's, the nearer
    ],
)
def test_server_options_reach_the_connection_beside_the_defaults(query, env, timeouts):
    """README: `?options=-c statement_timeout=N` in DATABASE_URL, beside the connection defaults kept."""
    server = urlsplit(os.environ["DATABASE_URL"])  # the test run's Postgres; its always-present database
    url = server._replace(path="/postgres", query=query).geturl()
    code = (
        "from django.db import connection\n"
        "with connection.cursor() as cursor:\n"
        "    cursor.execute('SELECT current_setting(%s), current_setting(%s)', ['statement_timeout', 'lock_timeout'])\n"
        "    print(*cursor.fetchone(), connection.get_connection_params()['connect_timeout'])"
    )
    result = manage("shell", "-c", code, **PRODUCTION, DATABASE_URL=url, **env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == f"{timeouts} 5"


def test_no_server_options_are_sent_when_there_are_none():
    """A connection pooler (PgBouncer) may refuse a connection that carries startup options at all."""
    code = "import json; from django.conf import settings as s; print(json.dumps(s.DATABASES['default']['OPTIONS']))"
    url = "postgres://linkapp@db.example.org:5432/linkapp"
    result = manage("shell", "-c", code, **PRODUCTION, DATABASE_URL=url, DATABASE_LOCK_TIMEOUT="0")
    assert "options" not in json.loads(result.stdout.splitlines()[-1])


def test_a_managed_redis_over_tls_keeps_its_user_password_and_ca_from_the_url():
    """README, "On a container platform": `rediss://`, credentials and `ssl_ca_certs` reach redis-py as written,
    beside our socket timeouts."""
    code = (
        "import json; from django_redis import get_redis_connection\n"
        "pool = get_redis_connection().connection_pool\n"
        "print(json.dumps([pool.connection_class.__name__, pool.connection_kwargs], default=repr))"
    )
    url = "rediss://linkapp:p%40ss@redis.example.org:6380/2?ssl_ca_certs=/etc/ssl/managed-redis.pem"
    result = manage("shell", "-c", code, **{**PRODUCTION, "REDIS_URL": url})
    assert result.returncode == 0, result.stderr
    connection_class, kwargs = json.loads(result.stdout.splitlines()[-1])
    assert connection_class == "SSLConnection"
    assert {name: kwargs.get(name) for name in ("host", "port", "db", "username", "password", "ssl_ca_certs")} == {
        "host": "redis.example.org",
        "port": 6380,
        "db": 2,
        "username": "linkapp",
        "password": "p@ss",
        "ssl_ca_certs": "/etc/ssl/managed-redis.pem",
    }
    assert (kwargs["socket_connect_timeout"], kwargs["socket_timeout"]) == (2, 2)


def test_callback_urls_are_https_even_where_the_proxys_hop_is_plain_http():
    """SECURE_SSL_REDIRECT=0 (the proxy redirects itself) and a proxy whose X-Forwarded-Proto is not trusted:
    the request looks like plain HTTP, and Discord and GitHub would refuse an http:// callback."""
    code = (
        "from django.test import Client\n"
        "print(Client().post('/accounts/discord/login/', HTTP_HOST='links.example.org').headers['Location'])"
    )
    result = manage("shell", "-c", code, **{**PRODUCTION, "SECURE_SSL_REDIRECT": "0"})
    assert result.returncode == 0, result.stderr
    assert "redirect_uri=https%3A%2F%2Flinks.example.org%2Faccounts%2Fdiscord%2Flogin%2Fcallback%2F" in result.stdout


def test_oauth_credentials_lose_the_newline_a_secret_file_leaves(monkeypatch):
    """A Kubernetes or Docker secret made from a file (`echo s3cret > file`) ends in a newline: sent as it is,
    Discord does not know the client id and GitHub refuses the secret."""
    names = ("DISCORD_CLIENT_ID", "DISCORD_CLIENT_SECRET", "GITHUB_CLIENT_ID", "GITHUB_CLIENT_SECRET")
    for name, value in zip(names, ("1234\n", " d-secret\n", "Iv1.1\r\n", "g-secret\n"), strict=True):
        monkeypatch.setenv(name, value)
    read = read_settings()
    assert [read[name] for name in names] == ["1234", "d-secret", "Iv1.1", "g-secret"]


def test_scopes_may_be_written_as_github_writes_them(monkeypatch):
    """GitHub writes scopes with spaces (`repo read:org`); read as one scope, the picker would never see the
    private access the person granted."""
    monkeypatch.setenv("GITHUB_SCOPES", "read:user, user:email")
    monkeypatch.setenv("GITHUB_PRIVATE_SCOPES", "repo read:org")
    read = read_settings()
    assert (read["GITHUB_SCOPES"], read["GITHUB_PRIVATE_SCOPES"]) == (["read:user", "user:email"], ["repo", "read:org"])


@pytest.mark.parametrize("github_url", ["https://GitHub.com", "https://github.com:443/", "HTTPS://github.com"])
def test_github_com_however_written_has_its_own_api_address(monkeypatch, github_url):
    monkeypatch.setenv("GITHUB_URL", github_url)
    monkeypatch.delenv("GITHUB_API_URL", raising=False)
    assert read_settings()["GITHUB_API_URL"] == "https://api.github.com"


@pytest.mark.parametrize(
    "value",
    [
        "redis.example.org:6379",
        "127.0.0.1",
        "reddis://:s3cret@redis.example.org/0",
        "REDIS://127.0.0.1:6379/0",  # redis-py reads the scheme as written
        "redis:127.0.0.1:6379",
    ],
)
def test_a_redis_url_without_a_redis_scheme_is_a_clear_error(monkeypatch, value):
    """Else every page is a 500: django-redis reads the address only on the first request. The message does not
    repeat the value, which may hold Redis's password."""
    monkeypatch.setenv("REDIS_URL", value)
    with pytest.raises(ImproperlyConfigured) as refused:
        read_settings()
    assert str(refused.value) == "REDIS_URL must begin with redis://, rediss:// or unix://."


@pytest.mark.parametrize("value", ["https://links.example.org", "links.example.org:443", "links.example.org/", "::1"])
def test_a_host_django_would_never_match_is_a_clear_error(monkeypatch, value):
    """Django compares the Host header's name without its port: such an entry answers every request, /readyz
    included, with a 400."""
    monkeypatch.setenv("ALLOWED_HOSTS", f"127.0.0.1,{value}")
    with pytest.raises(ImproperlyConfigured) as refused:
        read_settings()
    assert str(refused.value) == (
        f"ALLOWED_HOSTS takes host names such as links.example.org (no scheme, port or path), not {value!r}."
    )


def test_hosts_django_matches_are_taken(monkeypatch):
    monkeypatch.setenv("ALLOWED_HOSTS", "links.example.org, .example.com,[::1],*")
    assert read_settings()["ALLOWED_HOSTS"] == [
        "links.example.org",
        ".example.com",
        "[::1]",
        "*",
    ]


def test_trusted_origins_are_written_as_browsers_send_them(monkeypatch):
    """Django compares the Origin header exactly: a capital or a trailing slash would refuse every form."""
    monkeypatch.setenv(
        "CSRF_TRUSTED_ORIGINS",
        "https://Links.example.org/, https://*.example.com, http://127.0.0.1:8000, https://a.org:443, app://x",
    )
    assert read_settings()["CSRF_TRUSTED_ORIGINS"] == [
        "https://links.example.org",
        "https://*.example.com",
        "http://127.0.0.1:8000",
        "https://a.org",
        "app://x",
    ]


@pytest.mark.parametrize(
    ("value", "read"), [("/linkapp", "/linkapp"), (" /apps/link.app/ ", "/apps/link.app"), ("/", None), ("", None)]
)
def test_the_path_the_app_is_served_under_is_read_without_its_trailing_slash(monkeypatch, value, read):
    monkeypatch.setenv("FORCE_SCRIPT_NAME", value)
    assert read_settings()["FORCE_SCRIPT_NAME"] == read


@pytest.mark.parametrize(
    "value",
    [
        "linkapp",
        "https://links.example.org/linkapp",
        "//evil.example/x",
        "/apps//linkapp",
        "/link app",
        "/link%20app",
        "/linkapp?x=1",
        "/a#b",
        "/..",
        "/apps/./linkapp",
    ],
)
def test_a_path_to_serve_under_that_is_not_one_is_a_clear_error(monkeypatch, value):
    """Every link and redirect the app makes starts with it: `//evil.example` would send people to another site,
    `/..` to the host's root, and `%20` would be written `%2520` by Django's reverse()."""
    monkeypatch.setenv("FORCE_SCRIPT_NAME", value)
    with pytest.raises(ImproperlyConfigured) as refused:
        read_settings()
    assert str(refused.value) == f"FORCE_SCRIPT_NAME must be a path such as /linkapp, not {value!r}."


@pytest.mark.parametrize(
    "value", ["links.example.org", "https://links.example.org/accounts", "https://", "https://[::1", "https://a.org:x"]
)
def test_a_trusted_origin_that_is_not_one_is_a_clear_error(monkeypatch, value):
    monkeypatch.setenv("CSRF_TRUSTED_ORIGINS", value)
    with pytest.raises(ImproperlyConfigured) as refused:
        read_settings()
    assert str(refused.value) == (
        f"CSRF_TRUSTED_ORIGINS takes origins such as https://links.example.org (no path), not {value!r}."
    )


@pytest.mark.parametrize(
    "word,on", [("1", True), ("true", True), ("Yes", True), ("ON", True), ("no", False), ("0", False)]
)
def test_a_switch_takes_every_word_its_error_names(monkeypatch, word, on):
    """The error names 1/0, true/false, yes/no, on/off: `HTTPS=true` read as off would drop secure cookies and HSTS."""
    monkeypatch.setenv("HTTPS", word)
    assert read_settings()["HTTPS"] is on


def test_unset_variables_take_the_documented_defaults(monkeypatch):
    """README's Configuration table: an operator who sets none of these gets exactly these."""
    for name in (
        "DEBUG",
        "HTTPS",
        "SECURE_SSL_REDIRECT",
        "PROVIDER_TIMEOUT",
        "LOGIN_RATE_LIMIT",
        "CONN_MAX_AGE",
        "GITHUB_MAX_CONCURRENCY",
        "LOG_LEVEL",
        "CSRF_TRUSTED_ORIGINS",
        "REDIS_URL",
        "GITHUB_PRIVATE_SCOPES",
    ):
        monkeypatch.delenv(name, raising=False)
    read = read_settings()
    assert read["CSRF_TRUSTED_ORIGINS"] == []
    assert read["CACHES"]["default"]["BACKEND"] == "django.core.cache.backends.locmem.LocMemCache"  # in-process
    assert read["GITHUB_PRIVATE_SCOPES"] == ["repo"]
    assert (read["DEBUG"], read["HTTPS"], read["SECURE_SSL_REDIRECT"]) == (False, True, True)
    assert (read["PROVIDER_TIMEOUT"], read["LOGIN_RATE_LIMIT"], read["GITHUB_MAX_CONCURRENCY"]) == (10, "30/m", 8)
    assert read["DATABASES"]["default"]["CONN_MAX_AGE"] == 60
    assert read["LOGGING"]["root"]["level"] == "INFO"


def test_https_is_off_by_default_only_in_development(monkeypatch):
    monkeypatch.delenv("HTTPS", raising=False)
    monkeypatch.setenv("DEBUG", "1")
    assert read_settings()["HTTPS"] is False


def test_in_development_each_start_without_a_secret_key_makes_up_its_own(monkeypatch):
    """CONTRACT.md: a random key when DEBUG=1; never a fixed one, which anyone who read the source could sign
    sessions with."""
    monkeypatch.setenv("DEBUG", "1")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    first, second = read_settings()["SECRET_KEY"], read_settings()["SECRET_KEY"]
    assert len(first) >= 50
    assert first != second


def test_without_debug_set_a_secret_key_is_required(monkeypatch):
    """DEBUG defaults to 0: production unless development is asked for."""
    monkeypatch.delenv("DEBUG", raising=False)
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(ImproperlyConfigured, match="SECRET_KEY is required when DEBUG=0."):
        read_settings()


def test_an_endless_number_of_seconds_is_a_clear_error(monkeypatch):
    """`PROVIDER_TIMEOUT=inf` is a float Python reads, but no socket takes it: every call to Discord or GitHub
    would fail, long after the app started."""
    monkeypatch.setenv("PROVIDER_TIMEOUT", "inf")
    with pytest.raises(ImproperlyConfigured) as refused:
        read_settings()
    assert str(refused.value) == "PROVIDER_TIMEOUT must be more than 0, not 'inf'."


@pytest.mark.parametrize("under_a_path", [{}, {"FORCE_SCRIPT_NAME": "/apps/link+app"}])  # + read as itself
def test_health_checks_answer_over_plain_http_where_every_page_redirects(under_a_path):
    """README: a load balancer probes /readyz (and /healthz) over plain HTTP; a redirect would read as "down".
    The same where the app is served under a path (README, "Under a path"), probed at the instance itself."""
    code = (
        "from django.test import Client\n"
        "c = Client(HTTP_HOST='links.example.org')\n"
        "print(*(c.get(path).status_code for path in ('/', '/readyz', '/healthz')))"
    )
    page, readyz, healthz = production_answers(code, **under_a_path)
    # Answered, not redirected: 200, or 503 where the database named in DATABASE_URL is not there.
    assert (page, readyz in {"200", "503"}, healthz in {"200", "503"}) == ("301", True, True)


@pytest.mark.parametrize(("behind_proxy", "status"), [(None, 301), ("0", 301), ("1", 200)])
def test_a_forwarded_https_is_believed_only_behind_a_proxy_that_sets_it(behind_proxy, status):
    """README: BEHIND_PROXY defaults to 0. Else anyone could say `X-Forwarded-Proto: https` over plain HTTP and be
    answered as if on HTTPS: no redirect, and Secure cookies sent over plain HTTP."""
    code = (
        "from django.test import Client\n"
        "print(Client().get('/', HTTP_HOST='links.example.org', HTTP_X_FORWARDED_PROTO='https').status_code)"
    )
    env = {} if behind_proxy is None else {"BEHIND_PROXY": behind_proxy}
    assert production_answers(code, **env) == [str(status)]


@pytest.mark.parametrize(
    "value", ["redis://127.0.0.1:6379/0", "rediss://redis.example.org:6380/0", "unix:///run/redis/redis.sock?db=0"]
)
def test_a_redis_url_redis_py_reads_is_taken(monkeypatch, value):
    """README: `redis://`, `rediss://` or `unix://` (a Redis on the same host, by its socket)."""
    monkeypatch.setenv("REDIS_URL", value)
    assert read_settings()["CACHES"]["default"]["LOCATION"] == value


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("REDIS_URL", "redis://:s3cr#et@redis.example.org:6379/0"),  # read as port "s3cr": the password in the log
        ("REDIS_URL", "redis://:s3cr/et@redis.example.org:6379/0"),
        ("REDIS_URL", "redis://redis.example.org:63x9/0"),
        ("REDIS_URL", "redis://redis.example.org:6379/one"),  # read as database 0
        ("REDIS_URL", "redis://:123#s3cret@redis.example.org:6379/0"),  # read as localhost, port 123
        ("REDIS_URL", "redis://:s3cr?et@redis.example.org:6379/0"),
        ("REDIS_URL", "redis://:#s3cret@redis.example.org:6379/0"),  # read as localhost, no password
        ("REDIS_URL", "redis://a.example.org:6379/0,redis://:s3cr#et@b.example.org:6379/0"),  # a replica's too
        ("DATABASE_URL", "postgres://linkapp:s3cr#et@db.example.org:5432/linkapp"),
        ("DATABASE_URL", "postgres://linkapp:s3cret@db.example.org:54x2/linkapp"),
        ("DATABASE_URL", "postgresql+psycopg://linkapp:s3cret@db.example.org/linkapp"),  # SQLAlchemy's way
        ("DATABASE_URL", "postgres://linkapp:5432/s3cr@db.example.org:5432/linkapp"),  # host linkapp, database s3cr@…
    ],
)
def test_a_database_or_redis_address_that_cannot_be_read_is_a_clear_error_without_its_password(
    monkeypatch, name, value
):
    """Each passed `check` and stopped every page (Redis: a 500 at the first sign-in, the password's start in
    the log as a port; Postgres: a traceback that never named DATABASE_URL)."""
    monkeypatch.setenv(name, value)
    with pytest.raises(ImproperlyConfigured) as refused:
        read_settings()
    assert str(refused.value).startswith(f"{name} must be an address such as ")
    assert "%23, %2F or %40" in str(refused.value) and "s3cr" not in str(refused.value)


def test_an_address_that_cannot_be_read_leaves_its_password_out_of_the_output_too():
    result = manage("check", **{**PRODUCTION, "REDIS_URL": "redis://:s3cr#et@redis.example.org:6379/0"})

    assert result.returncode != 0 and "REDIS_URL must be an address such as" in result.stderr
    assert "s3cr" not in result.stdout + result.stderr


def test_a_database_address_without_a_database_is_a_clear_error(monkeypatch):
    """The first query failed, not the start. A pg_service.conf entry may name the database instead."""
    monkeypatch.setenv("DATABASE_URL", "postgres://linkapp:s3cret@db.example.org:5432")
    with pytest.raises(ImproperlyConfigured, match="^DATABASE_URL names no database: "):
        read_settings()
    monkeypatch.setenv("DATABASE_URL", "postgres:///?service=linkapp")
    assert read_settings()["DATABASES"]["default"]["OPTIONS"]["service"] == "linkapp"


@pytest.mark.parametrize(
    "value",
    [
        "redis://a.example.org:6379/0,redis://b.example.org:6379/0",  # django-redis: a primary, then replicas
        "redis://redis.example.org:6379/",
        "redis://redis.example.org/?db=2",
        "redis://[::1]:6379/0",
        "unix://:s3cret@/run/redis/redis.sock?db=2",
        "rediss://default:s3cret@redis.example.org:6380/0?ssl_cert_reqs=required",
    ],
)
def test_more_redis_addresses_redis_py_reads_are_taken(monkeypatch, value):
    monkeypatch.setenv("REDIS_URL", value)
    assert read_settings()["CACHES"]["default"]["LOCATION"] == value


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DISCORD_URL", "https://discord.com/api"),  # Discord's documentation calls this its base address
        ("DISCORD_URL", "https://discord.com/api/v10/"),
        ("GITHUB_URL", "https://api.github.com"),
        ("GITHUB_URL", "https://ghe.example.com/api/v3"),
        ("GITHUB_URL", "https://api.octocorp.ghe.com"),  # GitHub Enterprise Cloud with data residency
    ],
)
def test_a_providers_api_address_given_as_its_own_is_a_clear_error(monkeypatch, name, value):
    """Each passed as an address, and then every sign-in failed (and no avatars were shown)."""
    monkeypatch.setenv(name, value)
    with pytest.raises(ImproperlyConfigured) as refused:
        read_settings()
    assert str(refused.value).startswith(f"{name} is ")


@pytest.mark.parametrize(("name", "most"), [("PROVIDER_TIMEOUT", 120), ("DATABASE_LOCK_TIMEOUT", 600)])
def test_a_wait_in_milliseconds_is_a_clear_error(monkeypatch, name, most):
    """PROVIDER_TIMEOUT=10000 held a thread for each call up to nearly three hours."""
    monkeypatch.setenv(name, str(most))
    assert read_settings()[name if name == "PROVIDER_TIMEOUT" else "lock_timeout"] == most
    monkeypatch.setenv(name, "10000")
    with pytest.raises(ImproperlyConfigured) as refused:
        read_settings()
    assert str(refused.value) == f"{name} is in seconds, at most {most}, not '10000'."
