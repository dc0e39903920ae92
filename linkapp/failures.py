"""The one failure page: a plain explanation, a "Try again" control and a 4xx/5xx status."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse


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
