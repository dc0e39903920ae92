"""Links as CSV or JSON: one definition of the columns for the admin action and `export_links`."""

from __future__ import annotations

import csv
import json
import textwrap
from collections.abc import Iterable, Iterator

from django.db.models import QuerySet

from repos.models import Link

COLUMNS = [
    "discord_id",
    "discord_username",
    "github_id",
    "github_login",
    "repo_id",
    "repo_full_name",
    "repo_private",
    "created_at",
    "updated_at",
]


BATCH = 2000  # links per query, as many as Django's iterator() fetches at a time


def in_id_order(links: QuerySet[Link]) -> Iterator[Link]:
    """Any number of links in constant memory, a batch per query, each after the last id read. Not Django's
    iterator(): its server-side cursor lives on one connection, and outside a transaction Django keeps it open
    between transactions, which a pooler in transaction mode (PgBouncer) may send to other server connections
    (Django's "Transaction pooling and server-side cursors"); inside one, a download read slowly would hold the
    transaction, its lock on the table and its snapshot open (a migration of the table would wait for it). A link
    saved meanwhile is exported when its id comes after those already read."""
    last = 0
    while batch := list(links.filter(id__gt=last).order_by("id")[:BATCH]):
        yield from batch
        last = batch[-1].id


def rows(links: Iterable[Link]) -> Iterable[dict]:
    for link in links:
        row = {column: getattr(link, column) for column in COLUMNS}
        row["created_at"] = link.created_at.isoformat()
        row["updated_at"] = link.updated_at.isoformat()
        yield row


# A cell starting with one of these is read as a formula by spreadsheets (CSV injection, OWASP).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class _Line:
    """csv.writer writes each row here and gets it back: the rows can then be streamed (Django's
    "Streaming large CSV files" recipe) instead of gathered in memory."""

    def write(self, line: str) -> str:
        return line


def csv_lines(links: Iterable[Link]) -> Iterator[str]:
    writer = csv.DictWriter(_Line(), fieldnames=COLUMNS)
    yield writer.writeheader()
    for row in rows(links):
        yield writer.writerow(
            {k: f"'{v}" if isinstance(v, str) and v.startswith(FORMULA_STARTS) else v for k, v in row.items()}
        )


def json_chunks(links: Iterable[Link]) -> Iterator[str]:
    """`{"links": [...]}` as json.dumps(..., indent=2) writes it, one link at a time."""
    yield '{\n  "links": ['
    empty = True
    for row in rows(links):
        yield ("\n" if empty else ",\n") + textwrap.indent(json.dumps(row, indent=2), "    ")
        empty = False
    yield "]\n}\n" if empty else "\n  ]\n}\n"
