import pytest
from allauth.socialaccount.models import SocialAccount, SocialApp, SocialToken
from django.contrib import admin
from django.contrib.auth.models import Group, Permission, User
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

DISCORD_UID = "80351110224678912"


def test_the_unused_social_applications_and_tokens_pages_are_not_in_admin():
    assert SocialApp not in admin.site._registry
    assert SocialToken not in admin.site._registry


@pytest.mark.django_db
def test_an_admin_is_made_without_a_prompt_from_djangos_variables(client, monkeypatch):
    """CONTRACT.md: `python manage.py createsuperuser --noinput` with DJANGO_SUPERUSER_USERNAME, _PASSWORD, _EMAIL
    (README, "Deployment"); that admin then signs in and reviews the links."""
    monkeypatch.setenv("DJANGO_SUPERUSER_USERNAME", "root")
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "a long passphrase for the admin")
    monkeypatch.setenv("DJANGO_SUPERUSER_EMAIL", "root@example.org")

    call_command("createsuperuser", "--noinput", verbosity=0)

    admin_user = User.objects.get(username="root")
    assert (admin_user.is_superuser, admin_user.is_staff, admin_user.email) == (True, True, "root@example.org")
    assert client.login(username="root", password="a long passphrase for the admin")
    assert client.get("/admin/repos/link/").status_code == 200


@pytest.fixture
def person(db) -> User:
    user = User.objects.create(username="nelly")
    SocialAccount.objects.create(user=user, provider="discord", uid=DISCORD_UID)
    SocialAccount.objects.create(user=user, provider="github", uid="1")
    return user


def test_social_accounts_can_be_viewed_in_admin_but_not_edited_or_added(admin_client, person):
    account = SocialAccount.objects.get(provider="discord")
    url = f"/admin/socialaccount/socialaccount/{account.pk}/change/"

    assert admin_client.get(url).status_code == 200
    assert admin_client.post(url, {"user": person.pk, "provider": "discord", "uid": "1"}).status_code == 403
    assert admin_client.get("/admin/socialaccount/socialaccount/add/").status_code == 403
    account.refresh_from_db()
    assert account.uid == DISCORD_UID


def test_a_github_account_can_be_deleted_in_admin(admin_client, person):
    account = SocialAccount.objects.get(provider="github")

    admin_client.post(f"/admin/socialaccount/socialaccount/{account.pk}/delete/", {"post": "yes"})

    assert list(SocialAccount.objects.values_list("provider", flat=True)) == ["discord"]


def test_staff_delete_a_github_account_only_with_the_permission_to(client, person):
    account = SocialAccount.objects.get(provider="github")
    url = f"/admin/socialaccount/socialaccount/{account.pk}/delete/"
    reviewer = User.objects.create_user("reviewer", is_staff=True)
    reviewer.user_permissions.add(Permission.objects.get(codename="view_socialaccount"))
    client.force_login(reviewer)

    assert client.get(f"/admin/socialaccount/socialaccount/{account.pk}/change/").status_code == 200
    assert client.post(url, {"post": "yes"}).status_code == 403
    assert SocialAccount.objects.filter(pk=account.pk).exists()

    reviewer.user_permissions.add(Permission.objects.get(codename="delete_socialaccount"))
    client.post(url, {"post": "yes"})
    assert not SocialAccount.objects.filter(pk=account.pk).exists()


def test_a_discord_account_is_not_deleted_apart_from_its_user(admin_client, person):
    """Deleted alone, the person's next Discord sign-in would make a new, active user: someone whose user
    an admin deactivated could link again, and the deactivated user would be left with no way in."""
    account = SocialAccount.objects.get(provider="discord")

    page = admin_client.get(f"/admin/socialaccount/socialaccount/{account.pk}/change/")
    deleted = admin_client.post(f"/admin/socialaccount/socialaccount/{account.pk}/delete/", {"post": "yes"})
    github = SocialAccount.objects.get(provider="github")
    selected = {"action": "delete_selected", "_selected_action": [account.pk, github.pk]}
    asked = admin_client.post("/admin/socialaccount/socialaccount/", selected)
    admin_client.post("/admin/socialaccount/socialaccount/", {**selected, "post": "yes"})

    assert f"/admin/socialaccount/socialaccount/{account.pk}/delete/" not in page.content.decode()
    assert deleted.status_code == 403
    assert "Discord account (it goes with its user: delete the user)" in asked.content.decode()
    assert SocialAccount.objects.count() == 2


def test_deleting_the_user_takes_their_social_accounts_with_it(admin_client, person):
    page = admin_client.get(f"/admin/auth/user/{person.pk}/delete/")
    admin_client.post(f"/admin/auth/user/{person.pk}/delete/", {"post": "yes"})

    assert "Are you sure" in page.content.decode()
    assert not User.objects.filter(pk=person.pk).exists()
    assert not SocialAccount.objects.exists()


def test_deleting_a_selected_discord_account_says_why_instead_of_no_permission(admin_client, person):
    """The list's delete action names the reason, not a bare "no permission to delete social account"."""
    account = SocialAccount.objects.get(provider="discord")
    selected = {"action": "delete_selected", "_selected_action": [account.pk]}

    asked = admin_client.post("/admin/socialaccount/socialaccount/", selected).content.decode()

    assert "<li>Discord account (it goes with its user: delete the user)</li>" in asked
    assert "<li>social account</li>" not in asked


def test_staff_delete_a_person_with_the_permission_to_delete_their_accounts_too(client, person):
    url = f"/admin/auth/user/{person.pk}/delete/"
    staff = User.objects.create_user("moderator", is_staff=True)
    staff.user_permissions.add(*Permission.objects.filter(codename__in=["view_user", "delete_user"]))
    client.force_login(staff)

    asked = client.get(url).content.decode()
    assert "permission to delete the following types of objects" in asked and "<li>social account</li>" in asked
    assert client.post(url, {"post": "yes"}).status_code == 403
    assert User.objects.filter(pk=person.pk).exists()

    staff.user_permissions.add(Permission.objects.get(codename="delete_socialaccount"))
    client.post(url, {"post": "yes"})
    assert not User.objects.filter(pk=person.pk).exists() and not SocialAccount.objects.exists()


@pytest.mark.django_db
def test_staff_find_a_person_by_the_discord_id_their_links_carry(admin_client, django_assert_max_num_queries):
    """README, "Stopping someone": the username is the Discord name at sign-up. This person signed up as bob and
    is nelly now; the bob of today is someone else."""
    renamed = User.objects.create(username="bob")
    SocialAccount.objects.create(user=renamed, provider="discord", uid=DISCORD_UID, extra_data={"username": "nelly"})
    SocialAccount.objects.create(user=renamed, provider="github", uid="583231")
    for n in range(5):
        other = User.objects.create(username=f"bob{n}")
        SocialAccount.objects.create(user=other, provider="discord", uid=f"9{n}", extra_data={"username": "bob"})

    found = admin_client.get("/admin/auth/user/", {"q": DISCORD_UID})
    assert list(found.context["cl"].result_list) == [renamed]
    assert f'<td class="field-discord_id">{DISCORD_UID}</td>' in found.text
    assert '<td class="field-discord_handle">nelly</td>' in found.text
    with django_assert_max_num_queries(8):  # the Discord accounts of a page in one query, not one per user
        every = admin_client.get("/admin/auth/user/")
    assert every.text.count('<td class="field-discord_handle">bob</td>') == 5
    # A search through the accounts joins each user's two: still one row each.
    assert len(admin_client.get("/admin/auth/user/", {"q": "bob"}).context["cl"].result_list) == 6


@pytest.fixture
def moderator(client, db) -> User:
    """Staff given *Can change user* to deactivate people (README, "Staff roles"), signed in."""
    staff = User.objects.create_user("moderator", is_staff=True)
    staff.user_permissions.add(*Permission.objects.filter(codename__in=["view_user", "change_user"]))
    client.force_login(staff)
    return staff


def test_staff_who_may_change_users_switch_active_and_nothing_else(client, moderator, person):
    url = f"/admin/auth/user/{person.pk}/change/"
    page = client.get(url).content.decode()
    assert 'name="is_active"' in page
    assert not any(f'name="{name}"' in page for name in ["username", "is_staff", "is_superuser", "user_permissions"])

    permissions = list(Permission.objects.values_list("pk", flat=True))
    posted = {"is_staff": "on", "is_superuser": "on", "user_permissions": permissions, "username": "root"}
    with CaptureQueriesContext(connection) as queries:
        client.post(url, posted)  # Active unticked, and the rest of a full user page forged in
    # Only Active is written: the rest of the row as loaded would undo a superuser's change made meanwhile.
    (update,) = [query["sql"] for query in queries if query["sql"].startswith('UPDATE "auth_user"')]
    assert update.startswith('UPDATE "auth_user" SET "is_active" = false WHERE')
    person.refresh_from_db()
    assert (person.is_active, person.is_staff, person.is_superuser, person.username) == (False, False, False, "nelly")
    assert not person.user_permissions.exists()
    assert client.get(f"/admin/auth/user/{person.pk}/password/").status_code == 403


def test_staff_who_may_change_users_make_none(client, moderator):
    moderator.user_permissions.add(Permission.objects.get(codename="add_user"))
    made = {
        "username": "made",
        "usable_password": "true",
        "password1": "a long pass phrase",
        "password2": "a long pass phrase",
    }

    assert client.post("/admin/auth/user/add/", made).status_code == 403
    assert not User.objects.filter(username="made").exists()


def test_staff_who_may_change_and_delete_users_change_and_delete_no_staff(client, moderator, django_user_model):
    moderator.user_permissions.add(*Permission.objects.filter(codename__in=["delete_user", "delete_socialaccount"]))
    root = django_user_model.objects.create_superuser("root", password="right horse battery")
    for staff in [root, moderator]:
        assert client.post(f"/admin/auth/user/{staff.pk}/change/", {"username": staff.username}).status_code == 403
        assert client.post(f"/admin/auth/user/{staff.pk}/delete/", {"post": "yes"}).status_code == 403
        selected = {"action": "delete_selected", "_selected_action": [staff.pk], "post": "yes"}
        client.post("/admin/auth/user/", selected)
        staff.refresh_from_db()
        assert staff.is_active
        assert 'name="is_active"' not in client.get(f"/admin/auth/user/{staff.pk}/change/").content.decode()
    assert client.get(f"/admin/auth/user/{root.pk}/password/").status_code == 403


def test_a_superuser_still_edits_the_whole_user(admin_client, person):
    page = admin_client.get(f"/admin/auth/user/{person.pk}/change/").content.decode()
    assert all(f'name="{name}"' in page for name in ["username", "is_active", "is_superuser", "user_permissions"])
    assert admin_client.get(f"/admin/auth/user/{person.pk}/password/").status_code == 200


def test_only_superusers_edit_groups(client, admin_client):
    staff = User.objects.create_user("moderator", is_staff=True)
    staff.groups.add(moderators := Group.objects.create(name="moderators"))
    codenames = ["view_group", "add_group", "change_group", "delete_group"]
    staff.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    client.force_login(staff)
    every = list(Permission.objects.values_list("pk", flat=True))

    assert client.get(f"/admin/auth/group/{moderators.pk}/change/").status_code == 200  # to look at
    forged = client.post(f"/admin/auth/group/{moderators.pk}/change/", {"name": "x", "permissions": every})
    assert forged.status_code == 403 and not moderators.permissions.exists()
    assert client.post("/admin/auth/group/add/", {"name": "all", "permissions": every}).status_code == 403
    assert client.post(f"/admin/auth/group/{moderators.pk}/delete/", {"post": "yes"}).status_code == 403
    assert Group.objects.get().name == "moderators"

    admin_client.post(f"/admin/auth/group/{moderators.pk}/change/", {"name": "moderators", "permissions": every[:1]})
    assert moderators.permissions.count() == 1
