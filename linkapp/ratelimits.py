"""Sign-in attempts per client address, each LOGIN_RATE_LIMIT: the OAuth steps of both providers on one
counter (a wizard takes four of it), the admin's password form on its own, and refused API tokens
(api.auth.BearerToken, a JSON 429) on theirs.

A refused attempt raises django-ratelimit's Ratelimited, which RATELIMIT_VIEW turns into a 429 page.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Callable, Sequence

from allauth.account.adapter import get_adapter
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.http import HttpRequest, HttpResponse
from django_ratelimit import ALL
from django_ratelimit.core import get_usage
from django_ratelimit.decorators import ratelimit

View = Callable[..., HttpResponse]
log = logging.getLogger(__name__)


def client_address(request: HttpRequest) -> str:
    """The address in the header the proxy sets (CLIENT_ADDRESS_META_KEY); without one configured, the
    address allauth sees, so that TRUSTED_PROXY_COUNT alone tells both where a client is behind a proxy.

    Read as REMOTE_ADDR there, every person would share the proxy's one counter. RATELIMIT_IP_META_KEY
    names this function unless it names a function of the operator's own.

    An IPv4 client seen through a dual-stack socket (gunicorn bound to `[::]`, or such a proxy) arrives as
    `::ffff:a.b.c.d`. django-ratelimit counts IPv6 addresses by their /64, which all such addresses share:
    they are counted as the IPv4 address they are.
    """
    # Once a request: a refused one reads it again for the page's wait, and a request past the proxy is one warning.
    if not hasattr(request, "_client_address"):
        request._client_address = _address(request)
    address = request._client_address
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:  # a peer address that is none (a server's own notion): counted as it is
        return address
    mapped = parsed.ipv4_mapped if parsed.version == 6 else None
    return str(mapped) if mapped else address


def _address(request: HttpRequest) -> str:
    if key := settings.CLIENT_ADDRESS_META_KEY:
        address = request.META.get(key, "").strip()
        if _is_address(address):
            return address
        # A request that did not come through the proxy (or a proxy that sets something else).
        log.warning("no client address in %s; limiting by the peer's", key)
        return request.META.get("REMOTE_ADDR") or "::"
    try:
        return get_adapter(request).get_client_ip(request)
    except (ImproperlyConfigured, PermissionDenied):
        # Fewer X-Forwarded-For entries than TRUSTED_PROXY_COUNT (a request past the proxies), or no valid
        # address where one should be: limit by the peer's address, or all such requests together.
        log.warning("no client address from X-Forwarded-For as TRUSTED_PROXY_COUNT says; limiting by the peer's")
        # Without a peer address (a unix socket), one counter for all: "::", the unspecified address.
        return request.META.get("REMOTE_ADDR") or "::"


def _is_address(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def _login_rate(_group: str, _request: HttpRequest) -> str:
    """Read at each request, as django-ratelimit asks a callable rate: a changed setting applies at once."""
    return settings.LOGIN_RATE_LIMIT


def limit_per_address(view: View, method: str | Sequence[str | None] = ALL, group: str | None = None) -> View:
    """Views given the same `group` share a counter; without one, django-ratelimit names it after the view."""
    limited = ratelimit(group=group, key="ip", rate=_login_rate, method=method)(view)

    def seconds_left(request: HttpRequest) -> int | None:
        # The very counter the decorator keeps: same group (or view), key, rate and method.
        usage = get_usage(request, group=group, fn=view, key="ip", rate=settings.LOGIN_RATE_LIMIT, method=method)
        return usage["time_left"] if usage else None

    # For the 429 page (linkapp.failures.rate_limited), which finds it on the resolved view.
    limited.seconds_left = seconds_left
    return limited
