"""The product's own commands with Postgres down or only reading: Django prints a CommandError as one line on
stderr with exit status 1, where an operator would otherwise read through a traceback to learn the same, and the
line says what was, or was not, done."""

from __future__ import annotations

import io
import logging

import pytest
from allauth.socialaccount.models import SocialAccount
from django.contrib.admin.models import CHANGE, LogEntry
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection
from django.db.models import QuerySet

from accounts.views import avatar_key
from api.models import ApiToken
from linkapp.database import is_database_unavailable, unavailable_as_command_error
from repos import export
from repos.models import Link, LinkEvent
from tests.database_faults import read_only_database
from tests.tcp_proxy import cut_after

pytestmark = pytest.mark.django_db(transaction=True)


def test_create_api_token_with_postgres_down(postgres_proxy):
    postgres_proxy.set_mode("refuse")
    out = io.StringIO()
    with pytest.raises(CommandError) as refused:
        call_command("create_api_token", "discord-bot", stdout=out)

    assert "The database cannot be used just now (OperationalError): no token was created." in str(refused.value)
    assert out.getvalue() == ""  # no secret printed for a token that does not exist
    postgres_proxy.set_mode("pass")
    assert not ApiToken.objects.exists()


def test_create_api_token_with_a_database_that_only_reads():
    with read_only_database(), pytest.raises(CommandError) as refused:
        connection.close()  # the command's own connection is a new one, as from the shell
        call_command("create_api_token", "discord-bot", stdout=io.StringIO())

    assert "(ReadOnlySqlTransaction): no token was created." in str(refused.value)
    assert not ApiToken.objects.exists()


def test_export_links_with_postgres_down(postgres_proxy):
    postgres_proxy.set_mode("refuse")
    out = io.StringIO()
    with pytest.raises(CommandError) as refused:
        call_command("export_links", stdout=out)

    assert "The database cannot be used just now (OperationalError): the export is incomplete." in str(refused.value)
    assert out.getvalue().splitlines() == [",".join(export.COLUMNS)]  # the header alone: no row was read


def test_export_links_cut_off_half_way_says_so(postgres_proxy, monkeypatch):
    """The connection goes while rows stream out: what was written is not the whole table, and the error says
    so (a script reading the output checks the exit status)."""
    Link.objects.create(
        discord_id="1", discord_username="nelly", github_id=2, github_login="octocat", repo_id=3, repo_full_name="o/r"
    )
    cut_after(postgres_proxy, monkeypatch, export._Line, "write")  # the header is out, the rows are to come
    out = io.StringIO()
    with pytest.raises(CommandError) as refused:
        call_command("export_links", stdout=out)

    assert "(OperationalError): the export is incomplete." in str(refused.value)
    assert out.getvalue().startswith("discord_id,") and "o/r" not in out.getvalue()


def test_a_database_error_that_is_a_bug_stays_a_traceback():
    """Only an unavailable database is the one line: an IntegrityError is a bug, which wants its traceback. A real
    one, raised by the driver: Django's carries the driver's error as its cause, as a read-only refusal does."""
    ApiToken.objects.create(name="first", key_hash="same")
    with pytest.raises(IntegrityError) as raised, unavailable_as_command_error("nothing was done"):
        ApiToken.objects.create(name="second", key_hash="same")

    assert raised.value.__cause__ is not None  # psycopg's UniqueViolation
    assert not is_database_unavailable(raised.value)


def test_forget_discord_user_cut_off_half_way_removes_nothing(
    postgres_proxy, monkeypatch, django_user_model, admin_user
):
    """One transaction: a person half-forgotten, with the command saying it failed, would be asked to run it again
    on a table it already changed."""
    user = django_user_model.objects.create(username="nelly")
    SocialAccount.objects.create(user=user, provider="discord", uid="80351110224678912", extra_data={"avatar": "a1"})
    cache.set(avatar_key("80351110224678912", "a1"), (b"GIF89a", "image/gif"))
    link = Link.objects.create(
        discord_id="80351110224678912",
        discord_username="nelly",
        github_id=2,
        github_login="octocat",
        repo_id=3,
        repo_full_name="o/r",
    )
    LinkEvent.record(link, LinkEvent.Action.CREATED, "discord:80351110224678912")
    LogEntry.objects.log_actions(admin_user.pk, [user], CHANGE, change_message="Changed Active.")
    cut_after(postgres_proxy, monkeypatch, QuerySet, "delete")  # the admin history entry is deleted, then the cut
    out = io.StringIO()
    with pytest.raises(CommandError) as refused:
        call_command("forget_discord_user", "80351110224678912", stdout=out)

    assert "(OperationalError): nothing was removed." in str(refused.value)
    assert out.getvalue() == ""
    postgres_proxy.set_mode("pass")
    assert (LogEntry.objects.count(), LinkEvent.objects.count(), Link.objects.count()) == (1, 1, 1)
    assert django_user_model.objects.filter(pk=user.pk).exists() and SocialAccount.objects.filter(user=user).exists()
    assert cache.get(avatar_key("80351110224678912", "a1")) is not None  # its removal waited for a commit


def test_forget_discord_user_with_redis_down_still_removes_the_rows(redis_proxy, django_user_model, caplog):
    """The cached avatar goes once the rows are gone; Redis away just then leaves it to expire (within a day),
    with a warning, and the erasure is done and says so."""
    user = django_user_model.objects.create(username="nelly")
    SocialAccount.objects.create(user=user, provider="discord", uid="80351110224678912", extra_data={"avatar": "a1"})
    redis_proxy.set_mode("refuse")
    out = io.StringIO()
    with caplog.at_level(logging.WARNING, logger="linkapp.erasure"):
        call_command("forget_discord_user", "80351110224678912", stdout=out)

    assert out.getvalue().startswith("Removed for Discord id 80351110224678912: users: 1, connected accounts: 1,")
    assert not django_user_model.objects.filter(pk=user.pk).exists()
    (warning,) = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warning == "discord_user=forgotten avatar left in the cache (ConnectionError): it expires within a day"
