"""A local fake of Discord's and GitHub's OAuth2 and REST endpoints on one port.

Why: ``make demo`` lets a person click through the app without real credentials, and
integration tests and benchmarks run it on a background thread to inject faults and
inspect the calls it received. Every answer that has a provider's published example payload
(``payloads/*.json``) is a deep copy of it with only the identifying fields replaced, so the
app is exercised against the real shapes rather than shapes we made up (``examples.py``).
The few without one (an unknown client, a malformed request, an injected status no example
has) take the provider's general error shape.

Where things are: the endpoints of each provider in ``discord.py`` and ``github.py``, what
they share (consent page, codes, PKCE, tokens) in ``oauth.py``, the demo GitHub's accounts and
repositories in ``github_objects.py``, injected faults in ``faults.py``, requests and answers
in ``messages.py``; here, the routes, the server and what tests inspect.

Run it with ``python -m demo.providers [--host H] [--port P] [--repos N] [--delay S]``.
"""

from __future__ import annotations

import argparse
import re
import sys
import threading
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qsl, urlsplit

from demo import examples
from demo.discord import FakeDiscord
from demo.faults import Fault
from demo.github import FakeGitHub
from demo.messages import Call, Request, Response, discord_json, json_response, parse_body, to_int
from demo.oauth import Provider, TokenInfo

__all__ = [
    "DEFAULT_PORT",
    "DEMO_CLIENT_ID",
    "DEMO_CLIENT_SECRET",
    "Call",
    "DemoProviders",
    "Fault",
    "TokenInfo",
    "main",
]

DEMO_CLIENT_ID = "demo-client-id"
DEMO_CLIENT_SECRET = "demo-client-secret"  # noqa: S105 - a demo value, known to the demo providers only
DEFAULT_PORT = 8001

# --- Routes: path to endpoint name; the name picks the method ("github.repos": _github_repos) ---

_Route = tuple[str, re.Pattern[str], str]
_ROUTES: list[_Route] = [
    (method, re.compile(pattern), name)
    for method, pattern, name in [
        ("GET", r"/discord(?:/api(?:/v\d+)?)?/oauth2/authorize", "discord.authorize"),
        ("POST", r"/discord(?:/api(?:/v\d+)?)?/oauth2/authorize", "discord.decide"),
        ("POST", r"/discord/api(?:/v\d+)?/oauth2/token", "discord.token"),
        ("POST", r"/discord/api(?:/v\d+)?/oauth2/token/revoke", "discord.revoke"),
        ("GET", r"/discord/api(?:/v\d+)?/users/@me", "discord.profile"),
        ("GET", r"/discord-cdn/avatars/(?P<id>\d+)/(?P<hash>[0-9a-f]+)\.png", "discord.avatar"),
        ("GET", r"/github/login/oauth/authorize", "github.authorize"),
        ("POST", r"/github/login/oauth/authorize", "github.decide"),
        ("POST", r"/github/login/oauth/access_token", "github.token"),
        ("GET", r"/github/api/v3/user", "github.user"),
        ("GET", r"/github/api/v3/user/repos", "github.repos"),
        ("GET", r"/github/api/v3/repositories/(?P<id>\d+)", "github.repository"),
        ("DELETE", r"/github/api/v3/applications/(?P<client_id>[^/]+)/token", "github.revoke"),
    ]
]


class DemoProviders(FakeDiscord, FakeGitHub):
    """Fake Discord + GitHub on one HTTP port, with fault injection and call recording.

    The endpoints come from FakeDiscord and FakeGitHub, which set up their own state (``_init_*``)."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        repo_count: int = 150,
        delay: float = 0.0,
        client_id: str = DEMO_CLIENT_ID,
        client_secret: str = DEMO_CLIENT_SECRET,
    ) -> None:
        self.host = host
        self.port = port
        self.delay = delay  # seconds every answer waits
        self.faults: dict[str, Fault] = {}  # by route name, such as "github.repos"
        self.calls: list[Call] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)  # notified as each request is answered
        self._cut_short = threading.Event()  # set by reset(): injected stalls end at once
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._init_oauth(client_id, client_secret)
        self._init_discord()
        self._init_github(repo_count)

    # --- lifecycle and inspection ---

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def discord_cdn_url(self) -> str:
        return self.base_url + "/discord-cdn"

    @property
    def discord_url(self) -> str:
        return f"{self.base_url}/discord"

    @property
    def github_url(self) -> str:
        return f"{self.base_url}/github"

    def authorize_url(self, provider: Provider) -> str:
        """Where a browser consents (CONTRACT.md's authorize URLs)."""
        if provider == "discord":
            return f"{self.discord_url}/oauth2/authorize"
        return f"{self.github_url}/login/oauth/authorize"

    @property
    def github_api_url(self) -> str:
        """Where the app looks without GITHUB_API_URL when GITHUB_URL is not github.com (GitHub Enterprise's path)."""
        return f"{self.base_url}/github/api/v3"

    def addresses(self) -> dict[str, str]:
        """The variables that point the app at these providers, as settings.py reads them (CONTRACT.md)."""
        return {
            "DISCORD_URL": self.discord_url,
            "DISCORD_CDN_URL": self.discord_cdn_url,
            "GITHUB_URL": self.github_url,
            "GITHUB_API_URL": self.github_api_url,
        }

    def start(self) -> DemoProviders:
        """Serve on a daemon thread so tests and benchmarks keep control of the process."""
        server = _Server((self.host, self.port), _Handler)
        server.providers = self
        self._server = server
        self.port = server.server_address[1]
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.1}, name="demo-providers", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def reset(self, settle: float = 10.0) -> None:
        """Forget per-test state once the requests still being answered (a delayed fault outlasts
        its test; its stall is cut short) are done, so none of them lands in the next test's calls
        or tokens. Issued tokens stay valid so fixtures can share them."""
        self._cut_short.set()
        with self._idle:
            try:
                if not self._idle.wait_for(lambda: self.in_flight == 0, timeout=settle):
                    raise RuntimeError(f"{self.in_flight} demo provider requests still running after {settle} s")
            finally:
                self._cut_short.clear()
            self.faults.clear()
            self.calls.clear()
            self._reset_github_settings()
            self.delay = 0.0
        self.reset_stats()

    def reset_stats(self) -> None:
        with self._lock:
            self.max_in_flight = self.in_flight

    def calls_to(self, endpoint: str) -> list[Call]:
        with self._lock:
            return [call for call in self.calls if call.endpoint == endpoint]

    def token_names(self) -> set[str]:
        """The access tokens issued so far: a mark for tokens_since."""
        with self._lock:
            return set(self.tokens)

    def tokens_since(self, earlier: set[str], provider: str | None = None) -> dict[str, TokenInfo]:
        """Tokens issued after `earlier` (from token_names), of one provider or both."""
        with self._lock:
            return {
                token: info
                for token, info in self.tokens.items()
                if token not in earlier and provider in (None, info.provider)
            }

    # --- request bookkeeping (called by the handler) ---

    def _route(self, method: str, path: str) -> tuple[str, dict[str, str]]:
        for route_method, pattern, name in _ROUTES:
            match = pattern.fullmatch(path)
            if match and route_method == method:
                return name, match.groupdict()
        return "not_found", {}

    def _record(self, call: Call) -> None:
        with self._lock:
            self.calls.append(call)
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)

    def _finished(self) -> None:
        with self._idle:
            self.in_flight -= 1
            self._idle.notify_all()

    def _take_fault(self, endpoint: str, query: dict[str, str]) -> Fault | None:
        """The fault that applies to this request, consuming one of its ``times``."""
        with self._lock:
            fault = self.faults.get(endpoint)
            if fault is None:
                return None
            page = to_int(query.get("page"), 1)
            if endpoint == "github.repos" and fault.pages is not None and page not in fault.pages:
                return None
            if fault.times is not None:
                fault.times -= 1
                if fault.times == 0:
                    del self.faults[endpoint]
            return fault

    def _answer(self, endpoint: str, request: Request) -> Response:
        """Call the endpoint's method: ``github.repos`` is ``_github_repos`` (in github.py)."""
        handler = getattr(self, "_" + endpoint.replace(".", "_"))
        return handler(request)

    def _not_found(self, request: Request) -> Response:
        if request.path.startswith("/discord"):
            return discord_json(404, examples.DISCORD_ERRORS["404_not_found"]["body"])
        return json_response(404, examples.GITHUB_NOT_FOUND)


# --- HTTP plumbing ------------------------------------------------------------------------


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    request_queue_size = 128
    providers: DemoProviders

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients hanging up (e.g. after a timeout) are expected; only report real bugs."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    """Turns HTTP into calls on DemoProviders: record, count, delay, fault, answer."""

    protocol_version = "HTTP/1.1"  # keep-alive, so benchmarks measure the app, not TCP setup
    # Headers and body go out in two writes: without TCP_NODELAY the body waits for the
    # client's delayed ACK, adding up to 40 ms to answers that take a millisecond.
    disable_nagle_algorithm = True
    timeout = 120  # lets idle keep-alive connections go eventually
    server: _Server

    def log_message(self, *args: Any) -> None:
        """Stay quiet: a log line per request would drown test and benchmark output."""

    def do_GET(self) -> None:
        self._dispatch()

    do_POST = do_DELETE = do_PUT = do_PATCH = do_GET

    def _dispatch(self) -> None:
        providers = self.server.providers
        split = urlsplit(self.path)
        query = dict(parse_qsl(split.query, keep_blank_values=True))
        raw = self.rfile.read(to_int(self.headers.get("Content-Length"), 0))
        form = parse_body(self.headers.get("Content-Type", ""), raw)
        endpoint, params = providers._route(self.command, split.path)
        providers._record(Call(endpoint, self.command, split.path, query, form, dict(self.headers.items())))
        try:
            if providers.delay:
                providers._cut_short.wait(providers.delay)
            response = None
            fault = providers._take_fault(endpoint, query)
            if fault is not None:
                providers._cut_short.wait(fault.delay)
                if fault.status is not None:
                    response = fault.answer(endpoint)
            if response is None:
                request = Request(self.command, split.path, query, form, self.headers, params)
                try:
                    response = providers._answer(endpoint, request)
                except Exception:  # noqa: BLE001 - a bug here should be a 500, not a hang-up
                    traceback.print_exc()
                    response = json_response(500, examples.SERVER_ERROR)
            if fault is not None:
                response = fault.reshape(response)
            self._write(response, trickle=fault.trickle if fault else 0.0, cut=bool(fault and fault.cut))
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        finally:
            providers._finished()

    def _write(self, response: Response, trickle: float = 0.0, cut: bool = False) -> None:
        self.send_response(response.status)
        for name, value in response.headers.items():
            if value is not None:
                self.send_header(name, value)
        if response.status != 204:
            self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if trickle:
            for at in range(len(response.body)):
                if self.server.providers._cut_short.wait(trickle):
                    self.close_connection = True  # reset(): the rest of the answer never comes
                    return
                self.wfile.write(response.body[at : at + 1])
        elif cut:
            self.wfile.write(response.body[: len(response.body) // 2])
            self.close_connection = True
        elif response.body:
            self.wfile.write(response.body)


def main() -> None:
    """Serve the fake providers on their own until interrupted (``make demo`` also starts the app)."""
    parser = argparse.ArgumentParser(prog="python -m demo.providers", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument(
        "--repos",
        type=int,
        default=150,
        help="repositories each GitHub user has (every fifth private, seen only with the repo scope)",
    )
    parser.add_argument("--delay", type=float, default=0.0, help="seconds to wait before every answer")
    args = parser.parse_args()
    providers = DemoProviders(args.host, args.port, repo_count=args.repos, delay=args.delay).start()
    print(f"Demo Discord:     {providers.discord_url}")
    print(f"Demo GitHub:      {providers.github_url}")
    print(f"Demo GitHub API:  {providers.github_api_url}", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        providers.stop()


if __name__ == "__main__":
    main()
