"""The token table as an instance still on older code meets it while `migrate` has already run."""

from __future__ import annotations

import pytest
from django.db import connection


@pytest.mark.django_db
def test_an_instance_on_older_code_can_still_issue_a_token_mid_deploy() -> None:
    """A token issued without `revoked_by` (added in 0004), as `create_api_token` on older code does."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO api_apitoken (name, key_hash, created_at) VALUES ('bot', %s, now()) RETURNING revoked_by",
            ["0" * 64],
        )
        assert cursor.fetchone() == ("",)
