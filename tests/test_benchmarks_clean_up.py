"""A benchmark leaves nothing behind when it returns, fails or is stopped with Ctrl+C: admin_bench.py's million links
took 610 MB of the developer's Postgres, and the sessions of the people a benchmark signed in stayed in Redis for two
weeks. A run killed by a signal leaves them to the next, which starts from nothing all the same."""

import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
import redis

from bench.common import POSTGRES, drop_database

ROOT = Path(__file__).resolve().parents[1]
DATABASE = "linkapp_bench_clean_up_test"
REDIS_URL = "redis://127.0.0.1:6379/13"  # a database neither the suite nor a benchmark uses

# As a benchmark starts: its own database and Redis database, filled, then the end under test.
BENCHMARK = f"""
import psycopg
from bench.common import empty_redis, fresh_database

url = fresh_database({DATABASE!r})
conn = psycopg.connect(url, autocommit=True)  # left open at the end, as admin_bench.py's Django leaves its own
conn.execute("CREATE TABLE repos_link (id int)")  # fails in a database an earlier run left
store = empty_redis({REDIS_URL!r})
store.set("linkapp:1:django.contrib.sessions.cache1", "a session", ex=1209600)
print("made; keys:", store.dbsize(), flush=True)
"""


def database_exists() -> bool:
    with psycopg.connect(f"{POSTGRES}/postgres") as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE]).fetchone() is not None


def clean_up(store: redis.Redis) -> None:
    try:
        drop_database(DATABASE)
    finally:
        store.flushdb()


@pytest.fixture
def store():
    store = redis.Redis.from_url(REDIS_URL)
    clean_up(store)  # after a suite killed mid-test
    yield store
    clean_up(store)


@pytest.mark.parametrize(
    "end",
    [
        "",  # its figures printed
        "raise SystemExit('the run did not finish')",  # as load_bench.py gives up
        "raise RuntimeError('a step failed')",
        "raise KeyboardInterrupt",  # Ctrl-C
    ],
)
def test_a_benchmark_drops_its_database_and_empties_its_redis_database_when_it_ends(store, end):
    result = subprocess.run(
        [sys.executable, "-c", BENCHMARK + end], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.stdout == "made; keys: 1\n", result.stderr[-2000:]
    assert not database_exists(), result.stderr[-2000:]
    assert store.dbsize() == 0, result.stderr[-2000:]


def test_a_benchmark_starts_on_an_empty_database_and_an_empty_redis_database(store):
    # What a run killed with SIGKILL left: the next one starts from nothing all the same.
    with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{DATABASE}"')
    with psycopg.connect(f"{POSTGRES}/{DATABASE}", autocommit=True) as conn:
        conn.execute("CREATE TABLE repos_link (id int)")
    store.set("linkapp:1:django.contrib.sessions.cache0", "a session left behind")
    result = subprocess.run([sys.executable, "-c", BENCHMARK], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.stdout == "made; keys: 1\n", result.stderr[-2000:]
