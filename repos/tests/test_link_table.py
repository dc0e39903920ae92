"""The tables as other tools and older instances meet them: `repos_link` as CONTRACT.md ("Data") fixes it,
and the audit trail's columns added since."""

from __future__ import annotations

import pytest
from django.db import connection


@pytest.mark.django_db
def test_the_link_table_has_the_columns_and_key_other_tools_read() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'repos_link'")
        types = dict(cursor.fetchall())
        constraints = connection.introspection.get_constraints(cursor, "repos_link")

    assert {name: types.get(name) for name in ("discord_id", "github_id", "repo_id")} == {
        "discord_id": "text",
        "github_id": "bigint",
        "repo_id": "bigint",
    }
    assert {"discord_username", "github_login", "repo_full_name", "created_at", "updated_at"} <= set(types)
    assert not {name for name in types if "token" in name}
    assert any(c["unique"] and c["columns"] == ["discord_id", "repo_id"] for c in constraints.values())


@pytest.mark.django_db
def test_an_instance_on_older_code_can_still_record_an_event_mid_deploy() -> None:
    """`migrate` runs before every instance has the new code: an event written without the GitHub account
    (added in 0008) still goes in."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO repos_linkevent (action, discord_id, repo_id, repo_full_name, actor, at) "
            "VALUES ('removed', '1', 2, 'acme-org/rocket', 'admin:root', now()) RETURNING github_id, github_login"
        )
        assert cursor.fetchone() == (None, "")
