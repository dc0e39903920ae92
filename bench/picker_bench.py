"""The picker benchmark: how fast the picker opens for 2,000 repositories, what the list costs in
Redis, and how fast a search over 10,000 stored repositories is answered. Targets: at most 0.25
of a sequential walk's time, at most 150 bytes per repository, a search median of at most 50 ms.

The app runs under gunicorn on Postgres and Redis against the demo GitHub, which waits
100 ms before every answer (an injected delay standing in for the network and GitHub).

    .venv/bin/python bench/picker_bench.py
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (  # noqa: E402
    app_env,
    empty_redis,
    fresh_database,
    machine_speed_in_own_process,
    migrate,
    peak_rss_mb,
    percentile,
    start_gunicorn,
)
from demo.providers import DemoProviders  # noqa: E402
from tests.browser import Browser  # noqa: E402
from tests.wizard import sign_in_with_discord  # noqa: E402

PORT = 8765
REDIS_URL = "redis://127.0.0.1:6379/8"
DELAY = 0.1
TRIALS = 3


def consent_to_picker(base_url: str) -> tuple[float, float, Browser]:
    """Seconds from pressing Authorize at GitHub until the picker page has arrived, and of that
    the time after GitHub's own answer to the press (our callback, which fetches the list, and the picker)."""
    browser = Browser(base_url)
    authorize = browser.submit(sign_in_with_discord(browser), "Connect with GitHub")
    started = time.perf_counter()
    picker = browser.submit(authorize, "Authorize")
    elapsed = time.perf_counter() - started
    assert picker.status_code == 200 and "/repositories/" in picker.url, picker.text[:300]
    assert "2000 of 2000" in picker.text or "10000 of 10000" in picker.text, picker.text[:300]
    github_answer = picker.history[0].elapsed.total_seconds()  # the demo GitHub's redirect back to us
    return elapsed, elapsed - github_answer, browser


def walks(base_url: str) -> list[tuple[float, float]]:
    consent_to_picker(base_url)  # warm-up: the worker's connections, and the demo GitHub's 2,000 repositories
    return [consent_to_picker(base_url)[:2] for _ in range(TRIALS)]


def main() -> None:
    speed = machine_speed_in_own_process()
    providers = DemoProviders(delay=DELAY).start()
    providers.repo_counts["octocat"] = 2000
    env = app_env(
        providers,
        fresh_database("linkapp_bench"),
        REDIS_URL,
        GITHUB_SCOPES="read:user,repo",
        LOGIN_RATE_LIMIT="1000/m",  # the walks sign in more often than a person would
    )
    migrate(env)
    store = empty_redis(REDIS_URL)
    # The baseline: the same app with one request to GitHub in flight at a time, so GET /user and
    # then every page in turn, following rel="next".
    sequential_server = start_gunicorn({**env, "GITHUB_MAX_CONCURRENCY": "1"}, PORT + 1)
    try:
        sequential = walks(f"http://127.0.0.1:{PORT + 1}")
    finally:
        sequential_server.terminate()
        sequential_server.wait()
    server = start_gunicorn(env, PORT)
    base = f"http://127.0.0.1:{PORT}"
    try:
        concurrent = walks(base)

        store.flushdb()
        consent_to_picker(base)
        (key,) = store.keys("*wizard:*:repos")
        per_repo = store.memory_usage(key) / 2000

        providers.repo_counts["octocat"] = 10_000
        providers.delay = 0.0
        browser = consent_to_picker(base)[2]
        worker_peak = peak_rss_mb(server.pid)
        queries = ["project", "acme-org/", "number 12", "widgets", "0042", "demo", "zzz-no-match", "ROCKET"]
        times = []
        for i in range(200):
            started = time.perf_counter()
            page = browser.get("/repositories/", params={"q": queries[i % len(queries)], "page": 1 + i % 3})
            times.append((time.perf_counter() - started) * 1000)
            assert page.status_code == 200
    finally:
        server.terminate()
        server.wait()
        providers.stop()

    concurrent_s, sequential_s = (
        statistics.median(t for t, _ in concurrent),
        statistics.median(t for t, _ in sequential),
    )
    concurrent_app_s, sequential_app_s = (
        statistics.median(a for _, a in concurrent),
        statistics.median(a for _, a in sequential),
    )
    print(
        f"consent -> picker, 2,000 repositories, {DELAY * 1000:.0f} ms per demo-provider request, median of {TRIALS} "
        f"(machine: {speed}):"
    )
    concurrent_label = f"GITHUB_MAX_CONCURRENCY={env.get('GITHUB_MAX_CONCURRENCY', '8 (default)')}"
    print(f"  {concurrent_label}: {concurrent_s:.2f} s, of which after GitHub's answer {concurrent_app_s:.2f} s")
    print(
        f"  GITHUB_MAX_CONCURRENCY=1 (sequential): {sequential_s:.2f} s, of which after GitHub's answer {sequential_app_s:.2f} s"
    )
    print(
        f"  ratio from pressing Authorize: {concurrent_s / sequential_s:.3f}; "
        f"from GitHub's redirect back to us: {concurrent_app_s / sequential_app_s:.3f} (target <= 0.25)"
    )
    print(f"Redis bytes per stored repository (MEMORY USAGE / 2000): {per_repo:.1f} (target <= 150)")
    print(f"gunicorn worker peak memory (VmHWM) after connecting 10,000 repositories: {worker_peak:.0f} MB")
    print(
        f"search over 10,000 stored repositories, 200 requests: median {statistics.median(times):.1f} ms, "
        f"p95 {percentile(times, 95):.1f} ms (target median <= 50 ms; client round trip on loopback)"
    )


if __name__ == "__main__":
    main()
