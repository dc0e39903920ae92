"""linkapp.sessions: a cache that cannot be reached is an error, never an empty session; a value that
cannot be read back is no session, as Django has it."""

import asyncio
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.conf import settings
from django.core.cache import caches
from django.test import Client
from django_redis.exceptions import ConnectionInterrupted
from redis.exceptions import ConnectionError as RedisConnectionError

from linkapp.sessions import SessionStore


def run(coroutine: Coroutine[Any, Any, Any]) -> Any:
    """In an event loop of its own thread: the e2e tests' Playwright leaves one running in this one."""
    with ThreadPoolExecutor(1) as thread:
        return thread.submit(asyncio.run, coroutine).result()


class UnreachableCache:
    """As django-redis answers when Redis is away: its own ConnectionInterrupted."""

    def get(self, key: str) -> None:
        raise ConnectionInterrupted(connection=None) from RedisConnectionError("the cache is down")

    async def aget(self, key: str) -> None:
        raise ConnectionInterrupted(connection=None) from RedisConnectionError("the cache is down")


def test_an_unreachable_cache_is_an_error_not_a_signed_out_person():
    store = SessionStore("a" * 32)
    store._cache = UnreachableCache()

    with pytest.raises(ConnectionInterrupted):
        store.load()
    with pytest.raises(ConnectionInterrupted):
        run(store.aload())
    assert store.session_key == "a" * 32  # kept: the cookie still names the session once the cache is back


def test_a_missing_session_is_an_empty_one():
    store = SessionStore("b" * 32)
    assert store.load() == {} and run(store.aload()) == {}
    assert store.session_key is None


def unreadable_session() -> str:
    """A session key whose value in the real Redis is no pickle this release can read."""
    store = SessionStore()
    store["kept"] = "no"
    store.save()
    cache = caches[settings.SESSION_CACHE_ALIAS]
    cache.client.get_client(write=True).set(cache.client.make_key(store.cache_key), b"\x80\x05not a pickle")
    return store.session_key


def test_a_session_that_cannot_be_read_back_is_no_session(caplog):
    key = unreadable_session()

    assert SessionStore(key).load() == {}
    store = SessionStore(key)
    assert run(store.aload()) == {} and store.session_key is None
    assert "session not readable (UnpicklingError): a new one begins" in caplog.text


@pytest.mark.django_db
def test_a_person_with_an_unreadable_session_is_asked_to_start_again_not_shown_a_500():
    client = Client(HTTP_HOST="127.0.0.1")
    client.cookies[settings.SESSION_COOKIE_NAME] = unreadable_session()

    page = client.get("/dashboard/")

    # The page of a session that has gone, as after Redis was emptied.
    assert page.status_code == 403
    assert "your session has expired" in page.content.decode() and "Try again" in page.content.decode()
