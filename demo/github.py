"""The demo GitHub: its token URL, token revocation, ``/user``, the paginated ``/user/repos`` (with
GitHub's ``Link`` header) and ``/repositories/{id}`` (its consent page is oauth.py's).

The accounts and repositories it serves are generated in ``github_objects.py``.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import replace
from typing import Any
from urllib.parse import urlencode

from demo import examples
from demo.github_objects import SORT_KEYS, Repo, generate_repos, github_user, repo_payload
from demo.messages import Request, Response, json_response, to_int
from demo.oauth import OAuthProvider, TokenInfo


class FakeGitHub(OAuthProvider):
    """GitHub's endpoints, one method per route name ``github.*`` (see the routes in providers.py). A mixin,
    used through DemoProviders."""

    base_url: str

    def _init_github(self, repo_count: int) -> None:
        self.repo_count = repo_count  # repositories each user has, unless repo_counts names the user
        self._repo_lists: dict[tuple[str, int], list[Repo]] = {}
        self._repo_views: dict[tuple[str, int, bool, bool, str, str], list[Repo]] = {}
        self._repo_json: dict[tuple[int, str], bytes] = {}
        self._rate_used: dict[str, int] = {}
        self._rate_reset = int(time.time()) + 3600
        self._reset_github_settings()

    def _reset_github_settings(self) -> None:
        """The settings tests change, back to their defaults (DemoProviders.reset calls this between tests)."""
        self.repo_counts: dict[str, int] = {}  # login -> repositories, where not repo_count
        self.readers: set[str] = set()  # logins that may only read what they see (an outside collaborator everywhere)
        self.link_last = True  # GitHub omits rel="last" where it cannot count the pages; tests switch it off

    # --- OAuth ---

    def _github_authorize(self, request: Request) -> Response:
        return self._authorize_page("github", request)

    def _github_decide(self, request: Request) -> Response:
        return self._decide("github", request)

    def _github_token(self, request: Request) -> Response:
        """GitHub answers token errors with HTTP 200, and form-encoded unless asked for JSON."""
        wants_json = "application/json" in request.headers.get("Accept", "")

        def answer(payload: dict[str, Any]) -> Response:
            if wants_json:
                return json_response(200, payload)
            body = urlencode(payload).encode()
            return Response(200, body, {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})

        if not self._client_ok(request)[0]:
            return answer(examples.GITHUB_TOKEN_ERRORS["incorrect_client_credentials"])
        grant, bad_field = self._redeem("github", request)
        if grant is None:
            error = "redirect_uri_mismatch" if bad_field == "redirect_uri" else "bad_verification_code"
            return answer(examples.GITHUB_TOKEN_ERRORS[error])
        payload = examples.GITHUB_TOKEN.copy()
        payload.update(
            access_token=self._issue("github", grant.login, list(grant.scopes)),
            scope=",".join(grant.scopes),
            token_type="bearer",
        )
        return answer(payload)

    def _github_revoke(self, request: Request) -> Response:
        ok, user = self._client_ok(request, basic_only=True)
        if not ok:
            return json_response(401, examples.GITHUB_BAD_CREDENTIALS)
        if request.params["client_id"] != user:
            return json_response(404, examples.GITHUB_NOT_FOUND)
        with self._lock:
            info = self.tokens.get(request.form.get("access_token", ""))
            if info is None or info.provider != "github" or info.revoked:
                return json_response(404, examples.GITHUB_NOT_FOUND)
            info.revoked = True
        return Response(204)

    # --- REST ---

    def _rate_headers(self, login: str) -> dict[str, str]:
        """Shaped like github_errors.json's authenticated 200 example (never enforced)."""
        with self._lock:
            used = self._rate_used[login] = self._rate_used.get(login, 0) + 1
        return examples.github_rate_headers(used=used, reset=self._rate_reset)

    def _github_user(self, request: Request) -> Response:
        info = self._bearer(request, "github")
        if info is None:
            return json_response(401, examples.GITHUB_BAD_CREDENTIALS)
        return json_response(200, github_user(info.login), **self._rate_headers(info.login))

    def _visible_repos(self, info: TokenInfo, sort: str = "full_name", direction: str = "asc") -> list[Repo]:
        """Cached per (login, count, scope, reader, order) so big listings are only sorted once."""
        count = self.repo_counts.get(info.login, self.repo_count)
        with_private = "repo" in info.scopes
        reader = info.login in self.readers
        key = (info.login, count, with_private, reader, sort, direction)
        with self._lock:
            view = self._repo_views.get(key)
            if view is None:
                repos = self._repo_lists.get((info.login, count))
                if repos is None:
                    repos = self._repo_lists[(info.login, count)] = generate_repos(info.login, count)
                view = [r for r in repos if with_private or not r.private]
                if reader:
                    view = [replace(r, permission="pull") for r in view]
                view.sort(key=SORT_KEYS[sort], reverse=direction == "desc")
                self._repo_views[key] = view
        return view

    def _repo_bytes(self, repo: Repo) -> bytes:
        """A repository's list-shape JSON; identical for every viewer with the same access, so cached."""
        cached = self._repo_json.get((repo.id, repo.permission))
        if cached is None:
            payload = json.dumps(repo_payload(examples.GITHUB_REPO, repo)).encode()
            cached = self._repo_json[(repo.id, repo.permission)] = payload
        return cached

    def _github_repos(self, request: Request) -> Response:
        info = self._bearer(request, "github")
        if info is None:
            return json_response(401, examples.GITHUB_BAD_CREDENTIALS)
        query = request.query
        sort = query.get("sort", "full_name")
        if sort not in SORT_KEYS:
            sort = "full_name"
        direction = query.get("direction", "")
        if direction not in ("asc", "desc"):
            direction = "asc" if sort == "full_name" else "desc"
        repos = self._visible_repos(info, sort, direction)
        per_page = to_int(query.get("per_page"), 30)
        per_page = 30 if per_page < 1 else min(per_page, 100)
        page = max(1, to_int(query.get("page"), 1))
        last = max(1, math.ceil(len(repos) / per_page))
        chunk = repos[(page - 1) * per_page : page * per_page]
        body = b"[" + b",".join(self._repo_bytes(repo) for repo in chunk) + b"]"
        headers = {"Content-Type": examples.GITHUB_JSON, **self._rate_headers(info.login)}
        link = self._link_header(request, per_page, page, last)
        if link:
            headers["Link"] = link
        return Response(200, body, headers)

    def _link_header(self, request: Request, per_page: int, page: int, last: int) -> str:
        """GitHub's pagination links, in GitHub's order: prev, next, last, first."""
        host = request.headers.get("Host")
        base = f"http://{host}" if host else self.base_url
        others = {k: v for k, v in request.query.items() if k not in ("per_page", "page")}

        def url(target: int) -> str:
            query = urlencode({"per_page": per_page, "page": target, **others})
            return f"{base}{request.path}?{query}"

        links = []
        if page > 1:
            links.append(f'<{url(page - 1)}>; rel="prev"')
        if page < last:
            links.append(f'<{url(page + 1)}>; rel="next"')
            if self.link_last:
                links.append(f'<{url(last)}>; rel="last"')
        if page > 1:
            links.append(f'<{url(1)}>; rel="first"')
        return ", ".join(links)

    def _github_repository(self, request: Request) -> Response:
        info = self._bearer(request, "github")
        if info is None:
            return json_response(401, examples.GITHUB_BAD_CREDENTIALS)
        repo_id = int(request.params["id"])
        repo = next((r for r in self._visible_repos(info) if r.id == repo_id), None)
        if repo is None:
            return json_response(404, examples.GITHUB_NOT_FOUND, **self._rate_headers(info.login))
        return json_response(200, repo_payload(examples.GITHUB_REPO_FULL, repo), **self._rate_headers(info.login))
