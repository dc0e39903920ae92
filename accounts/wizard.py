"""Temporary wizard data (OAuth tokens, the repository list), kept only on the server.

Each item sits in the cache under its own key with a WIZARD_TTL expiry, so it vanishes on
its own if the person walks away; the session holds nothing but a random wizard id that
names those keys. The id is not the session key, so it survives allauth cycling the
session at sign-in and never exposes the session key in cache key names.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase
from django.core.cache import cache

WIZARD_ID_KEY = "wizard_id"
TOKEN_NAMES = ("token:discord", "token:github")
REPO_LIST = "repos"
CHOICE = "choice"  # the repository id last submitted, so a failed save can be repeated


class WizardStore:
    def __init__(self, session: SessionBase) -> None:
        self.session = session

    def _key(self, name: str) -> str:
        wizard_id = self.session.get(WIZARD_ID_KEY)
        if wizard_id is None:
            wizard_id = self.session[WIZARD_ID_KEY] = secrets.token_urlsafe(16)
        return f"wizard:{wizard_id}:{name}"

    def set(self, name: str, value: Any) -> None:
        cache.set(self._key(name), value, settings.WIZARD_TTL)

    def get(self, name: str) -> Any:
        """The value, or None once expired; reading it restarts its TTL ("unused" time)."""
        key = self._key(name)
        value = cache.get(key)
        if value is not None:
            cache.touch(key, settings.WIZARD_TTL)
        return value

    def delete(self, *names: str) -> None:
        cache.delete_many([self._key(name) for name in names])

    def save_token(self, provider: str, access_token: str, scope: str = "") -> None:
        self.set(f"token:{provider}", {"access_token": access_token, "scope": scope})

    def token(self, provider: str) -> dict | None:
        """{"access_token": ..., "scope": ...} for "discord" or "github", or None."""
        return self.get(f"token:{provider}")

    def clear(self) -> None:
        """Forget every token and list of this wizard (after the link is saved)."""
        self.delete(*TOKEN_NAMES, REPO_LIST, CHOICE)
