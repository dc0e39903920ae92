import json
import sys
import time
import zlib
from pathlib import Path

import pytest
from django.contrib.sessions.backends.cache import SessionStore
from django.core.cache import cache

from accounts.wizard_store import REPO_LIST, REPO_LIST_FAILURE, WizardStore
from linkapp.providers import ProviderError, ProviderRateLimited, ProviderTimeout, ProviderUnauthorized
from repos.repo_store import decode, encode, load, save_failure
from repos.repository import RepoSummary

EXAMPLE = json.loads((Path(__file__).resolve().parents[2] / "demo/payloads/github_user_repos.json").read_text())[0]


def test_round_trip():
    repos = [
        RepoSummary.from_github({**EXAMPLE, "id": i, "full_name": f"acme/r{i}", "private": i % 2 == 0})
        for i in range(1, 301)
    ]
    blob = encode(repos)

    assert decode(blob) == tuple(repos)
    assert len(blob) / len(repos) < 150


@pytest.mark.parametrize(
    "blob",
    [
        zlib.compress(b'[[1,"acme/r1"]]'),  # rows of another release's RepoSummary
        zlib.compress(b"not json"),
        b"not zlib",
    ],
)
def test_a_list_this_release_cannot_read_is_fetched_again(blob):
    store = WizardStore(SessionStore())
    store.begin()
    store.set(REPO_LIST, blob)

    assert load(store) is None  # the picker's "no list yet": it asks GitHub
    assert store.get(REPO_LIST) is None


class RenamedSince(ProviderError):
    """A failure class of this release that the next one renames."""


def test_a_failure_stored_by_another_release_is_forgotten_and_the_list_fetched_again(monkeypatch):
    """A rolling deploy: one release stored the failure, the next cannot unpickle it. Every picker page was a 500
    until the failure expired."""
    store = WizardStore(SessionStore())
    store.begin()
    save_failure(store, RenamedSince("GitHub", "timed out"))
    monkeypatch.delattr(sys.modules[__name__], "RenamedSince")

    assert load(store) is None  # the picker's "no list yet": it asks GitHub
    monkeypatch.undo()
    assert store.get(REPO_LIST_FAILURE) is None  # forgotten, not merely skipped


def test_a_stored_failure_is_raised_once_exactly_as_it_was():
    store = WizardStore(SessionStore())
    store.begin()
    failed = ProviderUnauthorized("GitHub", "revoked")
    save_failure(store, failed)

    with pytest.raises(ProviderUnauthorized) as raised:
        load(store)
    assert (raised.value.provider, raised.value.reason) == ("GitHub", failed.reason)
    assert load(store) is None  # "Try again" asks GitHub again


def test_a_stored_failure_read_for_a_head_request_is_kept_for_the_next_page():
    store = WizardStore(SessionStore())
    store.begin()
    save_failure(store, ProviderUnauthorized("GitHub", "revoked"))

    for _ in range(2):
        with pytest.raises(ProviderUnauthorized):
            load(store, keep_failure=True)
    with pytest.raises(ProviderUnauthorized):
        load(store)  # the GET a person reads: shown once, then forgotten
    assert load(store) is None


def test_a_stored_rate_limit_is_raised_until_its_wait_is_over():
    """GitHub asks for no requests while it limits them (and may ban an integration that goes on): "Try again"
    before the time the page named shows the page again."""
    store = WizardStore(SessionStore())
    store.begin()
    limited = ProviderRateLimited("GitHub", 120)
    save_failure(store, limited)

    for _ in range(2):
        with pytest.raises(ProviderRateLimited) as raised:
            load(store)
        assert (raised.value.provider, raised.value.reason, raised.value.retry_at) == (
            "GitHub",
            limited.reason,
            limited.retry_at,
        )


def test_a_rate_limit_that_has_ended_is_not_shown_but_the_list_fetched_again():
    """Someone back at the picker after the wait would be told to wait "1 s" for nothing."""
    store = WizardStore(SessionStore())
    store.begin()
    ended = ProviderRateLimited("GitHub", 30)
    ended.retry_at = time.time() - 1  # as if stored 31 s ago
    save_failure(store, ended)

    assert load(store, keep_failure=True) is None  # the picker's "no list yet": it asks GitHub
    assert load(store) is None


def test_every_provider_error_survives_the_cache():
    for error in (
        ProviderError("GitHub", "x"),
        ProviderUnauthorized("GitHub", "revoked"),
        ProviderTimeout("GitHub", "t"),
    ):
        cache.set("test:provider-error", error)
        copy = cache.get("test:provider-error")
        assert (type(copy), copy.reason, str(copy)) == (type(error), error.reason, str(error))
