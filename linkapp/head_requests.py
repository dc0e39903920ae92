"""A HEAD is answered with its GET's status and headers and no body (RFC 9110, 9.3.2), by the app itself.

Django leaves that to the server. gunicorn drops the body, but logs a warning for each HEAD it drops one from, and
load balancers and uptime monitors probe `/readyz` or `/` with HEAD every few seconds: a warning a probe would bury
the ones that matter.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse


class HeadWithoutBody:
    """Placed before CommonMiddleware, so the Content-Length it sets stays the GET's, as RFC 9110 allows."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.method == "HEAD":
            if response.streaming:
                response.streaming_content = []  # what would have produced the body never runs
            else:
                response.content = b""
        return response
