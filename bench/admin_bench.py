"""The admin benchmark: how long Django admin's link and audit pages take on a large table, and how large
the link list's page is (the owner filter's sidebar grows with the owners).

Fills a database of its own with --links links (default 1,000,000) and as many audit events, spread over
--owners owners, then asks each page --trials times in this process through Django's test client (no
gunicorn: only the app and Postgres), signed in as a superuser. Prints the median time and the page's size.
Then exports every link with `export_links` and prints how long that took and how much its process grew, and
last deletes one day's links (yesterday's, 2,880 at one link every 30 s) with "Delete selected links" and "Select
all", as an admin clearing a day of spam would: how long the confirmation page and the deletion took.

    .venv/bin/python bench/admin_bench.py [--links N] [--owners N] [--trials N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import ROOT, fill_links, fresh_database, machine_speed, migrate  # noqa: E402

REDIS_URL = "redis://127.0.0.1:6379/8"
PAGES = [
    ("link list", "/admin/repos/link/"),
    ("link list, page 200", "/admin/repos/link/?p=200"),
    ("link search, a word", "/admin/repos/link/?q=login42"),
    ("link search, an id", "/admin/repos/link/?q=4242"),
    ("link list, one owner", "/admin/repos/link/?owner=owner42"),
    ("link list, created this year", f"/admin/repos/link/?created_at__year={date.today().year}"),
    ("audit trail", "/admin/repos/linkevent/"),
    ("audit search, an id", "/admin/repos/linkevent/?q=4242"),
]


# Run in a process of its own, so that its peak memory is the export's and nothing else's.
EXPORT = """
import os, resource, time
from django.core.management import call_command
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
started = time.perf_counter()
with open(os.devnull, "w") as nowhere:
    call_command("export_links", stdout=nowhere)
print(time.perf_counter() - started, before, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def export() -> tuple[float, float]:
    """Seconds `export_links` took for every link, and how many MB its process grew by."""
    printed = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", EXPORT], cwd=ROOT, env=os.environ, capture_output=True, text=True
    )
    if printed.returncode != 0:
        raise SystemExit(printed.stderr[-2000:])
    seconds, before_kb, peak_kb = printed.stdout.splitlines()[-1].split()
    return float(seconds), (int(peak_kb) - int(before_kb)) / 1024


def delete_a_day(client) -> tuple[int, float, float, float, float]:  # noqa: ANN001 - Django's test client
    """Yesterday's links, deleted from the admin's list with the whole selection: how many, the confirmation
    page's seconds and KB, the deletion's seconds, and the share of those links whose removal was audited."""
    from repos.models import Link, LinkEvent

    day = date.today() - timedelta(days=1)
    url = f"/admin/repos/link/?created_at__year={day.year}&created_at__month={day.month}&created_at__day={day.day}"
    chosen = {"action": "delete_selected", "select_across": "1", "index": "0", "_selected_action": ["0"]}
    before, removed_before = Link.objects.count(), LinkEvent.objects.filter(action="removed").count()
    started = time.perf_counter()
    confirm = client.post(url, chosen)
    asked = time.perf_counter() - started
    if confirm.status_code != 200 or b"Are you sure" not in confirm.content:
        raise SystemExit(f"delete confirmation: {confirm.status_code}")
    started = time.perf_counter()
    done = client.post(url, {**chosen, "post": "yes"})
    deleted = time.perf_counter() - started
    if done.status_code != 302:
        raise SystemExit(f"delete: {done.status_code}")
    gone = before - Link.objects.count()
    audited = LinkEvent.objects.filter(action="removed").count() - removed_before
    return gone, asked, len(confirm.content) / 1024, deleted, audited / gone if gone else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--links", type=int, default=1_000_000)
    parser.add_argument("--owners", type=int, default=100_000)
    parser.add_argument("--trials", type=int, default=5)
    args = parser.parse_args()

    database_url = fresh_database("linkapp_admin_bench")
    env = {
        "DEBUG": "0",
        "HTTPS": "0",
        "SECRET_KEY": "benchmark-only-secret-key",
        "ALLOWED_HOSTS": "testserver",
        "DATABASE_URL": database_url,
        "REDIS_URL": REDIS_URL,
        "LOG_LEVEL": "WARNING",
    }
    os.environ.update(env)  # for this process's Django, and migrate's
    migrate(dict(os.environ))
    filled = fill_links(database_url, args.links, args.owners)

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "linkapp.settings")
    import django

    django.setup()
    from django.contrib.auth.models import User
    from django.test import Client

    client = Client()
    client.force_login(User.objects.create_superuser("bench", password="unused-bench-password"))  # noqa: S106

    print(machine_speed())
    print(f"{args.links:,} links and as many audit events over {args.owners:,} owners (filled in {filled:.0f} s)")
    print(f"{'page':<30} {'median ms':>10} {'max ms':>8} {'page KB':>8}")
    for name, url in PAGES:
        times, size = [], 0
        for _ in range(args.trials):
            started = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                raise SystemExit(f"{url}: {response.status_code}")
            size = len(response.content)
        print(f"{name:<30} {statistics.median(times):>10.0f} {max(times):>8.0f} {size / 1024:>8.0f}")
    seconds, grew = export()
    print(f"export_links, every link: {seconds:.1f} s, its process grew by {grew:.0f} MB")
    gone, asked, size, deleted, audited = delete_a_day(client)
    print(
        f"delete one day's {gone:,} links: confirmation page {asked:.1f} s ({size:.0f} KB), "
        f"deletion {deleted:.1f} s, {audited:.0%} of them audited"
    )


if __name__ == "__main__":
    main()
