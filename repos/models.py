from django.conf import settings
from django.db import models


class Link(models.Model):
    """A Discord user linked to one of their GitHub repositories. Never holds a token."""

    discord_id = models.CharField(max_length=32, db_index=True, help_text="Discord snowflake")
    discord_username = models.CharField(max_length=100)
    github_id = models.BigIntegerField()
    github_login = models.CharField(max_length=100)
    repo_id = models.BigIntegerField(db_index=True, help_text="GitHub repository id")
    repo_full_name = models.CharField(max_length=200, help_text="owner/name")
    repo_private = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["discord_id", "repo_id"], name="unique_discord_repo"),
        ]
        ordering = ["-updated_at"]

    def __str__(self) -> str:
        return f"{self.discord_username} → {self.repo_full_name}"

    @property
    def repo_url(self) -> str:
        return f"{settings.GITHUB_URL}/{self.repo_full_name}"
