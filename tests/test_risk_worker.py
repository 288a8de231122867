"""Event-driven regrading through the real pieces: readings posted over HTTP are processed by a real
Celery worker, the alarm they raise asks (through Redis) for the enterprise to be regraded, the
debounced regrade task runs in the worker, and the rise becomes a warning — nobody calls a service
by hand."""

import datetime as dt

import pytest
from django.utils import timezone

from .test_durability import post_readings, wait_for
from .workers import start_worker, stop_worker, through_the_broker

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def worker():
    with through_the_broker():
        proc = start_worker("risk")
        yield proc
        stop_worker(proc)


def test_an_alarm_processed_by_the_worker_regrades_its_enterprise_and_raises_a_warning(worker, client, settings):
    from apps.monitoring.tests.factories import temperature_point
    from apps.risk.models import EnterpriseRisk, Warning
    from apps.risk.services import grading
    from apps.risk.tests.factories import use_model

    settings.ANQUAN_RISK_DEBOUNCE_SECONDS = 1
    use_model()
    point = temperature_point(code="TI-W", period_s=60)
    grading.regrade([point.enterprise_id])
    assert EnterpriseRisk.objects.get(enterprise=point.enterprise).level == 4

    started = timezone.now()
    post_readings(client, point, [20, 95, 96, 97])  # processed by the worker: a high alarm
    assert wait_for(lambda: Warning.objects.filter(enterprise=point.enterprise).exists(), seconds=40)
    risk = EnterpriseRisk.objects.get(enterprise=point.enterprise)
    warning = Warning.objects.get(enterprise=point.enterprise)
    assert risk.level == 3 and risk.assessment.trigger == "event"
    assert (warning.from_level, warning.level) == (4, 3)
    assert warning.raised_at - started < dt.timedelta(seconds=40)
