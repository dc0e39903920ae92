"""Postgres faults on the test run's own database: one that only reads, and a lock another session holds."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import DEFAULT_DB_ALIAS, connection, connections


@contextmanager
def read_only_database() -> Iterator[None]:
    """New connections (each request's, CONN_MAX_AGE=0) read but cannot write, as on a standby during a
    failover or a server its host made read-only."""
    name = connection.settings_dict["NAME"]
    with connection.cursor() as cursor:
        cursor.execute(f'ALTER DATABASE "{name}" SET default_transaction_read_only = on')
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            # This connection may have been opened meanwhile, read-only itself.
            cursor.execute("SET default_transaction_read_only = off")
            cursor.execute(f'ALTER DATABASE "{name}" RESET default_transaction_read_only')


@contextmanager
def locked(table: str, row_id: int | None = None) -> Iterator[None]:
    """Another session holds a lock that the app's queries wait for: on the whole table, which every read and
    write of it waits for (an operator's open transaction, a migration's ALTER TABLE queued behind a long
    query), or on one row, which only writes of that row wait for."""
    other = connections.create_connection(DEFAULT_DB_ALIAS)  # not this thread's connection: its own session
    try:
        with other.cursor() as cursor:
            cursor.execute("BEGIN")
            if row_id is None:
                cursor.execute(f'LOCK TABLE "{table}" IN ACCESS EXCLUSIVE MODE')
            else:
                # A model's table, named by the test itself.
                cursor.execute(f'SELECT 1 FROM "{table}" WHERE id = %s FOR UPDATE', [row_id])  # noqa: S608
            yield
            cursor.execute("ROLLBACK")
    finally:
        other.close()
