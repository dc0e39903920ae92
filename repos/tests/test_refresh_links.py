"""Bringing the names on a person's links up to date while other requests change those links."""

from __future__ import annotations

import pytest
from allauth.socialaccount.models import SocialAccount
from django.db import connection

from repos import linking
from repos.models import Link
from repos.repository import RepoSummary

DISCORD = SocialAccount(provider="discord", uid="80351110938866882", extra_data={"username": "nelly"})
ALICE = SocialAccount(provider="github", uid="1", extra_data={"login": "alice-renamed"})


def summary(repo_id: int, full_name: str) -> RepoSummary:
    owner, name = full_name.split("/")
    return RepoSummary(repo_id, owner, name, False, False, False, 0, "admin", "")


@pytest.mark.django_db
def test_a_link_re_linked_with_another_github_account_meanwhile_keeps_that_accounts_login() -> None:
    """The picker read the link (saved with alice's account); before its write, another tab linked the same
    repository again with bob's. The picker's rename of alice must not land on bob's link."""
    link = Link.objects.create(
        discord_id=DISCORD.uid,
        discord_username="nelly",
        github_id=1,
        github_login="alice",
        repo_id=7,
        repo_full_name="a/r",
    )
    relinked = []

    def relinked_before_the_write(execute, sql, params, many, context):
        if sql.startswith("UPDATE") and not relinked:
            relinked.append("the other tab")  # first: its own UPDATE passes through here too
            Link.objects.filter(pk=link.pk).update(github_id=2, github_login="bob")
        return execute(sql, params, many, context)

    with connection.execute_wrapper(relinked_before_the_write):
        linking.refresh_links(DISCORD, ALICE, [summary(7, "a/renamed")])

    link.refresh_from_db()
    assert relinked
    assert (link.github_id, link.github_login, link.repo_full_name) == (2, "bob", "a/renamed")
