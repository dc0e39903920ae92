import time

import pytest
from django.contrib.sessions.backends.cache import SessionStore
from django.core.cache import cache
from django_redis.exceptions import ConnectionInterrupted
from redis.exceptions import ReadOnlyError

from accounts.wizard_store import CHOICE, REPO_LIST, REPO_LIST_FAILURE, WizardStore
from linkapp.providers import ProviderRateLimited


def begun(session: SessionStore | None = None) -> WizardStore:
    """A wizard as the Discord sign-in begins it."""
    store = WizardStore(session if session is not None else SessionStore())
    store.begin()
    return store


def test_items_expire_after_wizard_ttl(settings):
    settings.WIZARD_TTL = 77
    store = begun()
    before = time.time()
    store.save_github_token("gho_secret", "read:user", "1")
    store.set(REPO_LIST, b"list")
    store.set(CHOICE, 42)

    keys = cache.keys("wizard:*")
    assert len(keys) == 3
    assert all(70 < cache.ttl(key) <= 77 for key in keys)
    token = store.github_token()
    assert before <= token.pop("granted_at") <= time.time()
    assert token == {"access_token": "gho_secret", "scope": "read:user", "uid": "1"}


def test_reading_an_item_restarts_its_ttl(settings):
    """ "Expires after WIZARD_TTL unused": someone still choosing in the picker keeps their token and list."""
    settings.WIZARD_TTL = 77
    store = begun()
    store.save_github_token("gho_secret", "read:user", "1")
    (key,) = cache.keys("wizard:*")
    cache.expire(key, 5)  # 72 s later

    assert store.github_token()["access_token"] == "gho_secret"
    assert 70 < cache.ttl(key) <= 77


def test_keys_do_not_name_the_session():
    session = SessionStore()
    session.create()
    begun(session).set(REPO_LIST, b"x")
    assert cache.keys("wizard:*")
    assert all(session.session_key not in key for key in cache.keys("wizard:*"))


def test_clear_forgets_token_list_failure_and_choice():
    store = begun()
    store.save_github_token("g", "", "1")
    store.set(REPO_LIST, b"list")
    store.set(REPO_LIST_FAILURE, ProviderRateLimited("GitHub", retry_after=60))  # kept while limited
    store.set(CHOICE, 42)
    assert len(cache.keys("wizard:*")) == 4

    store.clear()

    assert cache.keys("wizard:*") == []
    assert store.github_token() is None


def test_two_people_do_not_share():
    alice, bob = begun(), begun()
    alice.save_github_token("alice-token", "", "1")
    assert alice.github_token()["access_token"] == "alice-token"
    assert bob.github_token() is None


def test_a_session_without_a_wizard_is_read_without_being_written():
    # An admin signing out of a password session: clearing a wizard that never began touches nothing.
    session = SessionStore()
    store = WizardStore(session)

    assert store.github_token() is None
    store.clear()

    assert not session.modified
    assert cache.keys("wizard:*") == []


def test_nothing_is_kept_for_a_session_that_did_not_sign_in_with_discord():
    store = WizardStore(SessionStore())
    with pytest.raises(RuntimeError):
        store.save_github_token("gho_secret", "read:user", "1")
    assert cache.keys("wizard:*") == []


def test_a_refused_token_is_forgotten_only_if_it_is_still_the_one_stored():
    """Another tab may have connected GitHub again since this one read the token that GitHub refused."""
    store = begun()
    store.save_github_token("gho_new", "read:user,repo", "1")
    store.forget_github_token("gho_old")
    assert store.github_token()["access_token"] == "gho_new"
    store.forget_github_token("gho_new")
    assert store.github_token() is None


def test_a_value_this_release_cannot_read_is_forgotten_as_if_expired(caplog):
    """A rolling deploy: another release wrote the token (a newer pickle protocol, say); every wizard page
    would otherwise be a 500 until it expired."""
    store = begun()
    store.save_github_token("gho_secret", "read:user", "1")
    (key,) = cache.keys("wizard:*")
    cache.client.get_client(write=True).set(cache.client.make_key(key), b"\x80\x09not a pickle of this Python")

    assert store.github_token() is None
    assert cache.keys("wizard:*") == []  # forgotten, not only skipped
    assert "wizard token:github not readable (ValueError): forgotten" in caplog.text


def test_a_value_that_cannot_be_read_from_a_redis_refusing_writes_is_still_none(monkeypatch):
    """A replica after a failover reads but refuses the delete: the value is still taken as expired (and expires)."""
    store = begun()
    store.set(CHOICE, 42)
    (key,) = cache.keys("wizard:*")
    cache.client.get_client(write=True).set(cache.client.make_key(key), b"\x80\x09not a pickle of this Python")

    def refused(*args, **kwargs):
        raise ConnectionInterrupted(connection=None) from ReadOnlyError("You can't write against a read only replica.")

    monkeypatch.setattr(cache, "delete", refused)

    assert store.get(CHOICE) is None
