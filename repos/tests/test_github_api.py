"""GitHub answer handling, with `requests` stubbed by real Response objects (the clearest test)."""

from __future__ import annotations

import gc
import json
import threading
import time
import weakref
from email.utils import formatdate
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
import requests

from demo.examples import GITHUB_ERRORS, github_rate_headers
from linkapp.providers import ProviderError, ProviderRateLimited, ProviderUnauthorized, ProviderUnavailable
from repos import github_api, github_pagination
from repos.repository import RepoSummary
from tests.wizard import github_token_of, walk_to_picker

REPOSITORIES = json.loads((Path(__file__).resolve().parents[2] / "demo/payloads/github_user_repos.json").read_text())


def response(status: int, body, headers: dict | None = None) -> requests.Response:
    r = requests.Response()
    r.status_code = status
    r._content = body.encode() if isinstance(body, str) else json.dumps(body).encode()
    r.headers.update(headers or {})
    return r


def test_ok_body():
    assert github_api.check(response(200, [{"id": 1}])) == [{"id": 1}]


def test_error_field_with_http_200_is_an_error():
    with pytest.raises(ProviderError):
        github_api.check(response(200, {"error": "bad_verification_code"}))


def published(name: str, **headers: str) -> requests.Response:
    """GitHub's own example answer (github_errors.json), with headers added or replaced."""
    example = GITHUB_ERRORS[name]
    return response(example["status"], example["body"], {**example["headers"], **headers})


def test_401_means_connect_again():
    with pytest.raises(ProviderUnauthorized):
        github_api.check(published("401_bad_credentials"))


def test_primary_rate_limit_uses_reset():
    reset = int(time.time()) + 600
    with pytest.raises(ProviderRateLimited) as caught:
        github_api.check(published("403_primary_rate_limit_exceeded", **{"x-ratelimit-reset": str(reset)}))
    assert abs(caught.value.retry_at - reset) < 1


def test_retry_after_wins_over_reset():
    limited = published("403_primary_rate_limit_exceeded", **{"retry-after": "30", "x-ratelimit-reset": "1"})
    for status in (403, 429):
        limited.status_code = status
        with pytest.raises(ProviderRateLimited) as caught:
            github_api.check(limited)
        assert 29 <= caught.value.retry_after <= 30


def test_retry_after_as_a_date_is_the_wait_until_then():
    """HTTP allows either form; a proxy in front of GitHub may send the date."""
    then = formatdate(time.time() + 600, usegmt=True)
    with pytest.raises(ProviderRateLimited) as caught:
        github_api.check(published("403_secondary_rate_limit", **{"Retry-After": then}))
    assert 590 <= caught.value.retry_after <= 600

    with pytest.raises(ProviderRateLimited) as caught:
        github_api.check(published("403_secondary_rate_limit", **{"Retry-After": "Someday, 99 Foo 20xx"}))
    assert caught.value.retry_after == 60


def test_a_retry_after_date_without_a_zone_is_gmt_whatever_the_local_time(monkeypatch):
    then = formatdate(time.time() + 600, usegmt=True).replace("GMT", "-0000")  # parsed without a zone
    monkeypatch.setenv("TZ", "Asia/Tokyo")  # Django sets TZ from TIME_ZONE (UTC), which hid the difference
    time.tzset()
    try:
        with pytest.raises(ProviderRateLimited) as caught:
            github_api.check(published("403_secondary_rate_limit", **{"Retry-After": then}))
    finally:
        monkeypatch.undo()
        time.tzset()
    assert 590 <= caught.value.retry_after <= 600


@pytest.mark.parametrize("status", [403, 429])
def test_a_secondary_limit_with_requests_left_waits_a_minute_not_until_the_hours_reset(status):
    """GitHub sends its x-ratelimit headers on every answer. Its reset is when the hour's allowance
    renews: the wait only when none of it is left (GitHub's docs: else wait at least a minute)."""
    example = published("403_secondary_rate_limit", **github_rate_headers(used=10, reset=int(time.time()) + 3000))
    example.status_code = status
    with pytest.raises(ProviderRateLimited) as caught:
        github_api.check(example)
    assert caught.value.retry_after == 60


@pytest.mark.parametrize("example", ["403_secondary_rate_limit", "403_max_login_attempts"])
def test_a_403_that_asks_to_wait_only_in_words_waits_a_minute(example):
    """Neither example has a rate-limit header; the login-attempts one says "try again later"."""
    with pytest.raises(ProviderRateLimited) as caught:
        github_api.check(published(example))
    assert caught.value.retry_after == 60


def test_403_that_asks_for_no_wait_is_a_plain_error():
    forbidden = {
        "message": "Resource protected by organization SAML enforcement.",
        "documentation_url": "https://docs.github.com/rest",
    }
    with pytest.raises(ProviderError) as caught:
        github_api.check(response(403, forbidden))
    assert not isinstance(caught.value, ProviderRateLimited)


def test_5xx_and_html_bodies():
    with pytest.raises(ProviderUnavailable):
        github_api.check(response(502, "<html>bad gateway</html>"))
    with pytest.raises(ProviderError):
        github_api.check(response(200, "<html>maintenance</html>"))


def test_next_link_must_stay_on_the_api_origin(settings):
    settings.GITHUB_API_URL = "https://api.github.com"
    same = response(200, [], {"link": '<https://api.github.com/user/repos?page=2>; rel="next"'})
    other = response(200, [], {"link": '<https://evil.test/user/repos?page=2>; rel="next"'})

    assert github_pagination.next_url(same) == "https://api.github.com/user/repos?page=2"
    with pytest.raises(ProviderError):
        github_pagination.next_url(other)
    assert github_pagination.next_url(response(200, [])) is None


def test_the_same_origin_however_the_address_spells_it(settings):
    """GITHUB_URL as an operator may write it (a capital, the default port); GitHub's links name neither."""
    settings.GITHUB_API_URL = "https://GHE.example.com:443/api/v3"
    same = response(200, [], {"link": '<https://ghe.example.com/api/v3/user/repos?page=2>; rel="next"'})
    assert github_pagination.next_url(same) == "https://ghe.example.com/api/v3/user/repos?page=2"
    for other in ("https://ghe.example.com:8443/api/v3/x", "http://ghe.example.com/api/v3/x", "https://example.com/x"):
        with pytest.raises(ProviderError, match="another origin"):
            github_pagination.next_url(response(200, [], {"link": f'<{other}>; rel="next"'}))
    with pytest.raises(ProviderError, match="unreadable pagination link"):
        github_pagination.next_url(response(200, [], {"link": '<https://ghe.example.com:99999/x>; rel="next"'}))


@pytest.mark.parametrize("rel", ["next", "last"])
def test_a_link_that_is_no_url_is_a_provider_error(settings, rel):
    settings.GITHUB_API_URL = "https://api.github.com"
    broken = response(200, [], {"link": f'<https://[api.github.com/user/repos?page=2>; rel="{rel}"'})
    with pytest.raises(ProviderError, match="unreadable pagination link"):
        github_pagination.next_url(broken) if rel == "next" else github_pagination._last_page(broken)


def test_odd_rate_limit_values_still_give_a_wait_within_a_day():
    with pytest.raises(ProviderRateLimited) as caught:
        github_api.check(response(429, {}, {"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}))
    assert caught.value.retry_after == 60
    with pytest.raises(ProviderRateLimited) as caught:
        github_api.check(response(403, {}, {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "1" + "0" * 30}))
    assert caught.value.retry_after == ProviderRateLimited.LONGEST_WAIT == 86400  # a day


def test_a_wait_of_hours_is_kept_as_the_provider_says():
    """Only what is past a day is cut: a person told "in 1 h" when GitHub refuses for 8 would try in vain."""
    hours = github_rate_headers(used=5000, reset=int(time.time()) + 8 * 3600)
    with pytest.raises(ProviderRateLimited) as caught:
        github_api.check(response(403, {}, hours))
    assert 8 * 3600 - 60 <= caught.value.retry_after <= 8 * 3600  # less the moments since


def test_a_repository_object_we_cannot_read_is_a_provider_error():
    with pytest.raises(ProviderError):
        RepoSummary.from_github({"id": 1, "full_name": "a/b", "pushed_at": "yesterday"})
    with pytest.raises(ProviderError):
        RepoSummary.from_github({"id": "x"})


@pytest.mark.parametrize("repo_id", [float("inf"), 1.9, True, "5", 0, 2**63, None])
def test_a_repository_id_that_is_not_githubs_is_a_provider_error(repo_id):
    """1e400 in JSON is infinity; 1.9 would have become another repository's id."""
    with pytest.raises(ProviderError):
        RepoSummary.from_github({**REPOSITORIES[0], "id": repo_id})
    assert RepoSummary.from_github({**REPOSITORIES[0], "id": 2**63 - 1}).id == 2**63 - 1


class FakeGitHub:
    """`fetch` for github_pagination: 40 pages of 20 ms, page 9 a 502, page 2 answered only once `release`
    is set and pages after 9 only once `after_9` is; it records what was asked."""

    def __init__(self, settings) -> None:
        self.base = f"{settings.GITHUB_API_URL}/user/repos"
        self.asked: list[int] = []
        self.release = threading.Event()
        self.after_9 = threading.Event()
        self.page_2_answered = False

    def __call__(self, url: str, params: dict | None) -> requests.Response:
        page = int(params["page"])
        self.asked.append(page)
        if page == 2:
            self.release.wait(timeout=10)
            self.page_2_answered = True
        if page > 9:
            self.after_9.wait(timeout=10)
        time.sleep(0.02)
        if page == 9:
            return response(502, "<html>bad gateway</html>")
        return response(200, [{"page": page}], {"Link": f'<{self.base}?page=40>; rel="last"'})


def wait_for_the_walk_to_end() -> None:
    """Until the list's threads (named by github_api and github_pagination) are all gone."""
    deadline = time.monotonic() + 10
    while any(t.name.startswith(("github-pages", "github-list")) for t in threading.enumerate()):
        assert time.monotonic() < deadline, "the walk's threads are still running"
        time.sleep(0.02)


def test_a_failing_page_stops_the_walk_without_waiting_for_slower_ones(settings):
    fake = FakeGitHub(settings)

    with pytest.raises(ProviderUnavailable):
        github_pagination.fetch_all(fake, github_api.check, fake.base, {}, concurrency=4)

    assert not fake.page_2_answered  # the failure was raised while page 2 was still on its way
    fake.release.set()
    fake.after_9.set()
    wait_for_the_walk_to_end()
    # Pages not yet started were never asked for: of the four threads, one held on page 2, the other
    # three can have started no more than pages 10 to 12 (held until now, however slow the machine).
    assert max(fake.asked) <= 12


def test_a_pages_answer_is_let_go_once_its_items_are_read(settings):
    """Only the items are kept: a page's answer is about 550 KB of JSON, and a long list would otherwise hold
    every one of them until the last page is in (1,000 pages: half a gigabyte)."""
    base = f"{settings.GITHUB_API_URL}/user/repos"
    answers: dict[int, weakref.ref] = {}
    kept_when_page_8_was_asked: list[int] = []

    def kept() -> list[int]:
        gc.collect()
        return [n for n in range(1, 7) if n not in answers or answers[n]() is not None]

    def fetch(url: str, params: dict | None) -> requests.Response:
        page = int(params["page"])
        if page == 8:  # pages 1 to 6 are read by now, or soon (two in flight at most)
            deadline = time.monotonic() + 5
            while (left := kept()) != [1] and time.monotonic() < deadline:
                time.sleep(0.01)
            kept_when_page_8_was_asked.extend(left)
        answer = response(200, [{"page": page}], {"Link": f'<{base}?page=8>; rel="last"'})
        answers[page] = weakref.ref(answer)
        return answer

    items = github_pagination.fetch_all(fetch, github_api.check, base, {}, concurrency=2)

    assert items == [{"page": page} for page in range(1, 9)]
    assert kept_when_page_8_was_asked == [1]  # page 1's, which names the last page


def test_a_next_link_that_never_ends_is_cut_at_max_pages(settings, monkeypatch):
    monkeypatch.setattr(github_pagination, "MAX_PAGES", 5)
    base = f"{settings.GITHUB_API_URL}/user/repos"
    asked = []

    def fetch(url: str, params: dict | None) -> requests.Response:
        asked.append(url)
        assert len(asked) <= 10, "the walk did not stop"  # fails the test instead of hanging it
        return response(200, [{"id": 1}], {"Link": f'<{base}?cursor=same>; rel="next"'})

    with pytest.raises(ProviderError, match="more than 5 pages"):
        github_pagination.fetch_all(fetch, github_api.check, base, {}, concurrency=1)
    assert len(asked) == 5


def test_stop_ends_the_walk_before_its_next_request(settings):
    stop = threading.Event()
    stop.set()
    fake = FakeGitHub(settings)

    with pytest.raises(ProviderError, match="stopped"):
        github_pagination.fetch_all(fake, github_api.check, fake.base, {}, concurrency=4, stop=stop)
    assert fake.asked == []


@pytest.mark.parametrize("failure", [ProviderUnavailable, RuntimeError])  # GitHub's 500, or a bug of ours
def test_a_failed_user_lookup_stops_the_list_fetched_beside_it(settings, monkeypatch, failure):
    settings.GITHUB_MAX_CONCURRENCY = 8
    base = f"{settings.GITHUB_API_URL}/user/repos"
    first_wave = threading.Barrier(8, timeout=5)  # GET /user and pages 1..7, all on their way
    user_failure_raised = threading.Event()
    asked: list[int] = []

    def get(self, url: str, params: dict | None = None) -> requests.Response:
        if url.endswith("/user"):
            first_wave.wait()
            if failure is RuntimeError:
                raise RuntimeError("a bug")
            return response(500, "<html>oops</html>")
        page = int(params["page"])
        asked.append(page)
        if page <= 7:
            first_wave.wait()
            user_failure_raised.wait(5)  # the first wave answers after GET /user's failure has stopped the walk
        # Pages the picker can read, of a list of 40 pages: only the stop ends the walk.
        return response(200, [{**REPOSITORIES[0], "id": page}], {"Link": f'<{base}?page=40>; rel="last"'})

    monkeypatch.setattr(github_api.GitHubClient, "get", get)

    with pytest.raises(failure):
        github_api.GitHubClient("gho_x").get_user_and_repositories()
    user_failure_raised.set()
    wait_for_the_walk_to_end()
    assert sorted(asked) == list(range(1, 8))  # the first wave only


def test_a_page_of_repositories_is_reduced_to_what_the_picker_keeps():
    page = github_api.check_repositories(response(200, REPOSITORIES))
    assert page == [RepoSummary.from_github(repo) for repo in REPOSITORIES]
    assert page[0].full_name == REPOSITORIES[0]["full_name"]
    with pytest.raises(ProviderError, match="not a list"):
        github_api.check_repositories(response(200, {"id": 1}))


def test_each_page_is_reduced_as_it_arrives_not_after_the_last(settings, monkeypatch):
    """Page 3 answers once pages 1 and 2 were reduced, or after 2 s, and then the test fails."""
    base = f"{settings.GITHUB_API_URL}/user/repos"
    earlier_pages_reduced = threading.Event()
    reduced: list[int] = []
    page_3_waited_for_nothing: list[bool] = []

    def from_github(repo: dict) -> RepoSummary:
        reduced.append(repo["id"])
        if {1, 2} <= set(reduced):
            earlier_pages_reduced.set()
        return RepoSummary._from_github(repo)

    def fetch(url: str, params: dict | None) -> requests.Response:
        page = int(params["page"])
        if page == 3:
            page_3_waited_for_nothing.append(earlier_pages_reduced.wait(timeout=2))
        repo = {**REPOSITORIES[0], "id": page, "full_name": f"octocat/r{page}"}
        return response(200, [repo], {"Link": f'<{base}?page=3>; rel="last"'})

    monkeypatch.setattr(RepoSummary, "from_github", from_github)
    repos = github_pagination.fetch_all(fetch, github_api.check_repositories, base, {}, concurrency=2)

    assert [repo.id for repo in repos] == [1, 2, 3]
    assert page_3_waited_for_nothing == [True]  # pages 1 and 2 were reduced while page 3 was on its way


def test_a_last_link_without_a_page_number_is_walked_by_its_next_links(settings):
    """Some endpoints page by cursor (../shared/provider-examples/github_link_header.txt): nothing is assumed from the `last` link then."""
    base = f"{settings.GITHUB_API_URL}/user/repos"

    def fetch(url: str, params: dict | None) -> requests.Response:
        cursor = dict(parse_qsl(urlsplit(url).query)).get("after", "0") if params is None else "0"
        here = int(cursor)
        links = [f'<{base}?after=Y3Vyc29y>; rel="last"']
        if here < 2:
            links.append(f'<{base}?after={here + 1}>; rel="next"')
        repo = {**REPOSITORIES[0], "id": here + 1, "full_name": f"octocat/r{here + 1}"}
        return response(200, [repo], {"Link": ", ".join(links)})

    repos = github_pagination.fetch_all(fetch, github_api.check_repositories, base, {}, concurrency=4)

    assert [repo.id for repo in repos] == [1, 2, 3]


class ChangingGitHub:
    """250 repositories at GitHub, in the order a request asks for; `after_page_1` changes them meanwhile."""

    def __init__(self, settings, after_page_1) -> None:
        self.base = f"{settings.GITHUB_API_URL}/user/repos"
        self.after_page_1 = after_page_1
        self.changed = threading.Event()  # other pages are answered only after the change, however they are asked
        self.repos = [self.repo(number, created=number, pushed=1000 - number) for number in range(1, 251)]

    @staticmethod
    def repo(number: int, *, created: int, pushed: int) -> dict:
        def iso(minute: int) -> str:
            return f"2026-01-01T{minute // 60:02d}:{minute % 60:02d}:00Z"

        return {
            **REPOSITORIES[0],
            "id": number,
            "full_name": f"octocat/r{number}",
            "created_at": iso(created),
            "pushed_at": iso(pushed),
        }

    def get(self, url: str, params: dict | None = None) -> requests.Response:
        params = params or dict(parse_qsl(urlsplit(url).query))
        page = int(params.get("page", 1))
        if page != 1:
            assert self.changed.wait(5), "page 1 was never asked for"
        sort = params.get("sort", "full_name")
        direction = params.get("direction", "asc" if sort == "full_name" else "desc")
        ordered = sorted(self.repos, key=lambda repo: repo[f"{sort}_at" if sort != "full_name" else sort])
        ordered = ordered[::-1] if direction == "desc" else ordered
        last = (len(ordered) + 99) // 100
        links = [f'<{self.base}?{urlencode({**params, "page": last})}>; rel="last"']  # as GitHub's: the query kept
        if page < last:
            links.append(f'<{self.base}?{urlencode({**params, "page": page + 1})}>; rel="next"')
        answer = response(200, ordered[(page - 1) * 100 : page * 100], {"Link": ", ".join(links)})
        if page == 1:
            self.after_page_1(self.repos)
            self.changed.set()
        return answer


def pushed_to(repos: list[dict]) -> None:
    repos[149]["pushed_at"] = "2026-11-29T12:00:00Z"  # repository 150: someone pushed to it just now


def transferred_in(repos: list[dict]) -> None:
    repos.append(ChangingGitHub.repo(251, created=0, pushed=0))  # older than all: it goes first


@pytest.mark.parametrize("meanwhile", [pushed_to, transferred_in])
@pytest.mark.parametrize("concurrency", [1, 8])
def test_a_repository_changed_while_the_list_is_read_neither_disappears_nor_shows_twice(
    settings, monkeypatch, meanwhile, concurrency
):
    """GitHub pages by position: a list asked in an order that changes meanwhile (most recently pushed
    first) would lose the repository pushed to, and show another twice."""
    github = ChangingGitHub(settings, meanwhile)
    monkeypatch.setattr(github_api.GitHubClient, "get", lambda client, url, params=None: github.get(url, params))

    ids = [repo.id for repo in github_api.GitHubClient("gho_x").list_repositories(concurrency=concurrency)]

    assert len(ids) == len(set(ids))
    assert set(range(1, 251)) <= set(ids)


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        ("bad_verification_code", "bad_verification_code"),
        ("x\n2026-11-29 12:00:00,000 INFO linkapp.wizard step=linked", "other"),  # would forge a log line
        ("x" * 64, "x" * 64),  # the longest code kept
        ("x" * 65, "other"),
        ("x" * 100_000, "other"),
        ({"code": "bad"}, "other"),
    ],
)
def test_an_error_field_is_kept_only_as_an_error_code(error, reason):
    with pytest.raises(ProviderError) as caught:
        github_api.check(response(200, {"error": error}))
    assert caught.value.reason == reason


def pages_named_by_last(base: str, last: str):
    """`fetch` whose every page names `last` as GitHub's last page; it records the pages asked for."""
    asked: list[int] = []

    def fetch(url: str, params: dict | None) -> requests.Response:
        page = int(params["page"])
        asked.append(page)
        return response(200, [{"page": page}], {"Link": f'<{base}?page={last}>; rel="last"'})

    return fetch, asked


def test_a_last_page_beyond_max_pages_is_refused_before_it_is_walked(settings, monkeypatch):
    monkeypatch.setattr(github_pagination, "MAX_PAGES", 5)
    base = f"{settings.GITHUB_API_URL}/user/repos"

    fetch, _ = pages_named_by_last(base, "5")
    items = github_pagination.fetch_all(fetch, github_api.check, base, {}, concurrency=2)
    assert items == [{"page": page} for page in range(1, 6)]

    fetch, asked = pages_named_by_last(base, "6")
    with pytest.raises(ProviderError, match="more than 5 pages"):
        github_pagination.fetch_all(fetch, github_api.check, base, {}, concurrency=2)
    wait_for_the_walk_to_end()
    assert 1 in asked and max(asked) <= 2  # the first wave at most: pages 3 to 6 were never asked for


def test_a_last_page_number_that_is_no_number_is_a_provider_error(settings):
    base = f"{settings.GITHUB_API_URL}/user/repos"
    fetch, _ = pages_named_by_last(base, "two")

    with pytest.raises(ProviderError, match="unreadable last page link"):
        github_pagination.fetch_all(fetch, github_api.check, base, {}, concurrency=2)
    wait_for_the_walk_to_end()


def test_stop_ends_a_walk_along_next_links_before_its_next_request(settings):
    base = f"{settings.GITHUB_API_URL}/user/repos"
    stop = threading.Event()
    asked: list[str] = []

    def fetch(url: str, params: dict | None) -> requests.Response:
        asked.append(url)
        stop.set()  # as the person leaving would, while the first page is on its way
        return response(200, [{"id": len(asked)}], {"Link": f'<{base}?page={len(asked) + 1}>; rel="next"'})

    with pytest.raises(ProviderError, match="stopped"):
        github_pagination.fetch_all(fetch, github_api.check, base, {}, concurrency=1, stop=stop)
    assert asked == [base]


def test_a_403_with_retry_after_is_a_rate_limit_whatever_its_message_says():
    """GitHub's older abuse-detection answer names no rate limit in its message; its retry-after is the wait."""
    abuse = {"message": "You have triggered an abuse detection mechanism. Please wait a few minutes."}
    with pytest.raises(ProviderRateLimited) as caught:
        github_api.check(response(403, abuse, {"retry-after": "120"}))
    assert 119 <= caught.value.retry_after <= 120


@pytest.mark.parametrize(
    "user",
    [
        {"id": 583231, "login": "octocat", "name": "The Octocat", "email": "octocat@example.com"},
        {"id": 583231, "login": "octocat", "name": None, "email": None},  # no public name or email: most accounts
    ],
)
def test_a_user_without_a_public_name_or_email_is_readable(user):
    assert github_api.readable_user(user)


@pytest.mark.parametrize(
    "user",
    [
        {"id": 583231, "login": ""},
        {"id": 583231, "login": None},
        {"id": 583231, "login": "octocat", "name": 7},
        {"id": 583231, "login": "octocat", "email": ["octocat@example.com"]},
        {"id": "583231", "login": "octocat"},
        ["octocat"],
        {"id": 583231, "login": "o" * 101},  # longer than a link keeps
        {"id": 583231, "login": "octocat", "bio": "\x00"},  # allauth keeps the whole user, in a jsonb
        {"id": 583231, "login": "octocat", "name": "\ud800"},
    ],
)
def test_a_user_of_the_wrong_shape_or_with_an_empty_login_is_not_readable(user):
    assert not github_api.readable_user(user)


@pytest.mark.django_db(transaction=True)
def test_a_revoked_token_is_dead_at_github_and_its_revocation_is_not_logged_as_failed(browser, providers, caplog):
    """Against the demo GitHub: the app's client id and secret as basic auth, and GitHub's 204 as success."""
    walk_to_picker(browser)
    token = github_token_of(browser)

    github_api.revoke_token(token)

    assert providers.tokens[token].revoked
    assert not [record for record in caplog.records if "revocation failed" in record.getMessage()]


def test_a_reset_already_past_is_no_wait_and_is_logged_as_none():
    """A reset GitHub sent a moment before our clock read it: retry now, not a minute ago; the log says 0s."""
    past = github_rate_headers(used=5000, reset=int(time.time()) - 120)
    with pytest.raises(ProviderRateLimited) as caught:
        github_api.check(response(403, {}, past))
    assert caught.value.retry_after == 0 and caught.value.retry_at <= time.time()
    assert caught.value.reason.startswith("rate limited for 0s, until ")


def test_a_rate_limit_says_until_when_in_every_later_log_line(monkeypatch):
    """The error is kept until the wait ends and logged again at each retry: "for 3600s" alone would be stale."""
    monkeypatch.setattr(time, "time", lambda: 1_800_000_000.0)  # 2027-01-15 08:00:00 UTC
    with pytest.raises(ProviderRateLimited) as caught:
        github_api.check(response(429, {}, {"Retry-After": "90"}))
    assert caught.value.reason == "rate limited for 90s, until 2027-01-15 08:01:30 UTC"


@pytest.mark.parametrize("value", ["nan", "inf", "-inf"])
def test_a_retry_after_that_is_no_finite_number_waits_a_minute(value):
    """float() reads these; a NaN wait would make the page's retry time fail to render."""
    with pytest.raises(ProviderRateLimited) as caught:
        github_api.check(response(429, {}, {"Retry-After": value}))
    assert caught.value.retry_after == 60


def test_the_reason_logged_for_an_unusable_answer_names_its_status():
    """What an operator reads after `reason=`: the HTTP status, never the body a proxy sent."""
    with pytest.raises(ProviderError) as caught:
        github_api.check(response(200, "<html>maintenance</html>"))
    assert caught.value.reason == "non-JSON answer (HTTP 200)"
    with pytest.raises(ProviderError) as caught:
        github_api.check(response(404, {"message": "Not Found"}))
    assert caught.value.reason == "HTTP 404" and not isinstance(caught.value, ProviderUnavailable)
