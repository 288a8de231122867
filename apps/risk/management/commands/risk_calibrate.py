"""manage.py risk_calibrate: propose recalibrated first-level weights (drafts) from incidents."""

import datetime as dt
import json

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from apps.risk.models import RiskModel
from apps.risk.services.calibration import calibrate


class Command(BaseCommand):
    help = "Compare past grading with recorded incidents and propose recalibrated weights as a draft version."

    def add_arguments(self, parser):
        parser.add_argument("--model", help="model code (default: every active model)")
        parser.add_argument("--since", type=dt.date.fromisoformat)
        parser.add_argument("--until", type=dt.date.fromisoformat)
        parser.add_argument("--horizon", type=int, default=90, help="days after a grading an incident counts")
        parser.add_argument("--step", type=int, default=7, help="days between sampled gradings")
        parser.add_argument("--blend", type=float, default=0.5, help="how far to move towards the learnt weights")

    def handle(self, *args, **options):
        until = options["until"] or timezone.localdate() - dt.timedelta(days=options["horizon"])
        since = options["since"] or until - dt.timedelta(days=365)
        models = RiskModel.objects.filter(is_active=True, current_version__isnull=False)
        if options["model"]:
            models = models.filter(code=options["model"])
            if not models.exists():
                raise CommandError(f"no active model {options['model']}")
        for model in models:
            report = calibrate(
                model,
                since=since,
                until=until,
                horizon_days=options["horizon"],
                step_days=options["step"],
                blend=options["blend"],
            )
            self.stdout.write(json.dumps(report, ensure_ascii=False, default=str))
