"""`make demo`'s launcher, started as a person starts it: its own process, on real ports."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import pytest
import requests

from tests.browser import Browser
from tests.services import free_port
from tests.wizard import first_linkable_repo, walk_to_picker

ROOT = Path(__file__).resolve().parent.parent.parent


class Demo(NamedTuple):
    url: str
    startup: str  # what the launcher had printed by the time it answered its first page


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    """`python -m demo` on a fresh machine: no Redis, no settings of ours, a SQLite file of its own."""
    folder = tmp_path_factory.mktemp("demo")
    env = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", str(folder))}
    env["PYTHONUNBUFFERED"] = "1"  # every line in the log as it is printed, as on a terminal
    env["DATABASE_URL"] = f"sqlite:///{folder / 'db.sqlite3'}"
    port, providers_port = free_port(), free_port()
    while providers_port == port:
        providers_port = free_port()
    log = folder / "demo.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "demo", "--port", str(port), "--providers-port", str(providers_port)],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while process.poll() is None and time.monotonic() < deadline:
            with contextlib.suppress(requests.RequestException):
                if requests.get(f"{base}/healthz", timeout=5).status_code == 200:
                    break
            time.sleep(0.2)
        else:
            pytest.fail(f"the demo did not start (exit code {process.poll()}):\n{log.read_text()[-2000:]}")
        requests.get(base, timeout=10)  # the first page too: anything its rendering warns of
        yield Demo(base, log.read_text())
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_the_demo_walks_the_whole_wizard(demo: Demo) -> None:
    browser = Browser(demo.url)
    picker = walk_to_picker(browser)
    full_name, repo_id = first_linkable_repo(picker)
    dashboard = browser.submit(picker, "Link repository", {"repo_id": str(repo_id)})
    assert dashboard.status_code == 200 and dashboard.url.endswith("/dashboard/")
    assert full_name in dashboard.text
    assert "demo" in dashboard.text.lower()  # the banner: no one mistakes it for the real thing
    assert browser.get("/static/picker.js").status_code == 200  # static files without DEBUG


def test_a_failure_in_the_demo_is_the_apps_own_page_not_djangos_debug_page(demo: Demo) -> None:
    missing = requests.get(f"{demo.url}/no-such-page/", timeout=10)
    assert missing.status_code == 404
    assert "Try again" in missing.text
    assert "URLconf" not in missing.text and "DEBUG = True" not in missing.text


def test_the_demo_starts_without_a_warning_to_puzzle_over(demo: Demo) -> None:
    printed = demo.startup
    assert "linkapp demo at" in printed and "Quit the server" in printed
    # Python's warnings, logged WARNINGs and system-check WARNINGS alike; runserver's own notice
    # that it is a development server is true of a demo, and stays.
    puzzling = [line for line in printed.splitlines() if "warning" in line.lower() and "development server" not in line]
    assert not puzzling


@pytest.mark.parametrize("option", ["--port", "--providers-port"])
def test_a_port_already_taken_is_said_plainly_before_anything_starts(option: str) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        other = free_port()
        ports = {"--port": other, "--providers-port": other, option: port}
        result = subprocess.run(
            [sys.executable, "-m", "demo", *(str(part) for pair in ports.items() for part in pair)],
            cwd=ROOT,
            env={"PATH": os.environ["PATH"]},
            capture_output=True,
            text=True,
            timeout=60,
        )

    assert result.returncode == 1
    assert f"{option}." in result.stderr and str(port) in result.stderr
    assert "Traceback" not in result.stderr and "linkapp demo at" not in result.stdout


@pytest.mark.parametrize("setting", ["DATABASE_URL", "REDIS_URL"])
def test_a_database_or_redis_from_the_shell_that_does_not_answer_is_said_plainly(setting: str) -> None:
    with socket.socket() as closed:  # a port nothing listens on
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    url = {"DATABASE_URL": f"postgres://postgres@127.0.0.1:{port}/x", "REDIS_URL": f"redis://127.0.0.1:{port}/0"}
    result = subprocess.run(
        [sys.executable, "-m", "demo", "--port", str(free_port()), "--providers-port", str(free_port())],
        cwd=ROOT,
        env={"PATH": os.environ["PATH"], setting: url[setting]},
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 1
    assert f"The demo cannot use {setting} (no answer, or refused)" in result.stderr
    assert "Traceback" not in result.stderr and "linkapp demo at" not in result.stdout
