"""Contract §5: ops create an exchange client from the shell; the token is printed once."""

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q
from django.utils.translation import gettext as _

from apps.core.exceptions import DomainError
from apps.enterprises.models import Enterprise
from apps.exchange import services
from apps.regions.models import Region


class Command(BaseCommand):
    help = "Register an exchange client for an enterprise or a lower-level platform and print its token once."

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True, help="a unique name for the client")
        bound = parser.add_mutually_exclusive_group(required=True)
        bound.add_argument("--company-code", metavar="USCC", help="unified social credit code of the enterprise")
        bound.add_argument("--region", metavar="CODE", help="GB/T 2260 code of the lower-level platform's region")
        parser.add_argument(
            "--datasets", default="", help="comma-separated tables the client must upload on schedule (punctuality)"
        )

    def handle(self, *args, **options):
        enterprise = region = None
        if options["company_code"]:
            code = options["company_code"].strip()
            enterprise = (
                Enterprise.objects.active()
                .filter(Q(organisation__uscc=code.upper()) | Q(registration_code=code) | Q(province_code=code))
                .select_related("organisation__region")
                .first()
            )
            if enterprise is None:
                raise CommandError(_("No enterprise with code %(code)s.") % {"code": code})
        else:
            region = Region.objects.filter(code=options["region"].strip()).first()
            if region is None:
                raise CommandError(_("No region with code %(code)s.") % {"code": options["region"]})
        datasets = [d.strip() for d in options["datasets"].split(",") if d.strip()]
        try:
            client, token = services.create_client(
                None, name=options["name"], enterprise=enterprise, region=region, expected_datasets=datasets
            )
        except DomainError as exc:
            raise CommandError(str(exc.message)) from exc
        self.stdout.write(f"client: {client.name}")
        self.stdout.write(f"token: {token}")
        self.stderr.write(_("Store the token now: it is not shown again."))
