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
from repos.repo_store import RepoSummary, decode, encode, load, save_failure, shorten

EXAMPLE = json.loads((Path(__file__).resolve().parents[2] / "demo/payloads/github_user_repos.json").read_text())[0]


def test_from_github_keeps_what_the_picker_needs():
    repo = RepoSummary.from_github(EXAMPLE)

    assert repo.full_name == "octocat/Hello-World"
    assert repo.id == 1296269
    assert repo.permission == "pull"  # {"admin": false, "push": false, "pull": true}
    assert not repo.allows("push") and repo.allows("pull")
    assert repo.pushed_at > 0


def test_a_repository_without_permissions_is_only_readable():
    """GitHub leaves `permissions` out of a repository object read without the person's token."""
    repo = RepoSummary.from_github({key: value for key, value in EXAMPLE.items() if key != "permissions"})

    assert repo.permission == "pull"
    assert not repo.allows("push") and repo.allows("pull")


def test_a_description_is_kept_whole_up_to_githubs_longest():
    """The picker's search reads all of it; only a longer one (no GitHub writes one) is cut, visibly."""
    whole = "x" * 350
    assert RepoSummary.from_github({**EXAMPLE, "description": whole}).description == whole
    repo = RepoSummary.from_github({**EXAMPLE, "description": "word " * 100})
    assert len(repo.description) <= 350 and repo.description.endswith("word…")


def test_the_picker_shows_the_first_140_characters_of_a_description():
    short = RepoSummary.from_github({**EXAMPLE, "description": "x" * 140})
    assert short.shown_description == "x" * 140
    long = RepoSummary.from_github({**EXAMPLE, "description": "y" * 141})
    assert long.shown_description == "y" * 139 + "…"
    assert long.description == "y" * 141  # kept whole for search


def test_a_name_as_long_as_a_link_holds_is_kept():
    assert RepoSummary.from_github({**EXAMPLE, "full_name": "octocat/" + "x" * 192}).name == "x" * 192


@pytest.mark.parametrize(
    "odd",
    [
        {"description": ["a list"]},  # once stored, every search of the list failed on it
        {"description": 5},
        {"full_name": 5},
        {"full_name": "octocat/" + "x" * 193},  # longer than a link can hold: its save failed
        {"id": "1296269"},
    ],
    ids=["list-description", "number-description", "number-name", "long-name", "text-id"],
)
def test_a_repository_of_another_shape_is_githubs_error_not_ours(odd):
    with pytest.raises(ProviderError, match="a repository we cannot read"):
        RepoSummary.from_github({**EXAMPLE, **odd})


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("abcdef", "abcd…"),
        ("abc  def", "abc…"),  # the cut drops the spaces before it: never "abc …"
        ("abce\u0301f", "abc…"),  # é as e and an accent: never e alone
        ("abc\U0001f1e9\U0001f1eax", "abc…"),  # a flag's two letters: never one
        ("ab\U0001f1eb\U0001f1f7\U0001f1e9\U0001f1ea", "ab\U0001f1eb\U0001f1f7…"),  # between two flags
        ("a\U0001f1eb\U0001f1f7\U0001f1e9\U0001f1eax", "a\U0001f1eb\U0001f1f7…"),  # inside the second
        ("abc\U0001f468\u200d\U0001f469\u200d\U0001f467", "abc…"),  # an emoji joined of three: at a joiner
        ("ab\U0001f468\u200d\U0001f469\u200d\U0001f467", "ab…"),  # after a joiner
        ("abc\U0001f44d\U0001f3fdx", "abc…"),  # an emoji and its skin tone
        ("abc\u2764\ufe0fx", "abc…"),  # a heart and its emoji selector
        ("a\U0001f3f4" + "".join(chr(0xE0000 + ord(c)) for c in "gbeng\x7f"), "a…"),  # England's: a flag and tags
        ("\u0301" * 6, "\u0301" * 4 + "…"),  # nothing but accents: cut anyway, never an empty "…"
    ],
)
def test_a_cut_never_splits_what_is_read_as_one_character(text: str, shown: str) -> None:
    assert shorten(text, limit=5) == shown


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
