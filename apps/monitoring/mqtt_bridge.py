"""MQTT face of gateway ingestion (contract §2): ``anquan/v1/<gateway id>/readings``, QoS 1.

The broker authenticates gateways (username = gateway id, an ACL limiting each to its own topics);
the bridge takes the gateway id from the topic and runs the same pipeline as HTTP. Messages are
acknowledged manually, only after their readings are committed, and the session is persistent, so
a bridge that dies mid-message gets the message again; duplicates by (point, ts) make that harmless.
Per-reading rejections go back on ``anquan/v1/<gateway id>/rejections``.
"""

from __future__ import annotations

import json
import logging
import time

import paho.mqtt.client as mqtt
from django.db import close_old_connections

from .ingest import IngestRejected, check_backlog, ingest, parse
from .models import Gateway

log = logging.getLogger(__name__)
TOPIC = "anquan/v1/+/readings"


def handle(topic: str, payload: bytes) -> tuple[str, dict] | None:
    """Process one message; returns (reply topic, reply) when the gateway should hear back."""
    parts = topic.split("/")
    if len(parts) != 4 or parts[3] != "readings":
        return None
    gateway_id = parts[2]
    close_old_connections()
    gateway = Gateway.objects.filter(gateway_id=gateway_id).first()
    reply_topic = f"anquan/v1/{gateway_id}/rejections"
    if gateway is None or not gateway.is_enabled:
        log.warning("mqtt: message from unknown or disabled gateway %s dropped", gateway_id)
        return None
    try:
        readings = parse(payload)
        _wait_for_backlog()
        outcome = ingest(gateway, readings, source="mqtt")
    except IngestRejected as exc:
        return reply_topic, {"status": exc.status_code, "error": exc.message}
    if outcome.rejected:
        return reply_topic, {
            "accepted": outcome.accepted,
            "duplicates": outcome.duplicates,
            "rejected": outcome.rejected,
        }
    return None


def _wait_for_backlog() -> None:
    """Back-pressure instead of refusal: the broker keeps unacknowledged messages (persistent
    session), so while the workers are far behind the bridge waits rather than answering 429."""
    while True:
        try:
            check_backlog()
            return
        except IngestRejected as exc:
            log.warning("mqtt: workers behind, pausing %s s", exc.retry_after)
            time.sleep(exc.retry_after or 1)


class Bridge:
    def __init__(self, host="127.0.0.1", port=1883, client_id="anquan-bridge", username=None, password=None):
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=False)
        self.client.manual_ack_set(True)
        if username:
            self.client.username_pw_set(username, password)
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        self.host, self.port, self.client_id = host, port, client_id

    def _on_connect(self, client, userdata, flags, reason_code, properties):
        client.subscribe(TOPIC, qos=1)

    def _on_message(self, client, userdata, message):
        try:
            reply = handle(message.topic, message.payload)
        except Exception:  # the database is down, say: do not ack, the broker redelivers
            log.exception("mqtt: message on %s not processed; it will be redelivered", message.topic)
            client.disconnect()
            return
        if reply is not None:
            client.publish(reply[0], json.dumps(reply[1], ensure_ascii=False), qos=1)
        client.ack(message.mid, message.qos)

    def connect(self):
        self.client.connect(self.host, self.port, keepalive=30)

    def run_forever(self):
        self.connect()
        self.client.loop_forever(retry_first_connection=True)

    def stop(self):
        self.client.disconnect()


def forget_session(host: str, port: int, client_id: str, username=None, password=None) -> None:
    """Make the broker drop the persistent session of ``client_id`` and the messages it queued for
    it: a bridge that will not come back (a test's, a benchmark's) must not keep collecting them."""
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=True)
    if username:
        client.username_pw_set(username, password)
    client.connect(host, port, keepalive=10)
    deadline = time.monotonic() + 5
    while not client.is_connected() and time.monotonic() < deadline:
        client.loop(timeout=0.1)
    client.disconnect()
