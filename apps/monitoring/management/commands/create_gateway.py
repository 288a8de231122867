"""Contract §5: ops create a gateway from the shell; the secret is printed once."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from apps.core.exceptions import DomainError
from apps.enterprises.models import Enterprise
from apps.monitoring import services


class Command(BaseCommand):
    help = "Register a data-collection gateway for an enterprise and print its secret (shown only once)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--enterprise", required=True, metavar="USCC", help="unified social credit code of the enterprise"
        )
        parser.add_argument("--gateway-id", required=True, help="3–64 letters, digits, hyphens or underscores")
        parser.add_argument("--name", default="", help="a name for people")

    def handle(self, *args, **options):
        uscc = options["enterprise"].strip().upper()
        enterprise = Enterprise.objects.active().filter(organisation__uscc=uscc).first()
        if enterprise is None:
            raise CommandError(_("No enterprise with unified social credit code %(uscc)s.") % {"uscc": uscc})
        try:
            gateway, secret = services.create_gateway(
                None, enterprise=enterprise, gateway_id=options["gateway_id"], name=options["name"]
            )
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"gateway_id: {gateway.gateway_id}")
        self.stdout.write(f"secret: {secret}")
        self.stderr.write(_("Store the secret now: it is not shown again (rotate it to get a new one)."))
