import datetime as dt
import time

from django.core.management.base import BaseCommand, CommandError

from apps.risk.management import history


class Command(BaseCommand):
    help = (
        "Write a synthetic history for backtesting the grading (alarms on the enterprises' own points, "
        "management indicator reports, inherent-risk assessments and incidents drawn from a latent risk "
        "derived from each enterprise's attributes), then replay the grading day by day into RiskDay. "
        "Replaces any earlier synthetic history; --clear only removes it. For demonstration and "
        "calibration: the incidents are not real."
    )

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=90, help="length of the history (days, default 90)")
        parser.add_argument("--seed", type=int, default=7)
        parser.add_argument("--until", type=dt.date.fromisoformat, help="last day (default: yesterday, Beijing)")
        parser.add_argument(
            "--enterprises", help="comma-separated enterprise ids (default: every enterprise that is graded)"
        )
        parser.add_argument("--no-replay", action="store_true", help="generate only; do not replay the grading")
        parser.add_argument("--clear", action="store_true", help="remove the synthetic history and stop")

    def handle(self, *args, **options):
        if options["clear"]:
            removed = history.clear()
            self.stdout.write(f"Removed: {removed}")
            return
        if not 1 <= options["days"] <= 366:
            raise CommandError("--days must be from 1 to 366.")
        ids = None
        if options["enterprises"]:
            try:
                ids = [int(e) for e in options["enterprises"].split(",") if e.strip()]
            except ValueError as exc:
                raise CommandError("--enterprises takes comma-separated ids.") from exc
        started = time.monotonic()
        result = history.synthesize(
            days=options["days"],
            seed=options["seed"],
            until=options["until"],
            enterprise_ids=ids,
            replay=not options["no_replay"],
        )
        created = result["created"]
        self.stdout.write(
            f"Synthetic history {result['since']} – {result['until']} for {result['enterprises']} enterprises "
            f"(seed {result['seed']}): {created['alarms']} alarms, {created['indicator_records']} indicator reports, "
            f"{created['static_assessments']} inherent-risk assessments, {created['incidents']} incidents "
            f"({', '.join(f'{k} {v}' for k, v in created['incidents_by_kind'].items())}) at "
            f"{created['enterprises_with_incidents']} enterprises."
        )
        if "replay_seconds" in result:
            self.stdout.write(f"Replayed the grading for {result['days']} days in {result['replay_seconds']} s.")
        self.stdout.write(
            self.style.SUCCESS(f"Done in {time.monotonic() - started:.1f} s; manifest: {history.MANIFEST}")
        )
