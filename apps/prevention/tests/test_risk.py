"""Overdue hidden dangers feed the risk model's hidden-danger indicator."""

import datetime as dt

import pytest
from django.utils import timezone

from apps.enterprises.tests.factories import enterprise
from apps.prevention.models import HiddenDanger
from apps.risk.sources import Context, get_source

pytestmark = pytest.mark.django_db


def danger(ent, *, deadline, state=0, deleted=False):
    now = timezone.now()
    return HiddenDanger.objects.create(
        enterprise=ent,
        object_code="HS01",
        name="液位计失灵",
        level=0,
        registered_at=now - dt.timedelta(days=10),
        registrant="李四",
        origin="1",
        manage_type=1,
        danger_type=4,
        description="读数不变",
        liable_person="王五",
        deadline=deadline,
        state=state,
        deleted=deleted,
    )


def test_overdue_hidden_dangers_are_counted_and_no_list_is_no_data():
    now = timezone.now()
    late, on_time, silent = enterprise("370102"), enterprise("370112"), enterprise("370202")
    danger(late, deadline=now - dt.timedelta(days=1))
    danger(late, deadline=now - dt.timedelta(days=2))
    danger(late, deadline=now - dt.timedelta(days=3), state=9)  # accepted: not overdue
    danger(late, deadline=now - dt.timedelta(days=3), deleted=True)
    danger(on_time, deadline=now + dt.timedelta(days=3))
    source = get_source("hidden_danger.overdue")
    assert source.provider is not None
    values = source.provider(Context([late.pk, on_time.pk, silent.pk], now), {})
    assert values == {late.pk: 2, on_time.pk: 0}


def test_the_one_screen_page_shows_the_lists_size_and_open_overdue_and_major_dangers(api):
    from apps.accounts.tests.factories import regulator, user_with_role
    from apps.prevention.models import RiskUnit

    now = timezone.now()
    ent = enterprise("370102")
    RiskUnit.objects.create(
        enterprise=ent, object_code="HS01", department="一车间", liable_person="张三", name="罐区", risk_level=2
    )
    danger(ent, deadline=now - dt.timedelta(days=1))
    major = danger(ent, deadline=now + dt.timedelta(days=1))
    HiddenDanger.objects.filter(pk=major.pk).update(level=1)
    danger(ent, deadline=now - dt.timedelta(days=1), state=9)
    api.force_authenticate(user_with_role("regulator_staff", regulator("370100")))
    section = api.get(f"/api/v1/enterprises/{ent.pk}/overview/").json()["sections"]["dual_prevention"]
    assert section["risk_units"] == 1 and section["risk_units_by_level"] == {"2": 1}
    assert section["hidden_dangers"] == {"total": 3, "open": 2, "overdue": 1, "major_open": 1}


def test_the_regulators_enterprise_page_shows_the_dual_prevention_card(client):
    from apps.accounts.tests.factories import regulator, user_with_role

    ent = enterprise("370102")
    danger(ent, deadline=timezone.now() - dt.timedelta(days=1))
    client.force_login(user_with_role("regulator_staff", regulator("370100")))
    page = client.get(f"/gov/enterprises/{ent.pk}/").content.decode()
    assert 'id="overview-dual-prevention"' in page and 'id="overview-overdue-dangers"' in page
