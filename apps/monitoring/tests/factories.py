"""Test helpers: readings stored as a real batch and processed as the worker would."""

import datetime as dt
import hashlib
import hmac
import json
import time

from apps.monitoring.models import IngestBatch
from apps.monitoring.processing import process_batch
from apps.monitoring.services import create_gateway
from apps.monitoring.storage import store_readings


def temperature_point(region="370102", code="TI-1", **fields):
    """A temperature point (high 80 unless told otherwise) on a tank farm of a new enterprise."""
    from apps.enterprises.tests.factories import enterprise
    from apps.facilities.models import Facility, FacilityKind
    from apps.monitoring.models import MeasurementKind, MonitoringPoint

    ent = enterprise(region)
    facility = Facility.objects.create(
        enterprise=ent, kind=FacilityKind.objects.get(code="tank_farm"), code="TF", name="罐区"
    )
    fields.setdefault("high", 80)
    return MonitoringPoint.objects.create(
        enterprise=ent,
        facility=facility,
        code=code,
        name="温度",
        kind=MeasurementKind.objects.get(code="temperature"),
        **fields,
    )


def feed(point, values, start, every_s=10):
    """Store ``values`` of ``point`` from ``start`` (one every ``every_s`` s) as one batch; process it."""
    gateway = (
        point.enterprise.gateways.first()
        or create_gateway(None, enterprise=point.enterprise, gateway_id=f"gw-{point.pk}")[0]
    )
    rows = [(point.pk, start + dt.timedelta(seconds=n * every_s), float(v)) for n, v in enumerate(values)]
    batch = IngestBatch.objects.create(gateway=gateway, source="http")
    store_readings(rows, batch.pk)
    return process_batch(batch.pk)


def sign(secret: str, body: bytes, stamp: str | None = None) -> tuple[str, str]:
    """(X-Timestamp, X-Signature) of a gateway request (contract §2)."""
    stamp = stamp or str(int(time.time()))
    return stamp, hmac.new(secret.encode(), stamp.encode() + b"\n" + body, hashlib.sha256).hexdigest()


def post_signed(client, gateway_id: str, secret: str, readings: list[dict]):
    """POST ``readings`` to the ingestion endpoint as gateway ``gateway_id``."""
    body = json.dumps({"readings": readings}).encode()
    stamp, signature = sign(secret, body)
    return client.post(
        "/api/v1/ingest/readings",
        data=body,
        content_type="application/json",
        HTTP_X_GATEWAY_ID=gateway_id,
        HTTP_X_TIMESTAMP=stamp,
        HTTP_X_SIGNATURE=signature,
    )
