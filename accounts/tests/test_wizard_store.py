from django.contrib.sessions.backends.cache import SessionStore
from django.core.cache import cache

from accounts.wizard import WizardStore


def test_items_expire_after_wizard_ttl(settings):
    settings.WIZARD_TTL = 120
    session = SessionStore()
    store = WizardStore(session)
    store.save_token("github", "gho_secret", "read:user")

    key = next(iter(cache.keys("wizard:*")))
    assert 0 < cache.ttl(key) <= 120
    assert store.token("github") == {"access_token": "gho_secret", "scope": "read:user"}


def test_keys_do_not_name_the_session():
    session = SessionStore()
    session.create()
    WizardStore(session).set("repos", b"x")
    assert all(session.session_key not in key for key in cache.keys("wizard:*"))


def test_clear_forgets_tokens_and_list():
    store = WizardStore(SessionStore())
    store.save_token("discord", "d", "identify")
    store.save_token("github", "g", "")
    store.set("repos", b"list")

    store.clear()

    assert cache.keys("wizard:*") == []
    assert store.token("discord") is None


def test_two_people_do_not_share():
    alice, bob = WizardStore(SessionStore()), WizardStore(SessionStore())
    alice.save_token("github", "alice-token")
    assert bob.token("github") is None
