"""One log line that names the cause of an endless https redirect: a TLS proxy whose address gunicorn does not trust.

gunicorn takes the scheme from `X-Forwarded-Proto` only from the addresses in FORWARDED_ALLOW_IPS. From any
other proxy every request looks like plain HTTP, SecurityMiddleware sends it to https:// again, and the proxy
hands it back as plain HTTP: pages loop while /readyz, exempt from the redirect, reports healthy.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import MiddlewareNotUsed
from django.http import HttpRequest, HttpResponse

log = logging.getLogger("linkapp.proxy")


class UntrustedProxyWarning:
    """Placed before SecurityMiddleware; says it once per process, since every request after would say it again."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        if not settings.SECURE_SSL_REDIRECT or settings.SECURE_PROXY_SSL_HEADER:
            raise MiddlewareNotUsed  # no redirect to loop, or Django reads the header itself
        self.get_response = get_response
        self.warned = False

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not self.warned and not request.is_secure() and request.headers.get("X-Forwarded-Proto") == "https":
            self.warned = True
            log.warning(
                "A plain-HTTP request from %(peer)s says X-Forwarded-Proto: https, which is not trusted: every page "
                "is redirected to https:// again, for ever. If %(peer)s is your TLS proxy, add it to "
                "FORWARDED_ALLOW_IPS (gunicorn; other servers: BEHIND_PROXY=1). README, On a container platform.",
                {"peer": request.META.get("REMOTE_ADDR")},
            )
        return self.get_response(request)
