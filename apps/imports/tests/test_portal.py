"""Portal pages of Excel import: templates, upload, the job page with its progress bar and row errors."""

import pytest

from apps.accounts.tests.factories import regulator, user_with_role
from apps.enterprises.tests.factories import enterprise
from apps.imports.models import ImportJob

from .factories import facility_rows, job, sheet_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def plant():
    return enterprise("370102")


@pytest.fixture
def plant_admin(plant):
    return user_with_role("enterprise_admin", plant.organisation)


def test_given_enterprise_admin_when_opening_imports_then_templates_exports_and_form(client, plant_admin):
    client.force_login(plant_admin)

    page = client.get("/imports/").content.decode()

    assert 'id="template-facilities"' in page and 'id="template-points"' in page
    assert 'id="template-enterprises"' not in page
    assert "/api/v1/imports/exports/facilities" in page
    assert 'name="file"' in page and 'name="enterprise"' not in page  # implied


def test_given_regulator_when_opening_imports_then_enterprise_template_and_no_enterprise_choice(client):
    client.force_login(user_with_role("regulator_admin", regulator("370100")))

    page = client.get("/imports/").content.decode()

    assert 'id="template-enterprises"' in page and 'id="template-facilities"' not in page
    assert 'name="enterprise"' not in page


def test_given_upload_when_posted_then_redirected_to_job_page_showing_row_errors(
    client, plant, plant_admin, django_capture_on_commit_callbacks
):
    rows = facility_rows()
    rows[2]["设施类型"] = "飞船"
    client.force_login(plant_admin)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/imports/", {"kind": "facilities", "file": sheet_of("facilities", rows)})

    created = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/imports/{created.pk}/"
    page = client.get(response["Location"]).content.decode()
    assert f'data-url="/api/v1/imports/{created.pk}"' in page and 'data-status="failed"' in page
    assert 'id="import-errors"' in page and "飞船" in page
    assert "js/import_progress.js" in page


def test_given_bad_upload_when_posted_then_form_shows_the_error(client, plant_admin):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(plant_admin)

    response = client.post("/imports/", {"kind": "facilities", "file": SimpleUploadedFile("a.xlsx", b"text")})

    assert response.status_code == 200 and 'data-field="file"' in response.content.decode()
    assert not ImportJob.objects.exists()


def test_given_role_without_imports_then_403_and_other_enterprise_job_404(client, plant, plant_admin):
    mine = job(plant_admin, "facilities", sheet_of("facilities", facility_rows()), plant)
    other_admin = user_with_role("enterprise_admin", enterprise("370102").organisation)

    client.force_login(user_with_role("enterprise_operator", plant.organisation))
    assert client.get("/imports/").status_code == 403
    client.force_login(other_admin)
    assert client.get(f"/imports/{mine.pk}/").status_code == 404
