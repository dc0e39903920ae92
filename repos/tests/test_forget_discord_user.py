"""`forget_discord_user`: an erasure request leaves nothing of the person, and everything of everyone else."""

from __future__ import annotations

import io
import logging
from datetime import timedelta

import pytest
from allauth.socialaccount.models import SocialAccount
from django.contrib.admin.models import CHANGE, DELETION, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.utils import timezone

from accounts.views import avatar_key
from api.models import ApiToken
from repos import linking
from repos.models import Link, LinkEvent

pytestmark = pytest.mark.django_db

NELLY, BOB = "80351110224678912", "80351110224678913"


def person(django_user_model, username: str, discord_id: str, github_id: str) -> object:
    user = django_user_model.objects.create(username=username)
    profile = {"username": username, "avatar": f"{username}-avatar"}
    SocialAccount.objects.create(user=user, provider="discord", uid=discord_id, extra_data=profile)
    SocialAccount.objects.create(user=user, provider="github", uid=github_id)
    cache.set(avatar_key(discord_id, f"{username}-avatar"), (b"GIF89a", "image/gif"))
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


def deleted_by_staff(admin_user, *objects) -> None:
    """As Django admin's delete action does it: the history entry first, titled with the object's str()."""
    LogEntry.objects.log_actions(admin_user.pk, objects, DELETION)
    for obj in objects:
        if isinstance(obj, Link):
            linking.unlink(obj, f"admin:{admin_user.username}")
        else:
            obj.delete()


@pytest.fixture
def people(django_user_model, admin_user):
    nelly = person(django_user_model, "nelly", NELLY, "1")
    bob = person(django_user_model, "bob", BOB, "2")
    for repo_id in (10, 11, 12):
        linked(NELLY, "nelly", repo_id)
    for repo_id in (20, 21):
        linked(BOB, "bob", repo_id)
    # Django admin's history of each person: deactivated once, a link and the GitHub account deleted by staff.
    LogEntry.objects.log_actions(admin_user.pk, [nelly, bob], CHANGE, change_message="Changed Active.")
    deleted_by_staff(admin_user, Link.objects.get(repo_id=12), Link.objects.get(repo_id=21))
    deleted_by_staff(admin_user, *SocialAccount.objects.filter(provider="github"))
    return nelly, bob


def test_everything_kept_about_the_person_goes_and_everyone_elses_stays(
    people, django_user_model, admin_user, django_capture_on_commit_callbacks
):
    out = io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("forget_discord_user", NELLY, stdout=out)

    assert out.getvalue() == (
        f"Removed for Discord id {NELLY}: users: 1, connected accounts: 1, links: 2, link events: 4, "
        "admin history entries: 3\n"
    )
    assert not django_user_model.objects.filter(username="nelly").exists()
    assert list(SocialAccount.objects.values_list("uid", flat=True)) == [BOB]
    assert list(Link.objects.values_list("discord_id", flat=True)) == [BOB]
    assert set(LinkEvent.objects.values_list("discord_id", flat=True)) == {BOB}
    assert sorted(LogEntry.objects.values_list("object_repr", flat=True)) == ["bob", "bob", "bob → bob-gh/repo21"]
    assert cache.get(avatar_key(NELLY, "nelly-avatar")) is None
    assert cache.get(avatar_key(BOB, "bob-avatar")) is not None
    assert django_user_model.objects.filter(pk=admin_user.pk).exists()


def test_history_of_other_kinds_of_objects_is_not_matched_by_id_or_title(people, admin_user):
    """An API token whose id is the user's, and whose name is theirs, is another object's history."""
    token = ApiToken.objects.create(pk=people[0].pk, name="nelly", key_hash="x")
    LogEntry.objects.log_actions(admin_user.pk, [token], CHANGE, change_message="Revoked.")

    call_command("forget_discord_user", NELLY, stdout=io.StringIO())

    assert LogEntry.objects.filter(object_id=str(token.pk), object_repr="nelly").exists()


def test_history_of_links_staff_deleted_is_found_by_the_handle_with_no_link_left(people, admin_user):
    """With every link gone, the handle comes from the Discord profile."""
    deleted_by_staff(admin_user, *Link.objects.filter(discord_id=NELLY))

    call_command("forget_discord_user", NELLY, stdout=io.StringIO())

    assert not LogEntry.objects.filter(object_repr__startswith="nelly → ").exists()
    assert LogEntry.objects.filter(object_repr="bob → bob-gh/repo21").exists()


def test_history_of_someone_who_had_the_username_or_handle_before_stays(people, admin_user):
    """Entries older than the person: an earlier "nelly", whose user and links are long gone, keeps her record."""
    earlier = [
        LogEntry.objects.create(
            user=admin_user,
            content_type=ContentType.objects.get_for_model(model),
            object_id="99",
            object_repr=title,
            action_flag=DELETION,
        )
        for model, title in ((SocialAccount, "nelly"), (Link, "nelly → nelly-gh/repo12"))
    ]
    LogEntry.objects.filter(pk__in=[e.pk for e in earlier]).update(action_time=timezone.now() - timedelta(days=400))

    call_command("forget_discord_user", NELLY, stdout=io.StringIO())

    # By the entries' own keys: the people's objects may have any id, 99 included, in a suite run in any order.
    assert LogEntry.objects.filter(pk__in=[e.pk for e in earlier]).count() == len(earlier)


def test_a_person_who_was_staff_takes_the_history_they_wrote_along_and_counts_it(people, admin_user):
    """Django deletes a user's own admin history with the user; the count says so."""
    LogEntry.objects.log_actions(people[0].pk, [people[1]], CHANGE, change_message="Changed Active.")
    out = io.StringIO()

    call_command("forget_discord_user", NELLY, stdout=out)

    assert out.getvalue().endswith("admin history entries: 4\n")
    assert not LogEntry.objects.filter(user=people[0].pk).exists()


def test_after_the_user_was_deleted_their_links_events_and_links_history_still_go(people):
    """An admin deleted the user first: the links are kept by Discord id, and name the person. The user's own
    history (a deactivation under their username) is tied to the Discord id no more, and stays, as README says."""
    people[0].delete()

    call_command("forget_discord_user", NELLY, stdout=io.StringIO())

    assert not Link.objects.filter(discord_id=NELLY).exists()
    assert not LinkEvent.objects.filter(discord_id=NELLY).exists()
    assert not LogEntry.objects.filter(object_repr="nelly → nelly-gh/repo12").exists()
    assert LogEntry.objects.filter(object_repr="nelly", change_message="Changed Active.").exists()


def test_a_second_run_finds_nothing_and_says_so(people):
    call_command("forget_discord_user", NELLY, stdout=io.StringIO())
    out = io.StringIO()
    call_command("forget_discord_user", NELLY, stdout=out)

    assert out.getvalue() == f"Nothing is kept about Discord id {NELLY}.\n"
    assert Link.objects.filter(discord_id=BOB).count() == 1


def test_the_log_line_counts_without_naming_the_person(people, caplog):
    with caplog.at_level(logging.INFO, logger="linkapp.erasure"):
        call_command("forget_discord_user", NELLY, stdout=io.StringIO())

    (line,) = [r.getMessage() for r in caplog.records if "forgotten" in r.getMessage()]
    assert line == "discord_user=forgotten users=1 connected_accounts=1 links=2 link_events=4 admin_history_entries=3"
    assert NELLY not in caplog.text and "nelly" not in caplog.text


@pytest.mark.parametrize("given", ["nelly", "8035 1110", "", "1" * 33])
def test_anything_but_a_discord_id_is_refused_and_nothing_removed(people, given):
    with pytest.raises(CommandError, match="is not a Discord id"):
        call_command("forget_discord_user", given, stdout=io.StringIO())

    assert Link.objects.filter(discord_id=NELLY).count() == 2
