"""Links written straight to the database, for tests that read links rather than make them through the wizard."""

from __future__ import annotations

from repos.models import Link


def make_link(discord_id: str, repo_id: int, name: str = "acme/rocket") -> Link:
    return Link.objects.create(
        discord_id=discord_id,
        discord_username=f"user-{discord_id}",
        github_id=7,
        github_login="octo",
        repo_id=repo_id,
        repo_full_name=name,
    )
