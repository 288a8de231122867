"""The GB/T 2260 tables, their approximate boundaries, and the regions API."""

import pytest

from apps.core.exceptions import InvalidInput
from apps.regions.models import Region
from apps.regions.services import load_divisions

pytestmark = pytest.mark.django_db


def test_shandong_has_its_16_cities_and_every_county_under_one_of_them():
    assert Region.objects.get(code="370000").name == "山东省"
    cities = Region.objects.filter(kind="city")
    assert cities.count() == 16
    assert set(cities.values_list("code", flat=True)) >= {"370100", "370200", "371700"}
    assert Region.objects.get(code="370116").name == "莱芜区"  # merged into 济南 in 2019
    for county in Region.objects.filter(kind="county").select_related("parent"):
        assert county.parent.kind == "city" and county.code[:4] == county.parent.code[:4]
        assert county.path == f"/370000/{county.parent.code}/{county.code}/"


def test_boundaries_cover_the_province_and_contain_their_seats():
    province = Region.objects.get(code="370000")
    for region in Region.objects.exclude(kind="province"):
        assert region.geometry is not None, region
        assert region.geometry.contains(region.seat) or region.kind == "park", region
    jinan = Region.objects.get(code="370100")
    assert province.geometry.contains(jinan.seat)
    # Cities tile the province: their areas add up to it within 1 %.
    total = sum(r.geometry.area for r in Region.objects.filter(kind="city"))
    assert abs(total - province.geometry.area) / province.geometry.area < 0.01


def test_loading_again_changes_nothing():
    before = Region.objects.count()
    result = load_divisions()
    assert result["created"] == 0 and result["updated"] == 0
    assert Region.objects.count() == before


def test_a_bad_table_imports_nothing(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "code,name,kind,parent_code,lon,lat\n379901,新县,county,370100,117.1,36.6\n"
        "379902,坏县,county,999999,117.2,36.6\n379903,错县,galaxy,370100,x,36\n",
        encoding="utf-8",
    )
    with pytest.raises(InvalidInput) as error:
        load_divisions([bad])
    assert "999999" in error.value.message and "galaxy" in error.value.message
    assert not Region.objects.filter(code="379901").exists()


def test_regions_api_lists_filters_and_details(api):
    from apps.accounts.tests.factories import regulator, user_with_role

    api.force_authenticate(user_with_role("regulator_staff", regulator("370100")))
    cities = api.get("/api/v1/regions/?kind=city&page_size=100").json()
    assert cities["count"] == 16
    counties = api.get("/api/v1/regions/?parent=370100&kind=county&page_size=100").json()["results"]
    assert {c["code"] for c in counties} >= {"370102", "370112", "370116"}
    detail = api.get("/api/v1/regions/370102/").json()
    assert detail["name"] == "历下区" and detail["geometry"]["type"] == "MultiPolygon"
    assert api.get("/api/v1/regions/999999/").status_code == 404
    assert api.get("/api/v1/regions/?within=999999").json()["count"] == 0


def test_region_outlines_for_the_map(api):
    from apps.accounts.tests.factories import regulator, user_with_role

    api.force_authenticate(user_with_role("regulator_staff", regulator("370100")))
    fc = api.get("/api/v1/regions/geojson/?parent=370100&kind=county").json()
    names = {f["properties"]["name"] for f in fc["features"]}
    assert "历下区" in names and len(names) == 12
    assert all(f["geometry"]["type"] in ("Polygon", "MultiPolygon") for f in fc["features"])
