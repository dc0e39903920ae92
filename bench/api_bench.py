"""The API benchmark: how many `GET /api/v1/links` one instance answers on 2 cores, and the CPU each takes.

Fills a database of its own with --links links (one per Discord user and repository), issues a token with
`create_api_token`, starts one gunicorn instance (2 workers x 4 threads, gunicorn.conf.py) and asks it, from
--clients threads each keeping its connection open, for --requests random people's links, half by Discord id and
half by repository id, as a bot answering commands would. Prints requests per second, p50/p95/p99, the CPU each
request took in the instance, Postgres and Redis, and in this process (the client), and checks that every answer
was a 200 holding that one link.

    .venv/bin/python bench/api_bench.py [--links N] [--requests N] [--clients N]
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import threading
import time
from pathlib import Path

import redis
import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (  # noqa: E402
    ROOT,
    cpu_by_name,
    cpu_seconds,
    fill_links,
    fresh_database,
    machine_speed,
    migrate,
    percentile,
    start_gunicorn,
)

REDIS_URL = "redis://127.0.0.1:6379/7"
PORT = 8811
FIRST_DISCORD_ID = 80351110224678912  # fill_links's: link g is Discord user FIRST_DISCORD_ID + g's, to repository g


def issue_token(env: dict[str, str]) -> str:
    printed = subprocess.run(
        [sys.executable, "manage.py", "create_api_token", "api-bench"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return printed.stdout.strip()


def ask(token: str, count: int, links: int, seconds: list[float], wrong: list[str]) -> None:
    """`count` questions on one connection; each answer's time into `seconds`, each wrong answer into `wrong`."""
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    for n in range(count):
        g = random.randint(1, links)  # noqa: S311 - which person to ask for, not a secret
        query = {"discord_id": str(FIRST_DISCORD_ID + g)} if n % 2 else {"repo_id": str(g)}
        started = time.perf_counter()
        answer = session.get(f"http://127.0.0.1:{PORT}/api/v1/links", params=query, timeout=30)
        seconds.append(time.perf_counter() - started)
        if answer.status_code != 200:
            wrong.append(f"{query}: {answer.status_code}")
        elif [link["repo_id"] for link in answer.json()["links"]] != [g]:
            wrong.append(f"{query}: {answer.text[:200]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--links", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--clients", type=int, default=16)
    args = parser.parse_args()

    database_url = fresh_database("linkapp_api_bench")
    env = {
        **os.environ,
        "DEBUG": "0",
        "HTTPS": "0",
        "SECRET_KEY": "benchmark-only-secret-key",
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": database_url,
        "REDIS_URL": REDIS_URL,
        "LOG_LEVEL": "WARNING",
        "API_RATE_LIMIT": "100000000/m",  # one token asks for everything here: count requests, not refusals
        "CONN_MAX_AGE": "60",
    }
    migrate(env)
    fill_links(database_url, args.links, owners=max(args.links // 10, 1))
    redis.Redis.from_url(REDIS_URL).flushdb()
    token = issue_token(env)
    instance = start_gunicorn(env, PORT)
    try:
        per_client = args.requests // args.clients
        warm = [threading.Thread(target=ask, args=(token, 20, args.links, [], [])) for _ in range(args.clients)]
        for thread in warm:  # every worker thread's connections opened before the clock starts
            thread.start()
        for thread in warm:
            thread.join()

        seconds: list[float] = []
        wrong: list[str] = []
        threads = [
            threading.Thread(target=ask, args=(token, per_client, args.links, seconds, wrong))
            for _ in range(args.clients)
        ]
        app_before, services_before, client_before = (
            cpu_seconds(instance.pid),
            cpu_by_name("postgres", "redis-server"),
            time.process_time(),
        )
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
        app = cpu_seconds(instance.pid) - app_before
        services = cpu_by_name("postgres", "redis-server") - services_before
        client = time.process_time() - client_before
    finally:
        instance.terminate()
        instance.wait()

    asked = len(seconds)
    print(machine_speed())
    print(
        f"{asked:,} requests from {args.clients} clients to one instance (2 workers x 4 threads), {args.links:,} links"
    )
    print(f"-> {asked / elapsed:.0f} requests/s; wrong answers: {len(wrong)}")
    print(
        "latency ms: p50 {:.1f}, p95 {:.1f}, p99 {:.1f}".format(*(percentile(seconds, p) * 1000 for p in (50, 95, 99)))
    )
    print(
        f"CPU ms per request: instance {app / asked * 1000:.2f}, Postgres and Redis {services / asked * 1000:.2f}, "
        f"client (this process) {client / asked * 1000:.2f}; the cores {(app + services + client) / (2 * elapsed):.0%} used"
    )
    for line in wrong[:5]:
        print("wrong:", line)
    if wrong:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
