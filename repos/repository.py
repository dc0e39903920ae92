"""A GitHub repository as the picker shows it and a link checks it: what we keep of GitHub's repository object,
GitHub's permission levels, and the cut of a long description."""

from __future__ import annotations

import unicodedata
from datetime import datetime
from typing import NamedTuple

from django.db.models import BigIntegerField

from linkapp import providers
from linkapp.providers import ProviderError
from repos.models import Link

# GitHub's permission levels, weakest first, as its API (and LINK_MIN_PERMISSION) names them,
# and as its own pages name them to people.
PERMISSIONS = ("pull", "triage", "push", "maintain", "admin")
ACCESS_NAMES = {"pull": "read", "triage": "triage", "push": "write", "maintain": "maintain", "admin": "admin"}
# GitHub's own longest description: kept whole, for search (the picker shows the first 140 characters).
# Longer is a server that is not GitHub, and is cut.
DESCRIPTION_LIMIT = 350
SHOWN_DESCRIPTION = 140


def is_github_id(value: object) -> bool:
    """GitHub's ids are JSON integers: 1.9 would be truncated to another id, 1e400 and true are no ids."""
    return type(value) is int and 1 <= value <= BigIntegerField.MAX_BIGINT  # the Link table's columns


def permissions_at_least(min_permission: str) -> tuple[str, ...]:
    """The permissions that allow linking, given LINK_MIN_PERMISSION."""
    return PERMISSIONS[PERMISSIONS.index(min_permission) :]


class RepoSummary(NamedTuple):
    """A NamedTuple: a list of 10,000 decodes in a few milliseconds, and it encodes as a plain row."""

    id: int
    owner: str
    name: str
    private: bool
    fork: bool
    archived: bool
    pushed_at: int  # Unix time, 0 when never pushed
    permission: str  # the person's highest permission, one of PERMISSIONS
    description: str

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"

    @property
    def access(self) -> str:
        return ACCESS_NAMES[self.permission]

    @property
    def shown_description(self) -> str:
        """What the picker shows of the description. Not the template's `truncatechars`: its care for
        combining characters took 3.8 ms for a page of 50 long descriptions (BENCHMARKS.md), this 0.03 ms."""
        return shorten(self.description, SHOWN_DESCRIPTION)

    def allows(self, min_permission: str) -> bool:
        return self.permission in permissions_at_least(min_permission)

    def refusal(self, min_permission: str) -> str:
        """Why this person may not link it, in GitHub's words for the levels."""
        return f"You need at least {ACCESS_NAMES[min_permission]} access to {self.full_name} to link it."

    @classmethod
    def from_github(cls, repo: dict) -> RepoSummary:
        """GitHub's repository object, reduced; one we cannot read is GitHub's error, not a crash."""
        try:
            return cls._from_github(repo)
        except (AttributeError, KeyError, TypeError, ValueError) as exc:
            raise ProviderError("GitHub", "a repository we cannot read") from exc

    @classmethod
    def _from_github(cls, repo: dict) -> RepoSummary:
        granted = repo.get("permissions") or {}
        permission = next((p for p in reversed(PERMISSIONS) if granted.get(p)), "pull")
        pushed = repo.get("pushed_at")
        full_name, description = repo["full_name"], repo.get("description") or ""
        if not is_github_id(repo["id"]):
            raise ValueError("not a repository id")
        if not isinstance(description, str):
            raise TypeError("not a description")  # stored, it would fail every search of the list
        if len(full_name) > Link._meta.get_field("repo_full_name").max_length:  # GitHub's longest is 140
            raise ValueError("a name longer than a link holds")
        if not providers.storable(full_name):
            raise ValueError("a name Postgres cannot keep")
        owner, _, name = full_name.partition("/")
        return cls(
            id=repo["id"],
            owner=owner,
            name=name,
            private=bool(repo.get("private")),
            fork=bool(repo.get("fork")),
            archived=bool(repo.get("archived")),
            pushed_at=int(datetime.fromisoformat(pushed).timestamp()) if pushed else 0,
            permission=permission,
            description=shorten(description),
        )


def shorten(text: str, limit: int = DESCRIPTION_LIMIT) -> str:
    """At most `limit` characters; a cut one ends in "…", so no one reads it as whole. The cut does not fall
    inside the characters descriptions commonly hold: é would be shown as e, a flag or a joined emoji as a stray
    part. (Korean and Indic letters built of several code points are left to the cut.)"""
    if len(text) <= limit:
        return text
    cut = limit - 1
    while cut > 0 and _continues_character(text, cut):
        cut -= 1
    return (text[:cut].rstrip() or text[: limit - 1]) + "…"  # nothing but accents: cut anyway


def _continues_character(text: str, i: int) -> bool:
    """Whether text[i] belongs to the character that text[i - 1] begins or continues."""
    char, before = text[i], text[i - 1]
    # Accents and other marks, the emoji or text presentation selectors among them; after the zero-width joiner.
    if unicodedata.category(char) in ("Mn", "Mc", "Me") or char == "\u200d" or before == "\u200d":
        return True
    # A skin tone, part of the emoji before it; the tag letters of England's, Scotland's and Wales' flags.
    if "\U0001f3fb" <= char <= "\U0001f3ff" or "\U000e0020" <= char <= "\U000e007f":
        return True
    if not _is_flag_letter(char):
        return False
    flag_letters = 0  # a flag is a pair of regional indicator letters: after an odd run, text[i] ends a pair
    while i - flag_letters > 0 and _is_flag_letter(text[i - flag_letters - 1]):
        flag_letters += 1
    return flag_letters % 2 == 1


def _is_flag_letter(char: str) -> bool:
    return "\U0001f1e6" <= char <= "\U0001f1ff"
