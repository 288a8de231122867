"""The demo province (``manage.py seed_demo``): built once per module inside a transaction that is
rolled back at the end, so the other test modules never see it."""

import datetime as dt
import re
from collections import Counter
from decimal import Decimal
from io import StringIO
from unittest import mock

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from apps.accounts.models import Organisation, OrganisationKind, RegulatorLevel, Role, User
from apps.accounts.roles import ROLE_DEFINITIONS
from apps.accounts.validators import uscc_error
from apps.core import secrets as secret_store
from apps.core.attributes import validate_attributes
from apps.core.codes import check_codes
from apps.enterprises.models import Enterprise, Industry, Shutdown
from apps.enterprises.quality import completeness
from apps.enterprises.services import in_shutdown
from apps.facilities.models import Facility
from apps.hazards.models import HazardSource, HazardSourceSubstance
from apps.hazards.services import assess, term_for
from apps.monitoring.models import Gateway, MonitoringPoint
from apps.monitoring.services import threshold_errors
from apps.portal import demo, demo_exchange
from apps.regions.models import Region, RegionKind
from apps.risk.models import (
    EnterpriseRisk,
    Incident,
    IndicatorRecord,
    RiskAssessment,
    StaticAssessment,
    Warning,
)
from apps.video.models import Camera
from apps.video.validators import camera_code_error

COAL_CITIES = {"370800", "370400", "370900", "371700", "371300", "370300"}  # 济宁 枣庄 泰安 菏泽 临沂 淄博


def _snapshot():
    through = Enterprise.industries.through
    return {
        "organisations": Organisation.objects.count(),
        "enterprises": Enterprise.objects.count(),
        "enterprise_industries": through.objects.count(),
        "users": User.objects.count(),
        "memberships": User.groups.through.objects.count(),
        "shutdowns": Shutdown.objects.count(),
        "facilities": Facility.objects.count(),
        "points": MonitoringPoint.objects.count(),
        "hazard_sources": HazardSource.objects.count(),
        "hazard_substances": HazardSourceSubstance.objects.count(),
        "hazard_facilities": HazardSource.facilities.through.objects.count(),
        "cameras": Camera.objects.count(),
        "gateways": Gateway.objects.count(),
        "inherent_risk_assessments": StaticAssessment.objects.count(),
        "indicator_records": IndicatorRecord.objects.count(),
        "incidents": Incident.objects.count(),
        "risk_assessments": RiskAssessment.objects.count(),
        "warnings": Warning.objects.count(),
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
    assert set(result["created"].values()) == {0}
    assert set(result["created"]) >= {"regulators", "enterprises", "users", "facilities", "points", "hazard_sources"}
    assert _snapshot() == before
    assert result["enterprises"] == demo.ENTERPRISE_COUNT
    assert len(result["logins"]) == len(demo.DEMO_USERS)
    assert result["facilities"] == before["facilities"] and result["points"] == before["points"]


# --- base information ----------------------------------------------------------------------------


def test_base_information_uses_the_code_tables(demo_enterprises):
    codes = [e.province_code for e in demo_enterprises]
    assert len(set(codes)) == len(codes)
    for enterprise in demo_enterprises:
        region = enterprise.organisation.region
        county = region.parent if region.kind == RegionKind.PARK else region
        assert re.fullmatch(r"\d{9}", enterprise.province_code) and enterprise.province_code[:6] == county.code
        for field, table in (
            ("scale", "enterprise_scale"),
            ("economic_type", "economic_type"),
            ("affiliation", "affiliation"),
            ("supervision_level", "supervision_level"),
            ("hazchem_category", "hazchem_category"),
            ("dust_kinds", "dust_kind"),
        ):
            if getattr(enterprise, field):
                check_codes(table, getattr(enterprise, field), field=field)
        industries = {i.code for i in enterprise.industries.all()}
        if "hazardous_chemicals" in industries:
            assert enterprise.registration_code
        else:
            assert not enterprise.hazchem_category and not enterprise.registration_code
        if "dust_explosion" not in industries:
            assert enterprise.dust_kinds == [] and enterprise.dust_workers is None
        elif enterprise.dust_workers is not None:
            assert 5 <= enterprise.dust_workers <= 300
            assert enterprise.employees is None or enterprise.dust_workers <= enterprise.employees
    workers = [e.dust_workers for e in demo_enterprises if e.dust_workers]
    assert sum(w >= 30 for w in workers) >= 10
    hazchem = Counter(e.hazchem_category for e in demo_enterprises if e.hazchem_category)
    assert set(hazchem) == {"production", "operation_with_storage", "use_permit"}
    connected = sum(e.monitoring_connected for e in demo_enterprises) / len(demo_enterprises)
    assert 0.78 <= connected <= 0.92
    levels = Counter(e.supervision_level for e in demo_enterprises)
    assert levels.most_common(1)[0][0] == "county" and levels["city"] + levels["province"] >= 3


def test_special_information_validates_per_industry(demo_enterprises):
    for enterprise in demo_enterprises:
        industries = {i.code: i for i in enterprise.industries.all()}
        assert set(enterprise.special_info) == set(industries), enterprise.name
        for code, values in enterprise.special_info.items():
            schema = industries[code].special_attributes
            assert validate_attributes(schema, values, field=f"special_info.{code}") == values
            assert set(values) == {a["key"] for a in schema}, (enterprise.name, code)


def test_some_enterprises_are_left_incomplete(demo_enterprises):
    scores = {e.name: completeness(e)["score"] for e in demo_enterprises}
    incomplete = [name for name, score in scores.items() if score < 1]
    assert len(incomplete) == demo.INCOMPLETE_COUNT
    assert demo.DEMO_ENTERPRISE_NAME not in incomplete


def test_suspended_enterprises_with_a_shutdown_in_force(seeded, db):
    shutdowns = Shutdown.objects.select_related("enterprise")
    assert 2 <= shutdowns.count() <= 3
    for shutdown in shutdowns:
        assert shutdown.enterprise.status == "suspended" and in_shutdown(shutdown.enterprise)


# --- facilities and points -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def facilities(seeded, django_db_blocker):
    with django_db_blocker.unblock():
        return list(Facility.objects.select_related("kind", "parent__kind").prefetch_related("enterprise__industries"))


def test_every_facility_is_valid_for_its_kind(facilities, db):
    assert len(facilities) > 2000
    for facility in facilities:
        kind = facility.kind
        assert validate_attributes(kind.attributes, facility.attributes) == facility.attributes, facility.code
        assert set(kind.industries) & {i.code for i in facility.enterprise.industries.all()}, facility.code
        if facility.parent is not None:
            assert facility.parent.enterprise_id == facility.enterprise_id
            assert facility.parent.kind.code in kind.parent_kinds, (kind.code, facility.parent.kind.code)
        assert re.fullmatch(r"[A-Z]{2,3}\d{2}", facility.code)
        assert re.search(r"[\u4e00-\u9fff]", facility.name)
    region = F("enterprise__organisation__region__geometry")
    assert not Facility.objects.exclude(location__within=region).exists()
    assert not Camera.objects.exclude(location__within=region).exists()


def _kinds_by_enterprise(facilities):
    result = {}
    for facility in facilities:
        result.setdefault(facility.enterprise_id, Counter())[facility.kind.code] += 1
    return result


def test_each_industry_has_its_plant(demo_enterprises, facilities, db):
    kinds = _kinds_by_enterprise(facilities)
    fuel_tanks = Counter(
        f.enterprise_id for f in facilities if f.kind.code == "fuel_tank" and f.attributes["oil_product"] != "other"
    )
    for enterprise in demo_enterprises:
        primary = _primary(enterprise)
        have = kinds[enterprise.pk]
        if primary == "hazardous_chemicals":
            assert (
                1 <= have["tank_farm"] <= 2 and 2 * have["tank_farm"] <= have["storage_tank"] <= 6 * have["tank_farm"]
            )
            assert have["warehouse"] == 1 and have["loading_rack"] == 1
            if enterprise.hazchem_category in ("production", "use_permit"):
                assert 1 <= have["production_unit"] <= 2
        elif primary == "dust_explosion":
            assert 1 <= have["dust_removal_system"] <= 3 and have["dust_collector"] >= have["dust_removal_system"]
        elif primary == "steel":
            assert have["blast_furnace"] + have["electric_arc_furnace"] >= 1
            assert have["gas_system"] == 1 and have["molten_metal_ladle"] >= 2
        elif primary == "aluminium_casting":
            assert 1 <= have["casting_well"] <= 4 and have["melting_furnace"] >= 1
        elif primary == "coal":
            assert have["working_face"] == 2 and have["ventilation_system"] == have["drainage_system"] == 1
            assert have["safety_monitoring_system"] == have["personnel_positioning_system"] == 1
        elif primary == "fireworks":
            for area in ("office_area", "hazardous_production_area", "general_warehouse_area"):
                assert have[area] == 1
            assert have["workshop"] >= 2 and have["general_warehouse"] >= 2
        else:
            assert 3 <= fuel_tanks[enterprise.pk] <= 4 and 4 <= have["dispenser"] <= 8
    fireworks = Facility.objects.filter(kind__code__in=["workshop", "transfer_warehouse", "general_warehouse"])
    for store in fireworks:
        assert {"approved_persons", "approved_charge_kg", "designed_use"} <= set(store.attributes)


def _primary(enterprise):
    codes = {i.code for i in enterprise.industries.all()}
    if len(codes) == 1:
        return codes.pop()
    return next(c for c in codes if c in demo.SECOND_INDUSTRY and demo.SECOND_INDUSTRY[c][0] in codes)


def test_points_per_enterprise_with_valid_thresholds(demo_enterprises, seeded):
    points = list(MonitoringPoint.objects.select_related("kind", "facility"))
    per_enterprise = Counter(p.enterprise_id for p in points)
    low, high = demo.POINTS_PER_ENTERPRISE
    assert {e.pk for e in demo_enterprises} == set(per_enterprise)
    assert all(low <= n <= high for n in per_enterprise.values()), sorted(per_enterprise.values())
    assert len({(p.enterprise_id, p.code) for p in points}) == len(points)
    bits = Counter((p.enterprise_id, p.bit_number) for p in points)
    assert bits.most_common(1)[0][1] == 1
    for point in points:
        values = {f: getattr(point, f) for f in ("range_low", "range_high", *MonitoringPoint.THRESHOLDS)}
        assert threshold_errors(values) == {}, (point.code, values)
        assert point.facility.enterprise_id == point.enterprise_id
        prefix, serial = point.code.rsplit("-", 1)
        assert prefix == f"{point.facility.code}-{point.kind.code}" and serial.isdigit(), point.code
        assert re.fullmatch(r"[A-Z]{2,4}-\d{4}", point.bit_number)
        assert 10 <= point.period_s <= 60
        if point.kind.signal == "switch":
            assert all(values[f] is None for f in MonitoringPoint.THRESHOLDS) and point.range_high is None
    # Thresholds taken from the facility's attributes (point_templates.json threshold_from).
    for point in points:
        if point.kind.code == "person_count" and point.facility.kind.code == "workshop":
            assert point.high == point.facility.attributes["approved_persons"]
        if point.kind.code == "load":
            assert point.high_high == point.facility.attributes["rated_load_t"]


# --- hazard sources, cameras, gateways -----------------------------------------------------------


def test_hazard_sources_graded_and_spread_over_levels(seeded, db):
    sources = list(HazardSource.objects.prefetch_related("substances__substance__category", "facilities"))
    levels = Counter(s.level if s.is_major else None for s in sources)
    assert set(levels) == {1, 2, 3, 4, None}
    assert levels[1] < levels[2] and levels[1] < levels[3] and levels[4] >= max(levels[2], levels[3])
    q = Decimal("0.0001")
    for source in sources:
        rows = list(source.substances.all())
        fresh = assess(
            source.exposed_population, [term_for(substance=r.substance, quantity_t=r.quantity_t) for r in rows]
        )
        assert (source.is_major, source.level) == (fresh.is_major, fresh.level), source.name
        assert source.s_value == fresh.s.quantize(q) and source.r_value == fresh.r.quantize(q)
        assert source.alpha == fresh.alpha and len(source.terms) == len(rows)
        assert source.is_major == (source.s_value >= 1)
        assert 0 <= source.exposed_population <= 500
        assert source.principal_person and source.technical_phone and source.operational_person
        facilities = list(source.facilities.all())
        assert facilities and {f.enterprise_id for f in facilities} == {source.enterprise_id}
        assert {r.facility_id for r in rows} <= {f.pk for f in facilities} | {
            c.pk for f in facilities for c in f.children.all()
        }
        if source.filing_status == "filed":
            assert source.is_major and source.filing_number and source.filed_on
    major = [s for s in sources if s.is_major]
    assert sum(s.filing_status == "filed" for s in major) > len(major) / 2
    # The facilities and the special information agree with the grading.
    for source in sources:
        for facility in source.facilities.all():
            if "major_hazard_level" in facility.attributes:
                assert facility.attributes["major_hazard_level"] == (str(source.level) if source.is_major else "none")
        special = source.enterprise.special_info.get("hazardous_chemicals")
        if special and source.is_major:
            assert special["major_hazard"] is True


def test_cameras_carry_provincial_codes(demo_enterprises, seeded):
    cameras = list(Camera.objects.select_related("enterprise", "facility"))
    per_enterprise = Counter(c.enterprise_id for c in cameras)
    low, high = demo.CAMERAS_PER_ENTERPRISE
    assert {e.pk for e in demo_enterprises} == set(per_enterprise)
    assert all(low <= n <= high for n in per_enterprise.values())
    for camera in cameras:
        assert camera_code_error(camera.code, province_code=camera.enterprise.province_code) is None, camera.code
        assert camera_code_error(camera.code) is None
        assert camera.facility is None or camera.facility.enterprise_id == camera.enterprise_id
    assert sum(c.facility_id is not None for c in cameras) > len(cameras) / 2


def test_one_gateway_per_connected_enterprise(demo_enterprises, seeded):
    gateways = {g.enterprise_id: g for g in Gateway.objects.all()}
    connected = {e.pk for e in demo_enterprises if e.monitoring_connected}
    assert set(gateways) == connected
    for enterprise in demo_enterprises:
        if enterprise.pk in gateways:
            gateway = gateways[enterprise.pk]
            assert gateway.gateway_id == f"gw-{enterprise.province_code}"
            secret = secret_store.decrypt(gateway.secret_encrypted)
            assert secret and secret.startswith(gateway.secret_hint)
            assert secret not in seeded  # never printed


def test_command_prints_the_counts(seeded):
    for word in (
        "facilities",
        "monitoring points",
        "hazard sources",
        "cameras",
        "gateways",
        "level 1",
        "open warnings",
    ):
        assert word in seeded


# --- risk ------------------------------------------------------------------------------------------


def test_every_enterprise_is_graded_and_all_four_levels_occur(demo_enterprises):
    risks = {r.enterprise_id: r for r in EnterpriseRisk.objects.filter(enterprise__in=demo_enterprises)}
    assert set(risks) == {e.pk for e in demo_enterprises}
    assert all(r.level in (1, 2, 3, 4) and r.score is not None and r.assessment_id for r in risks.values())
    levels = Counter(r.level for r in risks.values())
    assert set(levels) == {1, 2, 3, 4}
    assert levels[1] <= levels[2] <= levels[3] and levels[2] <= levels[4]  # red the rarest


def test_a_handful_of_self_assessments_one_with_a_veto_and_indicator_reports(seeded, db):
    assessments = list(StaticAssessment.objects.all())
    assert 5 <= len(assessments) <= 10
    (veto,) = [a for a in assessments if a.vetoes]
    assert veto.level == 1
    risk = EnterpriseRisk.objects.select_related("assessment").get(enterprise=veto.enterprise_id)
    assert risk.level == 1 and risk.assessment.rule == "veto"  # one-vote-red, whatever the score
    reporting = set(IndicatorRecord.objects.values_list("enterprise_id", flat=True))
    assert len(reporting) >= 10


def test_the_demo_enterprise_has_an_open_warning_raised_by_a_rise_of_its_level(seeded, db):
    enterprise = Enterprise.objects.get(organisation__name=demo.DEMO_ENTERPRISE_NAME)
    (warning,) = Warning.objects.open().filter(enterprise=enterprise)
    risk = EnterpriseRisk.objects.get(enterprise=enterprise)
    assert warning.status == "pending" and warning.from_level == risk.previous_level > warning.level == risk.level
    assert warning.assessment_id == risk.assessment_id and warning.feedback_due_at > warning.raised_at
    assert warning.drivers and [e.event for e in warning.events.all()] == ["raised"]
    # the data that raised it came through the services, by the people who record it
    assert StaticAssessment.objects.get(enterprise=enterprise).recorded_by.username == "ent_safety"
    assert {i.kind for i in Incident.objects.filter(enterprise=enterprise)} == {"accident", "violation"}
    assert Warning.objects.open().count() == 1  # nobody else's level rose


def test_a_dozen_enterprises_report_every_exchange_table_with_some_mistakes_and_late_uploads(seeded, db):
    from apps.exchange import specs
    from apps.exchange.models import ExchangeClient, ReceivedRecord, Rejection, UploadStat

    assert ExchangeClient.objects.filter(name__startswith="demo:").count() == demo_exchange.REPORTING + 2
    received = set(ReceivedRecord.objects.values_list("dataset", flat=True).distinct())
    assert received == set(specs.names("province"))
    assert not ReceivedRecord.objects.filter(orphan=True).exists()  # parents were sent first
    demo_enterprise = Enterprise.objects.get(organisation__uscc=demo.DEMO_ENTERPRISE_USCC)
    assert ReceivedRecord.objects.filter(enterprise=demo_enterprise, dataset="hazards").exists()
    assert {r.split(":")[0] for reasons in Rejection.objects.values_list("reasons", flat=True) for r in reasons} >= {
        "DANGER_SRC",
        "TASK_TYPE",
        "CHECK_TIME",
    }
    from apps.exchange.models import Subscription

    assert Subscription.objects.filter(partner__kind="ministry", partner__enabled=False).count() == 5
    day_and_a_half = timezone.now() - dt.timedelta(hours=30)
    assert UploadStat.objects.filter(dataset="risk-units", last_upload_at__lt=day_and_a_half).count() == 3
