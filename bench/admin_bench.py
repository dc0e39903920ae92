"""The admin benchmark: how long Django admin's link and audit pages take on a large table, and how large
the link list's page is (the owner filter's sidebar grows with the owners).

Fills a database of its own with --links links (default 1,000,000) and as many audit events, spread over
--owners owners, then asks each page --trials times in this process through Django's test client (no
gunicorn: only the app and Postgres), signed in as a superuser. Prints the median time and the page's size.
Then exports every link with `export_links` and prints how long that took and how much its process grew, and
last deletes one day's links (yesterday's, 2,880 at one link every 30 s) with "Select all" and "Delete selected
links", as an admin clearing a day of spam would: how long the confirmation page and the deletion took.

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
from typing import TYPE_CHECKING
from urllib.parse import urlencode

if TYPE_CHECKING:
    from django.test import Client

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (  # noqa: E402
    ROOT,
    base_env,
    empty_redis,
    fill_links,
    fresh_database,
    machine_speed_in_own_process,
    migrate,
)
from tests.browser import forms  # noqa: E402

REDIS_URL = "redis://127.0.0.1:6379/12"  # a database no other benchmark nor the tests use
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


def delete_a_day(client: Client) -> tuple[int, int, float, float, float]:
    """Yesterday's links deleted as an admin would: the list filtered to the day, "Select all", "Delete selected
    links", then the confirmation's "Yes" form posted as the page has it. The day's links, those deleted, the
    confirmation page's seconds and KB, and the deletion's seconds. Stops if any link of the day is left, any
    other is gone, or a removal was not audited."""
    from django.utils import timezone

    from repos.models import Link, LinkEvent

    day = timezone.localdate() - timedelta(days=1)  # the drill-down's days are the site's (TIME_ZONE)
    url = f"/admin/repos/link/?created_at__year={day.year}&created_at__month={day.month}&created_at__day={day.day}"
    of_the_day = Link.objects.filter(created_at__date=day).count()
    before = Link.objects.count()
    # The list posts the rows ticked on its page; under "Select all" any one stands for the whole selection.
    chosen = {"action": "delete_selected", "select_across": "1", "index": "0", "_selected_action": ["1"]}
    started = time.perf_counter()
    confirm = client.post(url, chosen)
    asked = time.perf_counter() - started
    (yes,) = [form for form in forms(confirm.content.decode()) if ("post", "yes") in form.fields]
    started = time.perf_counter()
    done = client.post(url, urlencode(yes.fields), content_type="application/x-www-form-urlencoded")
    deleted = time.perf_counter() - started
    gone = before - Link.objects.count()
    audited = LinkEvent.objects.filter(action="removed", actor="admin:bench").count()
    if (
        done.status_code != 302
        or Link.objects.filter(created_at__date=day).exists()
        or not gone == audited == of_the_day
    ):
        raise SystemExit(f"delete: {done.status_code}; {of_the_day} links of the day, {gone} gone, {audited} audited")
    return of_the_day, gone, asked, len(confirm.content) / 1024, deleted


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--links", type=int, default=1_000_000)
    parser.add_argument("--owners", type=int, default=100_000)
    parser.add_argument("--trials", type=int, default=5)
    args = parser.parse_args()

    database_url = fresh_database("linkapp_admin_bench")
    empty_redis(REDIS_URL)
    env = base_env(database_url, REDIS_URL, ALLOWED_HOSTS="testserver")
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

    print(machine_speed_in_own_process())
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
    of_the_day, gone, asked, size, deleted = delete_a_day(client)
    print(
        f"delete one day's {of_the_day:,} links: confirmation page {asked:.1f} s ({size:.0f} KB), "
        f"deletion of {gone:,} {deleted:.1f} s, each removal audited"
    )


if __name__ == "__main__":
    main()
