"""The API's tokens: issued by the command, read from the header, revoked in the admin (never deleted),
rotated, their last use stamped, their requests and refusals rate-limited."""

from __future__ import annotations

import hashlib
import io
import logging
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Permission, User
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.db import ProgrammingError
from django.db.models import QuerySet
from django.utils import timezone

import api.admin
import api.auth
from api.models import STAMPS_PAUSED, ApiToken, digest
from api.tests.calls import get

pytestmark = pytest.mark.django_db


def revoke(client, token_pk: int, **kwargs):
    """The admin's "Revoke" action on one token, as the list page posts it."""
    return client.post("/admin/api/apitoken/", {"action": "revoke", "_selected_action": [token_pk]}, **kwargs)


def test_the_token_is_printed_and_only_its_hash_is_stored(token):
    stored = ApiToken.objects.get(name="discord-bot")
    assert token.startswith("lk_") and len(token) >= 3 + 43  # 32 random bytes, URL-safe base64
    assert stored.key_hash == hashlib.sha256(token.encode()).hexdigest()
    row = ApiToken.objects.filter(pk=stored.pk).values().get()
    assert not [column for column, value in row.items() if token in str(value)]


@pytest.mark.parametrize("spaces", ["  ", "   "])
def test_the_token_may_follow_the_scheme_after_more_than_one_space(client, token, spaces):
    """RFC 6750 2.1 takes one or more spaces between "Bearer" and the token."""
    response = client.get("/api/v1/links", {"discord_id": "1"}, HTTP_AUTHORIZATION=f"Bearer{spaces}{token}")
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("header", "challenge"),
    [
        (None, 'Bearer realm="linkapp"'),
        ("Basic abc", 'Bearer realm="linkapp"'),
        ("Bearer ", 'Bearer realm="linkapp"'),
        ("Bearer wrong", 'Bearer realm="linkapp", error="invalid_token"'),
    ],
)
def test_a_refused_token_is_told_apart_from_none_in_the_challenge(client, header, challenge):
    """RFC 6750 3.1: a token sent and refused gets error="invalid_token"; a request without one, no error code."""
    extra = {"HTTP_AUTHORIZATION": header} if header else {}
    assert client.get("/api/v1/links", {"discord_id": "1"}, **extra)["WWW-Authenticate"] == challenge


@pytest.mark.parametrize("header", [None, "Bearer wrong", "Basic abc", "Bearer "])
def test_missing_or_wrong_token_is_401_json(client, header):
    extra = {"HTTP_AUTHORIZATION": header} if header else {}
    response = client.get("/api/v1/links", {"discord_id": "1"}, **extra)
    assert response.status_code == 401
    assert response.json()["detail"]
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_header_of_another_scheme_is_never_logged(client, settings, caplog):
    settings.DEBUG = True  # ninja's own check logs the whole header under DEBUG
    response = client.get("/api/v1/links", {"discord_id": "1"}, HTTP_AUTHORIZATION="Basic c2VjcmV0LXZhbHVl")
    assert response.status_code == 401
    assert "c2VjcmV0LXZhbHVl" not in caplog.text


def test_issuing_and_revoking_a_token_is_logged_outside_the_database(admin_client, caplog):
    """A restore from a backup undoes the database's record; the log says what to revoke again."""
    caplog.set_level(logging.INFO, logger="linkapp.api")
    out = io.StringIO()
    call_command("create_api_token", "discord-bot", stdout=out)
    stored = ApiToken.objects.get()
    revoke(admin_client, stored.pk)

    lines = [r.getMessage() for r in caplog.records if r.name == "linkapp.api"]
    assert lines == [
        f"api_token=issued id={stored.pk} name=discord-bot",
        f"api_token=revoked id={stored.pk} name=discord-bot by=admin",
    ]
    assert out.getvalue().strip() not in caplog.text


def test_a_revocation_is_in_admin_history_and_needs_the_change_permission(client, token, admin_client):
    viewer = User.objects.create_user("viewer", password="pw", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_apitoken"))
    client.force_login(viewer)
    stored = ApiToken.objects.get()

    assert 'value="revoke"' not in client.get("/admin/api/apitoken/").content.decode()
    revoke(client, stored.pk)
    stored.refresh_from_db()
    assert stored.revoked_at is None

    revoke(admin_client, stored.pk)
    stored.refresh_from_db()
    assert stored.revoked_at is not None
    entry = LogEntry.objects.get(object_id=str(stored.pk))
    assert entry.user.username == "admin" and entry.get_change_message() == "Revoked."
    assert get(client, token, discord_id="1").status_code == 401

    User.objects.get(username="admin").delete()  # admin's history goes with the account; the token's own record stays
    stored.refresh_from_db()
    assert not LogEntry.objects.exists() and stored.revoked_by == "admin"


def test_a_token_page_is_for_viewing_and_the_action_for_revoking(client, token):
    """A Save on the token's page would write back the row as loaded, un-revoking a token revoked meanwhile."""
    staff = User.objects.create_user("keeper", password="pw", is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="change_apitoken"))
    client.force_login(staff)
    stored = ApiToken.objects.get()

    page = client.get(f"/admin/api/apitoken/{stored.pk}/change/")
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    assert client.post(f"/admin/api/apitoken/{stored.pk}/change/", {}).status_code == 403

    revoke(client, stored.pk)
    stored.refresh_from_db()
    assert stored.revoked_at is not None


def test_a_second_token_for_a_name_rotates_without_downtime(client, token):
    out, err = io.StringIO(), io.StringIO()
    call_command("create_api_token", "discord-bot", stdout=out, stderr=err)
    new = out.getvalue().strip()

    assert new != token and "2 live tokens" in err.getvalue()
    call_command("create_api_token", " discord-bot ", stdout=io.StringIO(), stderr=err)
    assert "3 live tokens" in err.getvalue() and set(ApiToken.objects.values_list("name", flat=True)) == {"discord-bot"}
    assert get(client, token, discord_id="1").status_code == 200  # the old one works until revoked
    assert get(client, new, discord_id="1").status_code == 200
    ApiToken.objects.filter(key_hash=digest(token)).update(revoked_at=timezone.now())
    assert get(client, token, discord_id="1").status_code == 401
    assert get(client, new, discord_id="1").status_code == 200


def test_a_new_token_after_the_old_one_was_revoked_is_not_a_rotation(token):
    ApiToken.objects.update(revoked_at=timezone.now())
    out, err = io.StringIO(), io.StringIO()

    call_command("create_api_token", "discord-bot", stdout=out, stderr=err)

    assert out.getvalue().strip().startswith("lk_")
    assert err.getvalue() == ""


def test_last_use_is_recorded_to_the_minute(client, token):
    assert ApiToken.objects.get().last_used_at is None
    get(client, token, discord_id="1")
    first = ApiToken.objects.get().last_used_at
    assert first is not None
    get(client, token, discord_id="1")
    assert ApiToken.objects.get().last_used_at == first  # not a write per request
    ApiToken.objects.update(last_used_at=first - timedelta(seconds=50))
    get(client, token, discord_id="1")
    assert ApiToken.objects.get().last_used_at == first - timedelta(seconds=50)  # within the minute
    ApiToken.objects.update(last_used_at=first - timedelta(seconds=61))
    get(client, token, discord_id="1")
    assert ApiToken.objects.get().last_used_at > first


def test_last_use_is_recorded_on_the_token_used_only(client, token):
    """Whether an old token is still in use is what tells an admin it can be revoked after a rotation."""
    other, _ = ApiToken.issue("discord-bot")

    get(client, token, discord_id="1")

    other.refresh_from_db()
    assert ApiToken.objects.get(key_hash=digest(token)).last_used_at is not None
    assert other.last_used_at is None


def test_tokens_are_listed_by_name_and_the_newest_of_a_name_first():
    old, _ = ApiToken.issue("discord-bot")
    ci, _ = ApiToken.issue("ci-reporter")
    new, _ = ApiToken.issue("discord-bot")

    assert list(ApiToken.objects.all()) == [ci, new, old]


def test_tokens_are_revoked_never_deleted(admin_client, token):
    api_token = ApiToken.objects.get()
    assert admin_client.get(f"/admin/api/apitoken/{api_token.pk}/delete/").status_code == 403
    assert 'value="delete_selected"' not in admin_client.get("/admin/api/apitoken/").content.decode()


def test_tokens_are_issued_by_the_command_not_added_in_admin(admin_client):
    """A row added in admin would have no secret to hand over: `create_api_token` is the one way to make one."""
    assert admin_client.get("/admin/api/apitoken/add/").status_code == 403
    assert admin_client.post("/admin/api/apitoken/add/", {"name": "discord-bot"}).status_code == 403
    assert not ApiToken.objects.exists()


def test_tokens_are_found_by_name_in_admin(admin_client):
    ApiToken.issue("discord-bot")
    ApiToken.issue("ci-reporter")

    found = admin_client.get("/admin/api/apitoken/", {"q": "discord"}).content.decode()

    assert "discord-bot" in found and "ci-reporter" not in found


@pytest.mark.parametrize("name", ["", "   ", "x" * 101])
def test_a_token_needs_a_name_that_fits(name):
    with pytest.raises(CommandError, match="1 to 100 characters"):
        call_command("create_api_token", name, stdout=io.StringIO())
    assert not ApiToken.objects.exists()


@pytest.mark.parametrize("name", ["x", "x" * 100], ids=["1-character", "100-characters"])
def test_a_name_of_one_to_100_characters_is_taken(name):
    call_command("create_api_token", name, stdout=io.StringIO())
    assert ApiToken.objects.get().name == name


def test_rate_limited_per_token(client, token, settings):
    settings.API_RATE_LIMIT = "3/h"  # an hour's window: a run never straddles its edge
    statuses = [get(client, token, discord_id="1").status_code for _ in range(4)]
    _, other = ApiToken.issue("ci")
    assert statuses == [200, 200, 200, 429]
    refused = get(client, token, discord_id="1")
    assert refused.status_code == 429 and 0 < int(refused["Retry-After"]) <= 3600
    assert get(client, other, discord_id="1").status_code == 200


def test_refused_tokens_are_limited_per_address(client, token, settings):
    settings.LOGIN_RATE_LIMIT = "2/h"
    statuses = [get(client, "not-a-token", discord_id="1").status_code for _ in range(4)]
    assert statuses == [401, 401, 429, 429]
    refused = get(client, "not-a-token", discord_id="1")
    assert refused.status_code == 429 and 0 < int(refused["Retry-After"]) <= 3600
    assert refused.json() == {"detail": "Too many refused tokens from this address; check the token."}
    # A valid token from the same address (a service behind the same NAT) is not locked out.
    assert get(client, token, discord_id="1").status_code == 200


@pytest.mark.parametrize("refused", [False, True], ids=["token", "refused-tokens"])
def test_a_limit_in_the_last_second_of_its_window_says_a_second(
    client, token, monkeypatch, last_second_of_a_window, refused
):
    """Not "Retry-After: 0", which a client would read as "now"."""
    monkeypatch.setattr(api.auth, "get_usage", lambda *args, **kwargs: last_second_of_a_window)
    response = get(client, "lk_wrong" if refused else token, discord_id="1")
    assert response.status_code == 429 and response["Retry-After"] == "1"


def test_a_bug_in_the_last_use_stamp_is_a_500_not_a_pause(client, token, monkeypatch):
    """Only an unavailable database pauses the stamps: an SQL error of ours is a bug to see, not a warning."""
    update = QuerySet.update

    def broken_for_tokens(queryset, **fields):
        if queryset.model is ApiToken:
            raise ProgrammingError("a bug")
        return update(queryset, **fields)

    monkeypatch.setattr(QuerySet, "update", broken_for_tokens)
    client.raise_request_exception = False
    response = get(client, token, discord_id="1")

    assert response.status_code == 500 and response.json() == {"detail": "Internal error."}
    assert cache.get(STAMPS_PAUSED) is None


def test_revoking_says_how_many_and_warns_when_none_was_left_to_revoke(token, admin_client):
    stored = ApiToken.objects.get()
    action = {"action": "revoke", "_selected_action": [stored.pk]}

    first = admin_client.post("/admin/api/apitoken/", action, follow=True)
    again = admin_client.post("/admin/api/apitoken/", action, follow=True)

    assert [(m.level_tag, m.message) for m in first.context["messages"]] == [("info", "Revoked 1 token.")]
    assert [(m.level_tag, m.message) for m in again.context["messages"]] == [
        ("warning", "The selected tokens were already revoked.")
    ]


def test_of_two_staff_revoking_at_once_the_first_is_recorded(token, admin_client, monkeypatch):
    """Another admin's revocation lands between this action's read of the token and its write."""
    stored = ApiToken.objects.get()
    first = timezone.now() - timedelta(seconds=5)

    def revoked_by_alice_meanwhile():
        ApiToken.objects.filter(pk=stored.pk).update(revoked_at=first, revoked_by="alice")
        return timezone.now()

    monkeypatch.setattr(api.admin, "timezone", SimpleNamespace(now=revoked_by_alice_meanwhile))
    page = revoke(admin_client, stored.pk, follow=True)

    stored.refresh_from_db()
    assert (stored.revoked_by, stored.revoked_at) == ("alice", first)
    assert not LogEntry.objects.filter(change_message="Revoked.").exists()
    assert [m.message for m in page.context["messages"]] == ["The selected tokens were already revoked."]
