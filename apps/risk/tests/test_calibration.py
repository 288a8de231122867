"""Self-learning: a first-level indicator that foretells incidents gains weight in a proposed draft;
too little evidence proposes nothing."""

import datetime as dt

import pytest
from django.utils import timezone

from apps.enterprises.tests.factories import enterprise
from apps.risk.models import Incident, RiskAssessment, RiskModel
from apps.risk.services.calibration import calibrate

pytestmark = pytest.mark.django_db


def history(model, n=20, *, incidents=True):
    """n enterprises graded 100 days ago: alarms score i×5, and the top quarter by alarms had an
    incident within 30 days; training scores high on some that had none (it misleads the ranking)."""
    version = model.current_version
    start = timezone.localdate() - dt.timedelta(days=100)
    at = timezone.now() - dt.timedelta(days=100)
    for i in range(n):
        ent = enterprise("370102")
        RiskAssessment.objects.create(
            enterprise=ent,
            version=version,
            assessed_at=at,
            score=i,
            level=4,
            breakdown=[
                {"code": "process_alarms", "depth": 0, "score": i * 5.0},
                {"code": "training", "depth": 0, "score": 95.0 if 10 <= i < n * 3 // 4 else float(i % 3) * 5},
            ],
        )
        if incidents and i >= n * 3 // 4:
            Incident.objects.create(enterprise=ent, occurred_on=start + dt.timedelta(days=10), kind="violation")
    return start


def test_given_incidents_that_follow_alarms_then_the_alarm_weight_grows_in_a_draft():
    model = RiskModel.objects.get(code="hazardous_chemicals")
    start = history(model)
    weights = {n["code"]: n["weight"] for n in model.current_version.definition["indicators"]}
    report = calibrate(model, since=start, until=start + dt.timedelta(days=1), horizon_days=30, min_positives=3)
    assert report["positives"] == 5 and report["draft"] == 2, report
    assert report["auc_proposed"] > report["auc_current"]
    draft = model.versions.get(number=2)
    assert draft.status == "draft" and "AUC" in draft.note
    new = {n["code"]: n["weight"] for n in draft.definition["indicators"]}
    assert new["process_alarms"] > weights["process_alarms"]
    assert new["training"] <= weights["training"]
    model.refresh_from_db()
    assert model.last_trained_at is not None and model.current_version.number == 1  # nothing published


def test_given_no_incidents_then_nothing_is_proposed_but_the_run_is_recorded():
    model = RiskModel.objects.get(code="hazardous_chemicals")
    start = history(model, incidents=False)
    report = calibrate(model, since=start, until=start + dt.timedelta(days=1), horizon_days=30)
    assert report["draft"] is None and report["positives"] == 0
    model.refresh_from_db()
    assert model.last_trained_at is not None and model.versions.count() == 1
