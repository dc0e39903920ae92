"""The API benchmark: how many `GET /api/v1/links` one instance answers on 2 cores, and the CPU each takes.

Fills a database of its own with --links links (one per Discord user and repository), issues a token with
`create_api_token`, starts one gunicorn instance (--workers x --threads; gunicorn.conf.py's 2 x 4 on 2 cores by
default) and asks it, from --clients threads each keeping its connection open, for --requests random people's
links, half by Discord id and half by repository id, as a bot answering commands would. Prints requests per second,
p50/p95/p99, the CPU each request took in the instance, Postgres and Redis, and in this process (the client), and
each worker's CPU (a kept-alive connection stays with the worker that accepted it), and checks that every answer
was a 200 holding that one link.

    .venv/bin/python bench/api_bench.py [--links N] [--requests N] [--clients N] [--workers N] [--threads N]
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
import threading
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (  # noqa: E402
    DISCORD_ID_BASE,
    ROOT,
    base_env,
    cpu_by_name,
    cpu_seconds,
    empty_redis,
    fill_links,
    fresh_database,
    machine_speed_in_own_process,
    migrate,
    percentile,
    start_gunicorn,
    workers_cpu_seconds,
)

REDIS_URL = "redis://127.0.0.1:6379/7"
PORT = 8811


def issue_token(env: dict[str, str]) -> str:
    """A token made as an operator makes one, by the command that prints it."""
    printed = subprocess.run(
        [sys.executable, "manage.py", "create_api_token", "api-bench"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return printed.stdout.strip()


def client(token: str) -> requests.Session:
    """One service's connection, kept open from one question to the next."""
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    return session


def ask(session: requests.Session, count: int, links: int, seconds: list[float], wrong: list[str]) -> None:
    """`count` questions for random people's links, half by Discord id and half by repository id; each answer's
    time into `seconds`, and each answer that is not a 200 holding that person's one link into `wrong`."""
    for n in range(count):
        g = random.randint(1, links)  # noqa: S311 - which person to ask for, not a secret
        query = {"discord_id": str(DISCORD_ID_BASE + g)} if n % 2 else {"repo_id": str(g)}
        started = time.perf_counter()
        try:
            answer = session.get(f"http://127.0.0.1:{PORT}/api/v1/links", params=query, timeout=30)
            found = [(link["discord_id"], link["repo_id"]) for link in answer.json()["links"]]
        except (requests.RequestException, ValueError, KeyError, TypeError) as exc:
            wrong.append(f"{query}: {type(exc).__name__}: {exc}")
            continue
        finally:
            seconds.append(time.perf_counter() - started)
        if answer.status_code != 200 or found != [(str(DISCORD_ID_BASE + g), g)]:
            wrong.append(f"{query}: {answer.status_code} {answer.text[:200]}")


def in_threads(sessions: list[requests.Session], count: int, links: int, seconds: list, wrong: list) -> None:
    threads = [threading.Thread(target=ask, args=(s, count, links, seconds, wrong)) for s in sessions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--links", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (gunicorn.conf.py's on 2 cores)")
    parser.add_argument("--threads", type=int, default=4, help="threads per worker (gunicorn.conf.py's)")
    args = parser.parse_args()

    database_url = fresh_database("linkapp_api_bench")
    env = base_env(
        database_url,
        REDIS_URL,
        ALLOWED_HOSTS="127.0.0.1",
        API_RATE_LIMIT="100000000/m",  # one token asks for everything here: count answers, not refusals
    )
    migrate(env)
    fill_links(database_url, args.links, owners=max(args.links // 10, 1))
    empty_redis(REDIS_URL)
    token = issue_token(env)
    instance = start_gunicorn(env, PORT, workers=args.workers, threads=args.threads)
    try:
        sessions = [client(token) for _ in range(args.clients)]
        warm_up_wrong: list[str] = []
        in_threads(sessions, 20, args.links, [], warm_up_wrong)  # connections opened before the clock starts
        seconds: list[float] = []
        wrong: list[str] = [*warm_up_wrong]
        workers_before = workers_cpu_seconds(instance.pid)
        app_before, services_before, client_before = (
            cpu_seconds(instance.pid),
            cpu_by_name("postgres", "redis-server"),
            time.process_time(),
        )
        started = time.perf_counter()
        in_threads(sessions, args.requests // args.clients, args.links, seconds, wrong)
        elapsed = time.perf_counter() - started
        app = cpu_seconds(instance.pid) - app_before
        workers = {pid: cpu - workers_before[pid] for pid, cpu in workers_cpu_seconds(instance.pid).items()}
        services = cpu_by_name("postgres", "redis-server") - services_before
        own = time.process_time() - client_before
    finally:
        instance.terminate()
        instance.wait()

    answered = len(seconds)
    print(machine_speed_in_own_process())
    print(
        f"{answered:,} requests from {args.clients} clients to one instance ({args.workers} workers x {args.threads} threads), "
        f"{args.links:,} links"
    )
    print(f"-> {answered / elapsed:.0f} requests/s; wrong answers: {len(wrong)}")
    print(
        "latency ms: p50 {:.1f}, p95 {:.1f}, p99 {:.1f}".format(*(percentile(seconds, p) * 1000 for p in (50, 95, 99)))
    )
    print(
        f"CPU ms per request: instance {app / answered * 1000:.2f}, Postgres and Redis (every process of theirs on the "
        f"machine: an upper bound) {services / answered * 1000:.2f}, client (this process) {own / answered * 1000:.2f};"
        f" the cores {(app + services + own) / (2 * elapsed):.0%} used"
    )
    # A kept-alive connection stays with the worker that accepted it, and a worker's threads share one core.
    print(
        f"the workers' CPU seconds in the {elapsed:.0f} s: "
        + ", ".join(f"{cpu:.1f}" for cpu in sorted(workers.values(), reverse=True))
    )
    for line in wrong[:5]:
        print("wrong:", line)
    if wrong:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
