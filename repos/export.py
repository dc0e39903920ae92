"""Links as CSV or JSON: one definition of the columns for the admin action and `export_links`."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from typing import TextIO

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


def rows(links: Iterable[Link]) -> Iterable[dict]:
    for link in links:
        row = {column: getattr(link, column) for column in COLUMNS}
        row["created_at"] = link.created_at.isoformat()
        row["updated_at"] = link.updated_at.isoformat()
        yield row


# A cell starting with one of these is read as a formula by spreadsheets (CSV injection, OWASP).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def write_csv(links: Iterable[Link], out: TextIO) -> None:
    writer = csv.DictWriter(out, fieldnames=COLUMNS)
    writer.writeheader()
    for row in rows(links):
        writer.writerow(
            {k: f"'{v}" if isinstance(v, str) and v.startswith(FORMULA_STARTS) else v for k, v in row.items()}
        )


def write_json(links: Iterable[Link], out: TextIO) -> None:
    # One write: a management command's stdout ends every write with a newline of its own.
    out.write(json.dumps({"links": list(rows(links))}, indent=2) + "\n")
