import logging

from allauth.socialaccount.models import SocialAccount
from django.contrib.admin.models import DELETION, LogEntry
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.db.models import Min, Q, QuerySet

from accounts.discord_api import SNOWFLAKE
from accounts.identity import discord_handle
from accounts.views import avatar_key
from linkapp.cache import CACHE_UNAVAILABLE
from linkapp.database import unavailable_as_command_error
from repos.models import Link, LinkEvent

log = logging.getLogger("linkapp.erasure")


class Command(BaseCommand):
    help = (
        "Remove what is kept about one Discord user (an erasure request): their user and connected accounts, "
        "their links and the links' events, the admin history that names them, and their cached avatar."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("discord_id", help="the person's Discord id, e.g. 80351110224678912")

    def handle(self, *args, discord_id: str, **options) -> None:
        if not SNOWFLAKE.fullmatch(discord_id):
            raise CommandError(f"{discord_id!r} is not a Discord id: give its digits, e.g. 80351110224678912.")
        # One transaction: an erasure cut off half-way would leave the person half-forgotten.
        with unavailable_as_command_error("nothing was removed"), transaction.atomic():
            removed = forget(discord_id)
        # Counts only: a log line naming the person would keep what was just removed.
        log.info("discord_user=forgotten %s", " ".join(f"{name.replace(' ', '_')}={n}" for name, n in removed.items()))
        if not any(removed.values()):
            self.stdout.write(f"Nothing is kept about Discord id {discord_id}.")
            return
        self.stdout.write(
            f"Removed for Discord id {discord_id}: " + ", ".join(f"{name}: {n}" for name, n in removed.items())
        )


def forget(discord_id: str) -> dict[str, int]:
    """Delete, in the caller's transaction, what is kept about the person, and count it by kind. Deleting the
    user in admin would leave their links (kept by Discord id, for other services) and the links' audit trail."""
    discord = SocialAccount.objects.select_related("user").filter(provider="discord", uid=discord_id).first()
    user = discord.user if discord else None
    links = Link.objects.filter(discord_id=discord_id)
    events = LinkEvent.objects.filter(discord_id=discord_id)
    if discord and (avatar := discord.extra_data.get("avatar")):
        transaction.on_commit(lambda: forget_avatar(avatar_key(discord_id, avatar)))

    history_entries = LogEntry.objects.filter(admin_history(discord, links, events)).delete()[0]
    link_events = events.delete()[0]
    link_count = links.delete()[0]
    # The user's other rows go with it: e-mail addresses (none are kept), and, were they staff, the history of what
    # they did in admin (Django's cascade).
    with_user = user.delete()[1] if user else {}
    return {
        "users": with_user.get(get_user_model()._meta.label, 0),
        "connected accounts": with_user.get(SocialAccount._meta.label, 0),
        "links": link_count,
        "link events": link_events,
        "admin history entries": history_entries + with_user.get(LogEntry._meta.label, 0),
    }


def admin_history(discord: SocialAccount | None, links: QuerySet, events: QuerySet) -> Q:
    """Django's admin history of the user's page (a deactivation), and of the GitHub accounts and links staff
    deleted, which no id ties to the person any more: those are found by their titles, and only from when the
    person came, as someone before them may have had the same username or handle."""
    history = Q(pk__in=[])  # nothing yet
    if first_event := events.aggregate(first=Min("at"))["first"]:
        # "handle → owner/name" (Django keeps 200 characters of it), with the handle the person has now or had on
        # a link.
        handles = set(links.values_list("discord_username", flat=True)) | (
            {discord_handle(discord)} if discord else set()
        )
        names = set(events.filter(action=LinkEvent.Action.REMOVED).values_list("repo_full_name", flat=True))
        titles = [str(Link(discord_username=handle, repo_full_name=name))[:200] for handle in handles for name in names]
        history |= Q(
            content_type=ContentType.objects.get_for_model(Link),
            action_flag=DELETION,
            object_repr__in=titles,
            action_time__gte=first_event,
        )
    if discord:
        user = discord.user
        history |= Q(content_type=ContentType.objects.get_for_model(user), object_id=str(user.pk))
        # allauth titles a social account with its user's username.
        history |= Q(
            content_type=ContentType.objects.get_for_model(SocialAccount),
            object_repr=user.username,
            action_time__gte=user.date_joined,
        )
    return history


def forget_avatar(key: str) -> None:
    """Once the rows are gone; a Redis away just now is no reason to report the erasure failed."""
    try:
        cache.delete(key)
    except CACHE_UNAVAILABLE as exc:
        log.warning("discord_user=forgotten avatar left in the cache (%s): it expires within a day", type(exc).__name__)
