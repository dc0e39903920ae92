"""Reading every page of a GitHub list, fast.

GitHub pages lists with the `Link` header; page 1's `rel="last"` tells how many pages there
are. Waiting for page 1 before asking for any other costs a whole round trip, so the first
`concurrency` pages are asked for at once. When page 1 then names its last page, the rest
follow, never more than `concurrency` in flight over the one pooled session. A long list
saves a wave of round trips this way; a one-page list costs up to `concurrency - 1` requests
answered with an empty page, out of GitHub's 5,000 an hour.

Without a `last` link, the first-wave answers are dropped and `rel="next"` is followed one
page at a time, as it is when `concurrency` is 1. Any failure of a page that is needed
(rate limit, 5xx, timeout) stops the walk and is raised: the caller stores nothing rather
than half a list.
"""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Callable
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from urllib.parse import parse_qsl, urlsplit

import requests
from django.conf import settings

from linkapp.addresses import DEFAULT_PORTS
from linkapp.providers import ProviderError

# 100,000 repositories: far beyond any person, and a bound on what a broken Link header can ask of us.
MAX_PAGES = 1000

Fetch = Callable[[str, dict | None], requests.Response]
Check = Callable[[requests.Response], list]  # a page's items, or ProviderError


def fetch_all(
    fetch: Fetch, check: Check, url: str, params: dict, *, concurrency: int, stop: threading.Event | None = None
) -> list:
    """Every item of every page. Setting `stop` (from another thread) ends the walk before its next request."""
    stop = stop or threading.Event()
    if concurrency <= 1:
        return _follow_next(fetch, check, fetch(url, params), stop)
    pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="github-pages")

    def page(number: int) -> Future:
        # Each page in a copy of this context, so its log lines keep the request id.
        def get() -> tuple[requests.Response | None, list]:
            _check_stop(stop)
            response = fetch(url, {**params, "page": number})
            # Only page 1's answer is read again (its Link header); another's whole body is let go at once.
            return response if number == 1 else None, check(response)

        return pool.submit(contextvars.copy_context().run, get)

    try:
        pages = {number: page(number) for number in range(1, concurrency + 1)}
        first, items = pages[1].result()
        last_page = _last_page(first)
        if last_page is None:
            return items + _follow_next(fetch, check, first, stop, skip_first=True)
        pages.update({number: page(number) for number in range(concurrency + 1, last_page + 1)})
        needed = [pages[number] for number in range(2, last_page + 1)]
        done, _ = wait(needed, return_when=FIRST_EXCEPTION)
        failed = next((future for future in needed if future in done and future.exception()), None)
        if failed is not None:
            raise failed.exception()
        for future in needed:  # page order, whatever order they finished in
            items += future.result()[1]
        return items
    finally:
        # A failure stops the walk at once: pages not yet started are never requested. Pages
        # of the first wave beyond the last one may still be in flight; their answers are dropped.
        pool.shutdown(wait=False, cancel_futures=True)


def _follow_next(
    fetch: Fetch, check: Check, response: requests.Response, stop: threading.Event, *, skip_first: bool = False
) -> list:
    items = [] if skip_first else check(response)
    url = next_url(response)
    pages = 1
    while url:
        _check_stop(stop)
        pages += 1
        if pages > MAX_PAGES:  # a `next` link that never ends (a loop of cursors) must not walk forever
            raise ProviderError("GitHub", f"more than {MAX_PAGES} pages of repositories")
        response = fetch(url, None)
        items += check(response)
        url = next_url(response)
    return items


def _check_stop(stop: threading.Event) -> None:
    if stop.is_set():
        raise ProviderError("GitHub", "the walk was stopped")


def _last_page(response: requests.Response) -> int | None:
    """The number of the last page, when GitHub's `Link` header names one."""
    last = response.links.get("last", {}).get("url")
    if not last:
        return None
    _same_origin(last)
    page = dict(parse_qsl(urlsplit(last).query)).get("page")
    if page is None:
        return None  # a cursor, not a page number: the walk follows the "next" links instead
    try:
        number = int(page)
    except ValueError as exc:
        raise ProviderError("GitHub", "unreadable last page link") from exc
    if number > MAX_PAGES:
        raise ProviderError("GitHub", f"more than {MAX_PAGES} pages of repositories")
    return number


def next_url(response: requests.Response) -> str | None:
    url = response.links.get("next", {}).get("url")
    if url:
        _same_origin(url)
    return url


def _same_origin(url: str) -> None:
    """Pagination links must stay on GitHub's API origin, so the token goes nowhere else."""
    try:
        target = _origin(url)
    except ValueError as exc:  # e.g. an unclosed IPv6 bracket or a port out of range: no URL at all
        raise ProviderError("GitHub", "unreadable pagination link") from exc
    if target != _origin(settings.GITHUB_API_URL):
        raise ProviderError("GitHub", "pagination link to another origin")


def _origin(url: str) -> tuple[str, str | None, int | None]:
    """Scheme, host and port as they compare (RFC 6454): GITHUB_API_URL (or the GITHUB_URL it comes from) may
    spell a capital or the default port, which GitHub's own links do not."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    return scheme, parts.hostname, parts.port or DEFAULT_PORTS.get(scheme)
