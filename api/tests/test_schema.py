"""Schema-driven: schemathesis generates requests from /api/v1/openapi.json and checks every answer
against the schema (documented status codes and bodies, no server errors)."""

from __future__ import annotations

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import positive_data_acceptance

from api.models import ApiToken
from linkapp.wsgi import application
from repos.models import Link

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)
# The tests supply the Authorization header themselves; deterministic, so CI is not a lottery.
schema.config.generation.update(with_security_parameters=False, deterministic=True)

pytestmark = pytest.mark.django_db
EXAMPLES = settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))


@pytest.fixture(autouse=True)
def _keep_the_test_transaction():
    """Calls go straight to the WSGI app, so do what Django's test client does: keep the
    request signals from closing the connection that holds the test's transaction."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def token() -> str:
    Link.objects.create(
        discord_id="80351110224678912",
        discord_username="nelly",
        github_id=1,
        github_login="octocat",
        repo_id=1296269,
        repo_full_name="octocat/Hello-World",
    )
    _, secret = ApiToken.issue("schemathesis")
    return secret


@schema.include(path="/api/v1/links").parametrize()
@EXAMPLES
def test_links_conform_to_the_schema(case, token):
    # OpenAPI cannot say "exactly one of discord_id and repo_id"; that rule's 400 is tested in test_links.py.
    case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, excluded_checks=[positive_data_acceptance])


@schema.parametrize()
@EXAMPLES
def test_without_credentials_every_operation_is_refused(case):
    # Other methods than the documented GET are tried too: they must be refused as such. A query string with a
    # NUL character is refused before anything else (Postgres text cannot hold one).
    nul = any("\x00" in f"{name}{value}" for name, value in (case.query or {}).items())
    refused = 403 if case.path == "/api/v1/me/links" else 401  # a session cookie is no scheme for a 401 to name
    assert case.call().status_code == (400 if nul else refused if case.method in {"GET", "HEAD"} else 405)


@pytest.mark.parametrize("path", ["/api/v1/links?discord_id=1", "/api/v1/me/links", "/api/v1/openapi.json"])
@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_an_undocumented_method_is_a_json_405(client, path, method):
    """Refused as every other API answer is: in JSON (django-ninja's own is plain text)."""
    response = getattr(client, method)(path)
    assert response.status_code == 405
    assert response.json() == {"detail": "Method not allowed."} and response["Allow"] == "GET, HEAD"


def documented_headers(client, path: str) -> dict[int, set[str]]:
    """The response headers the schema names for each status of the path's GET."""
    answers = client.get("/api/v1/openapi.json").json()["paths"][path]["get"]["responses"]
    return {int(status): set(answer.get("headers", {})) for status, answer in answers.items()}


def test_the_schema_names_the_headers_a_service_acts_on(client):
    """A client generated from the schema learns there when to try again, and which scheme a 401 asks for."""
    assert documented_headers(client, "/api/v1/links") == {
        200: set(),
        400: set(),
        401: {"WWW-Authenticate"},
        429: {"Retry-After"},
        503: {"Retry-After"},  # its answer: tests/test_api_faults.py
    }
    assert documented_headers(client, "/api/v1/me/links") == {200: set(), 400: set(), 403: set(), 503: {"Retry-After"}}


def test_the_answers_carry_the_headers_the_schema_names(client, token, settings):
    settings.API_RATE_LIMIT = "1/h"  # an hour's window: a run never straddles its edge
    documented = documented_headers(client, "/api/v1/links")
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    answers = [client.get("/api/v1/links", {"discord_id": "1"}, **auth) for auth in ({}, bearer, bearer)]

    assert [answer.status_code for answer in answers] == [401, 200, 429]
    for answer in answers:
        assert all(name in answer.headers for name in documented[answer.status_code])
    assert int(answers[2]["Retry-After"]) >= 1  # the schema's minimum
