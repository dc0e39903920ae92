"""Shared by the benchmarks: the app under gunicorn on Postgres and Redis, against the demo providers."""

from __future__ import annotations

import atexit
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import psycopg
import redis
import requests

if TYPE_CHECKING:
    from demo.providers import DemoProviders

ROOT = Path(__file__).resolve().parent.parent
POSTGRES = "postgres://postgres@127.0.0.1:5432"
DISCORD_ID_BASE = 80351110224678912  # fill_links's link g is Discord user DISCORD_ID_BASE + g's


def fresh_database(name: str) -> str:
    """Made afresh, and dropped when the benchmark returns, fails or is stopped with Ctrl+C: a million links and
    their audit events take 610 MB, which would otherwise stay in the developer's Postgres after each run. (A run
    killed by a signal leaves it to the next, which starts by dropping it.)"""
    drop_database(name)
    with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    atexit.register(drop_database, name)
    return f"{POSTGRES}/{name}"


def drop_database(name: str) -> None:
    with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def empty_redis(url: str) -> redis.Redis:
    """The benchmark's own Redis database, emptied now and at the end as its database is dropped: the sessions of the
    people it signed in would otherwise stay for SESSION_COOKIE_AGE, two weeks."""
    store = redis.Redis.from_url(url)
    store.flushdb()
    atexit.register(store.flushdb)
    return store


def fill_links(database_url: str, links: int, owners: int) -> float:
    """Links 1 to `links`: link g is Discord user DISCORD_ID_BASE + g's, to repository g of owner g % `owners`,
    made (`links` - g) x 30 s ago (one every 30 s up to now); one "created" event per link. Seconds taken."""
    started = time.perf_counter()
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(
            """
            INSERT INTO repos_link (discord_id, discord_username, github_id, github_login, repo_id,
                                    repo_full_name, repo_private, created_at, updated_at)
            SELECT (%(first)s::bigint + g)::text, 'person' || g, 1000 + g %% %(owners)s, 'login' || g %% %(owners)s,
                   g, 'owner' || g %% %(owners)s || '/repo' || g, g %% 3 = 0,
                   now() - make_interval(secs => (%(links)s - g) * 30), now() - make_interval(secs => (%(links)s - g) * 30)
            FROM generate_series(1, %(links)s) AS g
            """,
            {"links": links, "owners": owners, "first": DISCORD_ID_BASE},
        )
        conn.execute(
            """
            INSERT INTO repos_linkevent (link_id, action, discord_id, repo_id, repo_full_name, github_id,
                                         github_login, actor, at)
            SELECT id, 'created', discord_id, repo_id, repo_full_name, github_id, github_login,
                   'discord:' || discord_id, created_at
            FROM repos_link
            """
        )
        conn.execute("VACUUM ANALYZE repos_link")
        conn.execute("VACUUM ANALYZE repos_linkevent")
    return time.perf_counter() - started


def base_env(database_url: str, redis_url: str, **extra: str) -> dict[str, str]:
    """The production settings (DEBUG off) over plain HTTP, on these Postgres and Redis."""
    return {
        **os.environ,
        "DEBUG": "0",
        "HTTPS": "0",
        "SECRET_KEY": "benchmark-only-secret-key",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "LOG_LEVEL": "WARNING",
        **extra,
    }


def app_env(providers: DemoProviders, database_url: str, redis_url: str, **extra: str) -> dict[str, str]:
    """base_env's, against these demo providers."""
    return base_env(
        database_url,
        redis_url,
        **providers.addresses(),
        DISCORD_CLIENT_ID=providers.client_id,
        DISCORD_CLIENT_SECRET=providers.client_secret,
        GITHUB_CLIENT_ID=providers.client_id,
        GITHUB_CLIENT_SECRET=providers.client_secret,
        **extra,
    )


def migrate(env: dict[str, str]) -> None:
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)


def start_gunicorn(
    env: dict[str, str],
    port: int,
    workers: int = 2,
    threads: int = 4,
    *,
    under: Sequence[str] = (),
    ready_within: float = 30,
) -> subprocess.Popen:
    """gunicorn with gunicorn.conf.py, `under` a wrapper command (valgrind) if given, once /healthz answers.

    The port must be free: an instance left over from an earlier run would answer /healthz for this one,
    and the figures would be the old code's."""
    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", port)) == 0:
            raise RuntimeError(f"port {port} is taken: stop what listens there (an earlier run's gunicorn?)")
    process = subprocess.Popen(
        [
            *under,
            sys.executable,
            "-m",
            "gunicorn",
            "linkapp.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--threads",
            str(threads),
            # gunicorn's control socket is one path per user: side-by-side instances would take it from each other.
            "--no-control-socket",
        ],
        cwd=ROOT,
        env=env,
    )
    deadline = time.monotonic() + ready_within
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=5).status_code == 200:
                return process
        except requests.RequestException:  # not listening yet, or a worker's first request still loading
            pass
        time.sleep(0.2)
    process.kill()
    process.wait()
    raise RuntimeError(f"gunicorn did not become healthy (exit code {process.returncode})")


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(int(round(p / 100 * (len(ordered) - 1))), len(ordered) - 1)]


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


def workers_cpu_seconds(pid: int) -> dict[int, float]:
    """CPU seconds of each live worker of a gunicorn master: whether the load spread over them."""
    return {child: _stat(child)[1] for child in children(pid)}


def cpu_seconds(pid: int) -> float:
    """CPU seconds of a process and its live children (a gunicorn master and its workers)."""
    total = 0.0
    for child in [pid, *children(pid)]:
        try:
            total += _stat(child)[1]
        except FileNotFoundError:  # the instance that was killed
            continue
    return total


def _largest_among_workers(pid: int, measure: Callable[[int], float]) -> float:
    """The largest of a figure measured of each of a gunicorn master's live workers (`measure` takes its pid)."""
    figures = []
    for child in children(pid):
        try:
            figures.append(measure(child))
        except FileNotFoundError:  # a worker that has just exited
            continue
    return max(figures, default=0)


def _largest_worker_mb(pid: int, field: str) -> float:
    """The largest of a memory figure in /proc/N/status among a gunicorn master's live workers, in MB."""

    def megabytes(child: int) -> float:
        return int(Path(f"/proc/{child}/status").read_text().split(f"{field}:")[1].split()[0]) / 1024

    return _largest_among_workers(pid, megabytes)


def peak_rss_mb(pid: int) -> float:
    """The largest peak resident memory (VmHWM) among a gunicorn master's workers, in MB."""
    return _largest_worker_mb(pid, "VmHWM")


def resident_mb(pid: int) -> float:
    """The largest resident memory now (VmRSS) among a gunicorn master's workers, in MB: sampled early
    and late in a long run, it shows whether a worker keeps something of every person it served."""
    return _largest_worker_mb(pid, "VmRSS")


def open_descriptors(pid: int) -> int:
    """The most file descriptors (sockets, files, pipes) any live worker of a gunicorn master holds: sampled early
    and late in a long run, like the memory, it shows whether a worker leaves a socket or a file open for every
    person it served, until it meets its limit (`ulimit -n`) and can open no more."""
    return int(_largest_among_workers(pid, lambda child: len(os.listdir(f"/proc/{child}/fd"))))


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


def machine_speed_in_own_process() -> str:
    """bench/machine.py's figures, measured in a fresh interpreter (Locust patches threads into greenlets)."""
    return subprocess.run(
        [sys.executable, "-m", "bench.machine"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()
