"""Django's cache-backed sessions, except that an unreachable cache is an error, not "no session".

Django reads a cache failure as an empty session: the person would silently be signed out
and their session cookie deleted. We let the error through instead; handler500 turns it
into a 503 with Retry-After, and the session is still there when Redis is back.
"""

from django.contrib.sessions.backends.cache import SessionStore as CacheSessionStore


class SessionStore(CacheSessionStore):
    def load(self) -> dict:
        session_data = self._cache.get(self.cache_key)  # no try/except: see the module docstring
        return self._loaded(session_data)

    async def aload(self) -> dict:
        session_data = await self._cache.aget(await self.acache_key())  # the same, for async callers
        return self._loaded(session_data)

    def _loaded(self, session_data: dict | None) -> dict:
        if session_data is not None:
            return session_data
        self._session_key = None
        return {}
