"""Broker authentication by gateway: the hooks a production broker calls (contract §2, MQTT)."""

import json

import pytest

from apps.enterprises.tests.factories import enterprise
from apps.monitoring.services import create_gateway, update_gateway

pytestmark = pytest.mark.django_db
TOKEN = "broker-token-for-tests"


@pytest.fixture
def hooks(client, settings):
    settings.ANQUAN_MQTT_AUTH_TOKEN = TOKEN
    settings.ANQUAN_MQTT_USERNAME, settings.ANQUAN_MQTT_PASSWORD = "anquan-bridge", "bridge-pass"

    def call(path, body, token=TOKEN):
        response = client.post(
            f"/api/v1/mqtt/{path}",
            json.dumps(body),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {token}",
        )
        return response.status_code, response.json()

    return call


def test_a_gateway_connects_with_its_id_and_secret_only(hooks):
    gateway, secret = create_gateway(None, enterprise=enterprise("370102"), gateway_id="gw-broker")
    assert hooks("auth", {"username": "gw-broker", "password": secret}) == (
        200,
        {"result": "allow", "is_superuser": False},
    )
    assert hooks("auth", {"username": "gw-broker", "password": secret + "x"})[1]["result"] == "deny"
    assert hooks("auth", {"username": "gw-nobody", "password": secret})[1]["result"] == "deny"
    update_gateway(None, gateway, is_enabled=False)
    assert hooks("auth", {"username": "gw-broker", "password": secret})[1]["result"] == "deny"
    assert hooks("auth", {"username": "anquan-bridge", "password": "bridge-pass"})[1] == {
        "result": "allow",
        "is_superuser": True,
    }
    assert hooks("auth", {"username": "anquan-bridge", "password": "guess"})[1]["result"] == "deny"


def test_a_gateway_publishes_and_subscribes_on_its_own_topics_only(hooks):
    create_gateway(None, enterprise=enterprise("370102"), gateway_id="gw-one")
    create_gateway(None, enterprise=enterprise("370102"), gateway_id="gw-two")

    def verdict(user, topic, action):
        return hooks("acl", {"username": user, "topic": topic, "action": action})[1]["result"]

    assert verdict("gw-one", "anquan/v1/gw-one/readings", "publish") == "allow"
    assert verdict("gw-one", "anquan/v1/gw-two/readings", "publish") == "deny"  # posing as another
    assert verdict("gw-one", "anquan/v1/gw-one/rejections", "subscribe") == "allow"
    assert verdict("gw-one", "anquan/v1/gw-two/rejections", "subscribe") == "deny"
    assert verdict("gw-one", "anquan/v1/+/readings", "subscribe") == "deny"
    assert verdict("anquan-bridge", "anquan/v1/+/readings", "subscribe") == "allow"


def test_only_the_broker_may_call_the_hooks(hooks, settings):
    assert hooks("auth", {"username": "x", "password": "y"}, token="wrong")[0] == 403
    settings.ANQUAN_MQTT_AUTH_TOKEN = ""  # not configured: off
    assert hooks("auth", {"username": "x", "password": "y"}, token="")[0] == 403
