from __future__ import annotations

from django.conf import settings
from django.db import models


class Link(models.Model):
    """A Discord user linked to one of their GitHub repositories. Never holds a token."""

    # Looked up through unique_discord_repo's index, which starts with it.
    discord_id = models.TextField(help_text="Discord snowflake")
    discord_username = models.CharField(max_length=100)
    github_id = models.BigIntegerField()
    github_login = models.CharField(max_length=100)
    repo_id = models.BigIntegerField(db_index=True, help_text="GitHub repository id")
    repo_full_name = models.CharField(max_length=200, help_text="owner/name")
    repo_private = models.BooleanField("private repository", default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    # Names and visibility are brought up to date with update(), which leaves it: it is the time of linking.
    updated_at = models.DateTimeField("last linked", auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["discord_id", "repo_id"], name="unique_discord_repo"),
        ]
        indexes = [
            # The admin's list, newest first (the admin adds -id for a stable order): a page of it reads
            # a page of this index, not every link sorted.
            models.Index(fields=["-updated_at", "-id"], name="link_newest_first"),
            # The admin's date drill-down (its first and last date) and its "created" filter.
            models.Index(fields=["created_at"], name="link_created_at"),
        ]
        ordering = ["-updated_at"]

    def __str__(self) -> str:
        return f"{self.discord_username} → {self.repo_full_name}"

    @property
    def repo_url(self) -> str:
        return f"{settings.GITHUB_URL}/{self.repo_full_name}"


class LinkEvent(models.Model):
    """The audit trail: every link created, re-linked or removed, by whom. Kept when the link goes."""

    class Action(models.TextChoices):
        CREATED = "created"
        RELINKED = "relinked"
        REMOVED = "removed"

    link = models.ForeignKey(Link, null=True, blank=True, on_delete=models.SET_NULL, related_name="events")
    action = models.CharField(max_length=16, choices=Action.choices)
    discord_id = models.TextField(db_index=True)
    repo_id = models.BigIntegerField()
    repo_full_name = models.CharField(max_length=200)
    # The GitHub account that vouched for the link (the Link row keeps only the latest). Empty on events from
    # before it was recorded; defaults in the database too, for instances still running older code mid-deploy.
    github_id = models.BigIntegerField(null=True, blank=True)
    github_login = models.CharField(max_length=100, blank=True, db_default="")
    # "admin:" and a username of up to 150 characters (Django's limit).
    actor = models.CharField(max_length=160, help_text='"discord:<id>" for the person, "admin:<username>" for staff')
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.action} {self.repo_full_name} for {self.discord_id} by {self.actor}"

    @classmethod
    def record(cls, link: Link, action: str, actor: str) -> LinkEvent:
        return cls.objects.create(
            link=None if action == cls.Action.REMOVED else link,
            action=action,
            discord_id=link.discord_id,
            repo_id=link.repo_id,
            repo_full_name=link.repo_full_name,
            github_id=link.github_id,
            github_login=link.github_login,
            actor=actor,
        )
