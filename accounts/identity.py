"""Who the signed-in person is, always read from the server side (allauth's SocialAccount rows)."""

from __future__ import annotations

import re

from allauth.socialaccount.models import SocialAccount
from django.conf import settings
from django.contrib.auth import SESSION_KEY, get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.http import HttpRequest


def social_accounts(user: AbstractBaseUser) -> list[SocialAccount]:
    """All of the person's accounts (Discord, and GitHub once connected) in one query, so that a
    wizard step needing both asks the database once."""
    if not user.is_authenticated:
        return []
    return list(SocialAccount.objects.filter(user=user).order_by("pk"))


def find_account(accounts: list[SocialAccount], provider: str, uid: str | None = None) -> SocialAccount | None:
    """The first account of this provider (and this uid, when given) among `accounts`."""
    return next((a for a in accounts if a.provider == provider and uid in (None, a.uid)), None)


def social_account(user: AbstractBaseUser, provider: str) -> SocialAccount | None:
    return find_account(social_accounts(user), provider)


def signed_out_by_admin(request: HttpRequest) -> bool:
    """The session still names a user whom Django no longer signs in: an admin has deactivated or deleted them."""
    return SESSION_KEY in request.session and not request.user.is_authenticated


def deactivated_in_session(request: HttpRequest) -> bool:
    """The session still names a user whom Django no longer signs in because an admin has deactivated them."""
    return (
        signed_out_by_admin(request)
        and get_user_model()._default_manager.filter(pk=request.session[SESSION_KEY], is_active=False).exists()
    )


def discord_id_of(user: AbstractBaseUser) -> str | None:
    """The person's Discord id, or None for a session signed in some other way (an admin's password)."""
    account = social_account(user, "discord")
    return account.uid if account else None


def discord_name(account: SocialAccount) -> str:
    """Discord's display name: global_name when set, else the username."""
    data = account.extra_data
    return data.get("global_name") or data.get("username") or account.uid


def discord_handle(account: SocialAccount) -> str:
    """The handle ("nelly") kept on links, not the display name ("Nelly") the pages show. An account not yet
    moved to a unique username keeps its tag ("Nelly#1337"): the name alone is not unique."""
    username = account.extra_data.get("username")
    if not username:
        return account.uid
    discriminator = account.extra_data.get("discriminator")
    legacy = isinstance(discriminator, str) and re.fullmatch(r"[0-9]{4}", discriminator) and discriminator != "0000"
    return f"{username}#{discriminator}" if legacy else username


def github_login(account: SocialAccount) -> str:
    """The login as GitHub said it at the last connect (it may have been renamed since a link was made)."""
    return account.extra_data.get("login", "")


def identity_context(discord: SocialAccount, github: SocialAccount | None = None) -> dict:
    """What the wizard pages show of the person once known: Discord name, handle and avatar, GitHub login."""
    return {
        "discord_name": discord_name(discord),
        "discord_username": discord_handle(discord),
        # Discord's hash of the image, in the image's address: a new avatar is not taken from the browser's cache.
        "avatar_version": discord.extra_data.get("avatar") if settings.DISCORD_CDN_URL else None,
        "github_login": github_login(github) if github else "",
    }
