"""README, "On a container platform": the app on a read-only root filesystem (Kubernetes' readOnlyRootFilesystem),
as hardened containers run it. Nothing it does may need to write a local file: sessions, tokens and lists are in
Redis, links in Postgres, logs on stdout and stderr. gunicorn's own files are the risk (its workers' heartbeat
files, its control socket), and gunicorn.conf.py puts the first in /dev/shm, a tmpfs every Linux container has."""

from __future__ import annotations

import os
import subprocess

import pytest

from linkapp.tests.gunicorn_process import gunicorn_serving
from repos.models import Link
from tests.browser import Browser
from tests.services import suite_database_url
from tests.wizard import first_linkable_repo, walk_to_picker

pytestmark = pytest.mark.django_db(transaction=True)  # gunicorn's commits are read, and emptied afterwards

# A mount namespace of gunicorn's own whose root filesystem is read-only: /tmp and $HOME with it, while the mounts
# under it that a container also has (/dev/shm, /proc) stay as they are. Nothing outside the namespace changes.
READ_ONLY_ROOT = [
    "unshare",
    "--mount",
    "sh",
    "-c",
    'mount --make-rprivate / && mount -o remount,bind,ro / && exec "$@"',
    "sh",
]


def _can_make_mount_namespaces() -> bool:
    """Root, or a container allowed to: a developer's laptop may not be. CI's machine is, and there the test runs
    whatever this says (as conftest.py fails the suite there without Postgres or Redis), never skipped unseen."""
    if os.environ.get("CI") == "true":
        return True
    try:
        return subprocess.run([*READ_ONLY_ROOT, "true"], capture_output=True, timeout=10).returncode == 0
    except FileNotFoundError:  # no unshare (util-linux) at all
        return False


@pytest.mark.skipif(not _can_make_mount_namespaces(), reason="needs root to make a read-only mount namespace")
def test_the_whole_wizard_on_a_read_only_root_filesystem(free_tcp_port, providers):
    env = {"DATABASE_URL": suite_database_url(), **providers.addresses()}
    # --no-control-socket, as README says for a read-only root: gunicornc's socket would go under $HOME.
    with gunicorn_serving(free_tcp_port, env, "--no-control-socket", launcher=READ_ONLY_ROOT) as served:
        browser = Browser(f"http://127.0.0.1:{free_tcp_port}/")
        picker = walk_to_picker(browser)
        full_name, repo_id = first_linkable_repo(picker)
        dashboard = browser.submit(picker, "Link repository", {"repo_id": str(repo_id)})
        readiness = browser.get("/readyz")

    assert dashboard.status_code == 200 and full_name in dashboard.text
    assert list(Link.objects.values_list("discord_username", "repo_full_name")) == [("nelly", full_name)]
    assert readiness.status_code == 200
    out, err = served.printed
    assert "Read-only file system" not in out + err and "[ERROR]" not in err, err[-3000:]
