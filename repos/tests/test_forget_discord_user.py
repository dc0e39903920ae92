"""`forget_discord_user`: an erasure request leaves nothing of the person, and everything of everyone else."""

from __future__ import annotations

import io
import logging

import pytest
from allauth.socialaccount.models import SocialAccount
from django.contrib.admin.models import CHANGE, LogEntry
from django.core.management import CommandError, call_command

from repos import linking
from repos.models import Link, LinkEvent

pytestmark = pytest.mark.django_db

NELLY, BOB = "80351110224678912", "80351110224678913"


def person(django_user_model, username: str, discord_id: str, github_id: str) -> object:
    user = django_user_model.objects.create(username=username)
    SocialAccount.objects.create(user=user, provider="discord", uid=discord_id)
    SocialAccount.objects.create(user=user, provider="github", uid=github_id)
    return user


def linked(discord_id: str, username: str, repo_id: int) -> Link:
    link = Link.objects.create(
        discord_id=discord_id,
        discord_username=username,
        github_id=repo_id,
        github_login=f"{username}-gh",
        repo_id=repo_id,
        repo_full_name=f"{username}-gh/repo{repo_id}",
    )
    LinkEvent.record(link, LinkEvent.Action.CREATED, f"discord:{discord_id}")
    return link


@pytest.fixture
def people(django_user_model, admin_user):
    nelly = person(django_user_model, "nelly", NELLY, "1")
    bob = person(django_user_model, "bob", BOB, "2")
    for repo_id in (10, 11, 12):
        linked(NELLY, "nelly", repo_id)
    linked(BOB, "bob", 20)
    linking.unlink(Link.objects.get(repo_id=12), f"admin:{admin_user.username}")  # an event without its link
    # Django admin's history: each person deactivated once.
    LogEntry.objects.log_actions(admin_user.pk, [nelly, bob], CHANGE, change_message="Changed Active.")
    return nelly, bob


def test_everything_kept_about_the_person_goes_and_everyone_elses_stays(people, django_user_model, admin_user):
    out = io.StringIO()
    call_command("forget_discord_user", NELLY, stdout=out)

    assert out.getvalue() == (
        f"Removed for Discord id {NELLY}: users: 1, connected accounts: 2, links: 2, link events: 4, "
        "admin history entries: 1\n"
    )
    assert not django_user_model.objects.filter(username="nelly").exists()
    assert set(SocialAccount.objects.values_list("uid", flat=True)) == {BOB, "2"}
    assert list(Link.objects.values_list("discord_id", flat=True)) == [BOB]
    assert set(LinkEvent.objects.values_list("discord_id", flat=True)) == {BOB}
    assert list(LogEntry.objects.values_list("object_repr", flat=True)) == ["bob"]
    assert django_user_model.objects.filter(pk=admin_user.pk).exists()


def test_links_and_events_left_after_the_user_was_deleted_go_too(people):
    """An admin deleted the user first, as README's earlier advice went: the links are kept by Discord id."""
    people[0].delete()

    call_command("forget_discord_user", NELLY, stdout=io.StringIO())

    assert not Link.objects.filter(discord_id=NELLY).exists()
    assert not LinkEvent.objects.filter(discord_id=NELLY).exists()


def test_the_person_made_again_by_a_sign_in_is_a_new_user(people, django_user_model):
    call_command("forget_discord_user", NELLY, stdout=io.StringIO())
    again = person(django_user_model, "nelly", NELLY, "1")

    assert again.pk != people[0].pk
    assert not Link.objects.filter(discord_id=NELLY).exists()


def test_a_second_run_finds_nothing_and_says_so(people):
    call_command("forget_discord_user", NELLY, stdout=io.StringIO())
    out = io.StringIO()
    call_command("forget_discord_user", NELLY, stdout=out)

    assert out.getvalue() == f"Nothing is kept about Discord id {NELLY}.\n"
    assert Link.objects.filter(discord_id=BOB).count() == 1


def test_the_log_line_counts_without_naming_the_person(people, caplog):
    with caplog.at_level(logging.INFO, logger="linkapp.wizard"):
        call_command("forget_discord_user", NELLY, stdout=io.StringIO())

    (line,) = [r.getMessage() for r in caplog.records if "forgotten" in r.getMessage()]
    assert line == ("discord_user=forgotten users=1 connected_accounts=2 links=2 link_events=4 admin_history_entries=1")
    assert NELLY not in caplog.text and "nelly" not in caplog.text


@pytest.mark.parametrize("given", ["nelly", "8035 1110", "", "1" * 33])
def test_anything_but_a_discord_id_is_refused_and_nothing_removed(people, given):
    with pytest.raises(CommandError, match="is not a Discord id"):
        call_command("forget_discord_user", given, stdout=io.StringIO())

    assert Link.objects.filter(discord_id=NELLY).count() == 2
