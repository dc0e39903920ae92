from collections.abc import Iterable

from allauth.socialaccount.admin import SocialAccountAdmin
from allauth.socialaccount.models import SocialAccount, SocialApp, SocialToken
from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group, User
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch, QuerySet
from django.forms import ModelForm
from django.http import HttpRequest, HttpResponse

from accounts import identity

# The OAuth apps are configured from the environment (README.md, "Configuration"); rows added
# here would be ignored (accounts/adapters.py, SocialAccountAdapter.list_apps). Tokens are never
# stored (SOCIALACCOUNT_STORE_TOKENS is off), so their table stays empty.
admin.site.unregister(SocialApp)
admin.site.unregister(SocialToken)
admin.site.unregister(SocialAccount)


@admin.register(SocialAccount)
class ReadOnlySocialAccountAdmin(SocialAccountAdmin):
    """Identities come from Discord and GitHub: staff may look, and delete GitHub accounts, never edit or add.
    A changed uid would hand a person's links and wizard to someone else."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: SocialAccount | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: SocialAccount | None = None) -> bool:
        """A Discord account goes only with its user (deleting the user asks this too, on the user's page).
        Deleted alone, the person's next sign-in would make a new, active user: someone an admin deactivated
        could link again."""
        opts = self.opts
        on_these_pages = (getattr(request.resolver_match, "url_name", None) or "").startswith(
            f"{opts.app_label}_{opts.model_name}_"
        )
        if obj is not None and obj.provider == "discord" and on_these_pages:
            return False
        return super().has_delete_permission(request, obj)

    def get_deleted_objects(self, objs: Iterable[SocialAccount], request: HttpRequest) -> tuple:
        """The list's delete action, with a Discord account selected, says why instead of "no permission to
        delete social account"."""
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        if any(account.provider == "discord" for account in objs):
            perms_needed.discard(self.opts.verbose_name)
            perms_needed.add("Discord account (it goes with its user: delete the user)")
        return deleted, counts, perms_needed, protected


admin.site.unregister(User)


@admin.register(User)
class DiscordUserAdmin(UserAdmin):
    """Staff find the person to deactivate by the Discord id their links carry (a GitHub account id finds its
    holder too). A username is the Discord name at sign-up: the person may have changed it since, and someone
    else may hold it now."""

    list_display = ["username", "discord_id", "discord_handle", "is_active", "is_staff", "date_joined"]
    search_fields = ["=socialaccount__uid", *UserAdmin.search_fields]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        # Each user's Discord account as `user.discord` (a list of none or one), for the whole page in one query.
        discord = Prefetch("socialaccount_set", SocialAccount.objects.filter(provider="discord"), to_attr="discord")
        return super().get_queryset(request).prefetch_related(discord)

    @admin.display(description="Discord id")
    def discord_id(self, user: User) -> str | None:
        return user.discord[0].uid if user.discord else None

    @admin.display(description="Discord handle (at the latest sign-in)")
    def discord_handle(self, user: User) -> str | None:
        return identity.discord_handle(user.discord[0]) if user.discord else None

    # Staff who are not superusers only switch a person's Active (README, "Staff roles"): Django's user page would
    # let *Can change user* hand out every permission, to themselves too, or set a password to sign in as someone.
    ACTIVE_ONLY = ((None, {"fields": ("username", "is_active", "date_joined", "last_login")}),)

    def get_fieldsets(self, request: HttpRequest, obj: User | None = None) -> tuple:
        if obj is not None and not request.user.is_superuser:
            return self.ACTIVE_ONLY
        return super().get_fieldsets(request, obj)

    def get_readonly_fields(self, request: HttpRequest, obj: User | None = None) -> tuple:
        if obj is not None and not request.user.is_superuser:
            return ("username", "date_joined", "last_login")
        return super().get_readonly_fields(request, obj)

    def save_model(self, request: HttpRequest, obj: User, form: ModelForm, change: bool) -> None:
        if change and not request.user.is_superuser:
            # Only Active: the rest of the row as loaded would undo a superuser's change made meanwhile.
            obj.save(update_fields=["is_active"])
        else:
            super().save_model(request, obj, form, change)

    def has_add_permission(self, request: HttpRequest) -> bool:
        """A new user with a password of their choosing is a superuser's to make (people come from Discord)."""
        return request.user.is_superuser

    def has_change_permission(self, request: HttpRequest, obj: User | None = None) -> bool:
        """Nor do they change or delete staff (a superuser, a colleague, themselves)."""
        return not _staff_beyond_reach(request, obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: User | None = None) -> bool:
        return not _staff_beyond_reach(request, obj) and super().has_delete_permission(request, obj)

    def user_change_password(self, request: HttpRequest, id: str, form_url: str = "") -> HttpResponse:
        if not request.user.is_superuser:
            raise PermissionDenied
        return super().user_change_password(request, id, form_url)


admin.site.unregister(Group)


@admin.register(Group)
class SuperuserGroupAdmin(GroupAdmin):
    """A group's permissions are every role's (README, "Staff roles"): whoever could edit them could give
    themselves every permission. Other staff may look."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser

    def has_change_permission(self, request: HttpRequest, obj: Group | None = None) -> bool:
        return request.user.is_superuser

    def has_delete_permission(self, request: HttpRequest, obj: Group | None = None) -> bool:
        return request.user.is_superuser


def _staff_beyond_reach(request: HttpRequest, user: User | None) -> bool:
    return user is not None and (user.is_staff or user.is_superuser) and not request.user.is_superuser
