"""The data resource catalogue page (数据资源目录): datasets with fields, frequency, direction, volume
and last exchange, and the ministry's resource types — for the government end only."""

import pytest

from apps.accounts.tests.factories import regulator, user_with_role
from apps.enterprises.tests.factories import enterprise
from apps.exchange.tests import factories as f

pytestmark = pytest.mark.django_db
URL = "/gov/exchange/catalog/"


def test_a_regulator_sees_every_dataset_and_the_national_resource_types(client, api):
    ent = enterprise("370102")
    token = f.client_for(ent)[1]
    api.post("/api/v1/exchange/risk-units", [f.risk_unit()], format="json", HTTP_AUTHORIZATION=f"Token {token}")
    client.force_login(user_with_role("regulator_staff", regulator("370100")))
    response = client.get(URL)
    assert response.status_code == 200
    page = response.content.decode()
    assert page.count('data-dataset="') == 16 and page.count('data-resource-type="') == 22  # 19 + 3 of ours
    units = page.split('data-dataset="risk-units"')[1].split("</tr>")[0]
    assert '<td class="text-end">1</td>' in units.replace("\n", "")  # one record received in Jinan
    assert "HAZARD_LIABLE_PERSON" in page and "生产经营单位基本信息" in page and "安全监管监察机构管理信息" in page
    received_only = client.get(URL + "?direction=received").content.decode()
    assert received_only.count('data-dataset="') == 11
    # an unknown direction is told, not a server error
    assert client.get(URL + "?direction=sideways").status_code == 200


def test_the_enterprise_end_may_not_open_it(client):
    ent = enterprise("370102")
    client.force_login(user_with_role("enterprise_admin", ent.organisation))
    assert client.get(URL).status_code == 403
