"""What one wizard costs the app in CPU instructions, a figure that is the same on any machine.

The load benchmark's wizards per second follow the machine (see BENCHMARKS.md: the same code ran
at 25 and at 7 on two VMs of one type). This runs one gunicorn worker under valgrind's callgrind,
which counts the instructions it executes, walks people through the whole wizard against the
demo providers, and prints the instructions per wizard and per step. Compare code with this;
use the load benchmark for throughput on the machine you deploy to.

    .venv/bin/python bench/wizard_cost.py [--people 10]

Needs valgrind (Debian package `valgrind`). A run takes a few minutes: valgrind is ~50x slower.
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path
from urllib.parse import urlsplit

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import app_env, children, empty_redis, fresh_database, migrate, start_gunicorn  # noqa: E402
from demo.providers import DemoProviders  # noqa: E402
from tests.browser import Browser  # noqa: E402
from tests.wizard import first_linkable_repo, walk_to_picker  # noqa: E402

PORT = 8766
REDIS_URL = "redis://127.0.0.1:6379/11"
REPOS = 30  # per person, as in the load benchmark: one page
VALGRIND = shutil.which("valgrind") or "/usr/bin/valgrind"
CALLGRIND_CONTROL = shutil.which("callgrind_control") or "/usr/bin/callgrind_control"


def instructions(pid: int) -> int:
    """The instructions callgrind has counted so far in this process, all its threads together."""
    out = subprocess.run([CALLGRIND_CONTROL, "-e", "Ir", str(pid)], capture_output=True, text=True).stdout
    counts = re.findall(r"^\s*Th \d+\s+([\d,]+)", out, re.M)
    if not counts:
        raise RuntimeError(f"callgrind_control gave no count: {out!r}")
    return sum(int(count.replace(",", "")) for count in counts)


def start_under_callgrind(env: dict[str, str], out_dir: str) -> tuple[subprocess.Popen, int]:
    """One worker with one thread, so that its count is the app's whole work; valgrind is ~50x slower."""
    callgrind = [VALGRIND, "--tool=callgrind", "--trace-children=yes", f"--callgrind-out-file={out_dir}/callgrind.%p"]
    server = start_gunicorn(
        {**env, "GUNICORN_TIMEOUT": "600"}, PORT, workers=1, threads=1, under=callgrind, ready_within=600
    )
    (worker,) = children(server.pid)
    return server, worker


class CountingBrowser(Browser):
    """Reads the worker's count as each answer of the app arrives: the difference from the one
    before is what that request cost (the provider pages in between run elsewhere)."""

    def __init__(self, base_url: str, worker: int, steps: dict[str, list[int]]) -> None:
        super().__init__(base_url)
        self.last = instructions(worker)
        self.session.hooks["response"].append(self._count)
        self.worker, self.steps = worker, steps

    def _count(self, response: requests.Response, **kwargs) -> None:
        if urlsplit(response.url).port == PORT:
            now = instructions(self.worker)
            self.steps[f"{response.request.method} {urlsplit(response.url).path}"].append(now - self.last)
            self.last = now


def walk(browser: Browser, number: int) -> None:
    picker = walk_to_picker(browser, f"person{number}", f"dev{number}")
    done = browser.submit(picker, "Link repository", {"repo_id": str(first_linkable_repo(picker)[1])})
    assert done.status_code == 200 and "/dashboard/" in done.url, done.text[:300]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=10)
    args = parser.parse_args()
    providers = DemoProviders(repo_count=REPOS).start()
    env = app_env(providers, fresh_database("linkapp_cost"), REDIS_URL, LOGIN_RATE_LIMIT="1000/m")
    migrate(env)
    empty_redis(REDIS_URL)
    base = f"http://127.0.0.1:{PORT}"
    with tempfile.TemporaryDirectory() as out_dir:
        server, worker = start_under_callgrind(env, out_dir)
        steps: dict[str, list[int]] = defaultdict(list)
        try:
            walk(Browser(base), 0)  # warm-up: imports, templates, connections
            before = instructions(worker)
            for number in range(1, args.people + 1):
                walk(CountingBrowser(base, worker, steps), number)
            spent = instructions(worker) - before
        finally:
            server.terminate()
            server.wait()
            providers.stop()
    print(
        f"{args.people} wizards through one gunicorn worker under callgrind: "
        f"{spent / args.people / 1e6:.1f} M instructions per wizard; per step, median (M instructions):"
    )
    for step, counts in steps.items():
        print(f"  {step:<45} {statistics.median(counts) / 1e6:6.1f}")


if __name__ == "__main__":
    main()
