"""Excel import API: templates, upload → job run by the (eager) task, progress and row errors, scope, exports."""

from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from apps.accounts.tests.factories import regulator, user_with_role
from apps.core.exports import XLSX
from apps.enterprises.tests.factories import enterprise
from apps.imports.importers import IMPORTERS
from apps.imports.models import ImportJob

from .factories import facility_rows, job, sheet_of

pytestmark = pytest.mark.django_db

IMPORTS = "/api/v1/imports/"


@pytest.fixture
def plant():
    return enterprise("370102")


@pytest.fixture
def plant_admin(plant):
    return user_with_role("enterprise_admin", plant.organisation)


@pytest.fixture
def jinan_admin():
    return user_with_role("regulator_admin", regulator("370100"))


def upload(api, kind, file, capture, **extra):
    with capture(execute=True):
        return api.post(IMPORTS, {"kind": kind, "file": file, **extra}, format="multipart")


@pytest.mark.parametrize("kind", list(IMPORTERS))
def test_given_importer_when_downloading_template_then_xlsx_with_headers(api, jinan_admin, kind):
    api.force_authenticate(jinan_admin)

    response = api.get(f"{IMPORTS}templates/{kind}/")

    assert response.status_code == 200 and response["Content-Type"] == XLSX
    assert "attachment" in response["Content-Disposition"]
    headers = [c.value for c in load_workbook(BytesIO(response.content)).worksheets[0][1]]
    assert headers == [c.label for c in IMPORTERS[kind].columns]


def test_given_anonymous_when_downloading_template_then_refused(api):
    assert api.get(f"{IMPORTS}templates/enterprises/").status_code in (401, 403)


def test_given_upload_when_task_runs_then_job_shows_progress_counts_and_no_errors(
    api, plant, plant_admin, django_capture_on_commit_callbacks
):
    api.force_authenticate(plant_admin)

    response = upload(api, "facilities", sheet_of("facilities", facility_rows()), django_capture_on_commit_callbacks)

    assert response.status_code == 201, response.content
    created = response.json()
    assert created["kind"] == "facilities" and created["enterprise"] == plant.pk and created["status"] == "pending"
    body = api.get(f"{IMPORTS}{created['id']}/").json()
    assert body["status"] == "succeeded" and body["progress"] == 100
    assert body["total_rows"] == body["processed_rows"] == 3
    assert (body["created_count"], body["updated_count"], body["errors"]) == (3, 0, [])
    assert plant.facilities.count() == 3


def test_given_rows_with_errors_when_uploaded_then_job_failed_with_row_errors_and_nothing_imported(
    api, plant, plant_admin, django_capture_on_commit_callbacks
):
    rows = facility_rows()
    rows[1]["设施类型"] = "飞船"
    api.force_authenticate(plant_admin)

    job_id = upload(api, "facilities", sheet_of("facilities", rows), django_capture_on_commit_callbacks).json()["id"]

    body = api.get(f"{IMPORTS}{job_id}/").json()
    assert body["status"] == "failed" and body["error_count"] == 1
    assert [(e["row"], e["field"], e["column"]) for e in body["errors"]] == [(3, "kind", "设施类型")]
    assert "飞船" in body["errors"][0]["message"]
    assert not plant.facilities.exists()


def test_given_wrong_headers_when_uploaded_then_job_failed_with_file_error_not_500(
    api, jinan_admin, django_capture_on_commit_callbacks
):
    from .factories import workbook

    api.force_authenticate(jinan_admin)

    response = upload(api, "enterprises", workbook(["名称"], [["甲"]]), django_capture_on_commit_callbacks)

    assert response.status_code == 201
    body = api.get(f"{IMPORTS}{response.json()['id']}/").json()
    assert body["status"] == "failed" and body["errors"][0]["field"] == "file" and body["errors"][0]["row"] is None


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"kind": "enterprises", "file": SimpleUploadedFile("a.xlsx", b"plain text")}, "file"),
        ({"kind": "enterprises", "file": SimpleUploadedFile("a.csv", b"a,b")}, "file"),
        ({"kind": "enterprises", "file": SimpleUploadedFile("a.xlsx", b"")}, "file"),
        ({"kind": "enterprises"}, "file"),
        ({"kind": "rockets", "file": SimpleUploadedFile("a.xlsx", b"PK\x03\x04")}, "kind"),
    ],
)
def test_given_bad_upload_then_400_on_the_field_and_no_job(api, jinan_admin, data, field):
    api.force_authenticate(jinan_admin)

    response = api.post(IMPORTS, data, format="multipart")

    assert response.status_code == 400, response.content
    assert field in response.json()
    assert not ImportJob.objects.exists()


def test_given_enterprise_user_when_importing_into_another_enterprise_then_404(api, plant_admin):
    other = enterprise("370102")
    api.force_authenticate(plant_admin)

    response = api.post(
        IMPORTS,
        {"kind": "facilities", "enterprise": other.pk, "file": sheet_of("facilities", facility_rows())},
        format="multipart",
    )

    assert response.status_code == 404 and "enterprise" in response.json()
    assert not ImportJob.objects.exists()


def test_given_enterprise_user_when_importing_enterprises_then_403(api, plant_admin):
    api.force_authenticate(plant_admin)

    response = api.post(IMPORTS, {"kind": "enterprises", "file": sheet_of("enterprises", [])}, format="multipart")

    assert response.status_code == 403


def test_given_regulator_when_importing_facilities_outside_jurisdiction_then_404(api, jinan_admin):
    qingdao = enterprise("370202")
    api.force_authenticate(jinan_admin)

    response = api.post(
        IMPORTS,
        {"kind": "facilities", "enterprise": qingdao.pk, "file": sheet_of("facilities", facility_rows())},
        format="multipart",
    )

    assert response.status_code == 404


def test_given_jobs_then_list_and_detail_are_scoped(api, plant, plant_admin, jinan_admin):
    mine = job(plant_admin, "facilities", sheet_of("facilities", facility_rows()), plant)
    other_admin = user_with_role("enterprise_admin", enterprise("370102").organisation)
    qingdao_admin = user_with_role("regulator_admin", regulator("370200"))

    visible = {}
    for user in (plant_admin, other_admin, jinan_admin, qingdao_admin):
        api.force_authenticate(user)
        ids = [j["id"] for j in api.get(IMPORTS).json()["results"]]
        visible[user.pk] = (ids, api.get(f"{IMPORTS}{mine.pk}/").status_code)

    assert visible[plant_admin.pk] == ([mine.pk], 200)
    assert visible[jinan_admin.pk] == ([mine.pk], 200)  # the enterprise is in 济南
    assert visible[other_admin.pk] == ([], 404)
    assert visible[qingdao_admin.pk] == ([], 404)


def test_given_many_jobs_when_listing_then_queries_do_not_grow(api, plant, plant_admin, django_assert_max_num_queries):
    for _ in range(8):
        job(plant_admin, "facilities", sheet_of("facilities", facility_rows()), plant)
    api.force_authenticate(plant_admin)

    with django_assert_max_num_queries(8):
        response = api.get(IMPORTS)

    assert response.json()["count"] == 8 and "errors" not in response.json()["results"][0]


def test_given_facilities_when_exporting_then_template_columns_and_scope(
    api, plant, plant_admin, django_capture_on_commit_callbacks
):
    api.force_authenticate(plant_admin)
    upload(api, "facilities", sheet_of("facilities", facility_rows()), django_capture_on_commit_callbacks)
    other = enterprise("370102")

    own = api.get(f"{IMPORTS}exports/facilities/")
    foreign = api.get(f"{IMPORTS}exports/facilities/", {"enterprise": other.pk})

    assert own.status_code == 200 and own["Content-Type"] == XLSX
    rows = list(load_workbook(BytesIO(own.content), read_only=True).worksheets[0].iter_rows(values_only=True))
    assert list(rows[0]) == [c.label for c in IMPORTERS["facilities"].columns]
    assert sorted(r[0] for r in rows[1:]) == ["102", "T1", "V-101"]
    assert foreign.status_code == 404


def test_given_regulator_when_exporting_enterprises_then_only_its_jurisdiction(api, jinan_admin):
    jinan, qingdao = enterprise("370102"), enterprise("370202")
    api.force_authenticate(jinan_admin)

    response = api.get(f"{IMPORTS}exports/enterprises/")

    rows = list(load_workbook(BytesIO(response.content), read_only=True).worksheets[0].iter_rows(values_only=True))
    usccs = {r[1] for r in rows[1:]}
    assert jinan.organisation.uscc in usccs and qingdao.organisation.uscc not in usccs


def test_given_regulator_without_enterprise_when_exporting_points_then_400(api, jinan_admin):
    api.force_authenticate(jinan_admin)

    assert api.get(f"{IMPORTS}exports/points/").status_code == 400
