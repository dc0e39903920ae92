"""Server-side calls to Discord's API: the profile, and revoking a token once we are done."""

from __future__ import annotations

import re
from typing import TypeGuard

from django.conf import settings

from linkapp import providers
from linkapp.providers import ProviderError, ProviderRateLimited
from repos.models import Link

NAME = "Discord"
SNOWFLAKE = re.compile(r"[0-9]{1,32}")
# The longest username a link keeps with an old-style tag after it ("Nelly#1337"); Discord's longest is 32.
USERNAME_LIMIT = Link._meta.get_field("discord_username").max_length - len("#1337")


def fetch_profile(access_token: str) -> dict:
    """GET /users/@me, checking the status allauth's own Discord adapter ignores."""
    response = providers.request(
        NAME,
        "GET",
        f"{settings.DISCORD_URL}/api/users/@me",
        headers={"Authorization": f"Bearer {access_token}"},
    )
    if response.status_code == 429:
        raise ProviderRateLimited(NAME, providers.retry_after(response))
    providers.raise_unless_ok(NAME, response)
    profile = providers.json_body(NAME, response)
    if not readable_profile(profile):
        raise ProviderError(NAME, "a profile we cannot read")
    return profile


def readable_profile(profile: object) -> TypeGuard[dict]:
    """What allauth and our pages read, of the types they read it as, and what Postgres can keep: anything
    else would be a 500 later, at sign-in, on every page or at "Link repository". The id is a snowflake's
    digits, as the API's `discord_id` is."""
    return (
        isinstance(profile, dict)
        and isinstance(profile.get("id"), str)
        and SNOWFLAKE.fullmatch(profile["id"]) is not None
        and isinstance(profile.get("username"), str)
        and 0 < len(profile["username"]) <= USERNAME_LIMIT
        and all(isinstance(profile.get(field), str | None) for field in ("global_name", "avatar", "email"))
        and providers.storable(profile)
    )


def revoke_token(access_token: str) -> None:
    """Revoke at Discord (RFC 7009), as soon as the profile is read: sign-in needs nothing more."""
    providers.revoke(
        NAME,
        "POST",
        f"{settings.DISCORD_URL}/api/oauth2/token/revoke",
        success=200,
        data={"token": access_token, "token_type_hint": "access_token"},
        auth=(settings.DISCORD_CLIENT_ID, settings.DISCORD_CLIENT_SECRET),
    )


AVATAR_TYPES = {"image/png", "image/jpeg", "image/gif", "image/webp"}
# Seconds: an avatar is decoration on every wizard page, and a CDN that stalls must not hold a worker's thread for
# PROVIDER_TIMEOUT on each new person's first page. A 64-pixel image from a CDN takes milliseconds.
AVATAR_TIMEOUT = 2


def fetch_avatar(user_id: str, avatar_hash: str) -> tuple[bytes, str] | None:
    """The avatar image and its type, or None; only raster types, so nothing active is served as ours."""
    try:
        response = providers.request(
            NAME,
            "GET",
            f"{settings.DISCORD_CDN_URL}/avatars/{user_id}/{avatar_hash}.png",
            params={"size": 64},
            timeout=min(settings.PROVIDER_TIMEOUT, AVATAR_TIMEOUT),
        )
    except ProviderError:
        return None
    content_type = response.headers.get("Content-Type", "").split(";")[0]
    if response.status_code != 200 or content_type not in AVATAR_TYPES:
        return None
    return response.content, content_type
