"""Situation warnings (态势预警, RSK-31..34) and the regional risk index (区域风险指数, RSK-35) on seeded
alarms, risk days and online transitions: the figures, the comparison with the previous period and the
4-period mean, the warning grades, scoping, bad input and bounded query counts."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.accounts.tests.factories import regulator, user_with_role
from apps.enterprises.tests.factories import enterprise
from apps.facilities.models import Facility, FacilityKind
from apps.monitoring.models import Alarm, MeasurementKind, MonitoringPoint, OnlineTransition
from apps.monitoring.tests.factories import temperature_point
from apps.risk import situation
from apps.risk.models import RiskDay
from apps.risk.situation import Period, periods_for

pytestmark = pytest.mark.django_db

BEIJING = dt.timezone(dt.timedelta(hours=8))
JUNE = dt.date(2026, 6, 15)  # the month asked for: June 2026; baseline February–May
REGISTERED = dt.datetime(2025, 1, 1, tzinfo=BEIJING)  # points registered long before the periods


def at(day: str, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(hour), BEIJING)


def point_of(ent, code: str) -> MonitoringPoint:
    """A further temperature point of ``ent`` (on its tank farm)."""
    facility = Facility.objects.get_or_create(
        enterprise=ent, code="TF", defaults={"kind": FacilityKind.objects.get(code="tank_farm"), "name": "罐区"}
    )[0]
    return MonitoringPoint.objects.create(
        enterprise=ent,
        facility=facility,
        code=code,
        name="温度",
        kind=MeasurementKind.objects.get(code="temperature"),
        high=80,
    )


def alarms(point, *starts: str, **fields) -> list[Alarm]:
    """Cleared high alarms of ``point`` starting at each ``YYYY-MM-DD`` (10:00 Beijing)."""
    rows = [
        Alarm(
            point=point,
            enterprise=point.enterprise,
            side=fields.get("side", "high"),
            level="high",
            started_at=at(day),
            ended_at=at(day, 11),
            is_active=False,
            shelved=fields.get("shelved", False),
        )
        for day in starts
    ]
    return Alarm.objects.bulk_create(rows)


def risk_days(ent, *rows):
    """RiskDay rows (day, worst level, max score) of ``ent``."""
    RiskDay.objects.bulk_create(
        RiskDay(
            enterprise=ent,
            day=dt.date.fromisoformat(day),
            worst_level=level,
            max_score=score,
            last_level=level,
            last_score=score,
        )
        for day, level, score in rows
    )


def transitions(point, *changes):
    """Online transitions of ``point``: (YYYY-MM-DD, online)."""
    OnlineTransition.objects.bulk_create(
        OnlineTransition(subject="point", subject_id=point.pk, enterprise=point.enterprise, ts=at(day), online=online)
        for day, online in changes
    )


@pytest.fixture
def world():
    """Jinan: Lixia (370102) enterprise A, high-risk every month, two points; Licheng (370112) enterprise B
    (steel), high-risk in June only. Qingdao (370211): enterprise Q, high-risk, out of Jinan's scope."""
    a1 = temperature_point(region="370102", code="TI-1")
    a = a1.enterprise
    a2 = point_of(a, "TI-2")
    b = enterprise("370112", industries=("steel",))
    b1 = point_of(b, "TI-1")
    q1 = temperature_point(region="370211", code="TI-1")
    q = q1.enterprise
    MonitoringPoint.objects.update(created_at=REGISTERED)

    # A: alarms per month Feb..Jun on TI-1 = 1, 1, 3, 3, 6; TI-2 alarms ten times in June (frequently)
    alarms(a1, "2026-02-03", "2026-03-03", *["2026-04-03"] * 3, *["2026-05-03"] * 3, *["2026-06-03"] * 6)
    alarms(a2, *["2026-06-10"] * 10)
    alarms(a1, "2026-06-04", side="offline")  # not counted: offline
    alarms(a1, "2026-06-04", shelved=True)  # not counted: in a maintenance window
    alarms(a1, "2026-07-01")  # not counted: the next month
    risk_days(a, *[(f"2026-0{m}-05", 2, 60) for m in (2, 3, 4, 5)], ("2026-06-01", 2, 60), ("2026-06-02", 2, 70))
    risk_days(a, ("2026-06-03", 2, 80), ("2026-06-10", 2, 65))
    # B: high-risk (red) on 20 June only; its five May alarms are of a yellow month, so not tagged
    alarms(b1, *["2026-05-07"] * 5, "2026-06-02", "2026-06-02")
    risk_days(b, ("2026-05-05", 3, 35), ("2026-06-01", 3, 20), ("2026-06-02", 3, 30), ("2026-06-20", 1, 90))
    # Q: out of Jinan's jurisdiction
    alarms(q1, *["2026-06-05"] * 4)
    risk_days(q, ("2026-06-10", 1, 99))

    # online: A TI-1 online since January, offline on 20 June; A TI-2 drops out in May and June, back
    # both times; B TI-1 never reported (offline throughout)
    transitions(a1, ("2026-01-10", True), ("2026-06-20", False))
    transitions(a2, ("2026-01-10", True), ("2026-05-10", False), ("2026-05-12", True))
    transitions(a2, ("2026-06-05", False), ("2026-06-06", True))
    return {
        "a": a,
        "b": b,
        "q": q,
        "points": (a1, a2, b1),
        "jinan": user_with_role("regulator_staff", regulator("370100")),
        "lixia": user_with_role("regulator_staff", regulator("370102")),
        "province": user_with_role("regulator_admin", regulator("370000")),
        "ent": user_with_role("enterprise_admin", a.organisation),
    }


def rows_of(answer) -> dict:
    return {row["key"]: row for row in answer["rows"]}


# Periods ------------------------------------------------------------------------------------------------------------


def test_periods_are_beijing_calendar_periods_and_the_default_is_the_last_complete_one():
    assert Period.containing("week", dt.date(2026, 1, 1)) == Period("week", dt.date(2025, 12, 29), dt.date(2026, 1, 5))
    assert Period.containing("week", dt.date(2026, 1, 1)).label == "2026-W01"
    assert Period.containing("month", dt.date(2026, 12, 31)).end == dt.date(2027, 1, 1)
    q4 = Period.containing("quarter", dt.date(2026, 11, 2))
    assert (q4.start, q4.end, q4.label) == (dt.date(2026, 10, 1), dt.date(2027, 1, 1), "2026-Q4")
    assert q4.previous() == Period("quarter", dt.date(2026, 7, 1), dt.date(2026, 10, 1))

    saturday = dt.date(2026, 12, 5)
    week = periods_for("week", today=saturday)
    assert [p.label for p in week] == ["2026-W48", "2026-W47", "2026-W46", "2026-W45", "2026-W44"]
    assert (week[0].start, week[0].end) == (dt.date(2026, 11, 23), dt.date(2026, 11, 30))
    assert periods_for("month", today=saturday)[0].label == "2026-11"
    assert periods_for("quarter", today=saturday)[0].label == "2026-Q3"
    assert periods_for("month", dt.date(2026, 12, 1), today=saturday)[0].as_dict(saturday)["complete"] is False


def test_comparison_grades_against_the_four_period_mean():
    # newest first: value 6, previous 3, baseline mean(3, 3, 1, 1) = 2
    red = situation.compare([6, 3, 3, 1, 1])
    assert red | {"series": None} == {
        "value": 6,
        "previous": 3,
        "change": 1.0,
        "trend": "rising",
        "baseline": 2.0,
        "ratio": 3.0,
        "grade": "red",
        "warning": True,
        "series": None,
    }
    assert red["series"] == [1, 1, 3, 3, 6]
    assert situation.compare([3, 2, 2, 2, 2])["grade"] == "orange"  # 1.5×
    assert situation.compare([2.4, 2, 2, 2, 2])["grade"] == "yellow"  # 1.2×
    below = situation.compare([2.3, 2, 2, 2, 2])  # 1.15×: no warning, but rising (+15 %)
    assert (below["grade"], below["warning"], below["trend"]) == ("none", False, "rising")
    assert situation.compare([2.1, 2, 2, 2, 2])["trend"] == "stable"  # +5 %
    assert situation.compare([1, 0, 0, 0, 0])["grade"] == situation.EMERGING_GRADE  # new where nothing was
    assert situation.compare([0, 0, 0, 0, 0])["grade"] == "none"
    assert situation.compare([1, 2, 2, 2, 2])["trend"] == "falling"
    assert situation.compare([None, 2, 2, 2, 2])["grade"] == "none"
    assert situation.grade_of(3, 2, {"red": 1.4, "orange": 1.3, "yellow": 1.1}) == "red"  # thresholds configurable


# RSK-31 regional situation -----------------------------------------------------------------------------------------


def test_region_situation_counts_alarms_of_enterprises_high_risk_in_that_period(world):
    answer = situation.region_situation(world["jinan"], period="month", at=JUNE)

    assert answer["region"] == "370100" and answer["current"]["label"] == "2026-06"
    assert [p["label"] for p in answer["periods"]] == ["2026-02", "2026-03", "2026-04", "2026-05", "2026-06"]
    rows = rows_of(answer)
    assert "370211" not in rows and "370202" not in rows
    lixia = rows["370102"]["indicators"]
    assert lixia["high_risk_enterprises"]["series"] == [1, 1, 1, 1, 1]
    assert lixia["alarms"]["series"] == [1, 1, 3, 3, 16]  # not the offline, shelved or July alarms
    per_enterprise = lixia["alarms_per_enterprise"]
    assert (per_enterprise["value"], per_enterprise["previous"], per_enterprise["baseline"]) == (16, 3, 2)
    assert per_enterprise["ratio"] == 8.0 and per_enterprise["change"] == pytest.approx(4.3333, abs=1e-4)
    assert rows["370102"]["grade"] == "red" and rows["370102"]["warning"] is True

    licheng = rows["370112"]["indicators"]
    assert licheng["alarms"]["series"] == [0, 0, 0, 0, 2]  # its May alarms: a yellow month, not tagged
    assert licheng["high_risk_enterprises"]["grade"] == "yellow"  # a high-risk enterprise where there was none
    assert licheng["alarms_per_enterprise"]["value"] == 2 and licheng["alarms_per_enterprise"]["baseline"] is None
    assert rows["370112"]["grade"] == "none"
    assert rows["370103"]["indicators"]["alarms"]["value"] == 0 and rows["370103"]["warning"] is False

    total = answer["total"]["indicators"]
    assert total["high_risk_enterprises"]["series"] == [1, 1, 1, 1, 2]
    assert total["alarms"]["series"] == [1, 1, 3, 3, 18]
    assert total["alarms_per_enterprise"]["value"] == 9.0 and answer["total"]["grade"] == "red"


def test_region_situation_by_week_and_quarter(world):
    week = situation.region_situation(world["jinan"], period="week", at=dt.date(2026, 6, 10))
    assert week["current"] == {"label": "2026-W24", "start": "2026-06-08", "end": "2026-06-14", "complete": True}
    assert rows_of(week)["370102"]["indicators"]["alarms"]["series"] == [0, 0, 0, 6, 10]
    quarter = situation.region_situation(world["jinan"], period="quarter", at=JUNE)
    lixia = rows_of(quarter)["370102"]["indicators"]["alarms"]
    assert (quarter["current"]["label"], lixia["value"], lixia["previous"]) == ("2026-Q2", 22, 2)


def test_a_county_regulator_sees_its_county_only(world):
    answer = situation.region_situation(world["lixia"], period="month", at=JUNE)
    assert answer["region"] == "370102"
    assert answer["total"]["indicators"]["alarms"]["series"] == [1, 1, 3, 3, 16]
    assert [row["key"] for row in answer["rows"]] == ["370102"]  # no parks under Lixia: the county itself
    province = situation.region_situation(world["province"], period="month", at=JUNE)
    assert rows_of(province)["370200"]["indicators"]["alarms"]["value"] == 4  # Qingdao's, seen from the province
    with pytest.raises(situation.InvalidInput):
        situation.region_situation(world["lixia"], period="month", at=JUNE, region="370100")


# RSK-32 industry situation -------------------------------------------------------------------------------------------


def test_industry_situation_is_alarms_per_monitored_enterprise(world):
    answer = situation.industry_situation(world["jinan"], period="month", at=JUNE)
    rows = rows_of(answer)
    chemicals = rows["hazardous_chemicals"]["indicators"]
    assert chemicals["monitored_enterprises"]["value"] == 1  # A; Qingdao's Q is out of scope
    assert chemicals["alarms"]["series"] == [1, 1, 3, 3, 16]
    steel = rows["steel"]["indicators"]["alarms_per_enterprise"]
    # B: 2 in June, 5 in May, none before: baseline 5/4 = 1.25, ratio 1.6 → orange, falling from May
    assert (steel["value"], steel["previous"], steel["baseline"], steel["ratio"]) == (2, 5, 1.25, 1.6)
    assert steel["grade"] == "orange" and steel["trend"] == "falling" and steel["change"] == -0.6
    total = answer["total"]["indicators"]
    assert total["monitored_enterprises"]["value"] == 2 and total["alarms"]["value"] == 18


def test_points_registered_after_a_period_do_not_make_its_enterprise_monitored(world):
    MonitoringPoint.objects.filter(enterprise=world["b"]).update(created_at=at("2026-06-10"))
    steel = rows_of(situation.industry_situation(world["jinan"], period="month", at=JUNE))["steel"]["indicators"]
    assert steel["monitored_enterprises"]["series"] == [0, 0, 0, 0, 1]
    assert steel["alarms_per_enterprise"]["series"] == [None, None, None, None, 2]


# RSK-33 alarm frequency ---------------------------------------------------------------------------------------------


def test_alarm_frequency_per_region_and_per_point_of_an_enterprise(world):
    answer = situation.alarm_frequency(world["jinan"], period="month", at=JUNE)
    assert answer["headline"] == "alarms"
    assert rows_of(answer)["370102"]["indicators"]["alarms"]["ratio"] == 8.0

    points = situation.alarm_frequency(world["jinan"], period="month", at=JUNE, enterprise=world["a"].pk)
    assert points["enterprise"]["id"] == world["a"].pk
    ti1, ti2 = (row["indicators"]["alarms"] for row in sorted(points["rows"], key=lambda r: r["code"]))
    assert [row["code"] for row in points["rows"]] == ["TI-2", "TI-1"]  # most alarms first
    assert (ti1["value"], ti1["previous"], ti1["baseline"], ti1["grade"]) == (6, 3, 2, "red")
    assert (ti2["value"], ti2["previous"], ti2["grade"], ti2["trend"]) == (10, 0, "yellow", "rising")
    assert points["total"]["indicators"]["alarms"]["series"] == [1, 1, 3, 3, 16]
    with pytest.raises(situation.InvalidInput):
        situation.alarm_frequency(world["jinan"], period="month", at=JUNE, enterprise=world["q"].pk)


# RSK-34 equipment situation -----------------------------------------------------------------------------------------


def test_equipment_situation_from_online_transitions_and_frequent_alarms(world):
    answer = situation.equipment_situation(world["jinan"], period="month", at=JUNE)
    lixia = rows_of(answer)["370102"]
    figures = {name: ind["series"] for name, ind in lixia["indicators"].items()}
    assert figures["points"] == [2, 2, 2, 2, 2]
    assert figures["offline_share"] == [0, 0, 0, 0, 0.5]  # TI-1 went offline on 20 June
    assert figures["offline_transitions_per_100"] == [0, 0, 0, 50, 100]
    assert figures["frequent_alarm_points"] == [0, 0, 0, 0, 1]  # TI-2: ten alarms in June
    # June: 100 × (0.5 × 0.5 + 0.25 × min(1, 2/2) + 0.25 × 1/2) = 62.5; May: 100 × 0.25 × 0.5 = 12.5
    index = lixia["indicators"]["equipment_index"]
    assert index["series"] == [0, 0, 0, 12.5, 62.5]
    assert (index["baseline"], index["ratio"], index["grade"]) == (3.12, 20.0, "red")
    assert lixia["intrinsic_safety"] == 37.5

    licheng = rows_of(answer)["370112"]  # one point that never reported: offline throughout
    assert licheng["indicators"]["offline_share"]["series"] == [1, 1, 1, 1, 1]
    assert licheng["indicators"]["equipment_index"]["value"] == 50 and licheng["grade"] == "none"
    assert licheng["indicators"]["equipment_index"]["trend"] == "stable"
    assert answer["total"]["indicators"]["points"]["value"] == 3
    assert answer["total"]["indicators"]["offline_share"]["value"] == pytest.approx(2 / 3, abs=1e-4)


# RSK-35 regional risk index ------------------------------------------------------------------------------------------


def test_region_risk_index_with_its_parent_and_children(world):
    answer = situation.region_risk_index(
        world["jinan"], region="370102", since=dt.date(2026, 6, 1), until=dt.date(2026, 6, 5)
    )
    assert answer["region"]["code"] == "370102" and answer["parent"]["code"] == "370100"
    days = {d["day"]: d for d in answer["series"]}
    assert [d["mean_score"] for d in answer["series"]] == [60, 70, 80, None, None]
    assert [d["alarms"] for d in answer["series"]] == [0, 0, 6, 0, 0]
    # Jinan: A and B (Qingdao's Q is in neither)
    assert [d["parent_mean_score"] for d in answer["series"]] == [40, 50, 80, None, None]
    assert days["2026-06-02"]["parent_alarms"] == 2 and days["2026-06-02"]["parent_enterprises"] == 2
    assert days["2026-06-01"]["difference"] == 20
    score = answer["summary"]["mean_score"]
    assert score == {"mean": 70, "min": 60, "max": 80, "slope": 10, "trend": "rising", "days": 3}
    assert answer["summary"]["alarms"] | {"mean": None} == {
        "mean": None,
        "min": 0,
        "max": 6,
        "slope": 0,
        "trend": "stable",
        "days": 5,
    }
    assert answer["summary"]["alarms"]["mean"] == pytest.approx(1.2)
    assert answer["children"] == [{"key": "370102", "name": "历下区", "mean_score": 70, "enterprises": 1, "alarms": 6}]

    own = situation.region_risk_index(world["jinan"], since=dt.date(2026, 6, 1), until=dt.date(2026, 6, 5))
    assert own["region"]["code"] == "370100" and own["parent"] is None  # the province is not Jinan's
    children = {c["key"]: c for c in own["children"]}
    assert children["370112"] == {"key": "370112", "name": "历城区", "mean_score": 25, "enterprises": 1, "alarms": 2}
    steel = situation.region_risk_index(
        world["jinan"], industry="steel", since=dt.date(2026, 6, 1), until=dt.date(2026, 6, 5)
    )
    assert [d["mean_score"] for d in steel["series"]] == [20, 30, None, None, None]


# API ----------------------------------------------------------------------------------------------------------------


def test_api_answers_regulators_with_the_indicators(api, world):
    api.force_authenticate(world["jinan"])
    response = api.get("/api/v1/situation/region?period=month&at=2026-06-15")
    assert response.status_code == 200, response.json()
    assert rows_of(response.json())["370102"]["grade"] == "red"
    assert api.get("/api/v1/situation/industry?period=quarter&at=2026-06-15").status_code == 200
    frequency = api.get(f"/api/v1/situation/alarm-frequency?period=month&at=2026-06-15&enterprise={world['a'].pk}")
    assert frequency.status_code == 200 and frequency.json()["total"]["indicators"]["alarms"]["value"] == 16
    assert api.get("/api/v1/situation/alarm-frequency?period=week").status_code == 200
    equipment = api.get("/api/v1/situation/equipment/?period=month&at=2026-06-15").json()
    assert rows_of(equipment)["370102"]["intrinsic_safety"] == 37.5
    index = api.get("/api/v1/risk-index/region?region=370102&since=2026-06-01&until=2026-06-05")
    assert index.status_code == 200 and index.json()["summary"]["mean_score"]["mean"] == 70
    default = api.get("/api/v1/situation/region").json()  # last complete month
    assert default["current"]["complete"] is True and default["period"] == "month"


def test_api_exports_xlsx(api, world):
    from io import BytesIO

    from openpyxl import load_workbook

    api.force_authenticate(world["jinan"])
    response = api.get("/api/v1/situation/region?period=month&at=2026-06-15&format=xlsx")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/vnd.openxml")
    sheet = load_workbook(BytesIO(response.content)).active
    rows = list(sheet.values)
    lixia = next(row for row in rows if row[0] == "370102")
    assert lixia[2] == 16 and lixia[7] == "red"  # alarms per enterprise: value … grade
    index = api.get("/api/v1/risk-index/region?region=370102&since=2026-06-01&until=2026-06-05&format=xlsx")
    assert index.status_code == 200 and len(list(load_workbook(BytesIO(index.content)).active.values)) == 6
    bad = api.get("/api/v1/situation/region?period=year&format=xlsx")
    assert bad.status_code == 400 and "period" in bad.json()


def test_api_refuses_enterprises_and_bad_input(api, world):
    api.force_authenticate(world["ent"])
    for path in ("situation/region", "situation/industry", "situation/equipment", "risk-index/region"):
        assert api.get(f"/api/v1/{path}").status_code == 403
    api.force_authenticate(None)
    assert api.get("/api/v1/situation/region").status_code in (401, 403)

    api.force_authenticate(world["jinan"])
    cases = {
        "situation/region?period=year": "period",
        "situation/region?at=June": "at",
        "situation/region?at=2099-01-01": "at",
        "situation/region?region=370211": "region",
        "situation/region?region=999999": "region",
        "situation/equipment?industry=nonsense": "industry",
        f"situation/alarm-frequency?enterprise={world['q'].pk}": "enterprise",
        "situation/alarm-frequency?enterprise=abc": "enterprise",
        "risk-index/region?since=2026-06-05&until=2026-06-01": "until",
        "risk-index/region?since=2024-01-01&until=2026-06-01": "until",
        "risk-index/region?until=tomorrow": "until",
        "risk-index/region?region=370211": "region",
    }
    for path, field in cases.items():
        response = api.get(f"/api/v1/{path}")
        assert response.status_code == 400, path
        assert field in response.json(), (path, response.json())


def test_query_count_does_not_grow_with_enterprises(api, world, django_assert_max_num_queries):
    paths = [
        "situation/region?period=month&at=2026-06-15",
        "situation/industry?period=month&at=2026-06-15",
        "situation/alarm-frequency?period=month&at=2026-06-15",
        f"situation/alarm-frequency?period=month&at=2026-06-15&enterprise={world['a'].pk}",
        "situation/equipment?period=month&at=2026-06-15",
        "risk-index/region?region=370102&since=2026-06-01&until=2026-06-30",
    ]
    api.force_authenticate(world["jinan"])

    def counts():
        found = []
        for path in paths:
            with CaptureQueriesContext(connection) as queries:
                assert api.get(f"/api/v1/{path}").status_code == 200
            found.append(len(queries))
        return found

    counts()  # the caller's permissions are cached on the first requests
    before = counts()
    for n, county in enumerate(["370102", "370103", "370104", "370105", "370112", "370113"] * 2):
        point = temperature_point(region=county, code=f"TI-{n}")
        MonitoringPoint.objects.filter(pk=point.pk).update(created_at=REGISTERED)
        alarms(point, "2026-05-03", *["2026-06-03"] * 3)
        risk_days(point.enterprise, ("2026-05-05", 2, 50), ("2026-06-05", 1, 80))
        transitions(point, ("2026-01-10", True), ("2026-06-05", False))
    assert counts() == before
    with django_assert_max_num_queries(12):
        api.get(f"/api/v1/{paths[0]}")
    assert max(before) <= 12
