"""Server-side calls to GitHub's REST API on behalf of one person, and token revocation.

GitHub's quirks handled here: errors may come as HTTP 200 with an `error` field, rate
limits as 403 or 429 (`retry-after` wins over `x-ratelimit-reset`), and lists are paged
by the `Link` header (see github_pagination).
"""

from __future__ import annotations

import contextvars
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import TypeGuard

import requests
from django.conf import settings

from linkapp import providers
from linkapp.providers import ProviderError, ProviderRateLimited
from repos import github_pagination
from repos.models import Link
from repos.repository import RepoSummary, is_github_id

NAME = "GitHub"
PER_PAGE = 100


def is_rate_limited(response: requests.Response) -> bool:
    """A 429, or a 403 that says so: by its headers (primary limit), or only by its message, as a
    secondary rate limit may come without `retry-after` (GitHub then asks for a minute's wait).
    "Maximum number of login attempts exceeded" is one too: after many bad tokens GitHub refuses
    every token of that user, good ones included, for a while."""
    if response.status_code == 429:
        return True
    if response.status_code != 403:
        return False
    headers = response.headers
    if headers.get("x-ratelimit-remaining") == "0" or "retry-after" in headers:
        return True
    message = response.text.lower()
    return "rate limit" in message or "login attempts" in message


def check(response: requests.Response) -> object:
    """The JSON body of a successful answer; every other answer becomes a ProviderError."""
    if is_rate_limited(response):
        raise ProviderRateLimited(NAME, providers.retry_after(response))
    providers.raise_unless_ok(NAME, response)
    body = providers.json_body(NAME, response)
    if isinstance(body, dict) and "error" in body:
        raise ProviderError(NAME, providers.error_code(body["error"]))
    return body


def readable_user(user: object) -> TypeGuard[dict]:
    """What allauth and the Link table read, of the types they read it as, and what Postgres can keep: anything
    else would be a 500 later, at the connect or at "Link repository". GitHub's longest login is 39."""
    return (
        isinstance(user, dict)
        and is_github_id(user.get("id"))
        and isinstance(user.get("login"), str)
        and 0 < len(user["login"]) <= Link._meta.get_field("github_login").max_length
        and all(isinstance(user.get(field), str | None) for field in ("name", "email"))
        and providers.storable(user)
    )


def check_repositories(response: requests.Response) -> list[RepoSummary]:
    """A page of repositories, reduced as it arrives, in the thread that fetched it.

    Only the last page's reduction then waits after GitHub's last answer, and GitHub's 6 KB
    objects are dropped page by page instead of all being held until the walk ends.
    """
    page = check(response)
    if not isinstance(page, list):  # GitHub's error object: explained, not a crash
        raise ProviderError(NAME, "a list page that is not a list")
    return [RepoSummary.from_github(repo) for repo in page]


class GitHubClient:
    """Calls made with one person's OAuth token; the token never leaves this object."""

    def __init__(self, access_token: str) -> None:
        self._headers = {
            "Authorization": f"Bearer {access_token}",
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": "2022-11-28",
        }

    def get(self, url: str, params: dict | None = None) -> requests.Response:
        return providers.request(NAME, "GET", url, params=params, headers=self._headers)

    def get_user(self) -> dict:
        user = check(self.get(f"{settings.GITHUB_API_URL}/user"))
        if not readable_user(user):
            raise ProviderError(NAME, "a user we cannot read")
        return user

    def get_repository(self, repo_id: int) -> dict | None:
        """The repository as GitHub sees it now, or None when this person can no longer see it: only GitHub's
        status says that. A 200 of another shape (JSON's null among them) is GitHub's error, not "gone"."""
        response = self.get(f"{settings.GITHUB_API_URL}/repositories/{int(repo_id)}")
        # 404: gone or hidden; 403 without a rate limit: e.g. an organisation's SAML SSO not authorised; 451:
        # blocked for legal reasons (a DMCA takedown), which GitHub's lists still show. Trying again changes none.
        if response.status_code in (404, 451) or (response.status_code == 403 and not is_rate_limited(response)):
            return None
        repo = check(response)
        if not isinstance(repo, dict):
            raise ProviderError(NAME, "a repository we cannot read")
        return repo

    def list_repositories(
        self, concurrency: int | None = None, stop: threading.Event | None = None
    ) -> list[RepoSummary]:
        """Every repository the person can see, each once (the picker sorts them itself).

        GitHub pages by position, so the list is asked oldest first: an order that a push meanwhile does
        not change (most recently pushed first would move that repository to a page already read, and
        show another twice). A repository that arrives meanwhile (transferred in) can still push one
        onto the next page; it is kept once. One that goes meanwhile (deleted, access lost) pulls the next
        one onto a page already read: that one is missing until "Refresh list"."""
        repos = github_pagination.fetch_all(
            self.get,
            check_repositories,
            f"{settings.GITHUB_API_URL}/user/repos",
            {"per_page": PER_PAGE, "sort": "created", "direction": "asc"},
            concurrency=concurrency or settings.GITHUB_MAX_CONCURRENCY,
            stop=stop,
        )
        unique: dict[int, RepoSummary] = {}
        for repo in repos:
            unique.setdefault(repo.id, repo)
        return list(unique.values())

    def get_user_and_repositories(self) -> tuple[dict, list[RepoSummary] | ProviderError]:
        """The user, and meanwhile their repositories: the list need not wait for `GET /user`.

        Together they keep to GITHUB_MAX_CONCURRENCY requests in flight. A failed list is
        returned, not raised, for the picker to explain; a failed `GET /user` is raised and
        stops the list.
        """
        bound = settings.GITHUB_MAX_CONCURRENCY
        if bound <= 1:
            return self.get_user(), self._repositories_or_error(1)
        stop = threading.Event()
        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="github-list")
        listing = pool.submit(contextvars.copy_context().run, self._repositories_or_error, bound - 1, stop)
        try:
            user = self.get_user()
        except BaseException:  # GitHub's failure or our bug: no one will read the list
            stop.set()
            raise
        finally:
            pool.shutdown(wait=False)
        return user, listing.result()

    def _repositories_or_error(
        self, concurrency: int, stop: threading.Event | None = None
    ) -> list[RepoSummary] | ProviderError:
        try:
            return self.list_repositories(concurrency, stop)
        except ProviderError as exc:
            return exc


def revoke_token(access_token: str) -> None:
    """DELETE /applications/{client_id}/token, so a grant we no longer hold does not stay alive at GitHub."""
    providers.revoke(
        NAME,
        "DELETE",
        f"{settings.GITHUB_API_URL}/applications/{settings.GITHUB_CLIENT_ID}/token",
        success=204,
        json={"access_token": access_token},
        auth=(settings.GITHUB_CLIENT_ID, settings.GITHUB_CLIENT_SECRET),
        headers={"Accept": "application/vnd.github+json"},
    )
