"""gunicorn.conf.py as gunicorn reads it: a Python file of settings, evaluated in the environment."""

from __future__ import annotations

import os
import re
import runpy
import subprocess
import sys
from pathlib import Path

import pytest

CONF = str(Path(__file__).resolve().parents[2] / "gunicorn.conf.py")


@pytest.mark.parametrize(
    ("env", "workers"),
    [
        ({"REDIS_URL": "redis://127.0.0.1:6379/0", "WEB_CONCURRENCY": "3"}, 3),
        ({}, 1),  # sessions in one process's memory
        ({"WEB_CONCURRENCY": "3"}, 1),
    ],
)
def test_workers_share_sessions_or_there_is_one(monkeypatch, env, workers):
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.delenv("WEB_CONCURRENCY", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert runpy.run_path(CONF)["workers"] == workers


def test_workers_default_to_the_cores_this_process_may_run_on(monkeypatch):
    """A container pinned to 2 of its host's 64 cores starts 2 workers, not 64 (each holding database connections)."""
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/0")
    monkeypatch.delenv("WEB_CONCURRENCY", raising=False)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {5, 9}, raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 64)  # the host's, whatever this machine has
    assert runpy.run_path(CONF)["workers"] == 2


def test_worker_heartbeat_files_go_to_dev_shm_where_this_user_may_write_there(monkeypatch):
    """In memory where that is possible (tests/test_read_only_root.py runs gunicorn so); a /dev/shm closed to the
    user, or none at all (macOS), leaves gunicorn's default instead of a worker that cannot start."""
    shm = "/dev/shm"  # noqa: S108
    writable = {shm}
    monkeypatch.setattr(os, "access", lambda path, mode: path in writable)
    assert runpy.run_path(CONF)["worker_tmp_dir"] == shm
    writable.clear()
    assert runpy.run_path(CONF)["worker_tmp_dir"] is None


def test_keepalive_may_outlast_a_load_balancers_idle_timeout(monkeypatch):
    monkeypatch.delenv("GUNICORN_KEEPALIVE", raising=False)
    assert runpy.run_path(CONF)["keepalive"] == 5
    monkeypatch.setenv("GUNICORN_KEEPALIVE", "75")
    assert runpy.run_path(CONF)["keepalive"] == 75


@pytest.mark.parametrize(
    ("env", "bind"),
    [
        ({}, "['127.0.0.1:8000']"),
        # A platform that routes to the port it sets in PORT: gunicorn's own default, which the file must not hide.
        ({"PORT": "8080"}, "['0.0.0.0:8080']"),
        ({"PORT": "8080", "GUNICORN_BIND": "127.0.0.1:9000"}, "['127.0.0.1:9000']"),
        ({"PORT": ""}, "['127.0.0.1:8000']"),  # set but empty: unset, as for every other variable
        ({"GUNICORN_BIND": "tcp://0.0.0.0:8000"}, "['tcp://0.0.0.0:8000']"),  # gunicorn reads tcp:// itself
        ({"GUNICORN_BIND": "unix:/run/linkapp.sock"}, "['unix:/run/linkapp.sock']"),
    ],
)
def test_bind_follows_gunicorn_bind_then_the_platforms_port(env, bind):
    clean = {name: value for name, value in os.environ.items() if name not in ("PORT", "GUNICORN_BIND")}
    printed = subprocess.run(
        [sys.executable, "-m", "gunicorn", "--print-config", "linkapp.wsgi:application"],
        cwd=Path(CONF).parent,
        env={**clean, **env},
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    assert re.search(r"^bind\s+= (.*)$", printed, re.M).group(1) == bind


@pytest.mark.parametrize(
    ("name", "value", "error"),
    [
        # No worker: gunicorn would listen and never answer.
        ("WEB_CONCURRENCY", "0", "WEB_CONCURRENCY must be a whole number of 1 or more, not '0'."),
        ("GUNICORN_THREADS", "0", "GUNICORN_THREADS must be a whole number of 1 or more, not '0'."),
        ("GUNICORN_TIMEOUT", "30s", "GUNICORN_TIMEOUT must be a whole number of 0 or more, not '30s'."),
        ("GUNICORN_KEEPALIVE", "-1", "GUNICORN_KEEPALIVE must be a whole number of 0 or more, not '-1'."),
        # gunicorn's own errors named neither variable ("'//0.0.0.0' is not a valid port number").
        ("PORT", "http", "PORT must be a port number, not 'http'."),
        ("PORT", "99999", "PORT must be a port number, not '99999'."),
        (
            "GUNICORN_BIND",
            "http://0.0.0.0:8000",
            "GUNICORN_BIND is HOST:PORT (such as 0.0.0.0:8000) or unix:PATH, not 'http://0.0.0.0:8000'.",
        ),
        # Read as a switch, it wrote the access log to a file named "1".
        ("GUNICORN_ACCESS_LOG", "1", "GUNICORN_ACCESS_LOG is a file, or - for stdout, not '1'."),
        ("GUNICORN_ACCESS_LOG", "true", "GUNICORN_ACCESS_LOG is a file, or - for stdout, not 'true'."),
    ],
)
def test_a_value_gunicorn_cannot_use_stops_it_with_one_clear_line(monkeypatch, name, value, error):
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/0")
    monkeypatch.setenv(name, value)
    with pytest.raises(SystemExit) as stopped:
        runpy.run_path(CONF)
    assert str(stopped.value) == error


def test_unset_counts_take_the_documented_defaults(monkeypatch):
    """README: 4 threads per worker (gthread: a worker keeps answering while one waits on Discord or GitHub),
    a 60 s worker timeout, 30 s for requests in flight on a restart, and no access log."""
    for name in ("GUNICORN_THREADS", "GUNICORN_TIMEOUT", "GUNICORN_GRACEFUL_TIMEOUT", "GUNICORN_ACCESS_LOG"):
        monkeypatch.delenv(name, raising=False)
    conf = runpy.run_path(CONF)
    assert (conf["worker_class"], conf["threads"]) == ("gthread", 4)
    assert (conf["timeout"], conf["graceful_timeout"], conf["accesslog"]) == (60, 30, None)


def test_one_worker_one_thread_and_no_timeout_are_counts_too(monkeypatch):
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/0")
    for name, value in (("WEB_CONCURRENCY", "1"), ("GUNICORN_THREADS", "1"), ("GUNICORN_KEEPALIVE", "0")):
        monkeypatch.setenv(name, value)
    conf = runpy.run_path(CONF)
    assert (conf["workers"], conf["threads"], conf["keepalive"]) == (1, 1, 0)


def test_a_blank_redis_url_is_no_redis_so_one_worker(monkeypatch):
    """settings.py reads `REDIS_URL= ` as unset (the in-process cache): a second worker would not know the first
    one's people."""
    monkeypatch.setenv("REDIS_URL", " ")
    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    assert runpy.run_path(CONF)["workers"] == 1


def test_json_logs_may_be_asked_for_in_any_case(monkeypatch):
    """As settings.py reads LOG_FORMAT: `JSON` must not leave gunicorn's own lines plain beside the app's JSON."""
    monkeypatch.setenv("LOG_FORMAT", " JSON ")
    assert runpy.run_path(CONF)["logconfig_dict"]["formatters"]["json"]["()"] == "linkapp.logs.JsonFormatter"
