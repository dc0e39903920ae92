"""Issue 5's load benchmark: 200 people walk the whole wizard, 20 at a time, over two gunicorn
instances sharing one Redis and one Postgres, each person's requests alternating between them.
Half-way, one instance is killed (SIGKILL); its people must carry on on the other.

The client plays the load balancer: every request to the public address goes to the next
instance, with the public Host header, and to the other one when an instance refuses.

    .venv/bin/python bench/load_bench.py [--people 200] [--concurrency 20] [--no-kill]
"""

from __future__ import annotations

import argparse
import html
import itertools
import os
import re
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import psycopg
import redis
import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import ROOT, app_env, fresh_database, migrate, percentile, start_gunicorn  # noqa: E402
from demo.providers import DemoProviders  # noqa: E402
from tests.browser import Browser, forms  # noqa: E402
from tests.wizard import linkable_id  # noqa: E402

PUBLIC = "127.0.0.1:8800"
PORTS = (8801, 8802)
REDIS_URL = "redis://127.0.0.1:6379/10"
PROVIDERS_PORT = 8810
WORKERS, THREADS = 2, 4  # per instance: gunicorn.conf.py's defaults on 2 cores


class BalancedBrowser(Browser):
    """A person's browser behind a round-robin load balancer at PUBLIC."""

    ports: list[int] = list(PORTS)  # shared: an instance that died is removed for everyone
    lock = threading.Lock()

    def __init__(self, timings: dict[str, list[float]]) -> None:
        super().__init__(f"http://{PUBLIC}/")
        self.timings = timings
        self.turn = itertools.cycle(range(len(PORTS)))
        self.failovers = 0
        self.error_pages = 0  # answers of 4xx/5xx: a person saw an error page
        self.retries = 0  # "Try again" presses
        self.completed = False

    def _send(self, method: str, url: str, **kwargs) -> requests.Response:
        parts = urlsplit(url)
        if parts.netloc != PUBLIC:
            return self.session.request(method, url, allow_redirects=False, timeout=30, **kwargs)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        for _ in range(len(PORTS)):
            with self.lock:
                alive = list(self.ports)
            port = alive[next(self.turn) % len(alive)]
            started = time.perf_counter()
            try:
                response = self.session.request(
                    method,
                    f"http://127.0.0.1:{port}{path}",
                    headers={**kwargs.pop("headers", {}), "Host": PUBLIC},
                    allow_redirects=False,
                    timeout=30,
                    **kwargs,
                )
            except requests.ConnectionError:
                self.failovers += 1
                with self.lock:
                    if port in self.ports and len(self.ports) > 1:
                        self.ports.remove(port)
                continue
            self.timings[f"{method} {parts.path}"].append((time.perf_counter() - started) * 1000)
            self.error_pages += response.status_code >= 400
            response.url = url
            return response
        raise requests.ConnectionError("no instance answered")

    def _follow(self, response: requests.Response) -> requests.Response:
        history = []
        while response.is_redirect:
            history.append(response)
            response = self._send("GET", urljoin(response.url, response.headers["Location"]))
        response.history = history
        return self._record(response)

    def get(self, url: str, params=None, **kwargs) -> requests.Response:
        url = urljoin(self.base_url, url)
        if params:
            url = requests.Request("GET", url, params=params).prepare().url
        return self._follow(self._send("GET", url, **kwargs))

    def post(self, url: str, data, **kwargs) -> requests.Response:
        return self._follow(self._send("POST", urljoin(self.base_url, url), data=data, **kwargs))


def walk(person: int, timings) -> BalancedBrowser:
    """One person walks the wizard to the dashboard, pressing "Try again" when a page offers it
    (at most 3 times), as a person would; their browser keeps the tallies."""
    browser = BalancedBrowser(timings)
    discord, github = f"person-{person:03d}", f"gh-person-{person:03d}"
    page = browser.get("/")
    for _ in range(30):
        path = urlsplit(page.url).path
        if page.status_code >= 400:
            again = re.search(r'<a class="button" href="([^"]+)">Try again</a>', page.text)
            if again is None or browser.retries == 3:
                break
            browser.retries += 1
            page = browser.get(urljoin(page.url, html.unescape(again.group(1))))
        elif path == "/dashboard/":
            browser.completed = True
            return browser
        elif path.endswith("/authorize"):  # the demo Discord or GitHub consent page
            page = browser.submit(page, "Authorize", {"login": github if path.startswith("/github/") else discord})
        elif path == "/repositories/":
            page = browser.submit(page, "Link repository", {"repo_id": str(linkable_id(page)[1])})
        else:
            button = next(b for b in ("Connect with GitHub", "Connect with Discord") if has_button(page, b))
            page = browser.submit(page, button)
    print(f"person {person} stopped at {page.url} (HTTP {page.status_code})", file=sys.stderr)
    return browser


def has_button(page: requests.Response, text: str) -> bool:
    return any(label == text for form in forms(page.text) for _, _, label in form.buttons)


def _stat(pid: int | str) -> tuple[str, float]:
    """A process's name and CPU seconds: its own, and that of its children that have exited."""
    name, _, rest = Path(f"/proc/{pid}/stat").read_text().partition(" (")[2].rpartition(")")
    fields = rest.split()
    return name, sum(int(f) for f in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def children(pid: int) -> list[int]:
    try:
        return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except FileNotFoundError:  # the instance that was killed
        return []


def cpu_seconds(pid: int) -> float:
    """CPU seconds of a process and its live children (a gunicorn master and its workers)."""
    total = 0.0
    for child in [pid, *children(pid)]:
        try:
            total += _stat(child)[1]
        except FileNotFoundError:  # the instance that was killed
            continue
    return total


def cpu_by_name(*names: str) -> float:
    """CPU seconds of every running process with one of these names (Postgres, Redis)."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                name, seconds = _stat(entry.name)
            except (FileNotFoundError, ProcessLookupError):
                continue
            total += seconds if name in names else 0.0
    return total


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--no-kill", action="store_true")
    args = parser.parse_args()

    # The demo providers in a process of their own, so they do not share the client's interpreter lock.
    providers = DemoProviders(port=PROVIDERS_PORT)  # not started here: only its addresses are used
    provider_process = subprocess.Popen(
        [sys.executable, "-m", "demo.providers", "--port", str(PROVIDERS_PORT), "--repos", "30"],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
    )
    database_url = fresh_database("linkapp_load")
    env = app_env(
        providers,
        database_url,
        REDIS_URL,
        ALLOWED_HOSTS=f"{PUBLIC.split(':')[0]},localhost",
        LOGIN_RATE_LIMIT="100000/m",
        CONN_MAX_AGE="60",
    )
    migrate(env)
    redis.Redis.from_url(REDIS_URL).flushdb()
    instances = [start_gunicorn(env, port, workers=WORKERS, threads=THREADS) for port in PORTS]
    services_before = cpu_by_name("postgres", "redis-server")
    timings: dict[str, list[float]] = defaultdict(list)
    tally = defaultdict(int)
    killed_at = None
    started = time.perf_counter()
    try:
        with ThreadPoolExecutor(max_workers=args.concurrency) as pool:
            futures = [pool.submit(walk, person, timings) for person in range(args.people)]
            for future in as_completed(futures):
                try:
                    person = future.result()
                except Exception as exc:  # counted and reported: the benchmark must finish
                    print(f"error: {type(exc).__name__}: {exc}", file=sys.stderr)
                    tally["exceptions"] += 1
                else:
                    tally["completed"] += person.completed
                    tally["error pages"] += person.error_pages
                    tally["Try again"] += person.retries
                    tally["failovers"] += person.failovers
                tally["finished"] += 1
                if not args.no_kill and killed_at is None and tally["finished"] >= args.people // 2:
                    for pid in [*children(instances[1].pid), instances[1].pid]:  # workers and master at once
                        os.kill(pid, signal.SIGKILL)
                    killed_at = tally["finished"]
        elapsed = time.perf_counter() - started
        cpu = {
            "client (this process)": time.process_time(),
            "demo providers": cpu_seconds(provider_process.pid),
            **{f"instance {port}": cpu_seconds(p.pid) for port, p in zip(PORTS, instances, strict=True)},
            "Postgres and Redis": cpu_by_name("postgres", "redis-server") - services_before,
        }
    finally:
        for process in [*instances, provider_process]:
            process.kill()
            process.wait()

    with psycopg.connect(database_url) as conn:
        links, distinct = conn.execute(
            "SELECT count(*), count(DISTINCT (discord_id, repo_id)) FROM repos_link"
        ).fetchone()
    leftover = [k for k in redis.Redis.from_url(REDIS_URL).keys("*wizard:*") if b":token:" in k]

    print(f"{args.people} people, {args.concurrency} at a time, 2 gunicorn instances ({WORKERS} workers x {THREADS} threads each)")
    completed = tally["completed"]
    print(f"completed wizards: {completed} of {args.people}, time {elapsed:.1f} s -> {completed / elapsed:.1f} wizards/s")
    print(
        f"errors: {tally['error pages']} error pages seen, {tally['Try again']} 'Try again' presses, "
        f"{tally['exceptions']} walks that broke off"
    )
    if killed_at is not None:
        print(
            f"instance on port {PORTS[1]} (master and workers) SIGKILLed after {killed_at} people; "
            f"requests moved to the other: {tally['failovers']}"
        )
    print("per step (ms):            count    p50    p95    p99")
    for step, values in sorted(timings.items()):
        print(
            f"  {step:<40} {len(values):5d} {statistics.median(values):6.0f} {percentile(values, 95):6.0f} {percentile(values, 99):6.0f}"
        )
    print(f"CPU seconds (of {2 * elapsed:.1f} on 2 cores): " + ", ".join(f"{name} {seconds:.1f}" for name, seconds in cpu.items()))
    print(f"database: {links} links, {distinct} distinct (discord_id, repo_id); expected {args.people}")
    print(f"tokens left in Redis: {len(leftover)}")
    lost = args.people - links
    print(f"lost: {lost}")


if __name__ == "__main__":
    main()
