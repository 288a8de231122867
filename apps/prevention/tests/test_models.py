"""The dual-prevention models take the province's codes from the table files, so a code list is
defined once; rows are scoped to their enterprise like every other enterprise record."""

import pytest

from apps.accounts.tests.factories import regulator, user_with_role
from apps.enterprises.tests.factories import enterprise
from apps.prevention.models import ControlMeasure, HiddenDanger, RiskUnit

pytestmark = pytest.mark.django_db


def test_code_fields_carry_the_tables_codes():
    assert [c for c, _ in ControlMeasure._meta.get_field("classify1").choices] == ["1", "2", "3", "4"]
    assert len(ControlMeasure._meta.get_field("classify2").choices) == 14
    assert [c for c, _ in HiddenDanger._meta.get_field("state").choices] == [0, 1, 9]
    assert [c for c, _ in HiddenDanger._meta.get_field("origin").choices] == [str(n) for n in range(1, 12)]
    assert [c for c, _ in HiddenDanger._meta.get_field("danger_type").choices] == list(range(1, 9))


def test_rows_are_scoped_to_their_enterprise_and_jurisdiction():
    jinan, qingdao = enterprise("370102"), enterprise("370202")
    for ent in (jinan, qingdao):
        RiskUnit.objects.create(
            enterprise=ent, object_code="HS01", department="一车间", liable_person="张三", name="罐区"
        )
    city = user_with_role("regulator_staff", regulator("370100"))
    own = user_with_role("enterprise_admin", jinan.organisation)
    assert list(RiskUnit.objects.for_user(city).values_list("enterprise", flat=True)) == [jinan.pk]
    assert list(RiskUnit.objects.for_user(own).values_list("enterprise", flat=True)) == [jinan.pk]
    assert len(str(RiskUnit.objects.get(enterprise=jinan).uid)) == 36
