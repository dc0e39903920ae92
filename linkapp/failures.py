"""Failures as answers a person or a service can act on: `error.html` (a plain explanation, a
"Try again" control and a 4xx/5xx status) for the wizard's refusals and provider failures, the
400/404/500/503 handlers, the sign-in limit's 429, the middleware that puts a page (or JSON) on a view's
empty 405, and the one that refuses a NUL in the query string early (400). Under /api/ the same failures are JSON."""

from __future__ import annotations

import logging
import math
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime

from allauth.socialaccount.providers import registry
from django.contrib.messages.storage import default_storage
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.middleware.csrf import REASON_NO_CSRF_COOKIE
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.views import defaults

from linkapp.cache import CACHE_UNAVAILABLE
from linkapp.database import is_database_unavailable
from linkapp.logs import request_id
from linkapp.providers import (
    ProviderError,
    ProviderRateLimited,
    ProviderUnauthorized,
    ProviderUnavailable,
    StateRefused,
)

UNAVAILABLE_RETRY_AFTER = 30

log = logging.getLogger("linkapp.wizard")


def render_failure(
    request: HttpRequest,
    message: str,
    *,
    status: int,
    title: str = "Something went wrong",
    retry_url: str | None = None,
    retry_after: int | None = None,
) -> HttpResponse:
    response = render(
        request,
        "error.html",
        {"title": title, "message": message, "retry_url": retry_url or reverse("home"), "reference": reference(status)},
        status=status,
    )
    if retry_after is not None:
        response["Retry-After"] = str(retry_after)
    patch_cache_control(response, no_store=True)
    return response


def reference(status: int) -> str | None:
    """A failure page with a 5xx status (ours, or a provider's we pass on) shows the request id: what a person
    quotes to support finds their request in the logs."""
    current = request_id.get()
    return current if status >= 500 and current != "-" else None


def start_with_discord(request: HttpRequest, next_url: str | None = None) -> HttpResponse:
    """A wizard step or a provider callback reached without the Discord sign-in that every wizard
    begins with (or a Discord callback of another process than signing in): explain and offer to
    start again, instead of silently redirecting. With `next_url` (a bookmarked page), the sign-in
    ends there."""
    return render_failure(
        request,
        "Please connect with Discord first. If you had already started, your session has expired.",
        status=403,
        title="Start with Discord",
        retry_url=reverse("home", query={"next": next_url}) if next_url else None,
    )


def account_deactivated(request: HttpRequest) -> HttpResponse:
    """An admin unticked Active on this person: at their Discord sign-in, or mid-wizard, where Django
    would otherwise just treat them as signed out."""
    return render_failure(
        request,
        "An administrator has deactivated this account, so it cannot link repositories here.",
        status=403,
        title="Account deactivated",
    )


def saved_by_another_tab(request: HttpRequest, provider: str, *, retry_url: str) -> HttpResponse:
    """Two tabs saved the same Discord or GitHub account at once; this one came second."""
    log.info("step=refused reason=saved_by_another_tab provider=%s", provider.lower())
    return render_failure(
        request,
        f"This {provider} account was just connected in another tab or window.",
        status=409,
        title=f"{provider} account already connected",
        retry_url=retry_url,
    )


def failure_level(status: int) -> int:
    """A provider that failed or answered badly is a 5xx page, which Django logs as an ERROR without the reason:
    our line with the reason is a WARNING, so LOG_LEVEL=WARNING keeps both."""
    return logging.WARNING if status >= 500 else logging.INFO


def step_word(provider: str) -> str:
    """What a person did with the provider: Discord signs them in, GitHub never does."""
    return "sign-in" if provider == "Discord" else "connection"


def provider_failure(request: HttpRequest, error: ProviderError, *, retry_url: str, reconnect_url: str) -> HttpResponse:
    """A failed call to Discord or GitHub as a page a person understands. The session is kept."""
    name = error.provider
    if isinstance(error, ProviderRateLimited):
        wait = max(math.ceil(error.retry_at - time.time()), 1)  # it may have waited in the cache a while
        message = f"{name} is limiting requests; try again at {retry_time(error.retry_at)} UTC (in {in_words(wait)})."
        return render_failure(
            request, message, status=error.status, title=f"{name} is busy", retry_url=retry_url, retry_after=wait
        )
    if isinstance(error, ProviderUnauthorized):
        message = f"{name} no longer accepts this connection. Please connect with {name} again."
        return render_failure(
            request, message, status=error.status, title=f"Connect with {name} again", retry_url=reconnect_url
        )
    if isinstance(error, StateRefused):
        step = step_word(name)
        message = (
            f"This {step} attempt has expired, was already used, or did not come back from {name}. Please start again."
        )
        return render_failure(
            request, message, status=error.status, title=f"{step.capitalize()} expired", retry_url=retry_url
        )
    # The reason (an HTTP status, an exception's name) goes to the log, not to the person.
    if isinstance(error, ProviderUnavailable):
        message = f"{name} could not be reached just now. Nothing was lost; please try again in a moment."
        title = f"{name} is not answering"
    else:
        message = f"{name} gave an answer we could not use, so we stopped there. Nothing was lost."
        title = f"{name} did not answer as expected"
    return render_failure(request, message, status=error.status, title=title, retry_url=retry_url)


def rate_limited(request: HttpRequest, exception: Exception) -> HttpResponse:
    """django-ratelimit's RATELIMIT_VIEW: too many sign-in attempts from one address.

    The wait is what is left of the refusing view's window (linkapp.ratelimits), whatever
    LOGIN_RATE_LIMIT's period."""
    view = request.resolver_match.func if request.resolver_match else None
    seconds_left = getattr(view, "seconds_left", None)
    left = seconds_left(request) if seconds_left else None
    wait = 60 if left is None else max(left, 1)
    return render_failure(
        request,
        f"Too many sign-in attempts from your address. Please try again in {in_words(wait)}.",
        status=429,
        title="Slow down",
        retry_after=wait,
    )


class MethodNotAllowedPage:
    """Middleware: Django answers a method a view does not take with an empty 405 (django-ninja, under /api/,
    with plain text); a person is shown our failure page, a service JSON, the Allow header kept."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not isinstance(response, HttpResponseNotAllowed):
            return response
        if is_api(request):  # ninja's is plain text; a service reads JSON, as from every other API answer
            refused = _api_error("Method not allowed.", 405)
            refused["Allow"] = response["Allow"]
            return refused
        if response.content:
            return response
        page = render_failure(
            request,
            "This page cannot be used that way. Open it again from the site.",
            status=405,
            title="Not allowed",
            retry_url=(_provider_step(request) or request.path) if "GET" in response["Allow"] else None,
        )
        page["Allow"] = response["Allow"]
        return page


def _api_error(detail: str, status: int) -> JsonResponse:
    """A service calling /api/ reads JSON, like every other API answer, and never a cached one."""
    response = JsonResponse({"detail": detail}, status=status)
    patch_cache_control(response, no_store=True)
    return response


def is_api(request: HttpRequest) -> bool:
    """A request to the API, which answers services in JSON. path_info: under a path (FORCE_SCRIPT_NAME) too."""
    return request.path_info.startswith("/api/")


class NulInQueryRefused:
    """Middleware: Postgres text cannot hold a NUL byte, so a query parameter with one ends in a 500
    wherever it reaches a query (admin's filters and lookups, say). Refused once here, as bad input."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not any("\x00" in key + "".join(values) for key, values in request.GET.lists()):
            return self.get_response(request)
        if is_api(request):
            return _api_error("A parameter holds a NUL character.", 400)
        return render_failure(
            request,
            "This address holds a character no page can use. Open the page again from the site.",
            status=400,
            title="Bad address",
        )


def retry_time(retry_at: float, now: float | None = None) -> str:
    """The UTC minute from which a retry is allowed: rounded up (at 22:14 a wait until 22:14:25 still
    refuses), with the date when it is not today's. From the whole second, as GitHub gives its reset:
    `retry_at` is that second plus the microseconds between two reads of the clock."""
    at = datetime.fromtimestamp(math.ceil(math.floor(retry_at) / 60) * 60, tz=UTC)
    today = datetime.fromtimestamp(time.time() if now is None else now, tz=UTC).date()
    return at.strftime("%H:%M" if at.date() == today else "%Y-%m-%d %H:%M")


def in_words(seconds: int) -> str:
    """A wait as a person reads it: 45 s, 12 min, 8 h 31 min, 2 h."""
    if seconds < 90:
        return f"{seconds} s"
    minutes = math.ceil(seconds / 60)
    if minutes < 90:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """handler400: what Django refuses as a bad request (too many fields, an unknown Host), as JSON under /api/."""
    if is_api(request):
        return _api_error("Bad request.", 400)
    return defaults.bad_request(request, exception)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """handler404: JSON for a wrong /api/ address, the page with "Try again" for people."""
    if is_api(request):
        return _api_error("Not found.", 404)
    return defaults.page_not_found(request, exception)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """CSRF_FAILURE_VIEW: a refused form. "Try again" opens the page the form was on again, with a fresh
    token: the form's own address where that shows the form (the picker keeps its search, the wizard store
    what it holds), the step with the provider's button for a sign-in start. A browser that sent no cookie
    at all may be refusing cookies, which trying again cannot mend: it is told so."""
    if is_api(request):  # a POST to the schema, say: the API's own JSON, like its other refusals
        return _api_error("Forbidden: this address takes no form posts.", 403)
    if reason == REASON_NO_CSRF_COOKIE:
        message = "Your browser did not send this site's cookies, so nothing was changed. If you cleared them, "
        message += "please try again; otherwise allow cookies for this site: signing in needs them."
    elif request.path == reverse("admin:login"):
        message = "This form was too old or did not come from this site, so nothing was changed. Please sign in again."
    else:
        message = "This form was too old or did not come from this site, so nothing was changed. "
        message += "Please open the page again."
    return render_failure(request, message, status=403, title="Form expired", retry_url=_form_page(request))


def _form_page(request: HttpRequest) -> str:
    """Where a refused POST's form is shown. The admin's sign-out takes no GET."""
    if step := _provider_step(request):
        return step
    if request.path == reverse("admin:logout"):
        return reverse("admin:index")
    return this_page(request)


def _provider_step(request: HttpRequest) -> str | None:
    """The step with the provider's button, for a request to its sign-in start or callback: the start's own
    GET page is allauth's bare "Continue", which would drop what the button asked for (private repositories,
    another GitHub account), and a callback is only ever reached from the provider."""
    name = request.resolver_match and request.resolver_match.url_name
    for provider in ("discord", "github"):
        if name in (f"{provider}_login", f"{provider}_callback"):
            return reverse(registry.get_class(provider).start_url_name)
    return None


def this_page(request: HttpRequest) -> str:
    """The address of this request's page for "Try again", its query included, as a local path
    ("//host/..." would leave the site)."""
    return "/" + request.get_full_path().lstrip("/")


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: an unreachable database or cache is a 503 with Retry-After, anything else a 500.

    Rendered without the request: its context processors would reach for the session,
    which may be the very thing that is down.
    """
    if hasattr(request, "_messages"):  # MessageMiddleware's storage: not there when a middleware before it failed
        # What this request said it did ("You have signed out.", "GitHub account disconnected.") did not happen:
        # a fresh storage forgets that, and leaves the messages of earlier requests for the next page.
        request._messages = default_storage(request)
    error = sys.exc_info()[1]
    if error is not None and is_database_unavailable(error):
        # The session and the wizard store (token, list, choice) are intact: "Try again" reloads this very page, the
        # picker's page and search included.
        return database_unavailable(this_page(request))
    if isinstance(error, CACHE_UNAVAILABLE):
        # The session cannot be read: start again from the first step once it is back.
        return _unavailable(
            "Your session cannot be read just now. Nothing was saved half-way; please start again in a moment.",
            reverse("home"),
        )
    if is_api(request):
        return _api_error("Internal error.", 500)
    response = HttpResponse(render_to_string("500.html", {"reference": reference(500)}), status=500)
    patch_cache_control(response, no_store=True)
    return response


def database_unavailable(retry_url: str) -> HttpResponse:
    """The database is down: a 503 saying nothing was lost, its "Try again" where the person goes on."""
    return _unavailable("Our database is not answering just now. Nothing you did was lost.", retry_url)


def _unavailable(message: str, retry_url: str) -> HttpResponse:
    context = {"message": message, "retry_url": retry_url, "reference": reference(503)}
    response = HttpResponse(render_to_string("503.html", context), status=503)
    response["Retry-After"] = str(UNAVAILABLE_RETRY_AFTER)
    patch_cache_control(response, no_store=True)
    return response
