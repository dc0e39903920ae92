"""The one failure page: a plain explanation, a "Try again" control and a 4xx/5xx status."""

from __future__ import annotations

import sys

from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django_redis.exceptions import ConnectionInterrupted
from redis.exceptions import RedisError

# Postgres or Redis unreachable: the person should retry, nothing they did is lost.
UNAVAILABLE = (DatabaseError, ConnectionInterrupted, RedisError)
UNAVAILABLE_RETRY_AFTER = 30


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
        {"title": title, "message": message, "retry_url": retry_url or reverse("home")},
        status=status,
    )
    if retry_after is not None:
        response["Retry-After"] = str(retry_after)
    response["Cache-Control"] = "no-store"
    return response


def rate_limited(request: HttpRequest, exception: Exception) -> HttpResponse:
    """django-ratelimit's RATELIMIT_VIEW: too many sign-in attempts from one address."""
    return render_failure(
        request,
        "Too many sign-in attempts from your address. Please wait a minute and try again.",
        status=429,
        title="Slow down",
        retry_after=60,
    )


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: an unreachable database or cache is a 503 with Retry-After, anything else a 500.

    Rendered without the request: its context processors would reach for the session,
    which may be the very thing that is down.
    """
    error = sys.exc_info()[1]
    if isinstance(error, DatabaseError):
        # The session (tokens, list, choice) is intact: "Try again" reloads this very page.
        context = {
            "retry_url": request.path,
            "message": "Our database is not answering just now. Nothing you did was lost.",
        }
    elif isinstance(error, UNAVAILABLE):
        # The session cannot be read: start again from the first step once it is back.
        context = {
            "retry_url": "/",
            "message": "Your session cannot be read just now. Nothing was saved half-way; please start again in a moment.",
        }
    else:
        response = HttpResponse(render_to_string("500.html"), status=500)
        response["Cache-Control"] = "no-store"
        return response
    response = HttpResponse(render_to_string("503.html", context), status=503)
    response["Retry-After"] = str(UNAVAILABLE_RETRY_AFTER)
    response["Cache-Control"] = "no-store"
    return response
