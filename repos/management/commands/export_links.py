from django.core.management.base import BaseCommand

from repos import export
from repos.models import Link


class Command(BaseCommand):
    help = "Print every link as CSV or JSON (the same columns as the admin's CSV export)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--format", choices=["csv", "json"], default="csv")

    def handle(self, *args, **options) -> None:
        links = Link.objects.order_by("id").iterator()
        writer = export.write_csv if options["format"] == "csv" else export.write_json
        writer(links, self.stdout)
