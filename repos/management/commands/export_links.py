from django.core.management.base import BaseCommand, CommandParser

from linkapp.database import unavailable_as_command_error
from repos import export
from repos.models import Link


class Command(BaseCommand):
    help = "Print every link as CSV or JSON (the same columns as the admin's CSV export)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--format", choices=["csv", "json"], default="csv")

    def handle(self, *args, **options) -> None:
        links = export.in_id_order(Link.objects.all())
        chunks = export.csv_lines(links) if options["format"] == "csv" else export.json_chunks(links)
        with unavailable_as_command_error("the export is incomplete"):
            for chunk in chunks:
                self.stdout.write(chunk, ending="")
