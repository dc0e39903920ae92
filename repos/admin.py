from django.contrib import admin
from django.utils.html import format_html

from repos.models import Link


@admin.register(Link)
class LinkAdmin(admin.ModelAdmin):
    list_display = [
        "discord_username",
        "discord_id",
        "github_login",
        "repository",
        "repo_private",
        "created_at",
        "updated_at",
    ]
    list_filter = ["repo_private", "created_at"]
    search_fields = ["discord_id", "discord_username", "github_login", "repo_full_name"]
    date_hierarchy = "created_at"
    # Identities come from the providers; an admin must not be able to forge them.
    readonly_fields = [
        "discord_id",
        "discord_username",
        "github_id",
        "github_login",
        "repo_id",
        "repo_full_name",
        "repo_private",
        "created_at",
        "updated_at",
    ]

    @admin.display(description="Repository", ordering="repo_full_name")
    def repository(self, link: Link) -> str:
        return format_html('<a href="{}" rel="noopener">{}</a>', link.repo_url, link.repo_full_name)

    def has_add_permission(self, request) -> bool:
        return False
