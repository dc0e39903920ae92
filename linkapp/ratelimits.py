"""Sign-in attempts per client address: the OAuth steps and the admin's password form share LOGIN_RATE_LIMIT.

A refused attempt raises django-ratelimit's Ratelimited, which RATELIMIT_VIEW turns into a 429 page.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from django.conf import settings
from django.http import HttpResponse
from django_ratelimit import ALL
from django_ratelimit.decorators import ratelimit

View = Callable[..., HttpResponse]


def limit_per_address(view: View, method: str | Sequence[str | None] = ALL) -> View:
    return ratelimit(key="ip", rate=lambda group, request: settings.LOGIN_RATE_LIMIT, method=method)(view)
