"""The end of a wizard: everything forgotten, and the GitHub token revoked even when Redis fails."""

import pytest
from allauth.socialaccount.models import SocialAccount
from django.contrib.sessions.backends.cache import SessionStore
from django.test import RequestFactory
from redis.exceptions import ConnectionError as RedisConnectionError

from accounts.wizard_store import REPO_LIST, WizardStore
from repos import github_api, linking, receivers


@pytest.fixture
def revoked(monkeypatch) -> list[str]:
    tokens: list[str] = []
    monkeypatch.setattr(github_api, "revoke_token", tokens.append)
    return tokens


@pytest.fixture
def store() -> WizardStore:
    store = WizardStore(SessionStore())
    store.begin()
    store.save_github_token("gho_stored", "read:user", "1")
    store.set(REPO_LIST, b"list")
    return store


def test_everything_is_forgotten_and_the_token_revoked(store, revoked):
    linking.finish_wizard(store)

    assert revoked == ["gho_stored"]
    assert store.github_token() is None and store.get(REPO_LIST) is None


def test_both_tokens_are_revoked_when_another_tab_stored_a_new_one(store, revoked):
    """The save had its token in hand; another tab connected GitHub again meanwhile, and stored its own. Neither is
    held by anything once the wizard is forgotten."""
    linking.finish_wizard(store, access_token="gho_in_hand")

    assert sorted(revoked) == ["gho_in_hand", "gho_stored"]
    assert store.github_token() is None


def test_disconnecting_another_github_account_keeps_this_wizards_token(store, revoked):
    """The wizard holds a grant of GitHub account 1; the person disconnects account 2 on allauth's page."""
    request = RequestFactory().post("/")
    request.session = store.session
    receivers.finish_wizard_at_github_disconnect(
        SocialAccount, request=request, socialaccount=SocialAccount(provider="github", uid="2")
    )

    assert revoked == []
    assert store.github_token()["access_token"] == "gho_stored"


def test_the_token_read_is_revoked_when_only_clearing_fails(store, revoked, monkeypatch):
    """Sign-out during a Redis blip: the token was read, the delete timed out; GitHub still revokes it."""

    def redis_gone() -> None:
        raise RedisConnectionError("Timeout reading from socket")

    monkeypatch.setattr(store, "clear", redis_gone)
    linking.finish_wizard(store)

    assert revoked == ["gho_stored"]


def test_the_token_in_hand_is_revoked_when_redis_cannot_be_read(store, revoked, monkeypatch):
    def redis_gone() -> None:
        raise RedisConnectionError("Connection refused")

    monkeypatch.setattr(store, "github_token", redis_gone)
    linking.finish_wizard(store, access_token="gho_in_hand")

    assert revoked == ["gho_in_hand"]


def test_a_github_disconnect_during_a_redis_blip_does_not_fail(store, revoked, monkeypatch, caplog):
    """allauth has deleted the account before it tells us: a 503 would claim it was not disconnected."""

    def redis_gone() -> None:
        raise RedisConnectionError("Connection refused")

    monkeypatch.setattr(WizardStore, "github_token", lambda self: redis_gone())
    request = RequestFactory().post("/accounts/3rdparty/")
    request.session = store.session
    account = SocialAccount(provider="github", uid="1")

    receivers.finish_wizard_at_github_disconnect(SocialAccount, request=request, socialaccount=account)

    assert "wizard store not read at a GitHub disconnect: ConnectionError" in caplog.text
    assert revoked == []
