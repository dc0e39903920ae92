"""The person's repository list as the picker needs it, stored compactly in the wizard store.

GitHub's repository object is about 6 KB; we keep only what the picker shows or checks,
as rows of a JSON array, zlib-compressed, under its own cache key with the wizard TTL.
"""

from __future__ import annotations

import json
import time
import zlib
from collections.abc import Sequence
from functools import lru_cache

from accounts.wizard_store import REPO_LIST, REPO_LIST_FAILURE, WizardStore
from linkapp.providers import ProviderError, ProviderRateLimited
from repos.repository import RepoSummary


def encode(repos: Sequence[RepoSummary]) -> bytes:
    return zlib.compress(json.dumps(repos, separators=(",", ":")).encode())


@lru_cache(maxsize=16)
def decode(blob: bytes) -> tuple[RepoSummary, ...]:
    """Memoised per process: a person paging and searching sends the same blob again and again."""
    return tuple(map(RepoSummary._make, json.loads(zlib.decompress(blob))))


def save(store: WizardStore, repos: Sequence[RepoSummary]) -> None:
    store.set(REPO_LIST, encode(repos))
    store.delete(REPO_LIST_FAILURE)


def save_failure(store: WizardStore, error: ProviderError) -> None:
    """Why fetching the list failed, kept for the picker to explain without asking GitHub again."""
    store.delete(REPO_LIST)
    store.set(REPO_LIST_FAILURE, error)


def forget(store: WizardStore) -> None:
    """No list and no failure: the picker fetches the list afresh."""
    store.delete(REPO_LIST, REPO_LIST_FAILURE)


def load(store: WizardStore, *, keep_failure: bool = False) -> tuple[RepoSummary, ...] | None:
    """The stored list, or None when there is none. A stored failure is raised once, then forgotten
    (`keep_failure`: raised and kept, for a HEAD, which shows no one the explanation); a rate limit is raised
    until its wait is over: GitHub asks for no requests meanwhile, and may ban an integration that goes on.

    A list or a failure this code cannot read (written by another release of it, during a rolling deploy)
    is none either (the failure: WizardStore.get): the picker fetches the list afresh instead of failing on every
    page until it expires. So is a rate limit whose wait is over."""
    blob = store.get(REPO_LIST)
    if blob is not None:
        try:
            return decode(blob)
        except (zlib.error, ValueError, TypeError):
            store.delete(REPO_LIST)
            return None
    failure = store.get(REPO_LIST_FAILURE)
    if isinstance(failure, ProviderRateLimited) and failure.retry_at <= time.time():
        store.delete(REPO_LIST_FAILURE)
        return None
    if failure is not None:
        if not keep_failure and not isinstance(failure, ProviderRateLimited):
            store.delete(REPO_LIST_FAILURE)
        raise failure
    return None
