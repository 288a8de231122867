import time
import unicodedata

from django.core.management.base import BaseCommand, CommandError

from apps.core.exceptions import DomainError
from apps.portal.demo import build_demo_province
from apps.regions.models import Region

LOAD_FIRST = "No regions in the database: run `manage.py load_reference_data` first."


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


class Command(BaseCommand):
    help = (
        "Create a demo province on the loaded Shandong regions: regulators at every level, 200 enterprises with "
        "their base information, facilities, monitoring points, major hazard sources, cameras and gateways, and "
        "one login per role (idempotent). Needs `manage.py load_reference_data` first."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--reset-passwords",
            action="store_true",
            help="Set every demo login's password back to the demo password.",
        )

    def handle(self, *args, **options):
        if not Region.objects.exists():
            raise CommandError(LOAD_FIRST)
        started = time.monotonic()
        try:
            result = build_demo_province(self.stdout, reset_passwords=options["reset_passwords"])
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        created = result["created"]
        levels = result["hazard_sources"]
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo province ready in {time.monotonic() - started:.1f} s: "
                f"{result['regulators']} regulators, {result['enterprises']} enterprises, {result['users']} logins, "
                f"{result['facilities']} facilities, {result['points']} monitoring points, "
                f"{sum(levels.values())} hazard sources, {result['cameras']} cameras, {result['gateways']} gateways "
                f"(new: {created['regulators']} regulators, {created['other_organisations']} other organisations, "
                f"{created['enterprises']} enterprises, {created['users']} users, {created['facilities']} facilities, "
                f"{created['points']} points, {created['hazard_sources']} hazard sources, {created['cameras']} cameras, "
                f"{created['gateways']} gateways)."
            )
        )
        self.stdout.write(
            "Major hazard sources by level: "
            + ", ".join(f"{level}: {levels[level]}" for level in ("1", "2", "3", "4"))
            + f"; identified but not major: {levels['not_major']}."
        )
        rows = [("username", "role", "organisation"), *result["logins"]]
        widths = [max(_width(row[i]) for row in rows) for i in range(3)]
        self.stdout.write("")
        for n, row in enumerate(rows):
            self.stdout.write("  ".join(_pad(cell, widths[i]) for i, cell in enumerate(row)).rstrip())
            if n == 0:
                self.stdout.write("  ".join("-" * w for w in widths))
        self.stdout.write("")
        self.stdout.write(f"Password for every demo login: {result['password']}")
