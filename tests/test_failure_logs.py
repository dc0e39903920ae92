"""What the log says when a sign-in fails: enough for an operator to tell its causes apart, and nothing that a
provider's or a client's text could forge."""

from __future__ import annotations

import json
import logging
from urllib.parse import parse_qs, urlsplit

import pytest

from demo import examples
from demo.providers import Fault
from tests.wizard import sign_in_with_discord, walk_to_picker

pytestmark = pytest.mark.django_db(transaction=True)
FORGED = "x\n2026-11-29 12:00:00,000 INFO linkapp.wizard step=linked discord_id=1"


def json_fault(status: int, body: object) -> Fault:
    return Fault(status=status, body=json.dumps(body), headers={"Content-Type": "application/json"})


def loud_lines(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    """What LOG_LEVEL=WARNING, as production runs, keeps."""
    return [r for r in caplog.records if r.levelno >= logging.WARNING]


def failure_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "linkapp.wizard" and "refused" in r.getMessage()]


@pytest.mark.parametrize(
    ("provider", "fault", "logged"),
    [
        (  # a wrong GITHUB_CLIENT_SECRET: every connect fails, and GitHub says so with HTTP 200
            "github",
            json_fault(200, examples.GITHUB_TOKEN_ERRORS["incorrect_client_credentials"]),
            "error=incorrect_client_credentials",
        ),
        (
            "github",
            json_fault(200, examples.GITHUB_TOKEN_ERRORS["bad_verification_code"]),
            "error=bad_verification_code",
        ),
        ("discord", json_fault(400, examples.DISCORD_INVALID_GRANT.copy()), "error=invalid_grant"),
        ("discord", json_fault(401, {"error": "invalid_client"}), "error=invalid_client"),  # as the demo's Discord
        ("github", json_fault(200, {"error": FORGED}), "error=other"),
    ],
    ids=["wrong-secret", "code-used", "discord-invalid-grant", "discord-wrong-secret", "forged-line"],
)
def test_a_refused_token_exchange_logs_the_providers_error_code(browser, providers, caplog, provider, fault, logged):
    caplog.set_level(logging.INFO)
    providers.faults[f"{provider}.token"] = fault
    step = browser.get("/") if provider == "discord" else sign_in_with_discord(browser)
    authorize = browser.submit(step, f"Connect with {provider.title().replace('hub', 'Hub')}")
    page = browser.submit(authorize, "Authorize")

    assert page.status_code == 502 and "refused to complete" in page.text
    assert f"token exchange refused: {logged}" in failure_lines(caplog)
    assert "step=linked" not in caplog.text
    # The provider's error code is a WARNING (LOG_LEVEL=WARNING keeps it); the failure names allauth's class.
    (refusal,) = [r for r in caplog.records if r.getMessage().startswith("token exchange refused")]
    assert refusal.levelno == logging.WARNING
    (failed,) = [r.getMessage() for r in caplog.records if "step=failed" in r.getMessage()]
    assert f"step=failed provider={provider} status=502 reason=OAuth2Error " in failed


@pytest.mark.parametrize(
    ("query", "status", "reason"),
    [
        ({"error": "redirect_uri_mismatch"}, 502, "reason=redirect_uri_mismatch"),  # a misregistered callback URL
        ({"error": FORGED}, 502, "reason=other"),
        ({"code": "x", "state": "forged"}, 400, "reason=unknown state"),
        ({"error": "access_denied", "state": "forged"}, 400, "reason=unknown state"),  # Back, then Cancel
        ({}, 400, "reason=incomplete address"),  # a valid state but neither a code nor an error: cut short
    ],
    ids=["provider-error", "forged-line", "unknown-state", "cancel-with-unknown-state", "cut-short"],
)
def test_a_failed_callback_logs_why(browser, providers, caplog, query, status, reason):
    authorize = browser.submit(browser.get("/"), "Connect with Discord")
    state = parse_qs(urlsplit(authorize.url).query)["state"][0]
    caplog.set_level(logging.INFO)
    page = browser.get("/accounts/discord/login/callback/", params={"state": state, **query})

    assert page.status_code == status
    (line,) = [r for r in caplog.records if "step=failed" in r.getMessage()]
    assert f"status={status} {reason} " in line.getMessage()
    # A 5xx page is also Django's ERROR, without the reason: ours is a WARNING, so LOG_LEVEL=WARNING keeps both.
    assert line.levelname == ("WARNING" if status >= 500 else "INFO")
    assert "step=linked" not in caplog.text


def test_a_token_endpoint_that_fails_logs_its_status(browser, providers, caplog):
    caplog.set_level(logging.INFO)
    providers.faults["discord.token"] = Fault(status=503)
    page = browser.submit(browser.submit(browser.get("/"), "Connect with Discord"), "Authorize")

    assert page.status_code == 503
    (line,) = [r.getMessage() for r in caplog.records if "step=failed" in r.getMessage()]
    assert "reason=HTTP 503 " in line  # not only the class of requests' error


@pytest.mark.parametrize("status", [400, 200])
def test_an_answer_too_deep_to_read_is_still_a_clear_page(browser, providers, status):
    """JSON nested 2,000 deep (4 KB) stops Python's parser: in our log line's reading of an error answer (which
    must not change the outcome), and in allauth's reading of a token answer."""
    providers.faults["discord.token"] = Fault(
        status=status, body='{"error": ' + "[" * 2000 + "]" * 2000 + "}", headers={"Content-Type": "application/json"}
    )
    page = browser.submit(browser.submit(browser.get("/"), "Connect with Discord"), "Authorize")

    assert page.status_code == 502 and "refused to complete" in page.text


@pytest.mark.parametrize(
    ("service", "proxy", "cause"),
    [("database", "postgres_proxy", "OperationalError: "), ("cache", "redis_proxy", "ConnectionError: ")],
)
def test_an_outage_logs_one_line_per_request_naming_its_cause(
    browser, providers, request, caplog, service, proxy, cause
):
    """Through an outage every request fails: a traceback of dozens of lines each would bury the cause, and a log
    shipper takes each of its lines for a record of its own."""
    walk_to_picker(browser)
    caplog.set_level(logging.INFO)
    request.getfixturevalue(proxy).set_mode("refuse")
    page = browser.get("/repositories/")
    request.getfixturevalue(proxy).set_mode("pass")

    assert page.status_code == 503
    (line,) = loud_lines(caplog)
    assert line.levelname == "ERROR" and line.exc_info is None
    assert line.getMessage().startswith(f"Service Unavailable: /repositories/ ({service} unavailable: {cause}")


def test_postgres_down_at_a_callback_logs_its_cause_without_a_traceback(browser, providers, postgres_proxy, caplog):
    authorize = browser.submit(browser.get("/"), "Connect with Discord")
    caplog.set_level(logging.INFO)
    postgres_proxy.set_mode("refuse")
    page = browser.submit(authorize, "Authorize")
    postgres_proxy.set_mode("pass")

    assert page.status_code == 503
    ours, djangos = loud_lines(caplog)
    assert ours.exc_info is None and djangos.exc_info is None
    assert ours.getMessage().startswith("step=failed provider=discord reason=database unavailable: OperationalError: ")
    assert djangos.getMessage() == "Service Unavailable: /accounts/discord/login/callback/"
