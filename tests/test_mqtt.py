"""The MQTT path through the real Mosquitto broker: same pipeline, rejections published back."""

import datetime as dt
import json
import queue
import time
import uuid

import paho.mqtt.client as mqtt
import pytest
from django.conf import settings
from django.utils import timezone

from apps.enterprises.tests.factories import enterprise
from apps.facilities.models import Facility, FacilityKind
from apps.monitoring.models import IngestBatch, MeasurementKind, MonitoringPoint
from apps.monitoring.mqtt_bridge import Bridge, forget_session
from apps.monitoring.services import create_gateway

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def stored_count(gateway_id):
    from django.db import connection

    with connection.cursor() as cursor:  # the raw table is not flushed between tests: count this gateway's
        cursor.execute(
            "SELECT count(*) FROM monitoring_reading r JOIN monitoring_ingestbatch b ON b.id = r.batch_id"
            " JOIN monitoring_gateway g ON g.id = b.gateway_id WHERE g.gateway_id = %s",
            [gateway_id],
        )
        return cursor.fetchone()[0]


def test_readings_published_over_mqtt_are_stored_and_rejections_come_back():
    ent = enterprise("370102")
    facility = Facility.objects.create(
        enterprise=ent, kind=FacilityKind.objects.get(code="tank_farm"), code="TF", name="罐区"
    )
    MonitoringPoint.objects.create(
        enterprise=ent,
        facility=facility,
        code="PI-1",
        name="压力",
        kind=MeasurementKind.objects.get(code="temperature"),
    )
    gateway_id = f"gw-mqtt-{uuid.uuid4().hex[:8]}"
    create_gateway(None, enterprise=ent, gateway_id=gateway_id)

    bridge = Bridge(settings.ANQUAN_MQTT_HOST, settings.ANQUAN_MQTT_PORT, client_id=f"test-bridge-{uuid.uuid4().hex}")
    bridge.connect()
    bridge.client.loop_start()
    replies: queue.Queue = queue.Queue()
    publisher = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"test-gw-{uuid.uuid4().hex}")
    publisher.on_message = lambda c, u, m: replies.put(json.loads(m.payload))
    publisher.connect(settings.ANQUAN_MQTT_HOST, settings.ANQUAN_MQTT_PORT)
    publisher.loop_start()
    publisher.subscribe(f"anquan/v1/{gateway_id}/rejections", qos=1)
    try:
        time.sleep(0.5)  # let both subscriptions settle
        now = timezone.now()
        body = {
            "readings": [
                {"point": "PI-1", "ts": (now - dt.timedelta(seconds=n)).isoformat(), "value": 1.0 + n} for n in range(3)
            ]
            + [{"point": "NOPE", "ts": now.isoformat(), "value": 1}]
        }
        publisher.publish(f"anquan/v1/{gateway_id}/readings", json.dumps(body), qos=1).wait_for_publish(5)
        reply = replies.get(timeout=10)
        assert reply["accepted"] == 3 and reply["rejected"] == [{"index": 3, "error": "unknown point"}]
        deadline = time.monotonic() + 10
        while stored_count(gateway_id) < 3 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert stored_count(gateway_id) == 3
        assert IngestBatch.objects.get().source == "mqtt"
        # A replay is harmless.
        publisher.publish(f"anquan/v1/{gateway_id}/readings", json.dumps(body), qos=1).wait_for_publish(5)
        assert replies.get(timeout=10)["duplicates"] == 3
        assert stored_count(gateway_id) == 3
    finally:
        publisher.loop_stop()
        publisher.disconnect()
        bridge.client.loop_stop()
        bridge.stop()
        forget_session(settings.ANQUAN_MQTT_HOST, settings.ANQUAN_MQTT_PORT, bridge.client_id)
