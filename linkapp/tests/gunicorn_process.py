"""gunicorn started as an operator would: `gunicorn linkapp.wsgi:application` from the project root."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Served:
    """A gunicorn of a test's own: its master, to signal as an operator would (SIGTERM for a restart), and what
    it printed, to read once it has stopped."""

    process: subprocess.Popen[str]
    printed: list[str] = field(default_factory=list)  # stdout and stderr


@contextmanager
def gunicorn_serving(port: int, env: dict[str, str], *options: str, launcher: Sequence[str] = ()) -> Iterator[Served]:
    """gunicorn answering on `port` (asked /healthz once, as X-Request-ID log-1), stopped at the end. A `launcher`
    command (one that ends by exec-ing the command it is given) runs it in a changed environment."""
    env = {**os.environ, "DEBUG": "0", "HTTPS": "0", "WEB_CONCURRENCY": "1", **env}
    env.setdefault("SECRET_KEY", "test-only-secret-key")
    gunicorn = [sys.executable, "-m", "gunicorn", "linkapp.wsgi:application", "--bind", f"127.0.0.1:{port}", *options]
    server = subprocess.Popen(
        [*launcher, *gunicorn],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group: the master and its workers are killed together
    )
    served = Served(server)
    try:
        deadline = time.monotonic() + 30
        while not _answers(port, timeout=max(deadline - time.monotonic(), 0.1)):
            # gunicorn exited (the port taken, say) or never answered: nothing after this would prove anything.
            if server.poll() is not None or time.monotonic() > deadline:
                _kill_all(server)
                served.printed.extend(server.communicate(timeout=30))
                out, err = served.printed
                raise AssertionError(f"gunicorn did not start (exit code {server.returncode}):\n{out}{err[-2000:]}")
            time.sleep(0.2)
        yield served
    finally:
        if not served.printed:  # not already collected above
            server.terminate()  # nothing, if it has already stopped (a test may stop it with a signal of its own)
            try:  # a request still in flight is given GUNICORN_GRACEFUL_TIMEOUT (30 s) to finish
                served.printed.extend(server.communicate(timeout=40))
            except subprocess.TimeoutExpired:  # never left running, holding the test database's connections
                _kill_all(server)
                served.printed.extend(server.communicate(timeout=10))


def _kill_all(server: subprocess.Popen[str]) -> None:
    """The master and its workers (its process group): a worker left behind would hold the output pipes open."""
    with suppress(ProcessLookupError):  # all gone already
        os.killpg(server.pid, signal.SIGKILL)


def run_gunicorn(port: int, env: dict[str, str], *options: str) -> tuple[str, str]:
    """Start gunicorn, ask /healthz once, stop it; what it printed on stdout and stderr."""
    with gunicorn_serving(port, env, *options) as served:
        pass
    out, err = served.printed
    return out, err


def _answers(port: int, timeout: float) -> bool:
    """Our app answers on the port: it echoes the request id (whatever /healthz finds of Postgres and Redis).
    gunicorn listens before its worker has loaded Django: the first request waits for that, however long."""
    try:
        answer = requests.get(f"http://127.0.0.1:{port}/healthz", headers={"X-Request-ID": "log-1"}, timeout=timeout)
    except requests.ConnectionError:  # not listening yet (a request that reached it is never asked again)
        return False
    except requests.Timeout:  # reached it, and no answer by the deadline: the caller gives up
        return False
    return answer.headers.get("X-Request-ID") == "log-1"
