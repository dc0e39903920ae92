"""linkapp.sessions: a cache that cannot be reached is an error, never an empty session."""

import asyncio

import pytest

from linkapp.sessions import SessionStore


class UnreachableCache:
    def get(self, key: str) -> None:
        raise ConnectionError("the cache is down")

    async def aget(self, key: str) -> None:
        raise ConnectionError("the cache is down")


def test_an_unreachable_cache_is_an_error_not_a_signed_out_person():
    store = SessionStore("a" * 32)
    store._cache = UnreachableCache()

    with pytest.raises(ConnectionError):
        store.load()
    with pytest.raises(ConnectionError):
        asyncio.run(store.aload())
    assert store.session_key == "a" * 32  # kept: the cookie still names the session once the cache is back


def test_a_missing_session_is_an_empty_one():
    store = SessionStore("b" * 32)
    assert store.load() == {} and asyncio.run(store.aload()) == {}
    assert store.session_key is None
