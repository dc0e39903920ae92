"""The demo GitHub's accounts and repositories: generated from a login, identical in every run,
and served as copies of GitHub's published example objects."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from demo.examples import GITHUB_USER, Example

MAX_REPOS = 99_999  # repository numbers must fit below the per-owner id stride
REPO_ID_STRIDE = 100_000
ORGS = ("acme-org", "widgets-inc")
# A 15-slot cycle: 9 repos of the user, 3 of each org (60/20/20); the private slots
# 5, 10 and 15 fall on the user, acme-org and widgets-inc, so each kind has private repos.
OWNER_CYCLE = "UUAUUWUAUAWUUUW"
PERMISSION_LEVELS = ("admin", "maintain", "push", "triage", "pull")
PUSHED_EPOCH = datetime(2026, 1, 1)  # naive UTC: isoformat() + 'Z' is fast
PUSHED_SPREAD = 524_287  # prime number of minutes (< 1 year): i * 7919 % spread is distinct
LONG_FILLER = " It is deliberately long so that the app's truncation gets exercised."
OCTOCAT_SEGMENT = re.compile(r"(?<=/)octocat(?=/|$)")


@dataclass(slots=True)
class Repo:
    """The identifying facts of a generated repository; the payload is built from these."""

    id: int
    owner: str
    owner_is_org: bool
    name: str
    private: bool
    fork: bool
    archived: bool
    pushed_at: str
    description: str
    permission: str

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"


def stable_int(text: str) -> int:
    """A hash that, unlike ``hash()``, is the same in every run."""
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")


def github_account_id(login: str) -> int:
    return 1_000_000 + stable_int(f"github:{login}") % 10**9


def github_account(account: dict[str, Any], login: str, *, org: bool = False) -> dict[str, Any]:
    """Turn a fresh copy of octocat's account object into ``login``'s (in place)."""
    for key, value in account.items():
        if isinstance(value, str):
            account[key] = OCTOCAT_SEGMENT.sub(login, value)
    account_id = github_account_id(login)
    kind = "012:Organization" if org else "04:User"
    account.update(
        login=login,
        id=account_id,
        node_id=base64.b64encode(f"{kind}{account_id}".encode()).decode(),
        type="Organization" if org else "User",
    )
    return account


def github_user(login: str) -> dict[str, Any]:
    user = github_account(GITHUB_USER.copy(), login)
    user.update(name=login.title(), email=f"{login}@example.com")
    return user


def permissions(level: str) -> dict[str, bool]:
    """A full GitHub permission set: each level implies the ones below it."""
    rank = PERMISSION_LEVELS.index(level)
    return {name: index >= rank for index, name in enumerate(PERMISSION_LEVELS)}


def repo_payload(template: Example, repo: Repo) -> dict[str, Any]:
    data = template.copy()
    for key, value in data.items():
        if isinstance(value, str) and "octocat/Hello-World" in value:
            data[key] = value.replace("octocat/Hello-World", repo.full_name)
    owner = github_account(data["owner"], repo.owner, org=repo.owner_is_org)
    data.update(
        id=repo.id,
        node_id=base64.b64encode(f"010:Repository{repo.id}".encode()).decode(),
        name=repo.name,
        full_name=repo.full_name,
        owner=owner,
        private=repo.private,
        description=repo.description,
        fork=repo.fork,
        archived=repo.archived,
        visibility="private" if repo.private else "public",
        pushed_at=repo.pushed_at,
        permissions=permissions(repo.permission),
    )
    # GitHub only sends these in the full shape, and only when they apply.
    if "organization" in data:
        if repo.owner_is_org:
            data["organization"] = owner
        else:
            del data["organization"]
    if not repo.fork:
        data.pop("parent", None)
        data.pop("source", None)
    return data


def generate_repos(login: str, count: int) -> list[Repo]:
    """The repositories ``login`` can see, identical in every run."""
    repos = []
    org_seen = 0
    owners = {"U": login, "A": ORGS[0], "W": ORGS[1]}
    # Ids are unique per owner+name and stable across runs and users (hash space 10**10).
    id_base = {owner: REPO_ID_STRIDE * (1 + stable_int(f"repos:{owner}") % 10**10) for owner in owners.values()}
    for number in range(1, min(count, MAX_REPOS) + 1):
        slot = OWNER_CYCLE[(number - 1) % len(OWNER_CYCLE)]
        owner = owners[slot]
        if slot == "U":
            permission = "admin"
        else:
            permission = PERMISSION_LEVELS[org_seen % len(PERMISSION_LEVELS)]
            org_seen += 1
        description = f"Demo repository number {number}."
        if number % 13 == 0:
            description = (description + LONG_FILLER * 10)[:300]
        pushed = PUSHED_EPOCH + timedelta(minutes=number * 7919 % PUSHED_SPREAD)
        repos.append(
            Repo(
                id=id_base[owner] + number,
                owner=owner,
                owner_is_org=slot != "U",
                name=f"project-{number:04d}",
                private=number % 5 == 0,
                fork=number % 7 == 0,
                archived=number % 11 == 0,
                pushed_at=pushed.isoformat() + "Z",
                description=description,
                permission=permission,
            )
        )
    return repos


SORT_KEYS: dict[str, Callable[[Repo], str]] = {
    "full_name": lambda r: r.full_name.lower(),
    "pushed": lambda r: r.pushed_at,
    # Every repo keeps the template's created_at/updated_at, so these keep generation order.
    "created": lambda r: "",
    "updated": lambda r: "",
}
