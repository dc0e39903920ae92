from __future__ import annotations

import logging

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.actions import delete_selected as django_delete_selected
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList
from django.db.models import BigIntegerField, Count, Max, QuerySet, Value
from django.db.models.functions import Left, StrIndex
from django.http import HttpRequest, StreamingHttpResponse
from django.template.response import TemplateResponse
from django.utils.html import format_html

from linkapp.logs import streamed_under
from repos import export, linking
from repos.models import Link, LinkEvent

log = logging.getLogger(__name__)


class OutOfRangeDateIsInvalidLookup:
    """Django's date drill-down raises on a date it cannot step past (`?created_at__year=9999`): the admin's own
    "invalid lookup" answer (a redirect to `?e=1`) instead of a 500. A mixin for a ModelAdmin with date_hierarchy;
    the same errors without a drill-down in the address are bugs, and stay 500s."""

    def get_changelist_instance(self, request: HttpRequest) -> ChangeList:
        try:
            return super().get_changelist_instance(request)
        except (ValueError, OverflowError) as exc:
            if not {f"{self.date_hierarchy}__{part}" for part in ("year", "month", "day")} & set(request.GET):
                raise
            log.info("admin date drill-down out of range: %s", exc)
            raise IncorrectLookupParameters(exc) from exc


class OwnerFilter(admin.SimpleListFilter):
    """The repository owner (the user or organisation before the slash). The sidebar lists the owners with the
    most links, not all of them: with many links, a list of every owner would make each page megabytes long.
    Any other owner is a search away, and its filter address (`?owner=`) works whether listed or not."""

    title = "owner"
    parameter_name = "owner"
    listed = 50

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        owner = Left("repo_full_name", StrIndex("repo_full_name", Value("/")) - 1)
        busiest = (
            Link.objects.annotate(owner=owner)
            .values("owner")
            .annotate(links=Count("id"))
            .order_by("-links", "owner")
            .values_list("owner", flat=True)[: self.listed]
        )
        names = set(busiest)
        if self.value():
            names.add(self.value())  # chosen by its address: shown as chosen, though not among the busiest
        return [(name, name) for name in sorted(names, key=str.lower)]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value():
            return queryset.filter(repo_full_name__startswith=f"{self.value()}/")
        return queryset


class SelectionConfirmed(forms.Form):
    """What the confirmation of a "Select all" deletion posts back besides the list's filters: the newest link it
    showed (templates/admin/repos/link/delete_selected_confirmation.html)."""

    up_to = forms.IntegerField(min_value=1, max_value=BigIntegerField.MAX_BIGINT)


class LinkEventInline(admin.TabularInline):
    """This link's own events on its page. A link removed and made again is a new row: the whole story of a
    Discord user and a repository is in *Link events*, searched by either id."""

    model = LinkEvent
    fields = readonly_fields = ["at", "action", "github_login", "actor"]
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Link | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Link | None = None) -> bool:
        return False


@admin.register(Link)
class LinkAdmin(OutOfRangeDateIsInvalidLookup, admin.ModelAdmin):
    list_display = [
        "discord_username",
        "discord_id",
        "github_login",
        "repository",
        "repo_id",
        "repo_private",
        "created_at",
        "updated_at",
    ]
    list_filter = ["repo_private", "created_at", OwnerFilter]
    # Other services name links by GitHub's ids (the API's repo_id): those match whole, as text.
    search_fields = [
        "discord_id",
        "discord_username",
        "github_login",
        "repo_full_name",
        "repo_id__exact",
        "github_id__exact",
    ]
    date_hierarchy = "created_at"
    # "N results (M total)" would count every link again on each search or filter.
    show_full_result_count = False
    inlines = [LinkEventInline]
    actions = ["delete_selected", "export_csv"]

    @admin.display(description="Repository", ordering="repo_full_name")
    def repository(self, link: Link) -> str:
        return format_html('<a href="{}" rel="noopener">{}</a>', link.repo_url, link.repo_full_name)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Link | None = None) -> bool:
        # Every field is read-only: a Save would only touch updated_at, unaudited.
        return False

    @admin.action(permissions=["delete"], description="Delete selected links")
    def delete_selected(self, request: HttpRequest, queryset: QuerySet) -> TemplateResponse | None:
        """Django's action (it confirms, then calls delete_queryset: audited), with "Select all" kept through the
        confirmation. Django's "Yes" posts every selected link's id, and past DATA_UPLOAD_MAX_NUMBER_FIELDS (1,000)
        that is a 400, nothing deleted. Under "Select all" it posts the selection instead (the list's filters stay
        in the address) and the newest link shown: links made after the confirmation are not deleted unseen."""
        # As Django's action form reads it, so that the two agree on what was selected.
        if not forms.BooleanField().to_python(request.POST.get("select_across")):
            return django_delete_selected(self, request, queryset)
        if request.POST.get("post"):  # "Yes"
            shown = SelectionConfirmed(request.POST)
            if not shown.is_valid():
                self.message_user(request, "Nothing deleted: select the links again.", messages.ERROR)
                return None
            up_to = shown.cleaned_data["up_to"]
        else:  # the bound first, so that the page shows what "Yes" deletes
            up_to = queryset.aggregate(newest=Max("pk"))["newest"]
        response = django_delete_selected(self, request, queryset.filter(pk__lte=up_to or 0))
        if isinstance(response, TemplateResponse):
            response.context_data.update(select_across=True, up_to=up_to)
        return response

    @admin.action(description="Export selected links as CSV")
    def export_csv(self, request: HttpRequest, queryset: QuerySet) -> StreamingHttpResponse:
        # Streamed: "Select all" over a large table would otherwise be held in memory twice.
        return StreamingHttpResponse(
            streamed_under(request.request_id, export.csv_lines(export.in_id_order(queryset))),
            content_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="links.csv"'},
        )

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        for link in queryset:
            self.delete_model(request, link)

    def delete_model(self, request: HttpRequest, link: Link) -> None:
        linking.unlink(link, f"admin:{request.user.get_username()}")


@admin.register(LinkEvent)
class LinkEventAdmin(OutOfRangeDateIsInvalidLookup, admin.ModelAdmin):
    """Read-only: the audit trail is written by the app, never edited."""

    list_display = ["at", "action", "repo_full_name", "discord_id", "github_login", "actor"]
    list_filter = ["action", "at"]
    # GitHub's ids match whole, as on the links.
    search_fields = ["discord_id", "repo_full_name", "github_login", "actor", "repo_id__exact", "github_id__exact"]
    date_hierarchy = "at"
    show_full_result_count = False  # as on the links: no second count of the whole trail per search

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: LinkEvent | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: LinkEvent | None = None) -> bool:
        return False
