"""A HEAD is answered with its GET's status and headers and no body (RFC 9110, 9.3.2), by the app itself.

Django leaves that to the server. gunicorn drops the body, but logs a warning for each HEAD it drops one from, and
load balancers and uptime monitors probe `/readyz` or `/` with HEAD every few seconds: a warning a probe would bury
the ones that matter.

Nor does a HEAD show or leave messages ("acme/rocket is no longer linked"): a prefetch or a monitor with the
person's cookie would otherwise take the message meant for their next page, or leave one they never asked for.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.messages.storage.fallback import FallbackStorage
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


class MessagesUntouchedByHead(FallbackStorage):
    """Django's default message storage, but a HEAD stores nothing: the messages added while answering it are
    dropped, and those it read stay for the next page."""

    def update(self, response: HttpResponse) -> list | None:
        if self.request.method == "HEAD":
            return None
        return super().update(response)
