"""Django's cache-backed sessions, except that an unreachable cache is an error, not "no session".

Django reads a cache failure as an empty session: the person would silently be signed out
and their session cookie deleted. We let the error through instead; handler500 turns it
into a 503 with Retry-After, and the session is still there when Redis is back.

A value Redis holds that this release cannot unpickle (another release wrote it, say) is what Django
makes of it: no session. Raised, it would be a 500 on every page until the session expired.
"""

import logging

from django.contrib.sessions.backends.cache import SessionStore as CacheSessionStore

from linkapp.cache import UNPICKLING_ERRORS

log = logging.getLogger(__name__)


class SessionStore(CacheSessionStore):
    def load(self) -> dict:
        try:
            session_data = self._cache.get(self.cache_key)  # an unreachable Redis raises: see the module docstring
        except UNPICKLING_ERRORS as exc:
            session_data = _unreadable(exc)
        return self._loaded(session_data)

    async def aload(self) -> dict:
        try:
            session_data = await self._cache.aget(await self.acache_key())  # the same, for async callers
        except UNPICKLING_ERRORS as exc:
            session_data = _unreadable(exc)
        return self._loaded(session_data)

    def _loaded(self, session_data: dict | None) -> dict:
        if session_data is not None:
            return session_data
        self._session_key = None
        return {}


def _unreadable(exc: Exception) -> None:
    log.warning("session not readable (%s): a new one begins", type(exc).__name__)
    return None
