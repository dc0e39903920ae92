"""What a fresh machine gets: every package pinned, and a suite that cannot pass without Postgres.

requirements*.txt pin every package a fresh install takes, on any Python 3.11 CI may run. A package one of ours needs only on some Pythons (redis wants async-timeout before 3.11.3, and Debian 12's
python3.11 is 3.11.2) is missing from an install on another: this walks the installed packages' own
requirements under each Python, so nothing unpinned slips in where the suite was not run."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]


def name(text: str) -> str:
    return re.sub(r"[-_.]+", "-", text).lower()


def pinned(path: Path) -> list[Requirement]:
    lines = (line.split("#")[0].strip() for line in path.read_text().splitlines())
    requirements = []
    for line in lines:
        if line.startswith("-r "):
            requirements += pinned(path.parent / line[3:].strip())
        elif line:
            requirements.append(Requirement(line))
    return requirements


def needed(roots: list[Requirement], python: str) -> set[str]:
    """Every package a fresh install on `python` takes: the roots and, from installed metadata, what each needs."""
    environment = {"python_full_version": python, "python_version": python.rsplit(".", 1)[0]}
    seen: set[tuple[str, frozenset[str]]] = set()  # a package asked for with an extra needs more than without
    todo = [(root, frozenset(root.extras)) for root in roots if not root.marker or root.marker.evaluate(environment)]
    while todo:
        requirement, extras = todo.pop()
        if (name(requirement.name), extras) in seen:
            continue
        seen.add((name(requirement.name), extras))
        try:
            requires = metadata.requires(requirement.name) or []
        except metadata.PackageNotFoundError:  # needed only on another Python: pinned, not installed here, so
            continue  # what it needs in turn is not seen (async-timeout needs nothing)
        for line in requires:
            dependency = Requirement(line)
            if not dependency.marker or any(
                dependency.marker.evaluate({**environment, "extra": extra}) for extra in extras | {""}
            ):
                todo.append((dependency, frozenset(dependency.extras)))
    return {package for package, _ in seen}


@pytest.mark.parametrize("python", ["3.11.2", "3.11.7", "3.11.14"])
def test_every_package_an_install_takes_is_pinned(python: str) -> None:
    requirements = pinned(ROOT / "requirements-dev.txt")
    versions = {name(r.name): r.specifier for r in requirements}

    assert all(len(spec) == 1 and next(iter(spec)).operator == "==" for spec in versions.values())
    assert needed(requirements, python) - set(versions) == set()


def test_a_package_asked_for_with_an_extra_brings_what_the_extra_needs_whatever_the_order() -> None:
    plain, extra = Requirement("psycopg"), Requirement("psycopg[binary]")
    assert "psycopg-binary" in needed([plain, extra], "3.11.7") & needed([extra, plain], "3.11.7")
    assert "psycopg-binary" not in needed([plain], "3.11.7")


def test_a_database_url_for_another_database_stops_the_suite_instead_of_skipping_it() -> None:
    """README invites a DATABASE_URL for the demo; left in the shell, it must not turn the suite into skips."""
    env = {**os.environ, "DATABASE_URL": "sqlite:///demo.sqlite3", "CI": "false"}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "--collect-only",
            "-q",
            "-p",
            "no:cacheprovider",
            "tests/test_fresh_machine.py",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1 and "the tests need Postgres" in result.stdout + result.stderr
