"""The backtest: its metrics by hand, and a small synthetic history generated, replayed and backtested."""

import datetime as dt
import io
import itertools
import json
import random

import pytest
from django.core.management import call_command

from apps.monitoring.models import Alarm
from apps.monitoring.statistics import beijing_today
from apps.monitoring.tests.factories import temperature_point
from apps.risk import backtest
from apps.risk.management import history
from apps.risk.models import Incident, IndicatorRecord, RiskDay, StaticAssessment

# --- metrics ----------------------------------------------------------------------------------------


def pairwise_auc(scores, labels):
    """The definition: the share of (positive, negative) pairs ranked right, ties counting one half."""
    pairs = [(p, n) for p, n in itertools.product(range(len(scores)), repeat=2) if labels[p] and not labels[n]]
    return sum(1.0 if scores[p] > scores[n] else 0.5 if scores[p] == scores[n] else 0.0 for p, n in pairs) / len(pairs)


def test_auc_of_a_perfect_ranking_is_one_of_a_reversed_one_zero_of_ties_one_half():
    labels = [False, False, True, True, True]
    assert backtest.auc([1, 2, 3, 4, 5], labels) == 1.0
    assert backtest.auc([5, 4, 3, 2, 1], labels) == 0.0
    assert backtest.auc([7, 7, 7, 7, 7], labels) == 0.5


def test_auc_counts_tied_pairs_as_one_half():
    # positives 2 and 3 against negatives 1 and 2: 1 + 0.5 + 1 + 1 = 3.5 of 4 pairs
    assert backtest.auc([1, 2, 2, 3], [False, True, False, True]) == 0.875
    rng = random.Random(3)
    for _ in range(20):
        scores = [rng.choice([0, 10, 20, 30, 40]) for _ in range(30)]
        labels = [rng.random() < 0.3 for _ in range(30)]
        if any(labels) and not all(labels):
            assert backtest.auc(scores, labels) == pytest.approx(pairwise_auc(scores, labels))


def test_auc_needs_both_classes():
    assert backtest.auc([1, 2, 3], [False, False, False]) is None
    assert backtest.auc([1, 2, 3], [True, True, True]) is None
    with pytest.raises(ValueError):
        backtest.auc([1, 2], [True])


def test_precision_at_k():
    scores, labels = [0.9, 0.8, 0.7, 0.1], [True, False, True, False]
    assert backtest.precision_at_k(scores, labels, 1) == 1.0
    assert backtest.precision_at_k(scores, labels, 2) == 0.5
    assert backtest.precision_at_k(scores, labels, 3) == pytest.approx(2 / 3)
    assert backtest.precision_at_k(scores, labels, 10) == 0.5  # fewer than k: all of them
    assert backtest.precision_at_k([], [], 5) is None


def test_precision_at_k_shares_the_places_of_a_tie_at_the_cut():
    # one sure hit, then one place for three tied scores of which one is a positive: 1 + 1/3 hits in 2
    assert backtest.precision_at_k([0.9, 0.5, 0.5, 0.5], [True, True, False, False], 2) == pytest.approx(2 / 3)


def test_precision_and_recall_of_red_and_orange():
    predicted = [True, True, False, False, True]
    labels = [True, False, True, False, True]
    assert backtest.precision_recall(predicted, labels) == (pytest.approx(2 / 3), pytest.approx(2 / 3))
    assert backtest.precision_recall([False, False], [True, False]) == (None, 0.0)


def test_warnings_follow_the_one_open_warning_rule():
    # 4→3 opens a warning; 3→2 raises it in place; back at 4 it closes; 4→3 opens a second one
    assert backtest.simulate_warnings([4, 4, 3, 2, 2, 4, 3]) == (3, 2)
    assert backtest.simulate_warnings([None, 3, 2, None, 4]) == (1, 1)  # no rise from ungraded
    assert backtest.simulate_warnings([1, 2, 3, 4]) == (0, 0)
    figures = backtest.warning_figures({1: [4, 3, 4, 3], 2: [4, 4, 4, 4]}, recorded_warnings=1, days=30)
    assert figures["simulated_warnings"] == 2 and figures["daily_rises"] == 2
    assert figures["simulated_warnings_per_enterprise_month"] == pytest.approx(2 / 2 / (30 / 30.4375))


def test_evaluate_labels_an_enterprise_by_its_incidents_within_the_horizon():
    d1, d2 = dt.date(2026, 10, 1), dt.date(2026, 10, 2)
    days = {d1: {1: (80.0, 1), 2: (10.0, 4), 3: (50.0, 2)}, d2: {1: (70.0, 2), 2: (10.0, 4), 3: (None, None)}}
    # enterprise 1: an incident on 10-03 (within 2 days of both); 2: on 10-01 (the day itself: not after it)
    incidents = {1: [dt.date(2026, 10, 3)], 2: [dt.date(2026, 10, 1)]}
    result = backtest.evaluate(days, incidents, horizon=2, top_k=1)
    first, second = result["per_day"]
    assert (first["enterprises"], first["positives"], first["auc"]) == (3, 1, 1.0)
    assert second["enterprises"] == 2  # no score: left out
    assert result["precision_at_k_mean"] == 1.0
    assert result["red_orange_precision"] == pytest.approx(2 / 3) and result["red_orange_recall"] == 1.0
    assert result["pairs"] == 5 and result["positive_pairs"] == 2 and result["auc_pooled"] == 1.0


# --- generator, replay and command ------------------------------------------------------------------


@pytest.fixture
def isolated_history(tmp_path, monkeypatch):
    monkeypatch.setattr(history, "HISTORY_DIR", tmp_path)
    monkeypatch.setattr(history, "MANIFEST", tmp_path / "manifest.json")
    monkeypatch.setattr(history, "INCIDENTS_PER_DAY", 0.3)  # enough positives in a few days
    return tmp_path


@pytest.mark.django_db
def test_a_small_synthetic_history_is_generated_replayed_backtested_and_cleared(isolated_history):
    points = [temperature_point(code=f"TI-{n}") for n in range(4)]
    ids = [p.enterprise_id for p in points]
    until = beijing_today() - dt.timedelta(days=1)

    result = history.synthesize(days=5, seed=7, until=until, enterprise_ids=ids)

    since = until - dt.timedelta(days=4)
    assert result["since"] == since.isoformat() and result["enterprises"] == 4
    alarms = Alarm.objects.filter(handler=history.MARK)
    assert alarms.count() == result["created"]["alarms"]
    assert all(a.point.enterprise_id == a.enterprise_id and not a.is_active for a in alarms.select_related("point"))
    incidents = Incident.objects.filter(source="synthetic")
    assert incidents.count() == result["created"]["incidents"] > 0
    assert all(since <= i.occurred_on <= until for i in incidents)
    # the replay graded every enterprise on every day, nothing else
    assert RiskDay.objects.filter(enterprise_id__in=ids).count() == 4 * 5
    assert not RiskDay.objects.filter(enterprise_id__in=ids, last_score__isnull=True).exists()

    out = isolated_history / "backtest.json"
    printed = io.StringIO()
    call_command("risk_backtest", horizon=2, top_k=2, json=str(out), stdout=printed)
    assert "AUC, pooled" in printed.getvalue()
    report = json.loads(out.read_text())
    assert report["since"] == since.isoformat() and report["days"] == 3  # the last 2 days lack a full horizon
    assert report["pairs"] == 4 * 3
    for figure in ("auc_mean", "auc_pooled", "precision_at_k_mean", "red_orange_precision", "red_orange_recall"):
        assert report[figure] is None or 0 <= report[figure] <= 1
    assert report["oracle_latent_risk"] is not None
    assert report["warnings"]["enterprises"] == 4

    removed = history.clear()
    assert removed["risk_days"] == 20 and removed["incidents"] == result["created"]["incidents"]
    assert not Alarm.objects.filter(handler=history.MARK).exists()
    assert not IndicatorRecord.objects.filter(note=history.MARK).exists()
    assert not StaticAssessment.objects.filter(note=history.MARK).exists()
    assert not (isolated_history / "manifest.json").exists()


@pytest.mark.django_db
def test_generating_again_with_the_same_seed_replaces_the_history(isolated_history):
    ids = [temperature_point(code=f"TI-{n}").enterprise_id for n in range(2)]
    until = beijing_today() - dt.timedelta(days=1)
    first = history.synthesize(days=3, seed=11, until=until, enterprise_ids=ids, replay=False)
    second = history.synthesize(days=3, seed=11, until=until, enterprise_ids=ids, replay=False)
    assert first["created"] == second["created"] and first["latent"] == second["latent"]
    assert Incident.objects.filter(source="synthetic").count() == second["created"]["incidents"]
    assert Alarm.objects.filter(handler=history.MARK).count() == second["created"]["alarms"]
