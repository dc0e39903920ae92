"""Every page, asked with every HTTP method, by a stranger and by a signed-in person, with and without
junk parameters: a 2xx, 3xx or 4xx answer, never a 500; and a refusal is a page that says why
and offers "Try again"."""

from __future__ import annotations

import pytest
from allauth.socialaccount.models import SocialAccount
from django.test import Client

PATHS = [
    "/",
    "/github/",
    "/repositories/",
    "/repositories/?page=-1&sort=evil&owner=%00&q=" + "x" * 500,
    "/dashboard/",
    "/avatar/",
    "/links/1/unlink/",
    "/links/99999999999999999999999/unlink/",
    "/healthz",
    "/readyz",
    "/accounts/discord/login/?process=evil&next=//evil.test",
    "/accounts/discord/login/callback/?code=x&state=y",
    "/accounts/discord/login/callback/?error=access_denied",
    "/accounts/github/login/?process=connect",
    "/accounts/github/login/callback/?code=x&state=y&iss=https://evil.test",
    "/accounts/3rdparty/",
    "/accounts/logout/",
    "/accounts/login/",
    "/accounts/inactive/",
    "/accounts/3rdparty/login/cancelled/",
    "/accounts/3rdparty/login/error/",
    "/accounts/3rdparty/signup/",
    "/accounts/signup/",
    "/api/v1/links?discord_id=1",
    "/api/v1/links?repo_id=notanumber",
    "/api/v1/me/links",
    "/api/v1/openapi.json",
    "/admin/",
    "/admin/login/",
    "/static/picker.js",
    "/static/forms.js",
    "/no-such-page/",
]
METHODS = ["get", "post", "put", "patch", "delete", "head", "options"]


@pytest.fixture(params=["stranger", "signed in"])
def client(request, django_user_model) -> Client:
    client = Client(enforce_csrf_checks=True, HTTP_HOST="127.0.0.1")
    if request.param == "signed in":
        user = django_user_model.objects.create(username="nelly")
        SocialAccount.objects.create(user=user, provider="discord", uid="80351110224678912", extra_data={})
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


@pytest.mark.django_db
@pytest.mark.parametrize("method", METHODS)
def test_no_page_answers_any_method_with_a_500(client: Client, method: str) -> None:
    body = {"data": "junk=1&repo_id=1", "content_type": "application/x-www-form-urlencoded"}
    ask = getattr(client, method)
    answers = {path: ask(path, **body) if method in {"post", "put", "patch"} else ask(path) for path in PATHS}
    for answer in answers.values():
        if answer.streaming:  # a static file: reading it to the end closes the file, as a WSGI server would
            answer.getvalue()
    assert {path: answer.status_code for path, answer in answers.items() if answer.status_code >= 500} == {}
    pages = {
        path: answer
        for path, answer in answers.items()
        if not path.startswith(("/api/", "/static/")) and method != "head"
    }
    refusals_without_a_way_on = {
        path: answer.status_code
        for path, answer in pages.items()
        if answer.status_code >= 400 and b"Try again" not in answer.content
    }
    assert refusals_without_a_way_on == {}


@pytest.mark.django_db
@pytest.mark.parametrize("method", METHODS)
def test_the_api_and_the_health_checks_answer_any_method_in_json(client: Client, method: str) -> None:
    """A service reads JSON: never the people's HTML pages (the refused-form page, say), whatever it sends."""
    body = {"data": "junk=1", "content_type": "application/x-www-form-urlencoded"}
    ask = getattr(client, method)
    paths = [path for path in PATHS if path.startswith(("/api/", "/healthz", "/readyz"))]
    answers = {path: ask(path, **body) if method in {"post", "put", "patch"} else ask(path) for path in paths}
    media_types = {path: answer["Content-Type"].partition(";")[0] for path, answer in answers.items()}
    assert media_types == dict.fromkeys(paths, "application/json")


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["head", "options", "trace"])  # the methods CSRF lets through
@pytest.mark.parametrize(
    ("path", "allowed"),
    [
        ("/accounts/discord/login/", "GET, POST"),
        ("/accounts/github/login/?process=connect", "GET, POST"),
        ("/accounts/discord/login/callback/?code=x&state=y", "GET"),
    ],
)
def test_only_a_get_or_a_post_starts_a_sign_in_and_only_a_get_ends_one(client, method, path, allowed, caplog):
    """allauth starts a sign-in for any method but GET (which shows its "Continue" page): a prefetch's HEAD
    would store a state and redirect to the provider. A callback's code is spent by any method."""
    with caplog.at_level("INFO"):
        answer = getattr(client, method)(path)
    assert (answer.status_code, answer["Allow"]) == (405, allowed)
    if method != "head":  # "Try again" opens the step with the provider's button, with what it asks for
        step = "/" if "/discord/" in path else "/github/"
        assert f'href="{step}">Try again' in answer.text
    assert not [r for r in caplog.records if r.getMessage().startswith("step=")]  # no sign-in began or ended
    assert "socialaccount_states" not in client.session


@pytest.mark.django_db
def test_a_method_no_page_takes_is_refused_as_such_before_anything_else(client):
    """Signed in or not, the answer to a method the page never takes is the same 405."""
    for path in ("/repositories/", "/links/1/unlink/"):
        assert client.options(path).status_code == 405, path


@pytest.mark.django_db
def test_allauths_own_sign_in_pages_lead_to_the_first_step(client: Client) -> None:
    """Its sign-in page would offer GitHub, which never signs anyone in; its "cancelled" and "error"
    pages were 200s."""
    assert client.get("/accounts/login/")["Location"] == "/"
    # A deactivated person gets our page where it happens (AccountAdapter); allauth's told anyone "inactive".
    assert client.get("/accounts/inactive/")["Location"] == "/"
    cancelled = client.get("/accounts/3rdparty/login/cancelled/")
    assert cancelled.status_code == 403 and 'href="/">Try again' in cancelled.text
    error = client.get("/accounts/3rdparty/login/error/")
    assert error.status_code == 400 and 'href="/">Try again' in error.text


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "allowed"),
    [
        ("/repositories/", "GET, HEAD, POST"),
        # Pages that only show: a DELETE or an OPTIONS answered with the whole page looked like it did something.
        ("/", "GET, HEAD"),
        ("/github/", "GET, HEAD"),
        ("/dashboard/", "GET, HEAD"),
        ("/avatar/", "GET, HEAD"),
    ],
)
def test_a_method_a_page_does_not_take_gets_the_405_page(client: Client, path: str, allowed: str) -> None:
    page = client.options(path)

    assert page.status_code == 405
    assert page["Allow"] == allowed
    assert "cannot be used that way" in page.text and f'href="{path}">Try again' in page.text
    assert client.head(path).status_code != 405


@pytest.mark.django_db
def test_a_page_that_takes_no_get_offers_to_try_again_from_the_first_page(admin_client: Client) -> None:
    """The admin's sign-out takes only a POST: "Try again" on its own address would be refused again."""
    page = admin_client.get("/admin/logout/")

    assert page.status_code == 405 and "GET" not in page["Allow"]
    assert "cannot be used that way" in page.text and 'href="/">Try again' in page.text
