"""The demo province (``manage.py seed_demo``): built once per module inside a transaction that is
rolled back at the end, so the other test modules never see it."""

from io import StringIO
from unittest import mock

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction

from apps.accounts.models import Organisation, OrganisationKind, RegulatorLevel, Role, User
from apps.accounts.roles import ROLE_DEFINITIONS
from apps.accounts.validators import uscc_error
from apps.enterprises.models import Enterprise, Industry
from apps.portal import demo
from apps.regions.models import Region, RegionKind

COAL_CITIES = {"370800", "370400", "370900", "371700", "371300", "370300"}  # 济宁 枣庄 泰安 菏泽 临沂 淄博


def _snapshot():
    through = Enterprise.industries.through
    return {
        "organisations": Organisation.objects.count(),
        "enterprises": Enterprise.objects.count(),
        "enterprise_industries": through.objects.count(),
        "users": User.objects.count(),
        "memberships": User.groups.through.objects.count(),
        "last_change": max(
            Organisation.objects.latest("updated_at").updated_at, Enterprise.objects.latest("updated_at").updated_at
        ),
    }


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """Reference data and the demo province, built once; everything is rolled back afterwards."""
    with django_db_blocker.unblock(), transaction.atomic():
        if not Region.objects.exists() or Industry.objects.count() < len(demo.INDUSTRY_QUOTAS):
            from apps.core.reference import load_all

            load_all()
        out = StringIO()
        call_command("seed_demo", stdout=out)
        yield out.getvalue()
        transaction.set_rollback(True)


@pytest.fixture
def demo_enterprises(seeded, db):
    return list(
        Enterprise.objects.filter(organisation__uscc__startswith="91")
        .select_related("organisation__region")
        .prefetch_related("industries")
    )


def test_without_regions_the_command_asks_for_reference_data(db):
    with mock.patch.object(Region.objects, "exists", return_value=False), pytest.raises(CommandError) as excinfo:
        call_command("seed_demo", stdout=StringIO())
    assert "load_reference_data" in str(excinfo.value)


def test_two_hundred_enterprises_with_valid_unique_usccs(seeded, db):
    enterprises = Enterprise.objects.select_related("organisation")
    assert enterprises.count() == demo.ENTERPRISE_COUNT
    usccs = [e.organisation.uscc for e in enterprises]
    assert [u for u in usccs if uscc_error(u) is not None] == []
    assert len(set(usccs)) == len(usccs)
    names = [e.organisation.name for e in enterprises]
    assert len(set(names)) == len(names)
    assert all(e.organisation.kind == OrganisationKind.ENTERPRISE for e in enterprises)


def test_uscc_carries_the_county_code(demo_enterprises):
    for enterprise in demo_enterprises:
        region = enterprise.organisation.region
        county = region.parent if region.kind == RegionKind.PARK else region
        assert enterprise.organisation.uscc[2:8] == county.code, enterprise.organisation.name


def test_every_location_lies_inside_its_region(demo_enterprises):
    outside = [
        e.organisation.name
        for e in demo_enterprises
        if e.location is None or not e.organisation.region.geometry.contains(e.location)
    ]
    assert outside == []
    assert {e.organisation.region.kind for e in demo_enterprises} == {RegionKind.COUNTY, RegionKind.PARK}


def test_all_industries_with_plausible_shares(demo_enterprises):
    by_industry = {}
    for enterprise in demo_enterprises:
        for industry in enterprise.industries.all():
            by_industry.setdefault(industry.code, []).append(enterprise)
    assert set(by_industry) == set(Industry.objects.values_list("code", flat=True)) == set(demo.INDUSTRY_QUOTAS)
    for code, quota in demo.INDUSTRY_QUOTAS.items():
        assert len(by_industry[code]) >= quota, code
    assert sum(1 for e in demo_enterprises if e.industries.count() == 2) >= 5
    for mine in by_industry["coal"]:
        assert mine.organisation.region.path.split("/")[2] in COAL_CITIES, mine.organisation.name
    in_parks = [e for e in by_industry["hazardous_chemicals"] if e.organisation.region.kind == RegionKind.PARK]
    assert len(in_parks) == round(demo.INDUSTRY_QUOTAS["hazardous_chemicals"] * demo.PARK_SHARE)
    assert all(e.organisation.region.kind == RegionKind.COUNTY for e in demo_enterprises if e not in in_parks)
    statuses = {e.status for e in demo_enterprises}
    assert statuses == {"operating", "suspended"}
    assert sum(e.status == "suspended" for e in demo_enterprises) < len(demo_enterprises) // 5


def test_a_regulator_for_every_region(seeded, db):
    regulators = Organisation.objects.filter(kind=OrganisationKind.REGULATOR)
    bound = {(o.level, o.region.code) for o in regulators.select_related("region")}
    level_of = {
        RegionKind.PROVINCE: RegulatorLevel.PROVINCE,
        RegionKind.CITY: RegulatorLevel.CITY,
        RegionKind.COUNTY: RegulatorLevel.COUNTY,
        RegionKind.PARK: RegulatorLevel.PARK,
    }
    for region in Region.objects.all():
        assert (level_of[region.kind], region.code) in bound, region
    for organisation in regulators:
        organisation.full_clean()  # level matches the kind of region
    assert regulators.get(level=RegulatorLevel.PROVINCE).name == "山东省应急管理厅"
    assert regulators.get(level=RegulatorLevel.CITY, region__code="370100").name == "济南市应急管理局"
    for kind in (OrganisationKind.COMMITTEE_MEMBER, OrganisationKind.SERVICE_PROVIDER, OrganisationKind.RESCUE_TEAM):
        organisation = Organisation.objects.get(kind=kind)
        organisation.full_clean()
        assert organisation.level == ""


def test_one_login_per_role(seeded, db):
    users = User.objects.filter(username__in=[u[0] for u in demo.DEMO_USERS]).select_related("organisation")
    assert users.count() == len(demo.DEMO_USERS)
    roles_held = {code for user in users for code in user.role_codes}
    assert roles_held == {r.code for r in ROLE_DEFINITIONS}
    for user in users:
        (code,) = user.role_codes
        assert Role.objects.get(code=code).fits(user.organisation), user.username
        assert user.real_name and user.is_active
    assert users.get(username="ent_admin").check_password(demo.DEMO_PASSWORD)
    ops = users.get(username="ops")
    assert ops.is_staff and ops.organisation is None and ops.user_type == "administrator"
    assert users.get(username="lixia_staff").organisation.region.code == "370102"
    assert users.get(username="qingdao_staff").organisation.region.code == "370200"
    assert users.get(username="park_staff").organisation.level == RegulatorLevel.PARK


def test_demo_enterprises(seeded, db):
    jinan = Region.objects.get(code="370100")
    enterprise = Enterprise.objects.get(organisation__name=demo.DEMO_ENTERPRISE_NAME)
    assert enterprise.uscc == demo.DEMO_ENTERPRISE_USCC
    assert jinan.contains(enterprise.region) and enterprise.region.kind == RegionKind.COUNTY
    assert list(enterprise.industries.values_list("code", flat=True)) == ["hazardous_chemicals"]
    staff = User.objects.filter(username__startswith="ent_")
    assert staff.count() == 12 and {u.organisation_id for u in staff} == {enterprise.pk}
    other = User.objects.get(username="qingdao_ent_admin").organisation
    assert other.pk != enterprise.pk and Region.objects.get(code="370200").contains(other.region)


def test_command_prints_the_logins(seeded):
    output = seeded
    assert demo.DEMO_PASSWORD in output
    for username, *_ in demo.DEMO_USERS:
        assert username in output
    assert demo.DEMO_ENTERPRISE_NAME in output


def test_second_run_creates_nothing(seeded, db):
    before = _snapshot()
    result = demo.build_demo_province()
    assert result["created"] == {"regulators": 0, "other_organisations": 0, "enterprises": 0, "users": 0}
    assert _snapshot() == before
    assert result["enterprises"] == demo.ENTERPRISE_COUNT
    assert len(result["logins"]) == len(demo.DEMO_USERS)
