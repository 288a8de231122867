"""GB 18218-2018: the tables as shipped, worked cases, the contract §3 endpoint, hazard sources."""

from decimal import Decimal

import pytest

from apps.accounts.tests.factories import regulator, user_with_role
from apps.enterprises.tests.factories import enterprise
from apps.hazards import services
from apps.hazards.models import AlphaBand, HazardCategory, HazardLevel, HazardSource, Substance

pytestmark = pytest.mark.django_db
ASSESS = "/api/v1/hazard-sources/assess"


def test_tables_are_complete():
    assert Substance.objects.count() == 85
    assert HazardCategory.objects.count() == 24
    assert Substance.objects.exclude(toxic_gas_beta=None).count() == 13  # CO is in table 1 only as 煤气
    assert [(b.min_people, float(b.alpha)) for b in AlphaBand.objects.order_by("min_people")] == [
        (0, 0.5),
        (1, 1.0),
        (30, 1.2),
        (50, 1.5),
        (100, 2.0),
    ]
    assert [(lv.level, float(lv.min_r)) for lv in HazardLevel.objects.all()] == [(1, 100), (2, 50), (3, 10), (4, 0)]
    chlorine = Substance.objects.get(cas_numbers__contains=["7782-50-5"])
    assert (chlorine.q_t, chlorine.beta) == (Decimal(5), Decimal(4))


@pytest.mark.parametrize(
    ("people", "alpha"),
    [(0, 0.5), (1, 1.0), (29, 1.0), (30, 1.2), (49, 1.2), (50, 1.5), (99, 1.5), (100, 2.0), (5000, 2.0)],
)
def test_alpha_bands_of_table_5(people, alpha):
    assert float(services.alpha_for(people)) == alpha


def test_worked_example_of_the_standard():
    # α=2, (q, Q, β) = (2, 5, 5), (2, 1, 20), (1, 5, 4) → R = 2·(2 + 40 + 0.8) = 85.6 → level 2.
    result = services.assess(100, [("a", 2, 5, 5), ("b", 2, 1, 20), ("c", 1, 5, 4)])
    assert float(result.r) == pytest.approx(85.6)
    assert float(result.s) == pytest.approx(2.6)
    assert result.is_major and result.level == 2


@pytest.mark.parametrize(("r", "level"), [(100, 1), (99.99, 2), (50, 2), (49.9, 3), (10, 3), (9.99, 4)])
def test_level_boundaries_of_table_6(r, level):
    assert services.level_for(Decimal(str(r))) == level


def test_contract_endpoint_chlorine_and_methanol(api):
    api.force_authenticate(user_with_role("enterprise_operator", enterprise("370102").organisation))
    response = api.post(
        ASSESS,
        {
            "exposed_population": 120,
            "substances": [{"cas": "7782-50-5", "quantity_t": 20}, {"name": "甲醇", "quantity_t": 300}],
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    # S = 20/5 + 300/500 = 4.6; R = 2·(4·4 + 1·0.6) = 33.2 → level 3.
    assert body["S"] == pytest.approx(4.6) and body["R"] == pytest.approx(33.2)
    assert body["alpha"] == 2.0 and body["is_major"] is True and body["level"] == 3
    assert [t["substance"] for t in body["terms"]] == ["氯", "甲醇"]
    assert body["terms"][0] == {"substance": "氯", "q": 20.0, "Q": 5.0, "beta": 4.0, "q_over_Q": 4.0}


def test_contract_endpoint_category_and_not_major(api):
    api.force_authenticate(user_with_role("regulator_staff", regulator("370100")))
    body = api.post(
        ASSESS, {"exposed_population": 0, "substances": [{"category": "W5.3", "quantity_t": 100}]}, format="json"
    ).json()
    assert body["S"] == pytest.approx(0.1) and body["is_major"] is False and body["level"] is None
    assert body["R"] == pytest.approx(0.05)  # α=0.5 · β=1 · 0.1


@pytest.mark.parametrize(
    ("item", "needle"),
    [
        ({"name": "不存在的物质", "quantity_t": 1}, "不存在的物质"),
        ({"cas": "0000-00-0", "quantity_t": 1}, "0000-00-0"),
        ({"category": "W99", "quantity_t": 1}, "W99"),
        ({"name": "甲醇", "quantity_t": -1}, "甲醇"),
        ({"quantity_t": 1}, ""),
        ({"name": "甲醇", "category": "W2", "quantity_t": 1}, ""),
    ],
)
def test_contract_endpoint_names_the_bad_item(api, item, needle):
    api.force_authenticate(user_with_role("regulator_staff", regulator("370100")))
    response = api.post(
        ASSESS, {"exposed_population": 10, "substances": [{"name": "氨", "quantity_t": 1}, item]}, format="json"
    )
    assert response.status_code == 400, response.content
    assert needle in str(response.json())


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"exposed_population": -1, "substances": [{"name": "氨", "quantity_t": 1}]},
        {"exposed_population": 1, "substances": []},
        [],
        "x",
    ],
)
def test_contract_endpoint_rejects_malformed_requests(api, body):
    api.force_authenticate(user_with_role("regulator_staff", regulator("370100")))
    assert api.post(ASSESS, body, format="json").status_code == 400


def test_contract_endpoint_needs_authentication(api):
    assert (
        api.post(
            ASSESS, {"exposed_population": 1, "substances": [{"name": "氨", "quantity_t": 1}]}, format="json"
        ).status_code
        == 401
    )


def test_ambiguous_cas_takes_the_row_with_the_lowest_q():
    assert services.find_substance(cas="6484-52-2").q_t == min(
        Substance.objects.filter(cas_numbers__contains=["6484-52-2"]).values_list("q_t", flat=True)
    )


def test_hazard_source_is_graded_on_registration_and_regraded_on_change(api):
    ent = enterprise("370102")
    admin = user_with_role("enterprise_admin", ent.organisation)
    api.force_authenticate(admin)
    response = api.post(
        "/api/v1/hazard-sources/",
        {
            "enterprise": ent.pk,
            "code": "HS-01",
            "name": "液氯罐区",
            "exposed_population": 40,
            "substances": [{"name": "液氯", "quantity_t": 10}],
            "principal_person": "张三",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    # S = 10/5 = 2; R = 1.2 · 4 · 2 = 9.6 → level 4.
    assert body["is_major"] and body["level"] == 4 and float(body["r_value"]) == pytest.approx(9.6)
    source = HazardSource.objects.get(pk=body["id"])
    response = api.patch(f"/api/v1/hazard-sources/{source.pk}/", {"exposed_population": 150}, format="json")
    assert response.json()["level"] == 3 and float(response.json()["r_value"]) == pytest.approx(16.0)
    response = api.patch(
        f"/api/v1/hazard-sources/{source.pk}/", {"substances": [{"name": "液氯", "quantity_t": 70}]}, format="json"
    )
    # R = 2 · 4 · 14 = 112 → level 1.
    assert response.json()["level"] == 1 and response.json()["terms"][0]["q_over_Q"] == 14.0


def test_hazard_sources_are_scoped(api):
    jinan_ent, qingdao_ent = enterprise("370102"), enterprise("370211")
    for ent in (jinan_ent, qingdao_ent):
        services.register_hazard_source(
            None,
            enterprise=ent,
            code="HS",
            name="罐区",
            exposed_population=0,
            substances=[{"name": "氨", "quantity_t": 20}],
        )
    api.force_authenticate(user_with_role("regulator_staff", regulator("370100")))
    listed = api.get("/api/v1/hazard-sources/").json()["results"]
    assert [h["enterprise"] for h in listed] == [jinan_ent.pk]
    assert api.get("/api/v1/enterprises/?major_hazard=true").json()["count"] == 1
    assert api.get("/api/v1/enterprises/?hazard_level=4").json()["count"] == 1
