from django.core.management.base import BaseCommand, CommandError

from apps.core.exceptions import DomainError
from apps.regions.services import load_divisions


class Command(BaseCommand):
    help = "Load the GB/T 2260 division and chemical-park tables from fixtures/regions (idempotent)."

    def handle(self, *args, **options):
        try:
            result = load_divisions()
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(self.style.SUCCESS(f"regions: {result}"))
