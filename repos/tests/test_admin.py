from __future__ import annotations

import csv
import io
import json

import pytest
from django.core.management import call_command

from repos import linking
from repos.models import Link, LinkEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def links():
    rows = [
        ("111", "nelly", "octocat", 1, "acme-org/rocket", True),
        ("222", "bob", "bobgh", 2, "widgets-inc/gizmo", False),
        ("333", "=cmd", "evil", 3, "evil/=HYPERLINK", False),
    ]
    return [
        Link.objects.create(
            discord_id=d, discord_username=n, github_id=i, github_login=g, repo_id=i, repo_full_name=r, repo_private=p
        )
        for d, n, g, i, r, p in rows
    ]


def test_changelist_columns_search_and_filters(admin_client, links):
    page = admin_client.get("/admin/repos/link/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "acme-org/rocket" in text and 'href="https://github.com/acme-org/rocket"' in text

    for query in ("nelly", "111", "octocat", "rocket"):  # Discord name and id, GitHub login, repository
        found = admin_client.get("/admin/repos/link/", {"q": query}).content.decode()
        assert "acme-org/rocket" in found and "widgets-inc/gizmo" not in found, query
    private = admin_client.get("/admin/repos/link/", {"repo_private__exact": "1"}).content.decode()
    assert "acme-org/rocket" in private and "widgets-inc/gizmo" not in private
    owner = admin_client.get("/admin/repos/link/", {"owner": "widgets-inc"}).content.decode()
    assert "widgets-inc/gizmo" in owner and "acme-org/rocket" not in owner


def test_identities_cannot_be_edited(admin_client, links):
    link = links[0]
    forged = {
        "discord_id": "999",
        "discord_username": "mallory",
        "github_id": "9",
        "github_login": "mallory",
        "repo_id": "5",
        "repo_full_name": "mallory/repo",
    }
    assert admin_client.post(f"/admin/repos/link/{link.pk}/change/", forged).status_code == 403
    link.refresh_from_db()
    assert (link.discord_id, link.repo_id) == ("111", 1)
    assert admin_client.get("/admin/repos/link/add/").status_code == 403


def test_csv_export(admin_client, links):
    links.append(
        Link.objects.create(
            discord_id="444",
            discord_username="\tat",
            github_id=4,
            github_login="",
            repo_id=4,
            repo_full_name="quiet/one",
        )
    )
    response = admin_client.post(
        "/admin/repos/link/", {"action": "export_csv", "_selected_action": [link.pk for link in links]}
    )
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [row["repo_full_name"] for row in rows] == [
        "acme-org/rocket",
        "widgets-inc/gizmo",
        "evil/=HYPERLINK",
        "quiet/one",
    ]
    assert rows[2]["discord_username"] == "'=cmd"  # no spreadsheet formula
    assert rows[3]["discord_username"] == "'\tat" and rows[3]["github_login"] == ""  # an empty cell stays empty


def test_delete_action_confirms_then_removes_and_audits(admin_client, admin_user, links):
    selected = {"action": "delete_selected", "_selected_action": [links[0].pk]}
    confirm = admin_client.post("/admin/repos/link/", selected)
    page = confirm.content.decode()
    assert confirm.status_code == 200 and "Are you sure" in page
    assert 'name="action" value="delete_selected"' in page  # what the confirmation form posts back
    assert Link.objects.count() == 3

    admin_client.post("/admin/repos/link/", {**selected, "post": "yes"})

    assert Link.objects.count() == 2
    event = LinkEvent.objects.get()
    assert (event.action, event.discord_id, event.repo_full_name) == ("removed", "111", "acme-org/rocket")
    assert event.actor == f"admin:{admin_user.username}"


def test_audit_trail_is_read_only(admin_client, links):
    LinkEvent.record(links[0], LinkEvent.Action.CREATED, "discord:111")
    event = LinkEvent.objects.get()
    assert admin_client.get("/admin/repos/linkevent/").status_code == 200
    assert "discord:111" in admin_client.get("/admin/repos/linkevent/").content.decode()
    assert admin_client.get("/admin/repos/linkevent/add/").status_code == 403
    assert admin_client.post(f"/admin/repos/linkevent/{event.pk}/delete/", {"post": "yes"}).status_code == 403
    assert LinkEvent.objects.count() == 1


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_export_links_command(links, fmt):
    out = io.StringIO()
    call_command("export_links", "--format", fmt, stdout=out)
    if fmt == "csv":
        names = [row["repo_full_name"] for row in csv.DictReader(io.StringIO(out.getvalue()))]
    else:
        assert out.getvalue().startswith('{\n  "links": [\n    {\n      "discord_id": "111",\n')
        names = [row["repo_full_name"] for row in json.loads(out.getvalue())["links"]]
    assert names == ["acme-org/rocket", "widgets-inc/gizmo", "evil/=HYPERLINK"]


def test_a_link_can_be_viewed_in_admin_but_not_saved(admin_client, links):
    link = links[0]
    before = link.updated_at
    page = admin_client.get(f"/admin/repos/link/{link.pk}/change/")
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()

    assert admin_client.post(f"/admin/repos/link/{link.pk}/change/", {}).status_code == 403
    link.refresh_from_db()
    assert link.updated_at == before


def test_a_link_removed_twice_at_once_is_recorded_once(links):
    # A double click, or the person and an admin at the same moment: both requests loaded the row.
    first, second = Link.objects.get(pk=links[0].pk), Link.objects.get(pk=links[0].pk)

    assert linking.unlink(first, "discord:111") is True
    assert linking.unlink(second, "admin:root") is False

    assert not Link.objects.filter(pk=links[0].pk).exists()
    assert [(e.action, e.actor) for e in LinkEvent.objects.all()] == [("removed", "discord:111")]
