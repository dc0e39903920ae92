"""Which database errors mean "Postgres is unavailable just now, try again" rather than a bug of ours."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.core.management import CommandError
from django.db import DatabaseError, InterfaceError, OperationalError
from psycopg.errors import ReadOnlySqlTransaction

# Postgres unreachable, a connection lost, or a query ended by a lock or statement timeout (OperationalErrors), or
# a connection already closed under us (InterfaceError): each passes, so trying again helps. (Not every
# DatabaseError: an IntegrityError is a bug, and stays a 500.)
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)


def only_reads(error: BaseException) -> bool:
    """A Postgres that refuses writes: a standby during a failover, or a server its host made read-only. Django
    reports it as an InternalError, which is otherwise a bug."""
    return isinstance(error, DatabaseError) and isinstance(error.__cause__, ReadOnlySqlTransaction)


def is_database_unavailable(error: BaseException) -> bool:
    return isinstance(error, DATABASE_UNAVAILABLE) or only_reads(error)


def driver_error_name(error: BaseException) -> str:
    """What an operator can look up (ReadOnlySqlTransaction, LockNotAvailable): Django's wrapper names only its
    own class (InternalError, OperationalError), and keeps the driver's error as the cause."""
    return type(error.__cause__ or error).__name__


@contextmanager
def unavailable_as_command_error(outcome: str) -> Iterator[None]:
    """For our management commands: Django prints a CommandError as one line and exits with status 1, where
    an operator would otherwise read through a traceback to learn that the database was away. `outcome` says
    what that left undone."""
    try:
        yield
    except Exception as exc:
        if not is_database_unavailable(exc):
            raise
        raise CommandError(f"The database cannot be used just now ({driver_error_name(exc)}): {outcome}.") from exc
