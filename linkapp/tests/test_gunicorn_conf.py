"""gunicorn.conf.py as gunicorn reads it: a Python file of settings, evaluated in the environment."""

from __future__ import annotations

import multiprocessing
import runpy
from pathlib import Path

import pytest

CONF = str(Path(__file__).resolve().parents[2] / "gunicorn.conf.py")


@pytest.mark.parametrize(
    ("env", "workers"),
    [
        ({"REDIS_URL": "redis://127.0.0.1:6379/0"}, multiprocessing.cpu_count()),
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
