from django.core.management.base import BaseCommand, CommandError

from apps.core.exceptions import DomainError
from apps.core.reference import load_all


class Command(BaseCommand):
    help = "Load every app's reference data (regions, industries, code tables). Idempotent."

    def handle(self, *args, **options):
        try:
            load_all(self.stdout)
        except DomainError as exc:
            raise CommandError(exc.message) from exc
