"""gunicorn started as an operator would: `gunicorn linkapp.wsgi:application` from the project root."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]


@contextmanager
def gunicorn_serving(port: int, env: dict[str, str], *options: str) -> Iterator[list[str]]:
    """gunicorn answering on `port` (asked /healthz once, as X-Request-ID log-1); once stopped, the list
    it yielded holds what it printed on stdout and stderr."""
    env = {**os.environ, "DEBUG": "0", "HTTPS": "0", "WEB_CONCURRENCY": "1", **env}
    env.setdefault("SECRET_KEY", "test-only-secret-key")
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "linkapp.wsgi:application", "--bind", f"127.0.0.1:{port}", *options],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    printed: list[str] = []
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                requests.get(f"http://127.0.0.1:{port}/healthz", headers={"X-Request-ID": "log-1"}, timeout=5)
                break
            except requests.ConnectionError:
                if time.monotonic() > deadline:
                    raise  # gunicorn never answered: nothing after this would prove anything
                time.sleep(0.2)
        yield printed
    finally:
        server.terminate()
        out, err = server.communicate(timeout=30)
    printed.extend([out, err])


def run_gunicorn(port: int, env: dict[str, str], *options: str) -> tuple[str, str]:
    """Start gunicorn, ask /healthz once, stop it; what it printed on stdout and stderr."""
    with gunicorn_serving(port, env, *options) as printed:
        pass
    out, err = printed
    return out, err
