"""Services as fault tests need them: a private redis-server, so that stopping, wiping or filling it touches
nothing else; a port that never answers; a private PgBouncer, the connection pooler that operators put between
many instances and Postgres; and the test database's address for a gunicorn of a test's own. (Postgres faults
on the suite's own database are in database_faults.py.)"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from urllib.parse import urlencode

import psycopg
import redis
from django.db import connection


def suite_database_url(**query: str) -> str:
    """The test database pytest-django created, as DATABASE_URL (`query`: libpq's options, application_name...)."""
    database = connection.settings_dict
    host, port = database["HOST"] or "127.0.0.1", database["PORT"] or 5432
    url = f"postgres://{database['USER']}@{host}:{port}/{database['NAME']}"
    return f"{url}?{urlencode(query)}" if query else url


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def started_on_a_free_port(start: Callable[[], bool]) -> bool:
    """Whether `start` succeeded within three tries: another process may take the free port before our server
    binds it."""
    return any(start() for _ in range(3))


def ready_or_killed(process: subprocess.Popen, is_ready: Callable[[], bool]) -> bool:
    """Whether `process` got ready within 10 s; if not, it is killed, so the next try starts afresh."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and process.poll() is None:
        if is_ready():
            return True
        time.sleep(0.05)
    process.kill()
    process.wait()
    return False


class PrivateRedis:
    """A redis-server of the test's own on a free port, with nothing saved to disk."""

    def __init__(self) -> None:
        if not started_on_a_free_port(self._start):
            raise RuntimeError("private redis-server did not start")

    def _start(self) -> bool:
        self.port = free_port()
        binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )
        return ready_or_killed(self.process, self._answers)

    def _answers(self) -> bool:
        try:
            self.client().ping()  # our redis-server, not whatever else listens there
        except redis.ConnectionError:
            return False
        return True

    def client(self) -> redis.Redis:
        return redis.Redis(port=self.port)

    @contextmanager
    def refusing_writes(self, how: str) -> Iterator[None]:
        """Reads answered, writes refused: a Redis that is full under `maxmemory-policy noeviction` ("full"),
        or a replica that the app's address reaches after a failover ("replica", whose master never answers)."""
        client = self.client()
        master = None
        if how == "full":
            client.config_set("maxmemory-policy", "noeviction")
            client.config_set("maxmemory", 1)
        elif how == "replica":
            master = UnansweredPort()  # not a free port: a Redis that bound it would sync its data over ours
            client.replicaof("127.0.0.1", master.port)
        else:
            raise ValueError(f"full or replica, not {how!r}")
        try:
            yield
        finally:
            if master is None:
                client.config_set("maxmemory", 0)
            else:
                client.replicaof("NO", "ONE")
                master.close()

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


class PrivatePgBouncer:
    """PgBouncer in transaction pooling, the mode that lets many app threads share a few Postgres connections,
    in front of the test run's Postgres (any database, as the user `user`). It keeps two server connections and
    hands each transaction the other one than the last (round robin): what only holds within one session, a
    cursor kept open after its transaction say, fails here on the next statement, where a busy pooler would
    make it fail only now and then."""

    def __init__(self, postgres_host: str, postgres_port: int, user: str) -> None:
        self.user = user
        self.directory = tempfile.mkdtemp(prefix="pgbouncer-")
        os.chmod(self.directory, 0o755)  # noqa: S103 -- read by PgBouncer running as nobody (below); holds no secret
        self._write("users.txt", f'"{user}" ""\n')
        if not started_on_a_free_port(lambda: self._start(postgres_host, postgres_port)):
            raise RuntimeError(f"private pgbouncer did not start: {self._read('pgbouncer.log')[-2000:]}")

    def _write(self, name: str, text: str) -> None:
        path = os.path.join(self.directory, name)
        with open(path, "w") as file:
            file.write(text)
        os.chmod(path, 0o644)

    def _read(self, name: str) -> str:
        with open(os.path.join(self.directory, name), errors="replace") as file:
            return file.read()

    def _start(self, postgres_host: str, postgres_port: int) -> bool:
        self.port = free_port()
        self._write(
            "pgbouncer.ini",
            f"""[databases]
* = host={postgres_host} port={postgres_port}
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {self.port}
unix_socket_dir =
auth_type = trust
auth_file = {self.directory}/users.txt
pool_mode = transaction
default_pool_size = 2
min_pool_size = 2
server_round_robin = 1
""",
        )
        binary = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
        as_nobody = ["-u", "nobody"] if os.geteuid() == 0 else []  # it refuses to run as root
        with open(os.path.join(self.directory, "pgbouncer.log"), "w") as log:
            self.process = subprocess.Popen(
                [binary, *as_nobody, os.path.join(self.directory, "pgbouncer.ini")], stdout=log, stderr=log
            )
        # Our PgBouncer, not whatever else listens there: it says so once it has bound the port.
        return ready_or_killed(
            self.process, lambda: f"listening on 127.0.0.1:{self.port}" in self._read("pgbouncer.log")
        )

    def connect(self, database: str) -> psycopg.Connection:
        # Statements unprepared, as Django sends them: a prepared one lives on one server connection only.
        return psycopg.connect(
            host="127.0.0.1", port=self.port, dbname=database, user=self.user, autocommit=True, prepare_threshold=None
        )

    def wait_for_both_server_connections(self, database: str) -> None:
        """Wait until PgBouncer holds both server connections for `database`: it opens the second a moment after
        the first client came, and until then would hand every transaction the same one."""
        with self.connect(database) as client:
            deadline = time.monotonic() + 10
            while len({client.execute("SELECT pg_backend_pid()").fetchone()[0] for _ in range(4)}) < 2:
                if time.monotonic() > deadline:
                    raise RuntimeError("PgBouncer did not open its second server connection")
                time.sleep(0.1)

    def logins(self, database: str) -> int:
        """How many client connections to `database` PgBouncer has taken so far."""
        return self._read("pgbouncer.log").count(f"login attempt: db={database} ")

    def stop(self) -> None:
        try:
            self.process.kill()  # it keeps nothing; and a newer PgBouncer's SIGTERM waits for its clients to leave
            self.process.wait(timeout=10)
        finally:
            shutil.rmtree(self.directory, ignore_errors=True)


class UnansweredPort:
    """A port where connecting itself hangs, as to a host that is down or behind a dropping firewall:
    its accept queue (backlog 0) is kept full and nothing is ever accepted, so Linux drops new SYNs."""

    def __init__(self) -> None:
        self._listener = socket.socket()
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(0)
        self.port = self._listener.getsockname()[1]
        self._queued = []
        for _ in range(4):
            sock = socket.socket()
            sock.setblocking(False)
            sock.connect_ex(("127.0.0.1", self.port))
            self._queued.append(sock)
        time.sleep(0.1)  # the handshake that fills the accept queue completes

    def close(self) -> None:
        for sock in [*self._queued, self._listener]:
            sock.close()
