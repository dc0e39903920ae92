"""linkapp.sessions: a cache that cannot be reached is an error, never an empty session."""

import asyncio
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from linkapp.sessions import SessionStore


def run(coroutine: Coroutine[Any, Any, Any]) -> Any:
    """In an event loop of its own thread: the e2e tests' Playwright leaves one running in this one."""
    with ThreadPoolExecutor(1) as thread:
        return thread.submit(asyncio.run, coroutine).result()


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
        run(store.aload())
    assert store.session_key == "a" * 32  # kept: the cookie still names the session once the cache is back


def test_a_missing_session_is_an_empty_one():
    store = SessionStore("b" * 32)
    assert store.load() == {} and run(store.aload()) == {}
    assert store.session_key is None
