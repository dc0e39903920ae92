"""No token or client secret may reach the browser, the database, the logs, or outlive the wizard in Redis."""

from __future__ import annotations

import logging

import pytest
from django.apps import apps
from django.conf import settings
from django.core import serializers
from django_redis import get_redis_connection

from demo.providers import Fault
from tests.wizard import connect_github, first_linkable_repo, sign_in_with_discord, walk_to_picker

pytestmark = pytest.mark.django_db(transaction=True)


def redis_dump() -> bytes:
    redis = get_redis_connection("default")
    return b"\n".join(redis.get(key) or b"" for key in redis.keys("*") if redis.type(key) == b"string")


def database_dump() -> str:
    return "\n".join(serializers.serialize("json", model.objects.all()) for model in apps.get_models())


def test_secrets_never_leak(browser, providers, caplog):
    caplog.set_level(logging.DEBUG)
    issued_before = providers.token_names()
    picker = walk_to_picker(browser)
    tokens = list(providers.tokens_since(issued_before))
    assert len(tokens) == 2
    github = next(t for t in tokens if providers.tokens[t].provider == "github")
    discord = next(t for t in tokens if providers.tokens[t].provider == "discord")
    # While the wizard runs the GitHub token is in Redis: this is what the final scan must not find.
    assert github.encode() in redis_dump()
    # Discord's was only needed for the profile: revoked at once, never stored.
    assert providers.tokens[discord].revoked and discord.encode() not in redis_dump()

    _, repo_id = first_linkable_repo(picker)
    browser.submit(picker, "Link repository", {"repo_id": str(repo_id)})

    secrets = tokens + [settings.DISCORD_CLIENT_SECRET, settings.GITHUB_CLIENT_SECRET]
    seen_by_browser = []
    for response in browser.responses:
        seen_by_browser += [response.url, response.text, str(dict(response.headers))]
    seen_by_browser += [f"{c.name}={c.value}" for c in browser.session.cookies]
    client_side = "\n".join(seen_by_browser)
    stored = redis_dump()
    rows = database_dump()
    logs = "\n".join(record.getMessage() for record in caplog.records)
    codes = [call.form["code"] for call in providers.calls if call.endpoint.endswith(".token")]
    session_keys = [c.value for r in browser.responses for c in r.cookies if c.name == "sessionid"]
    assert len(codes) == 2 and session_keys
    for value in codes + session_keys:
        assert value not in logs
    for step in ("step=started", "step=connected", "step=repos_fetched", "step=linked"):
        assert step in logs

    assert "Link repository" in client_side and rows and logs  # the scans look at real material
    for secret in secrets:
        assert secret not in client_side
        assert secret.encode() not in stored
        assert secret not in rows
        assert secret not in logs


def test_failures_log_no_code_token_or_secret(browser, providers, postgres_proxy, caplog):
    """Failures log the most: a GitHub grant whose user cannot be read, a forged
    callback carrying a code, and Postgres down in a callback."""
    caplog.set_level(logging.DEBUG)
    issued_before = providers.token_names()
    providers.faults["github.user"] = Fault(status=500)
    assert connect_github(browser, sign_in_with_discord(browser)).status_code == 503
    forged = browser.get("/accounts/github/login/callback/?code=forged-code-7f3a&state=forged-state")
    assert forged.status_code == 400
    authorize = browser.submit(browser.get("/"), "Connect with Discord")
    postgres_proxy.set_mode("refuse")
    assert browser.submit(authorize, "Authorize").status_code == 503
    postgres_proxy.set_mode("pass")

    tokens = list(providers.tokens_since(issued_before))
    codes = [call.form["code"] for call in providers.calls if call.endpoint.endswith(".token")]
    assert len(tokens) == 3 and len(codes) == 3
    logs = "\n".join(logging.Formatter().format(record) for record in caplog.records)
    assert "database unavailable" in logs and "step=failed" in logs  # the scan looks at real failure material
    for secret in [*tokens, *codes, "forged-code-7f3a", settings.DISCORD_CLIENT_SECRET, settings.GITHUB_CLIENT_SECRET]:
        assert secret not in logs


def test_provider_calls_log_the_request_id(browser, providers, caplog):
    caplog.set_level(logging.INFO)
    walk_to_picker(browser)

    calls = [r for r in caplog.records if r.getMessage().startswith("provider call")]
    ids = {getattr(r, "request_id", "-") for r in calls}
    assert any("/oauth2/token" in r.getMessage() for r in calls)  # allauth's token exchange too
    assert any("/user/repos" in r.getMessage() for r in calls)
    assert "-" not in ids and len(ids) >= 2
