"""Which database errors mean "Postgres is unavailable just now, try again" rather than a bug of ours."""

from __future__ import annotations

from django.db import DatabaseError, InterfaceError, OperationalError
from psycopg.errors import ReadOnlySqlTransaction

# Postgres unreachable, a connection lost, or a query ended by a lock or statement timeout (all OperationalErrors):
# each passes, so trying again helps. (Not every DatabaseError: an IntegrityError is a bug, and stays a 500.)
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)


def only_reads(error: BaseException) -> bool:
    """A Postgres that refuses writes: a standby during a failover, or a server its host made read-only. Django
    reports it as an InternalError, which is otherwise a bug."""
    return isinstance(error, DatabaseError) and isinstance(error.__cause__, ReadOnlySqlTransaction)


def is_database_unavailable(error: BaseException) -> bool:
    return isinstance(error, DATABASE_UNAVAILABLE) or only_reads(error)
