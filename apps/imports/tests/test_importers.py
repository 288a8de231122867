"""Excel import services: templates, validation of every row, all-or-nothing, upserts, progress, access."""

from io import BytesIO

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from apps.accounts.tests.factories import make_uscc, regulator, user_with_role
from apps.core import imports as framework
from apps.core.exceptions import InvalidInput, NotFoundError, PermissionDeniedError
from apps.enterprises.models import Enterprise
from apps.enterprises.tests.factories import enterprise
from apps.facilities.models import Facility, FacilityKind
from apps.facilities.services import register_facility
from apps.imports import services
from apps.imports.exports import export_enterprises_for_import, export_facilities, export_points
from apps.imports.importers import IMPORTERS
from apps.imports.models import ImportStatus
from apps.monitoring.models import MonitoringPoint

from .factories import facility_rows, job, read_rows, sheet_of, workbook

pytestmark = pytest.mark.django_db


@pytest.fixture
def jinan_admin():
    return user_with_role("regulator_admin", regulator("370100"))


@pytest.fixture
def plant():
    return enterprise("370102")


@pytest.fixture
def plant_admin(plant):
    return user_with_role("enterprise_admin", plant.organisation)


def run(actor, kind, file, enterprise=None):
    return services.run_job(job(actor, kind, file, enterprise).pk)


def enterprise_row(name, uscc, **overrides):
    return {"企业名称": name, "统一社会信用代码": uscc, "所属区域代码": "370102", "行业": "危险化学品", **overrides}


# --- templates ---------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(IMPORTERS))
def test_given_kind_when_template_generated_then_it_opens_with_headers_example_and_notes(kind, jinan_admin):
    importer = services.importer_for(kind, jinan_admin)

    book = load_workbook(BytesIO(importer.template()))

    data = book.worksheets[0]
    headers = [c.value for c in data[1]]
    assert headers == [c.label for c in importer.columns]
    assert any(c.value not in (None, "") for c in data[2])  # the example row
    notes = book["说明"]
    described = {row[0] for row in notes.iter_rows(min_row=2, values_only=True)}
    assert set(headers) <= described


def test_given_enterprise_template_then_code_tables_and_jurisdiction_regions_are_listed(jinan_admin):
    book = load_workbook(BytesIO(services.importer_for("enterprises", jinan_admin).template()))

    allowed = {row[0]: row[3] or "" for row in book["说明"].iter_rows(min_row=2, values_only=True) if row[0]}
    assert "above_designated 规模以上" in allowed["规模"]
    assert "hazardous_chemicals 危险化学品" in allowed["行业"]
    assert "370102" in allowed["所属区域代码"] and "370202" not in allowed["所属区域代码"]  # 青岛 is outside


def test_given_facility_template_then_kind_attributes_are_listed():
    book = load_workbook(BytesIO(services.importer_for("facilities", None).template()))

    rows = list(book["设施属性"].iter_rows(min_row=2, values_only=True))
    assert ("storage_tank", "储罐", "medium", "储存介质") in {r[:4] for r in rows}


# --- all or nothing ------------------------------------------------------------------------------


def test_given_three_good_and_two_bad_rows_when_importing_then_nothing_is_imported_and_two_rows_reported(
    jinan_admin,
):
    before = Enterprise.objects.count()
    rows = [
        enterprise_row("济南甲化工有限公司", make_uscc("370102")),
        enterprise_row("济南乙化工有限公司", "91370102MA3C4L0X2Q"),  # wrong check character
        enterprise_row("济南丙化工有限公司", make_uscc("370102")),
        enterprise_row("济南丁化工有限公司", make_uscc("370102"), 行业="火星采矿"),
        enterprise_row("济南戊化工有限公司", make_uscc("370102")),
    ]

    result = run(jinan_admin, "enterprises", sheet_of("enterprises", rows))

    assert result.status == ImportStatus.FAILED
    assert Enterprise.objects.count() == before
    assert [(e["row"], e["field"]) for e in result.errors] == [(3, "uscc"), (5, "industries")]
    assert all(e["message"].startswith(e["column"]) for e in result.errors)
    assert "火星采矿" in result.errors[1]["message"]
    assert result.created_count == result.updated_count == 0 and result.error_count == 2


def test_given_a_service_error_while_applying_then_every_row_is_rolled_back(jinan_admin):
    rows = [
        enterprise_row("济南甲化工有限公司", make_uscc("370102")),
        enterprise_row("济南乙化工有限公司", make_uscc("370102"), 经度=120.38, 纬度=36.07),  # 青岛, not 历下区
    ]

    result = run(jinan_admin, "enterprises", sheet_of("enterprises", rows))

    assert result.status == ImportStatus.FAILED
    assert [(e["row"], e["field"]) for e in result.errors] == [(3, "location")]
    assert not Enterprise.objects.filter(organisation__name="济南甲化工有限公司").exists()


def test_given_the_same_key_twice_in_a_file_then_the_later_row_is_an_error(jinan_admin):
    uscc = make_uscc("370102")
    rows = [enterprise_row("济南甲化工有限公司", uscc), enterprise_row("济南乙化工有限公司", uscc.lower())]

    result = run(jinan_admin, "enterprises", sheet_of("enterprises", rows))

    assert [(e["row"], e["field"]) for e in result.errors] == [(3, "uscc")]
    assert "2" in result.errors[0]["message"]


# --- create, then update -------------------------------------------------------------------------


def test_given_good_file_when_imported_twice_then_created_then_updated_without_duplicates(jinan_admin):
    usccs = [make_uscc("370102") for _ in range(3)]
    rows = [enterprise_row(f"济南{i}号化工有限公司", uscc, 地址=f"旧路{i}号") for i, uscc in enumerate(usccs)]

    first = run(jinan_admin, "enterprises", sheet_of("enterprises", rows))
    for row in rows:
        row["地址"] = "新路1号"
    second = run(jinan_admin, "enterprises", sheet_of("enterprises", rows))

    assert (first.status, first.created_count, first.updated_count) == (ImportStatus.SUCCEEDED, 3, 0)
    assert (second.status, second.created_count, second.updated_count) == (ImportStatus.SUCCEEDED, 0, 3)
    imported = Enterprise.objects.filter(organisation__uscc__in=usccs)
    assert imported.count() == 3
    assert set(imported.values_list("address", flat=True)) == {"新路1号"}


def test_given_code_tables_by_chinese_name_then_codes_are_stored(jinan_admin):
    uscc = make_uscc("370112")
    row = enterprise_row(
        "济南粉尘科技有限公司",
        uscc,
        所属区域代码=370112,  # typed as a number
        行业="危险化学品、粉尘涉爆",
        规模="规模以上",
        经济类型="有限责任公司",
        隶属关系="县",
        监管级别="县级",
        危化品企业类别="危险化学品生产企业",
        粉尘种类="金属粉尘、wood",
        涉粉作业人数=12,
        从业人数=120.0,
        生产状态="停产",
    )

    result = run(jinan_admin, "enterprises", sheet_of("enterprises", [row]))

    assert result.status == ImportStatus.SUCCEEDED, result.errors
    e = Enterprise.objects.get(organisation__uscc=uscc)
    assert sorted(i.code for i in e.industries.all()) == ["dust_explosion", "hazardous_chemicals"]
    assert (e.scale, e.economic_type, e.affiliation, e.supervision_level) == (
        "above_designated",
        "150",
        "50",
        "county",
    )
    assert (e.hazchem_category, e.dust_kinds, e.dust_workers, e.employees, e.status) == (
        "production",
        ["metal", "wood"],
        12,
        120,
        "suspended",
    )


def test_given_region_outside_jurisdiction_then_row_error_on_region(jinan_admin):
    row = enterprise_row("青岛化工有限公司", make_uscc("370202"), 所属区域代码="370202")

    result = run(jinan_admin, "enterprises", sheet_of("enterprises", [row]))

    assert [(e["row"], e["field"]) for e in result.errors] == [(2, "region")]


def test_given_existing_enterprise_outside_jurisdiction_then_it_is_not_updated(jinan_admin):
    qingdao = enterprise("370202")
    row = enterprise_row("改名", qingdao.organisation.uscc)

    result = run(jinan_admin, "enterprises", sheet_of("enterprises", [row]))

    assert [e["field"] for e in result.errors] == ["uscc"]
    qingdao.organisation.refresh_from_db()
    assert qingdao.organisation.name != "改名"


def test_given_enterprise_export_when_reimported_then_every_row_updates(jinan_admin):
    ents = [enterprise("370102"), enterprise("370112")]
    exported = export_enterprises_for_import(Enterprise.objects.filter(pk__in=[e.pk for e in ents]))
    file = SimpleUploadedFile("export.xlsx", exported.content)

    result = run(jinan_admin, "enterprises", file)

    assert result.status == ImportStatus.SUCCEEDED, result.errors
    assert (result.created_count, result.updated_count) == (0, 2)


# --- facilities ----------------------------------------------------------------------------------


def test_given_parent_defined_earlier_in_file_when_importing_facilities_then_hierarchy_and_attributes_stored(
    plant, plant_admin
):
    result = run(plant_admin, "facilities", sheet_of("facilities", facility_rows()), plant)

    assert result.status == ImportStatus.SUCCEEDED, result.errors
    assert result.created_count == 3
    tank = Facility.objects.get(enterprise=plant, code="V-101")
    assert tank.parent.code == "T1" and tank.kind.code == "storage_tank"
    assert tank.attributes == {"medium": "甲醇", "capacity_m3": 500.0, "tank_type": "internal_floating"}
    assert tank.status == "stopped" and tank.status_changes.get().status == "stopped"
    assert (tank.location.x, tank.location.y) == (117.03, 36.66)
    farm = Facility.objects.get(enterprise=plant, code="T1")
    assert farm.attributes["fire_hazard_class"] == "jia_b" and farm.attributes["has_emergency_shutoff"] is True
    store = Facility.objects.get(enterprise=plant, code="102")
    assert store.attributes["stored_substances"] == [
        {"name": "硝酸铵", "quantity_t": 20.0},
        {"name": "氯酸钾", "quantity_t": 1.5},
    ]


def test_given_facilities_imported_when_the_same_file_is_imported_again_then_updated_not_duplicated(plant, plant_admin):
    run(plant_admin, "facilities", sheet_of("facilities", facility_rows()), plant)
    rows = facility_rows()
    rows[1]["设施名称"] = "1号甲醇储罐（改）"

    result = run(plant_admin, "facilities", sheet_of("facilities", rows), plant)

    assert (result.status, result.created_count, result.updated_count) == (ImportStatus.SUCCEEDED, 0, 3)
    assert Facility.objects.filter(enterprise=plant).count() == 3
    tank = Facility.objects.get(enterprise=plant, code="V-101")
    assert tank.name == "1号甲醇储罐（改）" and tank.status_changes.count() == 1


@pytest.mark.parametrize(
    ("change", "field", "fragment"),
    [
        ({"上级设施编号": "V-999"}, "parent", "V-999"),
        ({"上级设施编号": "V-101"}, "parent", ""),  # itself
        ({"设施类型": "不存在的类型"}, "kind", "不存在的类型"),
        ({"属性": "储存介质=甲醇"}, "attributes", "容积"),  # the required capacity is missing
        ({"属性": "颜色=红"}, "attributes", "颜色"),
        ({"经度": 117.03, "纬度": None}, "latitude", ""),
    ],
)
def test_given_a_bad_facility_row_then_its_field_is_reported(plant, plant_admin, change, field, fragment):
    rows = facility_rows()
    rows[1].update(change)

    result = run(plant_admin, "facilities", sheet_of("facilities", rows), plant)

    assert [(e["row"], e["field"]) for e in result.errors] == [(3, field)]
    assert fragment in result.errors[0]["message"]
    assert not Facility.objects.filter(enterprise=plant).exists()


def test_given_parent_defined_below_then_error_points_to_its_row(plant, plant_admin):
    rows = list(reversed(facility_rows()[:2]))

    result = run(plant_admin, "facilities", sheet_of("facilities", rows), plant)

    assert [(e["row"], e["field"]) for e in result.errors] == [(2, "parent")]
    assert "3" in result.errors[0]["message"]


def test_given_parent_of_wrong_kind_then_service_error_is_reported_and_nothing_kept(plant, plant_admin):
    rows = facility_rows()
    rows[1]["上级设施编号"] = "102"  # a warehouse cannot hold a storage tank
    rows.insert(0, rows.pop())  # the warehouse first

    result = run(plant_admin, "facilities", sheet_of("facilities", rows), plant)

    assert [(e["row"], e["field"]) for e in result.errors] == [(4, "parent")]
    assert not Facility.objects.filter(enterprise=plant).exists()


def test_given_facility_export_when_reimported_into_another_enterprise_then_everything_is_created(plant, plant_admin):
    run(plant_admin, "facilities", sheet_of("facilities", facility_rows()), plant)
    exported = export_facilities(Facility.objects.filter(enterprise=plant))
    headers = read_rows(exported.content)[0]
    other = enterprise("370102")

    result = run(
        user_with_role("enterprise_admin", other.organisation),
        "facilities",
        SimpleUploadedFile("f.xlsx", exported.content),
        other,
    )

    assert list(headers) == [c.label for c in IMPORTERS["facilities"].columns]
    assert (result.status, result.created_count) == (ImportStatus.SUCCEEDED, 3), result.errors
    copied = Facility.objects.get(enterprise=other, code="V-101")
    assert copied.attributes == Facility.objects.get(enterprise=plant, code="V-101").attributes
    assert copied.status == "stopped" and copied.parent.code == "T1"


# --- monitoring points ---------------------------------------------------------------------------


@pytest.fixture
def farm(plant):
    return register_facility(
        None, enterprise=plant, kind=FacilityKind.objects.get(code="tank_farm"), code="T1", name="罐区"
    )


def point_row(**overrides):
    return {
        "点位编号": "TI-101",
        "点位名称": "储罐温度",
        "所属设施编号": "T1",
        "指标类型": "温度",
        "量程下限": -20,
        "量程上限": 100,
        "低报": 0,
        "高报": 60,
        "高高报": 80,
        "位号": "TI101",
        "上报周期(秒)": 30,
        "是否在用": "是",
        **overrides,
    }


def test_given_points_when_imported_twice_then_created_with_kind_unit_then_updated(plant, plant_admin, farm):
    rows = [
        point_row(),
        point_row(点位编号="PI-101", 点位名称="储罐压力", 指标类型="pressure", 低报=None, 高报=None, 高高报=1),
    ]

    first = run(plant_admin, "points", sheet_of("points", rows), plant)
    rows[0]["高报"] = 70
    second = run(plant_admin, "points", sheet_of("points", rows), plant)

    assert (first.status, first.created_count) == (ImportStatus.SUCCEEDED, 2), first.errors
    assert (second.created_count, second.updated_count) == (0, 2), second.errors
    point = MonitoringPoint.objects.get(enterprise=plant, code="TI-101")
    assert (point.kind.code, point.unit, point.high, point.high_high, point.period_s) == (
        "temperature",
        "℃",
        70,
        80,
        30,
    )
    assert MonitoringPoint.objects.filter(enterprise=plant).count() == 2


def test_given_bad_points_then_thresholds_and_facility_are_reported(plant, plant_admin, farm):
    rows = [point_row(高报=90), point_row(点位编号="X", 所属设施编号="NOPE"), point_row(点位编号="Y", 是否在用="也许")]

    result = run(plant_admin, "points", sheet_of("points", rows), plant)

    assert [(e["row"], e["field"]) for e in result.errors] == [(2, "high_high"), (3, "facility"), (4, "in_use")]
    assert not MonitoringPoint.objects.exists()


def test_given_point_export_then_it_has_the_template_columns_and_reimports(plant, plant_admin, farm):
    run(plant_admin, "points", sheet_of("points", [point_row()]), plant)
    exported = export_points(MonitoringPoint.objects.filter(enterprise=plant))

    result = run(plant_admin, "points", SimpleUploadedFile("p.xlsx", exported.content), plant)

    assert list(read_rows(exported.content)[0]) == [c.label for c in IMPORTERS["points"].columns]
    assert (result.status, result.updated_count) == (ImportStatus.SUCCEEDED, 1), result.errors


# --- bad files -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("file", "fragment"),
    [
        (workbook(["企业名称", "颜色"], [["济南甲化工有限公司", "红"]]), "颜色"),  # unknown and missing headers
        (SimpleUploadedFile("a.xlsx", b"name,uscc\n"), ".xlsx"),  # not a workbook
        (SimpleUploadedFile("a.xlsx", b"PK\x03\x04 broken"), ".xlsx"),  # a damaged archive
        (SimpleUploadedFile("a.xlsx", b""), ""),  # empty
        (workbook([], []), ""),  # a workbook with nothing in it
        (workbook(["企业名称", "统一社会信用代码", "所属区域代码"], []), ""),  # headers only
    ],
)
def test_given_a_bad_file_then_the_job_fails_with_a_file_error(jinan_admin, file, fragment):
    result = run(jinan_admin, "enterprises", file)

    assert result.status == ImportStatus.FAILED and result.errors
    assert {(e["row"], e["field"]) for e in result.errors} == {(None, "file")}
    assert fragment in " ".join(e["message"] for e in result.errors)


def test_given_missing_required_header_then_it_is_named(jinan_admin):
    result = run(jinan_admin, "enterprises", workbook(["企业名称", "所属区域代码", "颜色"], [["甲", "370102", "红"]]))

    assert [(e["row"], e["field"]) for e in result.errors] == [(None, "file"), (None, "file")]
    assert "颜色" in result.errors[0]["message"] and "统一社会信用代码" in result.errors[1]["message"]


def test_given_too_many_rows_then_file_error(jinan_admin, monkeypatch):
    monkeypatch.setattr(framework, "MAX_ROWS", 2)
    rows = [enterprise_row(f"企业{i}", make_uscc("370102")) for i in range(3)]

    result = run(jinan_admin, "enterprises", sheet_of("enterprises", rows))

    assert [(e["row"], e["field"]) for e in result.errors] == [(None, "file")]
    assert "2" in result.errors[0]["message"]


# --- progress and idempotence --------------------------------------------------------------------


def test_given_rows_when_imported_then_progress_is_reported_per_phase_and_reaches_total(jinan_admin):
    rows = [enterprise_row(f"济南{i}号有限公司", make_uscc("370102")) for i in range(3)]
    importer = services.importer_for("enterprises", jinan_admin)
    calls = []

    result = importer.run(sheet_of("enterprises", rows), progress=lambda *call: calls.append(call))
    finished = run(jinan_admin, "enterprises", sheet_of("enterprises", rows))

    assert result.ok and result.created == 3
    assert calls[0] == (0, 3, "validating") and (3, 3, "validating") in calls
    assert calls[-1] == (3, 3, "importing")
    assert finished.processed_rows == finished.total_rows == 3 and finished.progress_percent == 100


def test_given_finished_job_when_task_runs_again_then_nothing_happens(jinan_admin):
    rows = [enterprise_row("济南一次有限公司", make_uscc("370102"))]
    done = run(jinan_admin, "enterprises", sheet_of("enterprises", rows))
    Enterprise.objects.filter(organisation__name="济南一次有限公司").update(address="手工修改")

    again = services.run_job(done.pk)

    assert again.status == ImportStatus.SUCCEEDED and again.created_count == 1
    assert Enterprise.objects.get(organisation__name="济南一次有限公司").address == "手工修改"


# --- who may import what where -------------------------------------------------------------------


def test_given_enterprise_user_when_importing_into_another_enterprise_then_not_found(plant_admin):
    other = enterprise("370102")

    with pytest.raises(NotFoundError):
        services.create_job(
            plant_admin, kind="facilities", file=sheet_of("facilities", facility_rows()), enterprise=other
        )


def test_given_enterprise_user_when_importing_enterprises_then_denied(plant_admin):
    with pytest.raises(PermissionDeniedError):
        services.create_job(plant_admin, kind="enterprises", file=sheet_of("enterprises", []))


def test_given_regulator_when_importing_facilities_outside_its_jurisdiction_then_not_found(jinan_admin):
    # Even with the right to add facilities, a regulator reaches only the enterprises of its region.
    jinan_admin.user_permissions.add(Permission.objects.get(codename="add_facility"))
    inside, outside = enterprise("370102"), enterprise("370202")

    with pytest.raises(NotFoundError):
        services.create_job(
            jinan_admin, kind="facilities", file=sheet_of("facilities", facility_rows()), enterprise=outside
        )
    job_ = services.create_job(
        jinan_admin, kind="facilities", file=sheet_of("facilities", facility_rows()), enterprise=inside
    )

    assert job_.enterprise == inside and job_.organisation == jinan_admin.organisation


def test_given_enterprise_user_without_enterprise_then_its_own_is_implied(plant, plant_admin):
    job_ = services.create_job(plant_admin, kind="facilities", file=sheet_of("facilities", facility_rows()))

    assert job_.enterprise == plant and job_.status == ImportStatus.PENDING


@pytest.mark.parametrize(
    ("name", "content"),
    [("data.csv", b"a,b"), ("data.xlsx", b"not a zip"), ("data.xlsx", b"")],
)
def test_given_a_non_workbook_upload_then_rejected_at_once(jinan_admin, name, content):
    with pytest.raises(InvalidInput) as error:
        services.create_job(jinan_admin, kind="enterprises", file=SimpleUploadedFile(name, content))

    assert error.value.field == "file"


def test_given_parent_row_with_errors_then_child_says_so(plant, plant_admin):
    rows = facility_rows()
    rows[0]["设施类型"] = "不存在的类型"

    result = run(plant_admin, "facilities", sheet_of("facilities", rows), plant)

    assert [(e["row"], e["field"]) for e in result.errors] == [(2, "kind"), (3, "parent")]
    assert "T1" in result.errors[1]["message"] and "2" in result.errors[1]["message"]


def test_given_the_template_example_row_left_in_then_it_is_refused(jinan_admin):
    importer = services.importer_for("enterprises", jinan_admin)
    template = SimpleUploadedFile("template.xlsx", importer.template())

    result = run(jinan_admin, "enterprises", template)

    assert [(e["row"], e["field"]) for e in result.errors] == [(2, None)]
    assert not Enterprise.objects.filter(organisation__name="济南示例化工有限公司").exists()
