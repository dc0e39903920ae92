"""GitHub answer handling, with `requests` stubbed by real Response objects (the clearest test)."""

from __future__ import annotations

import json
import time

import pytest
import requests

from linkapp.providers import ProviderError, ProviderRateLimited, ProviderUnauthorized, ProviderUnavailable
from repos import github_api, github_pagination


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


def test_401_means_connect_again():
    with pytest.raises(ProviderUnauthorized):
        github_api.check(response(401, {"message": "Bad credentials"}))


def test_primary_rate_limit_uses_reset():
    reset = int(time.time()) + 600
    with pytest.raises(ProviderRateLimited) as caught:
        github_api.check(
            response(
                403,
                {"message": "API rate limit exceeded"},
                {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(reset)},
            )
        )
    assert abs(caught.value.retry_at - reset) < 1


def test_retry_after_wins_over_reset():
    with pytest.raises(ProviderRateLimited) as caught:
        github_api.check(
            response(429, {}, {"retry-after": "30", "x-ratelimit-remaining": "0", "x-ratelimit-reset": "1"})
        )
    assert 29 <= caught.value.retry_after <= 30


def test_403_without_rate_limit_headers_is_a_plain_error():
    with pytest.raises(ProviderError) as caught:
        github_api.check(response(403, {"message": "Forbidden"}))
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


def test_odd_rate_limit_values_still_give_a_wait_within_a_day():
    with pytest.raises(ProviderRateLimited) as caught:
        github_api.check(response(429, {}, {"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}))
    assert caught.value.retry_after == 60
    with pytest.raises(ProviderRateLimited) as caught:
        github_api.check(response(403, {}, {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "1" + "0" * 30}))
    assert caught.value.retry_after == ProviderRateLimited.LONGEST_WAIT


def test_a_repository_object_we_cannot_read_is_a_provider_error():
    from repos.repo_store import RepoSummary

    with pytest.raises(ProviderError):
        RepoSummary.from_github({"id": 1, "full_name": "a/b", "pushed_at": "yesterday"})
    with pytest.raises(ProviderError):
        RepoSummary.from_github({"id": "x"})
