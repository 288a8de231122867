"""Backtest of the grading (回测): how well did the daily grading rank enterprises ahead of their incidents?

Pure functions over plain data, so they can be tested by hand and used on recorded history (``RiskDay``
rows of the periodic grading) or on a replay. For each grading day *d* an enterprise is a positive when
it has an incident (accident, near miss or confirmed violation, ``Incident``) in (d, d + horizon]; the
day's scores rank the enterprises, and we measure

- AUC by the rank-sum (Mann–Whitney) formula, ties counting one half: the chance that a random positive
  was scored above a random negative (0.5 is no better than chance, 1 a perfect ranking);
- precision at k: the share of positives among the k highest scores (ties at the cut shared out);
- precision and recall of the red and orange levels (重大/较大) as a prediction of an incident;
- warnings per enterprise per month: recorded ``Warning`` rows, and the rises (跳级) of the daily levels
  with the warnings they would open under the one-open-warning rule (``simulate_warnings``).

Days without both positives and negatives have no AUC and are left out of its mean; the pooled figures
put every (enterprise, day) pair of the period in one ranking.
"""

from __future__ import annotations

import bisect
import datetime as dt
import math
import statistics
from collections.abc import Mapping, Sequence

AVERAGE_MONTH_DAYS = 365.25 / 12
ALERT_LEVELS = (1, 2)  # red and orange


def auc(scores: Sequence[float], labels: Sequence[bool]) -> float | None:
    """Area under the ROC curve by the Mann–Whitney U statistic with average ranks for ties:
    AUC = (R₊ − n₊(n₊+1)/2) / (n₊·n₋), R₊ the sum of the positives' ranks. None without both classes."""
    if len(scores) != len(labels):
        raise ValueError("scores and labels differ in length")
    positives = sum(1 for label in labels if label)
    negatives = len(labels) - positives
    if positives == 0 or negatives == 0:
        return None
    order = sorted(range(len(scores)), key=lambda i: scores[i])
    rank_sum = 0.0
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and scores[order[j + 1]] == scores[order[i]]:
            j += 1
        average_rank = (i + j) / 2 + 1  # ranks are 1-based
        rank_sum += average_rank * sum(1 for n in order[i : j + 1] if labels[n])
        i = j + 1
    return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives)


def precision_at_k(scores: Sequence[float], labels: Sequence[bool], k: int) -> float | None:
    """Share of positives among the ``k`` highest scores. Scores tied at the cut share the remaining
    places: each counts by the expected share a random order of the tie would give it. None when there
    is nothing to rank or k < 1; with fewer than k scores, all of them."""
    if len(scores) != len(labels):
        raise ValueError("scores and labels differ in length")
    if k < 1 or not scores:
        return None
    k = min(k, len(scores))
    ranked = sorted(zip(scores, labels, strict=True), key=lambda pair: pair[0], reverse=True)
    cut = ranked[k - 1][0]
    above = [label for score, label in ranked if score > cut]
    tied = [label for score, label in ranked if score == cut]
    places = k - len(above)
    hits = sum(above) + places * sum(tied) / len(tied)
    return hits / k


def precision_recall(predicted: Sequence[bool], labels: Sequence[bool]) -> tuple[float | None, float | None]:
    """(precision, recall) of a yes/no prediction; None where the denominator is zero."""
    if len(predicted) != len(labels):
        raise ValueError("predicted and labels differ in length")
    true_positive = sum(1 for p, y in zip(predicted, labels, strict=True) if p and y)
    flagged = sum(1 for p in predicted if p)
    positives = sum(1 for y in labels if y)
    return (true_positive / flagged if flagged else None, true_positive / positives if positives else None)


def per_enterprise_month(count: int, enterprises: int, days: int) -> float | None:
    """``count`` events over ``enterprises`` enterprises and ``days`` days, per enterprise and month."""
    if enterprises <= 0 or days <= 0:
        return None
    return count / enterprises / (days / AVERAGE_MONTH_DAYS)


def simulate_warnings(levels: Sequence[int | None]) -> tuple[int, int]:
    """(rises, warnings opened) over one enterprise's series of levels (1 red … 4 blue, None ungraded),
    by the grading's rules: a rise (跳级) is a move to a more severe level from a graded one; it opens a
    warning unless one is open (then the open one is raised in place). A warning is taken to close as
    soon as the level is back at or below where it rose from — the fastest the loop can close, since
    closing also needs the regulator's verification; so ``warnings opened`` is a lower bound."""
    rises = opened = 0
    open_from: int | None = None  # the level the open warning rose from
    previous: int | None = None
    for level in levels:
        if open_from is not None and (level is None or level >= open_from):
            open_from = None
        if previous is not None and level is not None and level < previous:
            rises += 1
            if open_from is None:
                opened += 1
                open_from = previous
        previous = level
    return rises, opened


def labels_for(day: dt.date, enterprises: Sequence[int], incidents: Mapping[int, Sequence[dt.date]], horizon: int):
    """Whether each enterprise has an incident in (day, day + horizon]; ``incidents`` dates sorted."""
    end = day + dt.timedelta(days=horizon)
    result = []
    for enterprise in enterprises:
        dates = incidents.get(enterprise, ())
        i = bisect.bisect_right(dates, day)
        result.append(i < len(dates) and dates[i] <= end)
    return result


def evaluate(
    days: Mapping[dt.date, Mapping[int, tuple[float | None, int | None]]],
    incidents: Mapping[int, Sequence[dt.date]],
    *,
    horizon: int,
    top_k: int,
) -> dict:
    """Every figure of a backtest. ``days`` maps each grading day to ``{enterprise: (score, level)}``
    (the day's result; enterprises without a score are left out of that day), ``incidents`` each
    enterprise to the sorted dates of its incidents."""
    per_day = []
    pooled_scores: list[float] = []
    pooled_labels: list[bool] = []
    pooled_alert: list[bool] = []
    for day in sorted(days):
        graded = {e: sl for e, sl in days[day].items() if sl[0] is not None}
        if not graded:
            continue
        enterprises = sorted(graded)
        scores = [graded[e][0] for e in enterprises]
        alert = [graded[e][1] in ALERT_LEVELS for e in enterprises]
        labels = labels_for(day, enterprises, incidents, horizon)
        precision, recall = precision_recall(alert, labels)
        per_day.append(
            {
                "day": day.isoformat(),
                "enterprises": len(enterprises),
                "positives": sum(labels),
                "auc": auc(scores, labels),
                "precision_at_k": precision_at_k(scores, labels, top_k),
                "red_orange": sum(alert),
                "red_orange_precision": precision,
                "red_orange_recall": recall,
            }
        )
        pooled_scores += scores
        pooled_labels += labels
        pooled_alert += alert
    aucs = [d["auc"] for d in per_day if d["auc"] is not None]
    at_k = [d["precision_at_k"] for d in per_day if d["precision_at_k"] is not None]
    precision, recall = precision_recall(pooled_alert, pooled_labels)
    prevalence = sum(pooled_labels) / len(pooled_labels) if pooled_labels else None
    mean_at_k = statistics.fmean(at_k) if at_k else None
    return {
        "horizon_days": horizon,
        "top_k": top_k,
        "days": len(per_day),
        "pairs": len(pooled_labels),
        "positive_pairs": sum(pooled_labels),
        "prevalence": prevalence,
        "auc_mean": statistics.fmean(aucs) if aucs else None,
        "auc_sd": statistics.stdev(aucs) if len(aucs) > 1 else None,
        "auc_days": len(aucs),
        "auc_pooled": auc(pooled_scores, pooled_labels),
        "precision_at_k_mean": mean_at_k,
        "lift_at_k": mean_at_k / prevalence if mean_at_k is not None and prevalence else None,
        "red_orange_share": sum(pooled_alert) / len(pooled_alert) if pooled_alert else None,
        "red_orange_precision": precision,
        "red_orange_recall": recall,
        "per_day": per_day,
    }


def warning_figures(
    levels_by_enterprise: Mapping[int, Sequence[int | None]], recorded_warnings: int, days: int
) -> dict:
    """Warnings per enterprise per month: recorded ones, and the rises of the daily levels with the
    warnings they would open (``simulate_warnings``)."""
    enterprises = len(levels_by_enterprise)
    rises = opened = 0
    for levels in levels_by_enterprise.values():
        r, o = simulate_warnings(levels)
        rises += r
        opened += o
    return {
        "enterprises": enterprises,
        "days": days,
        "recorded_warnings": recorded_warnings,
        "recorded_per_enterprise_month": per_enterprise_month(recorded_warnings, enterprises, days),
        "daily_rises": rises,
        "rises_per_enterprise_month": per_enterprise_month(rises, enterprises, days),
        "simulated_warnings": opened,
        "simulated_warnings_per_enterprise_month": per_enterprise_month(opened, enterprises, days),
    }


def fmt(value, digits: int = 3) -> str:
    """A figure for the printed table ("—" when there is none)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)
