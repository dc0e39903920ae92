"""Deploy checks (`manage.py check --deploy`): what the demo does without, and production cannot."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, register
from django.core.checks import Warning as CheckWarning

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
            hint="Set REDIS_URL (README, Deployment).",
            id="accounts.W001",
        )
    ]
