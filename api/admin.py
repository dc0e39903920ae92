import logging

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import ngettext

from api.models import ApiToken

# Besides admin's history, in the database: after a restore from a backup, the log still says which tokens were
# revoked since (and work again) and which were issued since (and are gone).
log = logging.getLogger("linkapp.api")


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """List and revoke tokens; new ones come from `manage.py create_api_token NAME` (shown once)."""

    list_display = ["name", "created_at", "last_used_at", "revoked_at", "revoked_by"]
    list_filter = ["revoked_at"]
    search_fields = ["name"]
    readonly_fields = ["name", "created_at", "last_used_at", "revoked_at", "revoked_by"]
    actions = ["revoke"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: ApiToken | None = None) -> bool:
        # Revoked, never deleted: the record of a token and its last use outlives it.
        return False

    def has_change_permission(self, request: HttpRequest, obj: ApiToken | None = None) -> bool:
        # Every field is read-only, and a Save would write back the whole row as it was loaded,
        # un-revoking a token revoked meanwhile: the page is for viewing, the action for revoking.
        return False

    def has_revoke_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("api.change_apitoken")

    @admin.action(description="Revoke selected tokens", permissions=["revoke"])
    def revoke(self, request: HttpRequest, queryset: QuerySet) -> None:
        """Only for staff who may change tokens; each revocation goes into admin's history."""
        revoked = 0
        for token in queryset.filter(revoked_at__isnull=True):
            # Only if still live as it is written: of two staff revoking at once, the first is recorded.
            if ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
                revoked_at=timezone.now(), revoked_by=request.user.get_username()
            ):
                self.log_change(request, token, "Revoked.")
                log.info("api_token=revoked id=%s name=%s by=%s", token.pk, token.name, request.user.get_username())
                revoked += 1
        if revoked:
            self.message_user(request, ngettext("Revoked %d token.", "Revoked %d tokens.", revoked) % revoked)
        else:
            self.message_user(request, "The selected tokens were already revoked.", messages.WARNING)
