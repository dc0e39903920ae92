"""Reading every page of a GitHub list, fast.

GitHub pages lists with the `Link` header. The first page's `rel="last"` tells how many
pages there are, so the rest are fetched concurrently (at most GITHUB_MAX_CONCURRENCY at
a time, over the one pooled session). Without a `last` link we follow `rel="next"` one
page at a time. Any failure (rate limit, 5xx, timeout) stops the walk and is raised: the
caller stores nothing rather than half a list.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import requests
from django.conf import settings

from linkapp.providers import ProviderError

# 100,000 repositories: far beyond any person, and a bound on what a broken Link header can ask of us.
MAX_PAGES = 1000

Fetch = Callable[[str, dict | None], requests.Response]
Check = Callable[[requests.Response], dict | list]


def fetch_all(fetch: Fetch, check: Check, url: str, params: dict) -> list:
    first = fetch(url, params)
    items = _page_items(check(first))
    last = first.links.get("last", {}).get("url")
    if last:
        _same_origin(last)
        return items + _fetch_concurrently(fetch, check, last)
    url = next_url(first)
    while url:
        response = fetch(url, None)
        items += _page_items(check(response))
        url = next_url(response)
    return items


def _fetch_concurrently(fetch: Fetch, check: Check, last_url: str) -> list:
    parts = urlsplit(last_url)
    query = dict(parse_qsl(parts.query))
    try:
        last_page = int(query.get("page", "1"))
    except ValueError as exc:
        raise ProviderError("GitHub", "unreadable last page link") from exc
    if last_page > MAX_PAGES:
        raise ProviderError("GitHub", f"more than {MAX_PAGES} pages of repositories")
    urls = [urlunsplit(parts._replace(query=urlencode({**query, "page": n}))) for n in range(2, last_page + 1)]
    if not urls:
        return []
    pool = ThreadPoolExecutor(max_workers=min(settings.GITHUB_MAX_CONCURRENCY, len(urls)))
    try:
        # Each page in a copy of this context, so its log lines keep the request id.
        futures = [pool.submit(contextvars.copy_context().run, lambda u: check(fetch(u, None)), u) for u in urls]
        done, _ = wait(futures, return_when=FIRST_EXCEPTION)
        failed = next((f for f in futures if f in done and f.exception()), None)
        if failed is not None:
            raise failed.exception()
        items: list = []
        for future in futures:  # page order, whatever order they finished in
            items += _page_items(future.result())
        return items
    finally:
        # A failure stops the walk at once: pages not yet started are never requested.
        pool.shutdown(wait=False, cancel_futures=True)


def _page_items(page: dict | list) -> list:
    if not isinstance(page, list):
        raise ProviderError("GitHub", "a list page that is not a list")
    return page


def next_url(response: requests.Response) -> str | None:
    url = response.links.get("next", {}).get("url")
    if url:
        _same_origin(url)
    return url


def _same_origin(url: str) -> None:
    """Pagination links must stay on GitHub's API origin, so the token goes nowhere else."""
    api = urlsplit(settings.GITHUB_API_URL)
    target = urlsplit(url)
    if (target.scheme, target.netloc) != (api.scheme, api.netloc):
        raise ProviderError("GitHub", "pagination link to another origin")
