"""Monitoring points and gateways API: scoping, threshold validation, soft delete, secrets shown once."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.accounts.tests.factories import regulator, user_with_role
from apps.enterprises.tests.factories import enterprise
from apps.facilities.models import FacilityKind
from apps.facilities.services import register_facility
from apps.monitoring.models import Gateway, MeasurementKind, MonitoringPoint
from apps.monitoring.services import gateway_secret

pytestmark = pytest.mark.django_db

POINTS = "/api/v1/monitoring-points/"
GATEWAYS = "/api/v1/gateways/"


@pytest.fixture
def temperature():
    kind, _ = MeasurementKind.objects.update_or_create(
        code="test_temperature", defaults={"name": "温度", "unit": "℃", "signal": "analog"}
    )
    return kind


@pytest.fixture
def switch():
    kind, _ = MeasurementKind.objects.update_or_create(
        code="test_switch", defaults={"name": "开关量", "unit": "", "signal": "switch"}
    )
    return kind


def tank(ent, code="V-101"):
    # A kind of our own: the fixture's storage_tank requires attributes this test does not care about.
    kind, _ = FacilityKind.objects.get_or_create(code="test_tank", defaults={"name": "测试储罐", "attributes": []})
    return register_facility(None, enterprise=ent, kind=kind, code=code, name=f"储罐{code}")


@pytest.fixture
def jinan_ent():
    return enterprise("370102")


@pytest.fixture
def jinan_admin(jinan_ent):
    return user_with_role("enterprise_admin", jinan_ent.organisation)


def payload(facility, kind, **overrides):
    return {
        "facility": facility.pk,
        "kind": kind.code,
        "code": "TI-101",
        "name": "储罐温度",
        "range_low": -20,
        "range_high": 100,
        "low_low": -10,
        "low": 0,
        "high": 60,
        "high_high": 80,
        "bit_number": "TI101",
        "period_s": 30,
        "position": "罐顶",
        "location": [117.03, 36.66],
        **overrides,
    }


def test_given_enterprise_admin_when_creating_point_then_201_with_kind_unit_and_detail(
    api, jinan_ent, jinan_admin, temperature
):
    facility = tank(jinan_ent)
    api.force_authenticate(jinan_admin)

    response = api.post(POINTS, payload(facility, temperature), format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["enterprise"] == jinan_ent.pk and body["facility"] == facility.pk
    assert body["kind"] == "test_temperature" and body["unit"] == "℃" and body["signal"] == "analog"
    assert body["location"] == [117.03, 36.66]
    detail = api.get(f"{POINTS}{body['id']}/").json()
    assert detail["high_high"] == 80 and detail["bit_number"] == "TI101" and detail["period_s"] == 30
    listed = api.get(POINTS).json()
    assert listed["count"] == 1
    row = listed["results"][0]
    assert set(row) == {
        "id",
        "enterprise",
        "facility",
        "code",
        "name",
        "kind",
        "unit",
        "low_low",
        "low",
        "high",
        "high_high",
        "in_use",
    }


def test_given_point_when_patching_thresholds_then_merged_values_are_validated(
    api, jinan_ent, jinan_admin, temperature
):
    api.force_authenticate(jinan_admin)
    point_id = api.post(POINTS, payload(tank(jinan_ent), temperature), format="json").json()["id"]

    ok = api.patch(f"{POINTS}{point_id}/", {"high": 70, "name": "储罐温度1"}, format="json")
    bad = api.patch(f"{POINTS}{point_id}/", {"high": 90}, format="json")  # above high_high 80

    assert ok.status_code == 200 and ok.json()["high"] == 70 and ok.json()["name"] == "储罐温度1"
    assert bad.status_code == 400 and "high_high" in bad.json()
    assert MonitoringPoint.objects.get(pk=point_id).high == 70


def test_given_qingdao_point_when_jinan_regulator_lists_then_invisible_and_detail_404(api, temperature):
    qingdao = enterprise("370202")
    jinan = enterprise("370102")
    qd_point = api_create_point(api, qingdao, temperature, "QD-1")
    jn_point = api_create_point(api, jinan, temperature, "JN-1")
    api.force_authenticate(user_with_role("regulator_staff", regulator("370100")))

    listed = api.get(POINTS).json()

    assert [r["id"] for r in listed["results"]] == [jn_point]
    assert api.get(f"{POINTS}{qd_point}/").status_code == 404
    assert api.get(f"{POINTS}{jn_point}/").status_code == 200


def api_create_point(api, ent, kind, code):
    api.force_authenticate(user_with_role("enterprise_admin", ent.organisation))
    response = api.post(POINTS, payload(tank(ent), kind, code=code), format="json")
    assert response.status_code == 201, response.content
    api.force_authenticate(None)
    return response.json()["id"]


def test_given_user_of_a_when_creating_point_on_b_facility_then_400_facility(api, jinan_admin, temperature):
    other = tank(enterprise("370103"))
    api.force_authenticate(jinan_admin)

    response = api.post(POINTS, payload(other, temperature), format="json")

    assert response.status_code == 400 and "facility" in response.json()
    assert not MonitoringPoint.objects.exists()


def test_given_unknown_facility_when_creating_point_then_400_facility(api, jinan_admin, temperature, jinan_ent):
    api.force_authenticate(jinan_admin)
    facility = tank(jinan_ent)
    response = api.post(POINTS, {**payload(facility, temperature), "facility": 10**9}, format="json")
    assert response.status_code == 400 and "facility" in response.json()


def test_given_regulator_staff_when_creating_point_then_403(api, jinan_ent, temperature):
    facility = tank(jinan_ent)
    api.force_authenticate(user_with_role("regulator_staff", regulator("370100")))

    response = api.post(POINTS, payload(facility, temperature), format="json")

    assert response.status_code == 403
    assert not MonitoringPoint.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "fields"),
    [
        ({"low": 70}, {"high"}),  # above high (60): the later of the pair is named
        ({"low_low": 5, "low": 0}, {"low"}),  # low below low-low
        ({"high_high": 50}, {"high_high"}),  # below high
        ({"high_high": 120}, {"high_high"}),  # above the range top (100)
        ({"low_low": -30}, {"low_low"}),  # below the range bottom (-20)
        ({"range_low": 100, "range_high": 0}, {"range_high"}),
        ({"period_s": 0}, {"period_s"}),
        ({"period_s": 86401}, {"period_s"}),
        ({"kind": "no_such_kind"}, {"kind"}),
        ({"location": [200, 36]}, {"location"}),
        ({"high": "NaN"}, {"high"}),
        ({"code": ""}, {"code"}),
    ],
)
def test_given_bad_point_input_when_creating_then_400_names_the_fields(
    api, jinan_ent, jinan_admin, temperature, overrides, fields
):
    api.force_authenticate(jinan_admin)

    response = api.post(POINTS, {**payload(tank(jinan_ent), temperature), **overrides}, format="json")

    assert response.status_code == 400, response.content
    assert fields <= set(response.json()), response.json()
    assert not MonitoringPoint.objects.exists()


def test_given_switch_kind_when_thresholds_given_then_400_on_kind(api, jinan_ent, jinan_admin, switch):
    api.force_authenticate(jinan_admin)
    facility = tank(jinan_ent)
    no_range = {"range_low": None, "range_high": None}

    bad = api.post(POINTS, payload(facility, switch, **no_range), format="json")
    good = api.post(
        POINTS, payload(facility, switch, **no_range, low_low=None, low=None, high=None, high_high=None), format="json"
    )

    assert bad.status_code == 400 and "kind" in bad.json()
    assert good.status_code == 201, good.content


def test_given_code_used_when_creating_again_then_400_but_other_enterprise_may_use_it(
    api, jinan_ent, jinan_admin, temperature
):
    api.force_authenticate(jinan_admin)
    facility = tank(jinan_ent)
    assert api.post(POINTS, payload(facility, temperature), format="json").status_code == 201

    again = api.post(POINTS, payload(facility, temperature, name="另一个"), format="json")
    other = enterprise("370103")
    api.force_authenticate(user_with_role("enterprise_admin", other.organisation))
    elsewhere = api.post(POINTS, payload(tank(other), temperature), format="json")

    assert again.status_code == 400 and "code" in again.json()
    assert elsewhere.status_code == 201, elsewhere.content


def test_given_point_when_deleted_then_soft_deleted_and_hidden(api, jinan_ent, jinan_admin, temperature):
    api.force_authenticate(jinan_admin)
    point_id = api.post(POINTS, payload(tank(jinan_ent), temperature), format="json").json()["id"]

    response = api.delete(f"{POINTS}{point_id}/")

    assert response.status_code == 204
    point = MonitoringPoint.objects.get(pk=point_id)
    assert point.deleted and not point.in_use
    assert api.get(POINTS).json()["count"] == 0
    assert api.get(f"{POINTS}{point_id}/").status_code == 404


def test_given_regulator_when_deleting_point_then_403_and_point_kept(api, jinan_ent, temperature):
    point_id = api_create_point(api, jinan_ent, temperature, "TI-1")
    api.force_authenticate(user_with_role("regulator_staff", regulator("370100")))

    assert api.delete(f"{POINTS}{point_id}/").status_code == 403
    assert not MonitoringPoint.objects.get(pk=point_id).deleted


def test_given_points_when_filtering_then_each_filter_narrows(api, jinan_ent, jinan_admin, temperature, switch):
    api.force_authenticate(jinan_admin)
    a, b = tank(jinan_ent, "V-1"), tank(jinan_ent, "V-2")
    api.post(POINTS, payload(a, temperature, code="TI-1", bit_number="TT001"), format="json")
    api.post(
        POINTS,
        payload(
            b,
            switch,
            code="XS-1",
            name="阀位",
            bit_number="XS001",
            range_low=None,
            range_high=None,
            low_low=None,
            low=None,
            high=None,
            high_high=None,
        ),
        format="json",
    )
    api.post(POINTS, payload(b, temperature, code="TI-2", in_use=False), format="json")

    def codes(query):
        response = api.get(f"{POINTS}?{query}")
        assert response.status_code == 200, response.content
        return {r["code"] for r in response.json()["results"]}

    assert codes("") == {"TI-1", "XS-1", "TI-2"}
    assert codes(f"facility={b.pk}") == {"XS-1", "TI-2"}
    assert codes("kind=test_switch") == {"XS-1"}
    assert codes("in_use=false") == {"TI-2"}
    assert codes("q=tt001") == {"TI-1"}
    assert codes("q=阀") == {"XS-1"}
    assert codes(f"enterprise={jinan_ent.pk}") == {"TI-1", "XS-1", "TI-2"}
    assert codes("region=370102") == {"TI-1", "XS-1", "TI-2"}
    assert codes("region=370103") == set()
    assert codes("industry=hazardous_chemicals") == {"TI-1", "XS-1", "TI-2"}
    assert codes("industry=dust_explosion") == set()


def test_given_20_points_when_listing_then_query_count_does_not_grow(
    api, jinan_ent, jinan_admin, temperature, django_assert_max_num_queries
):
    facility = tank(jinan_ent)
    api.force_authenticate(jinan_admin)
    api.post(POINTS, payload(facility, temperature, code="P-0"), format="json")
    api.get(POINTS)  # warm the permission cache of the user
    with CaptureQueriesContext(connection) as one:
        assert api.get(POINTS).json()["count"] == 1
    baseline = len(one)  # now: the next request resets the connection's query log
    for n in range(1, 20):
        api.post(POINTS, payload(tank(jinan_ent, f"V-{n}"), temperature, code=f"P-{n}"), format="json")

    with django_assert_max_num_queries(baseline):
        response = api.get(f"{POINTS}?page_size=100")

    assert response.json()["count"] == 20


def test_measurement_kinds_are_listed_unpaginated_and_filtered_by_signal(api, jinan_admin, temperature, switch):
    api.force_authenticate(jinan_admin)

    everything = api.get("/api/v1/measurement-kinds/").json()
    switches = api.get("/api/v1/measurement-kinds/?signal=switch").json()

    assert isinstance(everything, list) and {"test_temperature", "test_switch"} <= {k["code"] for k in everything}
    assert {k["signal"] for k in switches} == {"switch"} and "test_switch" in {k["code"] for k in switches}
    assert api.get("/api/v1/measurement-kinds/test_temperature/").json()["unit"] == "℃"


# Gateways ---------------------------------------------------------------------------------------------------------


def test_given_enterprise_admin_when_creating_gateway_then_secret_shown_once(api, jinan_ent, jinan_admin):
    api.force_authenticate(jinan_admin)

    response = api.post(
        GATEWAYS, {"enterprise": jinan_ent.pk, "gateway_id": "jn-gw-01", "name": "一号网关"}, format="json"
    )

    assert response.status_code == 201, response.content
    body = response.json()
    secret = body["secret"]
    assert body["gateway_id"] == "jn-gw-01" and len(secret) >= 32
    gateway = Gateway.objects.get(gateway_id="jn-gw-01")
    assert gateway_secret(gateway) == secret
    detail = api.get(f"{GATEWAYS}{body['id']}/")
    listed = api.get(GATEWAYS)
    for later in (detail, listed):
        assert later.status_code == 200
        assert "secret" not in later.content.decode().replace('"secret_hint"', "")
        assert secret not in later.content.decode()
    assert listed.json()["results"][0]["gateway_id"] == "jn-gw-01"


def test_given_gateway_when_rotating_secret_then_new_secret_once_and_old_invalid(api, jinan_ent, jinan_admin):
    api.force_authenticate(jinan_admin)
    created = api.post(GATEWAYS, {"enterprise": jinan_ent.pk, "gateway_id": "jn-gw-02"}, format="json").json()

    response = api.post(f"{GATEWAYS}{created['id']}/rotate-secret/")

    assert response.status_code == 200, response.content
    new_secret = response.json()["secret"]
    assert new_secret != created["secret"]
    assert gateway_secret(Gateway.objects.get(pk=created["id"])) == new_secret


@pytest.mark.parametrize("gateway_id", ["ab", "x" * 65, "有中文", "a/b", "a b"])
def test_given_bad_gateway_id_when_creating_then_400_on_gateway_id(api, jinan_ent, jinan_admin, gateway_id):
    api.force_authenticate(jinan_admin)
    response = api.post(GATEWAYS, {"enterprise": jinan_ent.pk, "gateway_id": gateway_id}, format="json")
    assert response.status_code == 400 and "gateway_id" in response.json()


def test_given_taken_gateway_id_when_creating_then_400_on_gateway_id(api, jinan_ent, jinan_admin):
    api.force_authenticate(jinan_admin)
    assert api.post(GATEWAYS, {"enterprise": jinan_ent.pk, "gateway_id": "gw-1"}, format="json").status_code == 201
    response = api.post(GATEWAYS, {"enterprise": jinan_ent.pk, "gateway_id": "gw-1"}, format="json")
    assert response.status_code == 400 and "gateway_id" in response.json()


def test_given_other_enterprise_when_creating_gateway_then_400_on_enterprise(api, jinan_admin):
    other = enterprise("370103")
    api.force_authenticate(jinan_admin)
    response = api.post(GATEWAYS, {"enterprise": other.pk, "gateway_id": "gw-x"}, format="json")
    assert response.status_code == 400 and "enterprise" in response.json()
    assert not Gateway.objects.exists()


def test_given_gateway_when_disabling_then_updated_and_regulator_cannot_change_it(api, jinan_ent, jinan_admin):
    api.force_authenticate(jinan_admin)
    gateway_pk = api.post(GATEWAYS, {"enterprise": jinan_ent.pk, "gateway_id": "gw-2"}, format="json").json()["id"]

    response = api.patch(f"{GATEWAYS}{gateway_pk}/", {"is_enabled": False, "name": "备用"}, format="json")

    assert response.status_code == 200 and response.json()["is_enabled"] is False
    assert response.json()["name"] == "备用" and "secret" not in response.json()
    api.force_authenticate(user_with_role("regulator_staff", regulator("370100")))
    assert api.get(f"{GATEWAYS}{gateway_pk}/").status_code == 200
    assert api.post(f"{GATEWAYS}{gateway_pk}/rotate-secret/").status_code == 403
    assert api.patch(f"{GATEWAYS}{gateway_pk}/", {"is_enabled": True}, format="json").status_code == 403
    api.force_authenticate(user_with_role("regulator_staff", regulator("370200")))
    assert api.get(f"{GATEWAYS}{gateway_pk}/").status_code == 404
