"""Temporary wizard data (the GitHub token, the repository list, the choice), kept only on the server.

Each item sits in the cache under its own key with a WIZARD_TTL expiry, so it vanishes on
its own if the person walks away; the session holds nothing but a random wizard id that
names those keys. The id is not the session key, so it survives allauth cycling the
session at sign-in and never exposes the session key in cache key names.
"""

from __future__ import annotations

import contextlib
import logging
import secrets
import time
from typing import Any, TypedDict

from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase
from django.core.cache import cache

from linkapp.cache import CACHE_UNAVAILABLE, UNPICKLING_ERRORS

WIZARD_ID_KEY = "wizard_id"
GITHUB_TOKEN = "token:github"  # noqa: S105 - a cache key name, not a secret
REPO_LIST = "repos"
REPO_LIST_FAILURE = "repos:failure"  # why fetching the list failed: until shown, a rate limit until it ends
CHOICE = "choice"  # the repository id last submitted, so a failed save can be repeated
log = logging.getLogger("linkapp.wizard")


class GitHubGrant(TypedDict):
    """The GitHub token as the wizard keeps it: with the scope GitHub granted, the GitHub account (uid) it
    belongs to, and when (a link saved since then was saved with it)."""

    access_token: str
    scope: str
    uid: str
    granted_at: float


class WizardStore:
    def __init__(self, session: SessionBase) -> None:
        self.session = session

    def begin(self) -> None:
        """A new wizard id, made at the Discord sign-in and saved with its session. Had it been made
        at the first write, an instance dying before it saved the session would leave that write
        (a token) under an id no session names; now the next connect revokes and replaces it."""
        self.session[WIZARD_ID_KEY] = secrets.token_urlsafe(16)

    @property
    def began(self) -> bool:
        """Whether this session signed in with Discord: no other session has a wizard to read or write."""
        return WIZARD_ID_KEY in self.session

    def _key(self, name: str) -> str:
        return f"wizard:{self.session[WIZARD_ID_KEY]}:{name}"

    def set(self, name: str, value: Any) -> None:
        if not self.began:
            raise RuntimeError("no wizard began in this session: begin() comes with the Discord sign-in")
        cache.set(self._key(name), value, settings.WIZARD_TTL)

    def get(self, name: str) -> Any:
        """The value, or None once expired; reading it restarts its TTL ("unused" time). A value this release
        cannot read (another one wrote it, during a rolling deploy) is forgotten: as good as expired."""
        if not self.began:
            return None
        key = self._key(name)
        try:
            value = cache.get(key)
        except UNPICKLING_ERRORS as exc:
            log.warning("wizard %s not readable (%s): forgotten", name, type(exc).__name__)
            with contextlib.suppress(*CACHE_UNAVAILABLE):  # a Redis that refuses writes: it expires instead
                cache.delete(key)
            return None
        if value is not None:
            try:
                cache.touch(key, settings.WIZARD_TTL)
            except CACHE_UNAVAILABLE:
                # A Redis that reads but refuses writes (a replica after a failover): what was read still
                # counts, so that a token read at a sign-out or a disconnect is revoked; its TTL runs on.
                pass
        return value

    def delete(self, *names: str) -> None:
        if self.began:
            cache.delete_many([self._key(name) for name in names])

    def save_github_token(self, access_token: str, scope: str, uid: str) -> None:
        grant = GitHubGrant(access_token=access_token, scope=scope, uid=uid, granted_at=time.time())
        self.set(GITHUB_TOKEN, grant)

    def forget_github_token(self, access_token: str) -> None:
        """GitHub refused this token: forget it, unless another tab has replaced it meanwhile."""
        current = self.github_token()
        if current is not None and current["access_token"] == access_token:
            self.delete(GITHUB_TOKEN)

    def github_token(self) -> GitHubGrant | None:
        """None once expired or cleared."""
        return self.get(GITHUB_TOKEN)

    def clear(self) -> None:
        """Forget everything this wizard kept (the link is saved, or the person signed out)."""
        self.delete(GITHUB_TOKEN, REPO_LIST, REPO_LIST_FAILURE, CHOICE)
