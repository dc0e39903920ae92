"""Checks of the configuration: at `manage.py check --deploy`, what the demo does without and production cannot;
at every management command (migrate, check), what would otherwise fail only on a request."""

from __future__ import annotations

import ipaddress
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, register
from django.core.checks import Warning as CheckWarning
from django.utils.module_loading import import_string

from linkapp.ratelimits import client_address

CREDENTIALS = ("DISCORD_CLIENT_ID", "DISCORD_CLIENT_SECRET", "GITHUB_CLIENT_ID", "GITHUB_CLIENT_SECRET")


@register(Tags.security, deploy=True)
def provider_credentials(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    """Without them the app starts and serves pages, and only the first sign-in fails."""
    missing = [name for name in CREDENTIALS if not getattr(settings, name)]
    if not missing:
        return []
    return [
        Error(
            f"{', '.join(missing)} not set: nobody can sign in.",
            hint="Register the Discord and GitHub OAuth apps (README) and set their ids and secrets.",
            id="accounts.E001",
        )
    ]


@register(Tags.caches, deploy=True)
def shared_cache(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    """The in-process cache the demo runs on holds sessions, tokens and rate limits per process."""
    if settings.REDIS_URL:
        return []
    return [
        CheckWarning(
            "REDIS_URL is not set: sessions, temporary tokens and rate limits live in one process's memory, "
            "are lost at every restart and are not shared between instances.",
            hint="Set REDIS_URL (README, Production).",
            id="accounts.W001",
        )
    ]


@register(Tags.security, deploy=True)
def client_address_behind_proxy(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    """With HTTPS on, a proxy terminates TLS in front of the app (README, Production). If the app reads the
    client address as the proxy's, the whole site shares one sign-in rate limit: a handful of people a
    minute, or one client sending requests, would lock everyone out."""
    default_key = settings.RATELIMIT_IP_META_KEY == f"{client_address.__module__}.{client_address.__qualname__}"
    if (
        not settings.HTTPS
        or settings.ALLAUTH_TRUSTED_PROXY_COUNT
        or settings.CLIENT_ADDRESS_META_KEY
        or not default_key
    ):
        return []
    return [
        CheckWarning(
            "TRUSTED_PROXY_COUNT is 0: behind the TLS proxy every person has the proxy's address, so all of "
            "them share one LOGIN_RATE_LIMIT counter (a wizard takes 4 of it).",
            hint="Set TRUSTED_PROXY_COUNT to the number of proxies that append to X-Forwarded-For, or "
            "RATELIMIT_IP_META_KEY to a header your proxy sets (README, Configuration).",
            id="accounts.W002",
        )
    ]


def on_this_machine(host: str | None) -> bool:
    """A loopback name or address, as ALLOWED_HOSTS (`[::1]`, `.localhost`) or an address (`127.0.0.2`) writes it."""
    host = (host or "").strip("[]")
    if host in ("localhost", ".localhost") or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@register(Tags.security, deploy=True)
def public_host_named(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    """ALLOWED_HOSTS left at its default (this machine's names): with HTTPS on, the site is served under a public
    name, and every request for it would be a 400."""
    if not settings.HTTPS or not all(on_this_machine(host) for host in settings.ALLOWED_HOSTS):
        return []
    return [
        CheckWarning(
            "ALLOWED_HOSTS names only this machine: every request for the site's public name is refused (400).",
            hint="Set ALLOWED_HOSTS to the public host name, such as links.example.org (README, Production).",
            id="accounts.W003",
        )
    ]


PROVIDER_ADDRESSES = ("DISCORD_URL", "DISCORD_CDN_URL", "GITHUB_URL", "GITHUB_API_URL")


@register(Tags.security, deploy=True)
def providers_over_https(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    """The client secrets and every person's tokens go to these addresses. Plain HTTP is for a stand-in provider
    on this machine (the demo's), not one across a network."""
    if not settings.HTTPS:
        return []
    plain = [
        name
        for name in PROVIDER_ADDRESSES
        if (address := urlsplit(getattr(settings, name))).scheme == "http" and not on_this_machine(address.hostname)
    ]
    if not plain:
        return []
    return [
        CheckWarning(
            f"{', '.join(plain)} {'is' if len(plain) == 1 else 'are'} plain HTTP: client secrets and tokens would "
            "cross the network unencrypted.",
            hint="Use the provider's https:// address.",
            id="accounts.W004",
        )
    ]


@register(Tags.security)
def client_address_function_found(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    """django-ratelimit imports a function named by its dotted path only on a request: a typo would make every
    sign-in a 500. Checked by every management command (migrate, check), not by gunicorn's start."""
    try:
        import_string(settings.RATELIMIT_IP_META_KEY)
    except ImportError:
        return [
            Error(
                f"RATELIMIT_IP_META_KEY names a function that cannot be imported: {settings.RATELIMIT_IP_META_KEY}.",
                hint="Give the dotted path of a function of yours (module.function), or a header such as "
                "HTTP_X_REAL_IP.",
                id="accounts.E002",
            )
        ]
    return []
