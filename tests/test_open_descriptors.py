"""A worker serves people for weeks: whatever it opens for one (a connection to Postgres, Redis, Discord or
GitHub; a file) must be closed or reused for the next. One left open per person would go unseen until the worker
met its limit of open files (`ulimit -n`, often 1,024) and could open no more. bench/load_bench.py prints
the count over a long run; this test holds it person by person."""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings

from bench.common import children
from linkapp.tests.gunicorn_process import gunicorn_serving
from repos.models import Link
from tests.browser import Browser
from tests.services import suite_database_url
from tests.wizard import first_linkable_repo, walk_to_picker

pytestmark = pytest.mark.django_db(transaction=True)  # gunicorn's commits are read, and emptied afterwards

LISTENING = "0A"  # a socket's state in /proc/net/tcp


def _tcp_sockets(pid: int) -> dict[str, tuple[int, int, str]]:
    """Each TCP socket of the process's network namespace by inode: its local port, remote port and state."""
    sockets = {}
    for table in ("tcp", "tcp6"):
        for row in Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]:
            fields = row.split()
            local, remote, state, inode = fields[1], fields[2], fields[3], fields[9]
            sockets[inode] = (int(local.rsplit(":", 1)[1], 16), int(remote.rsplit(":", 1)[1], 16), state)
    return sockets


def held_open(worker: int, port: int) -> Counter[str]:
    """What the worker holds open (a file's path, a pipe, a TCP connection by the port it goes to), leaving out
    the connections its clients opened to it: those come and go with the clients."""
    sockets = _tcp_sockets(worker)
    held: Counter[str] = Counter()
    for descriptor in Path(f"/proc/{worker}/fd").iterdir():
        try:
            target = os.readlink(descriptor)
        except FileNotFoundError:  # closed meanwhile
            continue
        if target.startswith("socket:["):
            local, remote, state = sockets.get(target.removeprefix("socket:[").removesuffix("]"), (0, 0, ""))
            if state == LISTENING:
                target = f"listening on port {local}"
            elif local == port:
                continue  # a client's connection to gunicorn
            elif local:
                target = f"TCP to port {remote}"
            # else a Unix socket, named by its inode
        held[target] += 1
    return held


def only_worker(master: int) -> int:
    (worker,) = children(master)
    return worker


def link_a_repository(port: int, person: int) -> None:
    """One person's whole wizard, in a browser of their own that then closes its connections."""
    browser = Browser(f"http://127.0.0.1:{port}/")
    picker = walk_to_picker(browser, discord=f"fd-person-{person}", github=f"fd-coder-{person}")
    _, repo_id = first_linkable_repo(picker)
    dashboard = browser.submit(picker, "Link repository", {"repo_id": str(repo_id)})
    assert dashboard.status_code == 200, dashboard.text
    browser.session.close()


def test_a_worker_holds_as_much_open_after_twelve_people_as_after_two(free_tcp_port, providers):
    # Database connections kept between requests, as in production (the suite closes each one).
    # One GitHub call at a time (not 8 pages at once), and one worker with one thread: one connection to each
    # service at a time, whichever thread a request lands on.
    env = {"DATABASE_URL": suite_database_url(), "CONN_MAX_AGE": "60", "GITHUB_MAX_CONCURRENCY": "1"}
    env.update(providers.addresses())
    with gunicorn_serving(free_tcp_port, env, "--workers", "1", "--threads", "1", "--no-control-socket") as served:
        worker = only_worker(served.process.pid)
        for person in range(2):  # the first people open the connections that are then reused
            link_a_repository(free_tcp_port, person)
        after_two = held_open(worker, free_tcp_port)
        for person in range(2, 12):
            link_a_repository(free_tcp_port, person)
        after_twelve = held_open(worker, free_tcp_port)

    services = (suite_database_url(), settings.REDIS_URL, providers.github_api_url)
    assert {f"TCP to port {urlsplit(url).port}" for url in services} <= after_two.keys()  # what the count sees
    assert Link.objects.count() == 12
    assert after_twelve == after_two
