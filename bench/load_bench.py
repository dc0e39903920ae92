"""The load benchmark, on Locust (headless, used as a library): 200 people walk the whole
wizard, 20 at a time, over two gunicorn instances sharing one Redis and one Postgres, each
person's requests alternating between them. Half-way, one instance (master and workers) is
killed with SIGKILL; its people must carry on on the other. Targets on 2 cores: at least 30
wizards/s, p95 at most 150 ms per step, no errors, exactly 200 links, no token left, nothing lost.

The client plays the load balancer: every request to the public address goes to the next
instance, with the public Host header, and to the other one when an instance does not answer
or its answer is cut off before its Content-Length (it died while sending it).
A person who gets an error page presses its "Try again", at most 3 times, as a person would.
The largest worker's resident memory and open file descriptors, after a tenth of the people and after the
last, show over a long run (`--people 3000`) whether a worker keeps something of every person it served.

    .venv/bin/python bench/load_bench.py [--people 200] [--concurrency 20] [--no-kill] [--workers 2] [--threads 4]
"""

from __future__ import annotations

# Locust patches the standard library for gevent when imported, so it comes first.
from locust import FastHttpUser, constant, task  # isort: skip
from locust.contrib.fasthttp import FastHttpSession, FastResponse  # isort: skip
from locust.env import Environment  # isort: skip
from locust.exception import StopUser  # isort: skip

import argparse
import contextlib
import html
import itertools
import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode, urljoin, urlsplit

import gevent
import gevent.event
import psycopg
import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (  # noqa: E402
    ROOT,
    app_env,
    children,
    cpu_by_name,
    cpu_seconds,
    empty_redis,
    fresh_database,
    machine_speed_in_own_process,
    migrate,
    open_descriptors,
    resident_mb,
    start_gunicorn,
)
from demo.providers import DemoProviders  # noqa: E402
from tests.browser import Browser  # noqa: E402
from tests.wizard import first_linkable_repo  # noqa: E402

PUBLIC = "127.0.0.1:8800"
INSTANCE_PORTS = (8801, 8802)
# The instances the balancer still sends to: one is taken out, for everyone, once a person finds it gone.
live_ports = list(INSTANCE_PORTS)
REDIS_URL = "redis://127.0.0.1:6379/10"
PROVIDERS_PORT = 8810
STEPS = [
    ("GET", "/"),
    ("POST", "/accounts/discord/login/"),
    ("GET", "/accounts/discord/login/callback/"),
    ("GET", "/github/"),
    ("POST", "/accounts/github/login/"),
    ("GET", "/accounts/github/login/callback/"),
    ("GET", "/repositories/"),
    ("POST", "/repositories/"),
    ("GET", "/dashboard/"),
]
# The button that starts each provider step (known by the page, so that each page is parsed once).
START_BUTTONS = {"/": "Connect with Discord", "/github/": "Connect with GitHub"}


@dataclass
class Page:
    """What a browser shows: the answer and the address it is shown under."""

    url: str
    status_code: int
    text: str
    headers: dict


class BalancedBrowser(Browser):
    """A person's browser (Locust's FastHttpSession) behind a round-robin load balancer at PUBLIC."""

    def __init__(self, client: FastHttpSession, person: int) -> None:
        self.base_url = f"http://{PUBLIC}/"
        self.responses = []
        self.client = client
        self.client.cookiejar.clear()  # a new person
        # Every other person starts on the other instance, so each step lands on both.
        self.turn = itertools.count(person % len(INSTANCE_PORTS))
        self.failovers = self.error_pages = self.retries = 0
        self.completed = self.broke_off = False

    def _send(self, method: str, url: str, data: list | None) -> Page:
        parts = urlsplit(url)
        body = urlencode(data) if data is not None else None
        headers = {"Content-Type": "application/x-www-form-urlencoded"} if body is not None else {}
        if parts.netloc != PUBLIC:  # the demo providers' consent pages
            answer = self.client.request(
                method, url, name=f"provider {parts.path}", data=body, headers=headers, allow_redirects=False
            )
            return Page(url, answer.status_code, answer.text or "", answer.headers)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        for _ in range(len(INSTANCE_PORTS)):
            port = live_ports[next(self.turn) % len(live_ports)]
            answer = self.client.request(
                method,
                f"http://127.0.0.1:{port}{target}",
                name=parts.path,
                data=body,
                headers={**headers, "Host": PUBLIC},
                allow_redirects=False,
            )
            # No answer, or one cut off mid-body (the instance died while sending it; a browser shows
            # an error and the person reloads): the balancer takes the instance out, for everyone.
            if answer.status_code == 0 or cut_off(answer):
                self.failovers += 1
                if port in live_ports and len(live_ports) > 1:
                    live_ports.remove(port)
                continue
            self.error_pages += answer.status_code >= 400
            return Page(url, answer.status_code, answer.text or "", answer.headers)
        raise ConnectionError("no instance answered")

    def _follow(self, page: Page) -> Page:
        while page.status_code in (301, 302, 303, 307, 308):
            page = self._send("GET", urljoin(page.url, page.headers["Location"]), None)
        return page

    def get(self, url: str, params: dict | None = None, **kwargs) -> Page:
        url = urljoin(self.base_url, url)
        if params:
            url = f"{url}?{urlencode(params)}"
        return self._follow(self._send("GET", url, None))

    def post(self, url: str, data: dict | list, **kwargs) -> Page:
        return self._follow(self._send("POST", urljoin(self.base_url, url), list(data)))


def cut_off(answer: FastResponse) -> bool:
    """Fewer bytes than the answer's Content-Length announced (the walk sends only GET and POST,
    which are answered with a body; a chunked answer cut off is not seen here)."""
    announced = answer.headers.get("Content-Length")
    if announced is None or answer.status_code in (204, 304):
        return False
    return len(answer.content or b"") < int(announced)


def walk(browser: BalancedBrowser, person: int) -> None:
    """One person walks the wizard to the dashboard; their browser keeps the tallies."""
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
            return
        elif path.endswith("/authorize"):  # the demo Discord or GitHub consent page
            page = browser.submit(page, "Authorize", {"login": github if path.startswith("/github/") else discord})
        elif path == "/repositories/":
            page = browser.submit(page, "Link repository", {"repo_id": str(first_linkable_repo(page)[1])})
        elif path in START_BUTTONS:
            page = browser.submit(page, START_BUTTONS[path])
        else:
            break
    print(f"person {person} stopped at {page.url} (HTTP {page.status_code})", file=sys.stderr)


class Run:
    """Hands out the people, counts what happened, kills an instance half-way, and notes the workers'
    memory and open file descriptors after a tenth of the people and after the last."""

    def __init__(
        self, people: int, instances: list[subprocess.Popen], instance_to_kill: subprocess.Popen | None
    ) -> None:
        self.people = iter(range(people))
        self.total = people
        self.instances = instances
        self.instance_to_kill = instance_to_kill
        self.killed_at: int | None = None
        self.tally: Counter = Counter()
        self.memory: dict[int, float] = {}  # people finished -> largest worker's resident MB
        self.descriptors: dict[int, int] = {}  # people finished -> most open file descriptors of a worker
        self.done = gevent.event.Event()

    def finished(self, browser: BalancedBrowser) -> None:
        self.tally.update(
            {
                "completed": browser.completed,
                "not completed": not browser.completed,  # gave up after 3 "Try again", or an unexpected page
                "broke off": browser.broke_off,  # of those, walks ended by an exception
                "error pages": browser.error_pages,
                "Try again": browser.retries,
                "failovers": browser.failovers,
            }
        )
        self.tally["finished"] += 1
        if self.instance_to_kill is not None and self.killed_at is None and self.tally["finished"] >= self.total // 2:
            for pid in [*children(self.instance_to_kill.pid), self.instance_to_kill.pid]:  # workers and master at once
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            self.killed_at = self.tally["finished"]
        if self.tally["finished"] in (max(self.total // 10, 1), self.total):
            self.memory[self.tally["finished"]] = max(resident_mb(instance.pid) for instance in self.instances)
            self.descriptors[self.tally["finished"]] = max(
                open_descriptors(instance.pid) for instance in self.instances
            )
        if self.tally["finished"] == self.total:
            self.done.set()


class Person(FastHttpUser):
    host = f"http://{PUBLIC}"
    wait_time = constant(0)
    connection_timeout = 5.0
    network_timeout = 30.0
    benchmark: Run  # the run every person takes part in (not `run`: that is Locust's own User.run)

    @task
    def walk_the_wizard(self) -> None:
        person = next(self.benchmark.people, None)
        if person is None:
            raise StopUser()
        browser = BalancedBrowser(self.client, person)
        try:
            walk(browser, person)
        except Exception as exc:  # counted and reported: the benchmark must finish
            print(f"person {person}: {type(exc).__name__}: {exc}", file=sys.stderr)
            browser.broke_off = True
        self.benchmark.finished(browser)


def cpu_snapshot(processes: dict[str, subprocess.Popen]) -> dict[str, float]:
    """CPU seconds so far of this process, of each live one of ours (not a killed instance), and of the services."""
    return {
        "client (this process)": time.process_time(),
        **{name: cpu_seconds(p.pid) for name, p in processes.items() if p.poll() is None},
        "Postgres and Redis": cpu_by_name("postgres", "redis-server"),
    }


def warm_up(threads_per_instance: int) -> None:
    """Let every worker thread open its Postgres and Redis connections and load its templates
    before the clock starts, as on a server that has been up for a while."""
    urls = (
        [f"http://127.0.0.1:{port}{path}" for port in INSTANCE_PORTS for path in ("/", "/readyz")]
        * 2
        * threads_per_instance
    )
    gevent.joinall([gevent.spawn(requests.get, url, headers={"Host": PUBLIC}, timeout=30) for url in urls])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--no-kill", action="store_true")
    # Per instance; the defaults are gunicorn.conf.py's on 2 cores.
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()
    speed = machine_speed_in_own_process()

    # The demo providers in a process of their own, so they do not share the client's interpreter.
    providers = DemoProviders(port=PROVIDERS_PORT)  # not started here: only its addresses are used
    started: list[subprocess.Popen] = []  # each killed at the end, also when the set-up fails half-way
    try:
        provider_process = subprocess.Popen(
            [sys.executable, "-m", "demo.providers", "--port", str(PROVIDERS_PORT), "--repos", "30"],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
        )
        started.append(provider_process)
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
        store = empty_redis(REDIS_URL)
        instances = []
        for port in INSTANCE_PORTS:
            instances.append(start_gunicorn(env, port, workers=args.workers, threads=args.threads))
            started.append(instances[-1])
        warm_up(args.workers * args.threads)
        processes = {
            "demo providers": provider_process,
            **{f"instance {port}": process for port, process in zip(INSTANCE_PORTS, instances, strict=True)},
        }
        before = cpu_snapshot(processes)
        killed_port = INSTANCE_PORTS[1]
        run = Person.benchmark = Run(args.people, instances, instance_to_kill=None if args.no_kill else instances[1])
        locust = Environment(user_classes=[Person])
        runner = locust.create_local_runner()
        started_at = time.perf_counter()
        runner.start(args.concurrency, spawn_rate=100)
        if not run.done.wait(timeout=600):
            raise SystemExit(f"the run did not finish: {dict(run.tally)}")
        elapsed = time.perf_counter() - started_at
        after = cpu_snapshot(processes)
        cpu = {name: after[name] - before[name] for name in after}
        runner.quit()
    finally:
        for process in started:
            process.kill()
            process.wait()

    with psycopg.connect(database_url) as conn:
        # The table's unique key makes (discord_id, repo_id) duplicates impossible; what the run must
        # show is one link per person: a second link of one person would hide another's lost one.
        links, people_linked = conn.execute("SELECT count(*), count(DISTINCT discord_id) FROM repos_link").fetchone()
    leftover = [k for k in store.keys("*wizard:*") if b":token:" in k]
    tally = run.tally
    completed = tally["completed"]

    print(
        f"{args.people} people, {args.concurrency} at a time (Locust), "
        f"2 gunicorn instances ({args.workers} workers x {args.threads} threads each); "
        f"machine: {speed}"
    )
    print(
        f"completed wizards: {completed} of {args.people}, time {elapsed:.1f} s -> {completed / elapsed:.1f} wizards/s"
    )
    print(
        f"errors: {tally['error pages']} error pages seen, {tally['Try again']} 'Try again' presses, "
        f"{tally['not completed']} walks not completed ({tally['broke off']} broke off on an exception)"
    )
    killed = (
        f"instance on port {killed_port} (master and workers) SIGKILLed after {run.killed_at} people"
        if run.killed_at
        else ""
    )
    print(f"{killed or 'no instance killed'}; requests that got no answer and moved to the other: {tally['failovers']}")
    print("per step (ms, Locust's figures):          count  fails    p50    p95    p99")
    for method, path in STEPS:
        entry = locust.stats.get(path, method)
        print(
            f"  {method + ' ' + path:<40} {entry.num_requests:5d} {entry.num_failures:6d} "
            + " ".join(f"{entry.get_response_time_percentile(p):6.0f}" for p in (0.5, 0.95, 0.99))
        )
    print(f"CPU seconds (of {2 * elapsed:.1f} on 2 cores): " + ", ".join(f"{k} {v:.1f}" for k, v in cpu.items()))
    print(
        "largest worker's resident memory: "
        + ", ".join(f"{mb:.0f} MB after {people} people" for people, mb in sorted(run.memory.items()))
    )
    print(
        "most open file descriptors of a worker: "
        + ", ".join(f"{count} after {people} people" for people, count in sorted(run.descriptors.items()))
    )
    print(f"database: {links} links of {people_linked} people; expected {args.people} of {args.people}")
    print(f"people with more than one link: {links - people_linked}")
    print(f"tokens left in Redis: {len(leftover)}")
    print(f"lost (people without a link): {args.people - people_linked}")


if __name__ == "__main__":
    main()
