import logging

from allauth.socialaccount.models import SocialAccount
from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from accounts.discord_api import SNOWFLAKE
from linkapp.database import unavailable_as_command_error
from repos.models import Link, LinkEvent

log = logging.getLogger("linkapp.wizard")


class Command(BaseCommand):
    help = (
        "Remove everything kept about one Discord user (an erasure request): their user and connected accounts, "
        "their links, the links' events and the admin history of the user."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("discord_id", help="the person's Discord id, e.g. 80351110224678912")

    def handle(self, *args, discord_id: str, **options) -> None:
        if not SNOWFLAKE.fullmatch(discord_id):
            raise CommandError(f"{discord_id!r} is not a Discord id: give its digits, e.g. 80351110224678912.")
        # One transaction: an erasure cut off half-way would leave the person half-forgotten and say nothing.
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
    """Deleting the user in admin leaves the person in two places: their links' audit trail (read-only in admin)
    and Django's admin history of the user (a deactivation, by their username). Links and GitHub accounts have
    no admin history while they exist: they cannot be changed there."""
    User = get_user_model()
    users = User.objects.filter(pk__in=SocialAccount.objects.filter(provider="discord", uid=discord_id).values("user"))
    history = LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(User),
        object_id__in=[str(pk) for pk in users.values_list("pk", flat=True)],
    )
    history_entries = history.delete()[0]
    events = LinkEvent.objects.filter(discord_id=discord_id).delete()[0]
    links = Link.objects.filter(discord_id=discord_id).delete()[0]
    with_user = users.delete()[1]
    return {
        "users": with_user.get(User._meta.label, 0),
        "connected accounts": with_user.get(SocialAccount._meta.label, 0),
        "links": links,
        "link events": events,
        "admin history entries": history_entries,
    }
