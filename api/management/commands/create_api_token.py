import logging

from django.core.management.base import BaseCommand, CommandError, CommandParser

from api.models import ApiToken
from linkapp.database import unavailable_as_command_error

log = logging.getLogger("linkapp.api")


class Command(BaseCommand):
    help = "Create an API token for a service and print it once (only its hash is stored)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="who will use the token, e.g. discord-bot")

    def handle(self, *args, name: str, **options) -> None:
        name = name.strip()  # "bot " and "bot" are one service, for the rotation warning too
        longest = ApiToken._meta.get_field("name").max_length
        if not name or len(name) > longest:
            raise CommandError(f"Give the token a name of 1 to {longest} characters, e.g. discord-bot.")
        with unavailable_as_command_error("no token was created"):
            others = ApiToken.objects.filter(name=name, revoked_at__isnull=True).count()
            token, secret = ApiToken.issue(name)
        log.info("api_token=issued id=%s name=%s", token.pk, name)  # never the secret
        self.stdout.write(secret)  # alone on stdout, for scripts
        if others:
            # Rotation: the old token keeps working until an admin revokes it.
            self.stderr.write(
                f"{name!r} now has {others + 1} live tokens; once it uses this one, revoke the older in admin."
            )
