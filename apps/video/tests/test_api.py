"""Cameras API: GB/T 28181 code validation, uniqueness, facility ownership, scoping, soft delete."""

import pytest

from apps.accounts.tests.factories import regulator, user_with_role
from apps.enterprises.tests.factories import enterprise
from apps.facilities.models import FacilityKind
from apps.facilities.services import register_facility
from apps.video.models import Camera

pytestmark = pytest.mark.django_db

CAMERAS = "/api/v1/cameras/"
IPC = "37010200001320000001"  # centre 37010200, industry 00, type 132 (IPC), network 0, serial 000001


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


def payload(ent, **overrides):
    return {
        "enterprise": ent.pk,
        "code": IPC,
        "name": "罐区东北角",
        "position": "罐区",
        "location": [117.03, 36.66],
        "stream_url": "https://video.example.cn/live/1.flv",
        **overrides,
    }


def test_given_enterprise_admin_when_registering_camera_then_201_and_listed(api, jinan_ent, jinan_admin):
    facility = tank(jinan_ent)
    api.force_authenticate(jinan_admin)

    response = api.post(CAMERAS, payload(jinan_ent, facility=facility.pk), format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["code"] == IPC and body["facility"] == facility.pk and body["facility_name"] == facility.name
    assert body["location"] == [117.03, 36.66] and body["in_use"] is True
    assert api.get(f"{CAMERAS}{body['id']}/").json()["stream_url"].endswith("1.flv")
    assert [c["id"] for c in api.get(CAMERAS).json()["results"]] == [body["id"]]


@pytest.mark.parametrize(
    ("code", "valid"),
    [
        (IPC, True),
        ("37010200001310000001", True),  # 131 camera
        ("3701020000132000001", False),  # 19 digits
        ("370102000013200000012", False),  # 21 digits
        ("3701020000132000000A", False),  # not digits
        ("37010200001110000001", False),  # 111 is a DVR, not a camera
        ("37010200991320000001", False),  # industry code 99 does not exist
    ],
)
def test_given_generic_code_when_registering_then_only_camera_codes_accepted(api, jinan_ent, jinan_admin, code, valid):
    api.force_authenticate(jinan_admin)

    response = api.post(CAMERAS, payload(jinan_ent, code=code), format="json")

    if valid:
        assert response.status_code == 201, response.content
    else:
        assert response.status_code == 400 and "code" in response.json(), response.content
        assert not Camera.objects.exists()


@pytest.mark.parametrize(
    ("code", "valid"),
    [
        ("37010200101320000007", True),  # 370102001 + 0132 + 7-digit serial
        (IPC, False),  # a valid generic IPC code, but not the enterprise's provincial prefix
        ("37010200201320000007", False),  # another enterprise's prefix
        ("37010200101310000007", False),  # 0131: the provincial form is always 0132
    ],
)
def test_given_provincial_code_when_registering_then_prefix_must_match(api, jinan_ent, jinan_admin, code, valid):
    ent = jinan_ent
    ent.province_code = "370102001"
    ent.save(update_fields=["province_code"])
    api.force_authenticate(jinan_admin)

    response = api.post(CAMERAS, payload(ent, code=code), format="json")

    assert response.status_code == (201 if valid else 400), response.content
    if not valid:
        assert "code" in response.json()


def test_given_code_registered_anywhere_when_registering_again_then_400_on_code(api, jinan_ent, jinan_admin):
    api.force_authenticate(jinan_admin)
    assert api.post(CAMERAS, payload(jinan_ent), format="json").status_code == 201
    other = enterprise("370103")
    api.force_authenticate(user_with_role("enterprise_admin", other.organisation))

    response = api.post(CAMERAS, payload(other), format="json")

    assert response.status_code == 400 and "code" in response.json()
    assert Camera.objects.count() == 1


def test_given_facility_of_other_enterprise_when_registering_then_400_on_facility(api, jinan_ent, jinan_admin):
    foreign = tank(enterprise("370103"))
    api.force_authenticate(jinan_admin)

    response = api.post(CAMERAS, payload(jinan_ent, facility=foreign.pk), format="json")

    assert response.status_code == 400 and "facility" in response.json()


def test_given_ops_when_registering_with_other_enterprise_facility_then_400_on_facility(api, jinan_ent):
    """The service itself refuses a facility of another enterprise, whoever calls it."""
    foreign = tank(enterprise("370103"))
    api.force_authenticate(user_with_role("ops"))

    response = api.post(CAMERAS, payload(jinan_ent, facility=foreign.pk), format="json")

    assert response.status_code == 400 and "facility" in response.json()


def test_given_enterprise_out_of_scope_when_registering_then_400_on_enterprise(api, jinan_admin):
    other = enterprise("370103")
    api.force_authenticate(jinan_admin)
    response = api.post(CAMERAS, payload(other), format="json")
    assert response.status_code == 400 and "enterprise" in response.json()


def test_given_regulator_staff_when_registering_then_403(api, jinan_ent):
    api.force_authenticate(user_with_role("regulator_staff", regulator("370100")))
    assert api.post(CAMERAS, payload(jinan_ent), format="json").status_code == 403
    assert not Camera.objects.exists()


@pytest.mark.parametrize("url", ["javascript:alert(1)", "not a url", "file:///etc/passwd"])
def test_given_bad_stream_url_when_registering_then_400(api, jinan_ent, jinan_admin, url):
    api.force_authenticate(jinan_admin)
    response = api.post(CAMERAS, payload(jinan_ent, stream_url=url), format="json")
    assert response.status_code == 400 and "stream_url" in response.json()


def test_given_camera_when_updating_code_then_validated_again(api, jinan_ent, jinan_admin):
    api.force_authenticate(jinan_admin)
    camera_id = api.post(CAMERAS, payload(jinan_ent), format="json").json()["id"]

    bad = api.patch(f"{CAMERAS}{camera_id}/", {"code": "3701020000132000001"}, format="json")
    good = api.patch(
        f"{CAMERAS}{camera_id}/", {"code": "37010200001320000002", "stream_url": "rtsp://10.0.0.8/1"}, format="json"
    )

    assert bad.status_code == 400 and "code" in bad.json()
    assert good.status_code == 200 and good.json()["code"] == "37010200001320000002"
    assert Camera.objects.get(pk=camera_id).stream_url == "rtsp://10.0.0.8/1"


def test_given_qingdao_camera_when_jinan_regulator_reads_then_invisible(api, jinan_ent, jinan_admin):
    api.force_authenticate(jinan_admin)
    jinan_id = api.post(CAMERAS, payload(jinan_ent), format="json").json()["id"]
    qingdao = enterprise("370202")
    api.force_authenticate(user_with_role("enterprise_admin", qingdao.organisation))
    qingdao_id = api.post(CAMERAS, payload(qingdao, code="37020200001320000001"), format="json").json()["id"]
    api.force_authenticate(user_with_role("regulator_staff", regulator("370100")))

    assert [c["id"] for c in api.get(CAMERAS).json()["results"]] == [jinan_id]
    assert api.get(f"{CAMERAS}{qingdao_id}/").status_code == 404
    assert api.get(f"{CAMERAS}{jinan_id}/").status_code == 200


def test_given_cameras_when_filtering_then_each_filter_narrows(api, jinan_ent, jinan_admin):
    facility = tank(jinan_ent)
    api.force_authenticate(jinan_admin)
    api.post(CAMERAS, payload(jinan_ent, name="大门", facility=facility.pk), format="json")
    api.post(CAMERAS, payload(jinan_ent, code="37010200001320000002", name="罐区", in_use=False), format="json")

    def names(query):
        response = api.get(f"{CAMERAS}?{query}")
        assert response.status_code == 200, response.content
        return {c["name"] for c in response.json()["results"]}

    assert names(f"facility={facility.pk}") == {"大门"}
    assert names("in_use=false") == {"罐区"}
    assert names("q=0000002") == {"罐区"}
    assert names(f"enterprise={jinan_ent.pk}") == {"大门", "罐区"}
    assert names("region=370102") == {"大门", "罐区"}
    assert names("region=370202") == set()


def test_given_camera_when_deleted_then_soft_deleted_and_hidden(api, jinan_ent, jinan_admin):
    api.force_authenticate(jinan_admin)
    camera_id = api.post(CAMERAS, payload(jinan_ent), format="json").json()["id"]

    response = api.delete(f"{CAMERAS}{camera_id}/")

    assert response.status_code == 204
    camera = Camera.objects.get(pk=camera_id)
    assert camera.deleted and not camera.in_use
    assert api.get(CAMERAS).json()["count"] == 0
    assert api.get(f"{CAMERAS}{camera_id}/").status_code == 404
