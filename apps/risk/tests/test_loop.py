"""The whole loop on the real pipeline: readings → alarms → regrade → level → warning → acknowledgement
→ feedback → verification → recovery → closure; and the turns it can take."""

import datetime as dt

import pytest
from django.utils import timezone

from apps.accounts.tests.factories import regulator, user_with_role
from apps.monitoring.tests.factories import feed, temperature_point
from apps.notifications.models import Notification
from apps.risk.models import EnterpriseRisk, RiskAssessment, Warning
from apps.risk.services import grading, warnings
from apps.risk.tests.factories import use_model

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        use_model()
    point = temperature_point(code="TI-R", period_s=60)
    ent = point.enterprise
    people = {
        "safety": user_with_role("enterprise_safety_manager", ent.organisation),
        "operator": user_with_role("enterprise_operator", ent.organisation),
        "county": user_with_role("regulator_staff", regulator("370102")),
        "city": user_with_role("regulator_staff", regulator("370100")),
    }
    return point, ent, people


def excursion(point, start, django_capture_on_commit_callbacks):
    """Above the high limit, then back: one alarm raised and cleared."""
    with django_capture_on_commit_callbacks(execute=True):
        feed(point, [20, 95, 96, 20], start=start, every_s=10)


def test_given_alarms_when_level_rises_then_a_warning_goes_round_the_loop_to_closure(
    setup, django_capture_on_commit_callbacks
):
    point, ent, people = setup
    now = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        grading.regrade([ent.pk])
    risk = EnterpriseRisk.objects.get(enterprise=ent)
    assert risk.level == 4 and risk.score == 0
    breakdown = {row["code"]: row for row in risk.assessment.breakdown}
    assert breakdown["alarms.video"]["score"] is None  # no provider yet: no data, not zero

    # one alarm: the alarm hook regrades the enterprise (debounced task, eager here) → yellow, a warning
    excursion(point, now - dt.timedelta(minutes=30), django_capture_on_commit_callbacks)
    risk.refresh_from_db()
    assert risk.level == 3 and risk.previous_level == 4
    warning = Warning.objects.get(enterprise=ent)
    assert (warning.from_level, warning.level, warning.status) == (4, 3, "pending")
    assert warning.drivers[0]["code"] == "alarms.count"
    assert warning.feedback_due_at > warning.raised_at
    told = set(Notification.objects.filter(kind="warning_raised").values_list("recipient__username", flat=True))
    assert told == {people["safety"].username, people["county"].username}  # not the operator, not the city

    # a second alarm: red; the same warning rises in place
    excursion(point, now - dt.timedelta(minutes=20), django_capture_on_commit_callbacks)
    warning.refresh_from_db()
    assert warning.level == 1 and warning.status == "pending"
    assert Warning.objects.filter(enterprise=ent).count() == 1
    assert [e.event for e in warning.events.all()] == ["raised", "rose"]

    with django_capture_on_commit_callbacks(execute=True):
        warnings.acknowledge(warning, actor=people["safety"])
        warnings.feed_back(warning, measures="更换温度变送器，降低进料量", cause="换热器结垢", actor=people["safety"])
        warnings.verify(warning, comment="现场核查属实", actor=people["county"])
    warning.refresh_from_db()
    assert warning.status == "verified"  # the risk is still up: not closed yet

    # the alarms age out of the 24 h window: the level comes back, the warning closes
    with django_capture_on_commit_callbacks(execute=True):
        grading.regrade([ent.pk], at=now + dt.timedelta(hours=25))
    warning.refresh_from_db()
    assert EnterpriseRisk.objects.get(enterprise=ent).level == 4
    assert warning.status == "closed" and warning.recovered_at and warning.closed_at
    assert [e.event for e in warning.events.all()][-4:] == ["fed_back", "verified", "recovered", "closed"]


def test_given_an_unchanged_result_then_no_new_assessment_is_stored(setup, django_capture_on_commit_callbacks):
    _point, ent, _people = setup
    grading.regrade([ent.pk])
    grading.regrade([ent.pk])
    assert RiskAssessment.objects.filter(enterprise=ent).count() == 1
    assert EnterpriseRisk.objects.get(enterprise=ent).assessed_at is not None


def test_only_the_enterprise_disposes_and_only_a_regulator_verifies(setup, django_capture_on_commit_callbacks):
    from apps.core.exceptions import ConflictError, InvalidInput, PermissionDeniedError

    point, ent, people = setup
    grading.regrade([ent.pk])
    excursion(point, timezone.now() - dt.timedelta(minutes=5), django_capture_on_commit_callbacks)
    warning = Warning.objects.get(enterprise=ent)
    with pytest.raises(PermissionDeniedError):
        warnings.acknowledge(warning, actor=people["operator"])  # no dispose right
    with pytest.raises(PermissionDeniedError):
        warnings.feed_back(warning, measures="x", actor=people["county"])  # regulators do not dispose
    other = user_with_role("enterprise_safety_manager", temperature_point(code="TI-O").enterprise.organisation)
    with pytest.raises(PermissionDeniedError):
        warnings.acknowledge(warning, actor=other)  # another enterprise
    with pytest.raises(InvalidInput):
        warnings.feed_back(warning, measures="  ", actor=people["safety"])
    with pytest.raises(ConflictError):
        warnings.verify(warning, actor=people["county"])  # nothing fed back yet
    warnings.feed_back(warning, measures="已处置", actor=people["safety"])
    with pytest.raises(PermissionDeniedError):
        warnings.verify(warning, actor=people["safety"])
    with pytest.raises(InvalidInput):
        warnings.send_back(warning, comment="", actor=people["county"])
    warnings.send_back(warning, comment="措施不具体", actor=people["county"])
    warning.refresh_from_db()
    assert warning.status == "returned"
    warnings.feed_back(warning, measures="更换传感器并校验联锁", actor=people["safety"])
    warning.refresh_from_db()
    assert warning.status == "fed_back"


def test_unacknowledged_warnings_are_reminded_and_overdue_ones_escalate_up_the_regions(
    setup, django_capture_on_commit_callbacks
):
    point, ent, people = setup
    grading.regrade([ent.pk])
    excursion(point, timezone.now() - dt.timedelta(minutes=5), django_capture_on_commit_callbacks)
    warning = Warning.objects.get(enterprise=ent)  # yellow: remind every 120 min, feed back in 24 h
    with django_capture_on_commit_callbacks(execute=True):
        assert warnings.tick(warning.raised_at + dt.timedelta(minutes=10)) == {"reminded": 0, "escalated": 0}
        assert warnings.tick(warning.raised_at + dt.timedelta(minutes=121))["reminded"] == 1
        assert warnings.tick(warning.raised_at + dt.timedelta(minutes=130))["reminded"] == 0  # not again yet
        assert warnings.tick(warning.feedback_due_at + dt.timedelta(minutes=1))["escalated"] == 1
    warning.refresh_from_db()
    assert warning.escalated_to.code == "370100" and warning.escalations == 1
    assert Notification.objects.filter(kind="warning_escalated", recipient=people["city"]).exists()
    assert Notification.objects.filter(kind="warning_reminded", recipient=people["safety"]).exists()
    with django_capture_on_commit_callbacks(execute=True):
        assert warnings.tick(warning.feedback_due_at + dt.timedelta(hours=1))["escalated"] == 0  # 12 h per step
        assert warnings.tick(warning.feedback_due_at + dt.timedelta(hours=12, minutes=1))["escalated"] == 1
        assert warnings.tick(warning.feedback_due_at + dt.timedelta(hours=40))["escalated"] == 0  # no region above
    warning.refresh_from_db()
    assert warning.escalated_to.code == "370000"


def test_a_level_whose_policy_does_not_warn_records_the_rise_without_a_warning(
    setup, django_capture_on_commit_callbacks
):
    from apps.risk.models import WarningPolicy

    point, ent, _people = setup
    WarningPolicy.objects.filter(level_id=3).update(raises_warning=False)  # warn on orange and red only
    grading.regrade([ent.pk])
    excursion(point, timezone.now() - dt.timedelta(minutes=30), django_capture_on_commit_callbacks)
    risk = EnterpriseRisk.objects.get(enterprise=ent)
    assert (risk.level, risk.previous_level) == (3, 4)  # the rise is in the history
    assert not Warning.objects.filter(enterprise=ent).exists()
    excursion(point, timezone.now() - dt.timedelta(minutes=20), django_capture_on_commit_callbacks)
    warning = Warning.objects.get(enterprise=ent)  # yellow → red warns
    assert (warning.from_level, warning.level) == (3, 1)
