"""Shared by the benchmarks: the app under gunicorn on Postgres and Redis, against the demo providers."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import requests

ROOT = Path(__file__).resolve().parent.parent
POSTGRES = "postgres://postgres@127.0.0.1:5432"


def fresh_database(name: str) -> str:
    with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{POSTGRES}/{name}"


def app_env(providers, database_url: str, redis_url: str, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "DEBUG": "0",
        "HTTPS": "0",
        "SECRET_KEY": "benchmark-only-secret-key",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "DISCORD_URL": providers.discord_url,
        "GITHUB_URL": providers.github_url,
        "GITHUB_API_URL": providers.github_api_url,
        "DISCORD_CLIENT_ID": providers.client_id,
        "DISCORD_CLIENT_SECRET": providers.client_secret,
        "GITHUB_CLIENT_ID": providers.client_id,
        "GITHUB_CLIENT_SECRET": providers.client_secret,
        "LOG_LEVEL": "WARNING",
        **extra,
    }


def migrate(env: dict[str, str]) -> None:
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)


def start_gunicorn(env: dict[str, str], port: int, workers: int = 2, threads: int = 4) -> subprocess.Popen:
    process = subprocess.Popen(
        [
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
        ],
        cwd=ROOT,
        env=env,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return process
        except requests.ConnectionError:
            pass
        time.sleep(0.2)
    process.kill()
    raise RuntimeError("gunicorn did not become healthy")


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(int(round(p / 100 * (len(ordered) - 1))), len(ordered) - 1)]
