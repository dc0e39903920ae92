"""The app behind PgBouncer in transaction pooling (README, "Production"): what lets many instances share a few
Postgres connections, by handing each transaction whichever server connection is free."""

from __future__ import annotations

import csv
import gc
import io
import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from django.core.management import call_command
from django.db import ProgrammingError, connections
from psycopg.errors import InvalidCursorName

from repos import export
from repos.models import Link
from tests.links import make_link
from tests.wizard import first_linkable_repo, walk_to_picker

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.django_db(transaction=True)


def make_links(count: int) -> list[str]:
    names = [f"acme/repo-{n}" for n in range(count)]
    for n, name in enumerate(names):
        make_link(str(100 + n), n + 1, name)
    return names


def test_the_whole_wizard_through_pgbouncer(browser, providers, through_pgbouncer):
    database = connections.settings["default"]["NAME"]
    logins = through_pgbouncer.logins(database)

    picker = walk_to_picker(browser)
    name, repo_id = first_linkable_repo(picker)
    dashboard = browser.submit(picker, "Link repository", {"repo_id": str(repo_id)})

    assert dashboard.url.endswith("/dashboard/") and name in dashboard.text
    assert Link.objects.get().repo_id == repo_id
    assert through_pgbouncer.logins(database) > logins  # the app's requests did connect through it


def test_the_admin_and_its_export_through_pgbouncer(admin_client, through_pgbouncer, monkeypatch):
    names = make_links(3)
    monkeypatch.setattr(export, "BATCH", 2)  # the export's queries, each on another server connection

    listed = admin_client.get("/admin/repos/link/", {"q": "repo-2"})
    response = admin_client.post(
        "/admin/repos/link/",
        {"action": "export_csv", "_selected_action": list(Link.objects.values_list("pk", flat=True))},
    )

    assert listed.status_code == 200 and "acme/repo-2" in listed.text and "acme/repo-1" not in listed.text
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [row["repo_full_name"] for row in rows] == names


def test_the_api_through_pgbouncer(client, through_pgbouncer):
    make_links(2)
    out = io.StringIO()
    call_command("create_api_token", "discord-bot", stdout=out)

    answer = client.get("/api/v1/links", {"repo_id": 2}, HTTP_AUTHORIZATION=f"Bearer {out.getvalue().strip()}")

    assert answer.status_code == 200
    assert [link["repo_full_name"] for link in answer.json()["links"]] == ["acme/repo-1"]


def manage_through(pgbouncer, *args: str, database: str | None = None) -> subprocess.CompletedProcess:
    """`manage.py` as an operator runs it behind PgBouncer, set up as README says (DATABASE_URL naming PgBouncer,
    DATABASE_LOCK_TIMEOUT=0), in a process of its own (so not `through_pgbouncer`, which points this process's
    connections); by default on the test database. DEBUG=1 needs no secret key or hosts for a command."""
    settings = connections.settings["default"]
    url = f"postgres://{settings['USER']}@127.0.0.1:{pgbouncer.port}/{database or settings['NAME']}"
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**os.environ, "DEBUG": "1", "DATABASE_URL": url, "DATABASE_LOCK_TIMEOUT": "0"},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_export_links_through_pgbouncer(pgbouncer):
    names = make_links(3)
    pgbouncer.wait_for_both_server_connections(connections.settings["default"]["NAME"])

    result = manage_through(pgbouncer, "export_links")

    assert result.returncode == 0, result.stderr
    assert [row["repo_full_name"] for row in csv.DictReader(io.StringIO(result.stdout))] == names


# The failed cursor cannot be closed on the server (it is not there): psycopg says so when it is collected,
# made to happen here rather than in whichever test comes next.
@pytest.mark.filterwarnings("ignore:.*was deleted while still open:ResourceWarning")
def test_a_cursor_kept_between_transactions_fails_behind_pgbouncer(through_pgbouncer):
    """Why the exports read their links a batch per query (repos.export.in_id_order): Django's iterator() outside a
    transaction declares its cursor in one transaction and reads from it in the next, which PgBouncer hands its
    other server connection."""
    make_links(3)

    # Django's error, or psycopg's own as Django closes the cursor after it.
    with pytest.raises((ProgrammingError, InvalidCursorName), match="does not exist"):
        list(Link.objects.order_by("id").iterator())
    gc.collect()  # the cursor is held by a reference cycle through the error's traceback


def test_migrate_through_pgbouncer(pgbouncer):
    """A new database's schema made through PgBouncer (README: `migrate` runs through it too)."""
    name = "linkapp_migrated_through_pgbouncer"
    settings = connections.settings["default"]
    postgres = {"host": settings["HOST"] or "127.0.0.1", "port": settings["PORT"] or 5432, "user": settings["USER"]}
    with psycopg.connect(**postgres, dbname="postgres", autocommit=True) as server:
        server.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        server.execute(f'CREATE DATABASE "{name}"')
        try:
            pgbouncer.wait_for_both_server_connections(name)
            result = manage_through(pgbouncer, "migrate", "--noinput", database=name)

            assert result.returncode == 0, result.stderr
            with pgbouncer.connect(name) as migrated:
                assert migrated.execute("SELECT to_regclass('repos_link')").fetchone() == ("repos_link",)
        finally:
            server.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
