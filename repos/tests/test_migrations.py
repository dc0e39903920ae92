"""Data migrations, run forwards on rows saved by the code that came before them."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("repos", "0002_linkevent"), ("socialaccount", "0006_alter_socialaccount_extra_data")]
AFTER = [("repos", "0003_discord_username_is_the_username")]


@pytest.fixture
def latest_schema_afterwards():
    """Later tests need the schema every migration makes, not the one this test stops at."""
    yield
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("latest_schema_afterwards")
def test_links_saved_with_the_display_name_get_the_username() -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    user = old.get_model("auth", "User").objects.create(username="nelly")
    old.get_model("socialaccount", "SocialAccount").objects.create(
        user=user, provider="discord", uid="80351110224678912", extra_data={"username": "nelly", "global_name": "Nelly"}
    )
    Link = old.get_model("repos", "Link")
    common = {"github_id": 1, "github_login": "octocat", "repo_full_name": "octocat/hello"}
    saved = Link.objects.create(discord_id="80351110224678912", discord_username="Nelly", repo_id=1, **common)
    stranger = Link.objects.create(discord_id="1", discord_username="Someone", repo_id=2, **common)
    old.get_model("socialaccount", "SocialAccount").objects.create(
        user=old.get_model("auth", "User").objects.create(username="nameless"),
        provider="discord",
        uid="2",
        extra_data={},
    )
    nameless = Link.objects.create(discord_id="2", discord_username="Nameless", repo_id=3, **common)

    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
    new = executor.loader.project_state(AFTER).apps.get_model("repos", "Link")

    assert new.objects.get(pk=saved.pk).discord_username == "nelly"
    assert new.objects.get(pk=saved.pk).updated_at == saved.updated_at
    assert new.objects.get(pk=stranger.pk).discord_username == "Someone"  # no account: left as it was
    assert new.objects.get(pk=nameless.pk).discord_username == "Nameless"  # no username known: left as it was


@pytest.mark.django_db
def test_every_model_change_has_its_migration() -> None:
    """A model changed without a migration would change no database: makemigrations --check exits 1 then."""
    out = io.StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out)
    assert "No changes detected" in out.getvalue()
