import datetime as dt
import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from apps.monitoring.statistics import beijing_today
from apps.risk import backtest
from apps.risk.management import history
from apps.risk.models import Incident
from apps.risk.services import grading


class Command(BaseCommand):
    help = (
        "Backtest the grading over a period: for each grading day, rank the enterprises by score and check "
        "which had an incident in the next --horizon days. Reports AUC (mean over days and pooled), precision "
        "at top-k, precision and recall of red+orange, and warnings per enterprise per month; prints a table "
        "and writes JSON. Reads the daily results recorded by the grading (RiskDay), or with --replay grades "
        "each day again with the models in force."
    )

    def add_arguments(self, parser):
        parser.add_argument("--since", type=dt.date.fromisoformat, help="first grading day")
        parser.add_argument("--until", type=dt.date.fromisoformat, help="last grading day")
        parser.add_argument("--horizon", type=int, default=30, help="days after a grading day (default 30)")
        parser.add_argument("--top-k", type=int, default=20)
        parser.add_argument(
            "--kinds",
            default="accident,near_miss,violation",
            help="incident kinds that count as positives (default: all)",
        )
        parser.add_argument(
            "--history-end",
            type=dt.date.fromisoformat,
            help="last day incidents are known for (default: the synthetic history's last day, else yesterday)",
        )
        parser.add_argument("--replay", action="store_true", help="grade each day with the models in force")
        parser.add_argument("--json", default=str(history.HISTORY_DIR / "backtest.json"), help="where to write JSON")
        parser.add_argument("--per-day", action="store_true", help="print every day's figures")

    def handle(self, *args, **options):
        synthetic = history.manifest()
        kinds = [k.strip() for k in options["kinds"].split(",") if k.strip()]
        if not kinds or set(kinds) - set(Incident.Kind.values):
            raise CommandError(f"--kinds takes a comma-separated list of: {', '.join(Incident.Kind.values)}")
        if options["horizon"] < 1 or options["top_k"] < 1:
            raise CommandError("--horizon and --top-k must be at least 1.")
        yesterday = beijing_today() - dt.timedelta(days=1)
        history_end = options["history_end"] or (dt.date.fromisoformat(synthetic["until"]) if synthetic else yesterday)
        since = options["since"] or (
            dt.date.fromisoformat(synthetic["since"]) if synthetic else yesterday - dt.timedelta(days=89)
        )
        until = options["until"] or history_end
        horizon = options["horizon"]
        last_day = min(until, history_end - dt.timedelta(days=horizon))
        if last_day < since:
            raise CommandError(
                f"No grading day from {since} to {until} has its {horizon} following days known "
                f"(incidents known to {history_end})."
            )
        if options["replay"]:
            ids = sorted({e for members in grading.models_of().values() for e in members})
            days = history.replay_days(since, last_day, ids, record=False)
        else:
            days = history.recorded_days(since, last_day)
        if not days:
            raise CommandError(f"No graded day recorded from {since} to {last_day}.")
        incidents = history.incident_dates(kinds, since, last_day + dt.timedelta(days=horizon))
        result = backtest.evaluate(days, incidents, horizon=horizon, top_k=options["top_k"])
        levels_by_enterprise: dict[int, list] = {}
        for day in sorted(days):
            for enterprise_id, (_score, level) in days[day].items():
                levels_by_enterprise.setdefault(enterprise_id, []).append(level)
        warnings = backtest.warning_figures(
            levels_by_enterprise,
            history.recorded_warnings(since, last_day, levels_by_enterprise),
            (last_day - since).days + 1,
        )
        oracle = self._oracle(synthetic, days, incidents, horizon, options["top_k"])
        report = {
            "since": since.isoformat(),
            "until": last_day.isoformat(),
            "history_end": history_end.isoformat(),
            "kinds": kinds,
            "scores": "replayed with the models in force" if options["replay"] else "recorded (RiskDay.last_score)",
            "synthetic": bool(synthetic),
            **{k: v for k, v in result.items() if k != "per_day"},
            "warnings": warnings,
            "oracle_latent_risk": oracle,
            "per_day": result["per_day"],
        }
        self._print(report, options["per_day"])
        path = Path(options["json"])
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
        self.stdout.write(f"JSON written to {path}")

    @staticmethod
    def _oracle(synthetic, days, incidents, horizon, top_k):
        """On a synthetic history, the same figures for the true latent risk of each day: the best any
        grading could do with that much noise in the ground truth."""
        if not synthetic:
            return None
        since = dt.date.fromisoformat(synthetic["since"])
        series = synthetic["latent_by_day"]
        truth = {}
        for day, graded in days.items():
            offset = (day - since).days
            truth[day] = {
                e: (series[str(e)][offset], None)
                for e in graded
                if str(e) in series and 0 <= offset < len(series[str(e)])
            }
        figures = backtest.evaluate(truth, incidents, horizon=horizon, top_k=top_k)
        return {k: figures[k] for k in ("auc_mean", "auc_pooled", "precision_at_k_mean", "lift_at_k")}

    def _print(self, report: dict, per_day: bool) -> None:
        f = backtest.fmt
        w = report["warnings"]
        rows = [
            ("grading days", f"{report['since']} – {report['until']} ({report['days']} days)"),
            ("scores", report["scores"]),
            ("positives", f"incident ({', '.join(report['kinds'])}) within {report['horizon_days']} days"),
            ("enterprise-days / positive", f"{report['pairs']} / {report['positive_pairs']}"),
            ("prevalence", f(report["prevalence"])),
            ("AUC, mean over days (sd)", f"{f(report['auc_mean'])} ({f(report['auc_sd'])}, {report['auc_days']} days)"),
            ("AUC, pooled", f(report["auc_pooled"])),
            (f"precision at top {report['top_k']}", f(report["precision_at_k_mean"])),
            (f"lift at top {report['top_k']}", f(report["lift_at_k"], 2)),
            ("red+orange share", f(report["red_orange_share"])),
            ("red+orange precision", f(report["red_orange_precision"])),
            ("red+orange recall", f(report["red_orange_recall"])),
            ("warnings recorded / enterprise-month", f(w["recorded_per_enterprise_month"])),
            ("daily rises / enterprise-month", f(w["rises_per_enterprise_month"])),
            ("warnings opened (simulated) / enterprise-month", f(w["simulated_warnings_per_enterprise_month"])),
        ]
        oracle = report["oracle_latent_risk"]
        if oracle:
            rows += [
                (
                    "oracle (true latent risk): AUC mean / pooled",
                    f"{f(oracle['auc_mean'])} / {f(oracle['auc_pooled'])}",
                ),
                (f"oracle: precision at top {report['top_k']}", f(oracle["precision_at_k_mean"])),
            ]
        width = max(len(name) for name, _ in rows)
        for name, value in rows:
            self.stdout.write(f"{name:<{width}}  {value}")
        if per_day:
            self.stdout.write("")
            self.stdout.write("day         ents  pos  AUC    P@k    R+O  prec   recall")
            for d in report["per_day"]:
                self.stdout.write(
                    f"{d['day']}  {d['enterprises']:>4}  {d['positives']:>3}  {f(d['auc']):>5}  "
                    f"{f(d['precision_at_k']):>5}  {d['red_orange']:>3}  {f(d['red_orange_precision']):>5}  "
                    f"{f(d['red_orange_recall']):>5}"
                )
