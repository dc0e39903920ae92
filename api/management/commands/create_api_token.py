from django.core.management.base import BaseCommand, CommandError

from api.models import ApiToken


class Command(BaseCommand):
    help = "Create an API token for a service and print it once (only its hash is stored)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("name", help="who will use the token, e.g. discord-bot")

    def handle(self, *args, name: str, **options) -> None:
        if ApiToken.objects.filter(name=name, revoked_at__isnull=True).exists():
            raise CommandError(f"A token named {name!r} exists already; revoke it in admin or choose another name.")
        _, secret = ApiToken.issue(name)
        self.stdout.write(secret)
