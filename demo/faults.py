"""Misbehaviour that tests inject into one endpoint of the demo providers, and the answers it gives.

Why: every fault the app must survive (a 5xx, a rate limit, an HTML page, a stall, an answer that
trickles in or stops half-way, one far too large) is provoked on real HTTP, in the provider's own
shapes, rather than by stubbing the app's HTTP client. Which fault a request meets (its ``pages``,
its ``times`` used up) is DemoProviders._take_fault's; the stall, trickle and cut are the HTTP
handler's (both in providers.py).
"""

from __future__ import annotations

import gzip
import json
import time
from dataclasses import dataclass, field, replace
from http import HTTPStatus
from typing import Any

from demo import examples
from demo.messages import Response, json_response


@dataclass
class Fault:
    """A misbehaviour to inject into one endpoint: a stall (delay), then an answer of its own (status,
    with an optional body and headers) instead of the real one, or either answer a byte at a time (trickle)
    or cut off half-way (cut)."""

    status: int | None = None
    body: str | bytes | None = None
    headers: dict[str, str | None] = field(default_factory=dict)  # None leaves the header out
    delay: float = 0.0
    trickle: float = 0.0  # seconds between the body's bytes: an answer that arrives a byte at a time
    cut: bool = False  # the body stops half-way and the connection closes, as when a server fails mid-answer
    padding: int = 0  # bytes of JSON whitespace after the answer: still a usable answer, only far too large
    gzipped: bool = False  # the answer gzipped (Content-Encoding: gzip): with padding, a small one that unpacks huge
    pages: set[int] | None = None  # github.repos only: the pages it applies to
    times: int | None = None  # the requests it applies to; None: every one until cleared

    def __post_init__(self) -> None:
        # Without a status there is no answer of its own to carry them: a test would silently fake nothing.
        if self.status is None and (self.body is not None or self.headers):
            raise ValueError("a Fault with a body or headers needs a status")
        if self.cut and self.trickle:
            raise ValueError("a Fault cuts its answer off or trickles it, not both")
        if self.times is not None and self.times < 1:
            raise ValueError("a Fault applies to at least one request")

    def answer(self, endpoint: str) -> Response:
        """The fault's own answer: its body as given, or the provider's own body for its status; its headers
        replace the ones that answer would carry."""
        assert self.status is not None
        if self.body is not None:
            body = self.body.encode() if isinstance(self.body, str) else self.body
            headers = {"Content-Type": _guess_content_type(body, discord=endpoint.startswith("discord."))}
        else:
            response = _provider_error(endpoint, self.status)
            body, headers = response.body, response.headers
        overridden = {name.lower() for name in self.headers}
        kept = {name: value for name, value in headers.items() if name.lower() not in overridden}
        return Response(self.status, body, {**kept, **self.headers})

    def reshape(self, response: Response) -> Response:
        """An answer the app could use but for its size, padded (and gzipped) as asked: what only a size limit
        refuses, where a broken one would fail anyway. A 204 keeps its empty body, as HTTP requires."""
        if response.status == 204 or not (self.padding or self.gzipped):
            return response
        body = response.body + b" " * self.padding
        if not self.gzipped:
            return replace(response, body=body)
        return Response(
            response.status, gzip.compress(body, compresslevel=1), {**response.headers, "Content-Encoding": "gzip"}
        )


def _provider_error(endpoint: str, status: int) -> Response:
    """The provider's own answer for that status, with the headers it always sends along."""
    response = json_response(status, _error_payload(endpoint, status))
    if endpoint.startswith("discord."):
        response.headers["Content-Type"] = examples.DISCORD_JSON
        if status == 429:
            # Discord's rate limit always comes with these (discord_errors.json).
            response.headers.update(examples.discord_rate_limit_headers("429_user_rate_limit"))
    elif status in (403, 429):
        # GitHub's primary rate limit always comes with these (github_errors.json).
        response.headers.update(examples.github_rate_headers(used=5000, reset=int(time.time()) + 60))
    return response


def _error_payload(endpoint: str, status: int) -> dict[str, Any]:
    """A body shaped like the provider's own answer for that status."""
    if status >= 500 and not endpoint.startswith("discord."):
        return examples.SERVER_ERROR
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Error"
    if endpoint.startswith("discord."):
        if status == 429:
            return examples.DISCORD_RATE_LIMITED
        if status == 401:
            return examples.DISCORD_UNAUTHORIZED
        if status == 400 and endpoint == "discord.token":
            return examples.DISCORD_INVALID_GRANT.copy()
        # Discord's shape for any other status, 5xx included: its 404 example and the observed 401.
        return {"message": f"{status}: {phrase}", "code": 0}
    if status in (403, 429):
        return examples.GITHUB_RATE_LIMITED
    if status == 401:
        return examples.GITHUB_BAD_CREDENTIALS
    if status == 404:
        return examples.GITHUB_NOT_FOUND
    if status == 400:
        return examples.GITHUB_CLIENT_ERRORS["invalid_json"]["body"]
    if status == 422:
        return examples.GITHUB_CLIENT_ERRORS["invalid_fields"]["body"]
    return {"message": phrase, "documentation_url": "https://docs.github.com/rest"}


def _guess_content_type(body: bytes, *, discord: bool) -> str:
    try:
        json.loads(body)
    except (ValueError, RecursionError):  # RecursionError: JSON nested too deep for Python to read
        return examples.HTML if body.lstrip().startswith(b"<") else "text/plain; charset=utf-8"
    return examples.DISCORD_JSON if discord else examples.GITHUB_JSON
