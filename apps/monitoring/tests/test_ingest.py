"""Gateway ingestion over HTTP (contract §2): signatures, limits, per-reading rejections, duplicates,
durable storage before the answer, and processing of the stored batch."""

import datetime as dt
import json
import time

import pytest
from django.db import connection
from django.utils import timezone

from apps.enterprises.tests.factories import enterprise
from apps.facilities.models import Facility, FacilityKind
from apps.monitoring import ingest as ingest_module
from apps.monitoring.models import IngestBatch, MeasurementKind, MonitoringPoint, PointState
from apps.monitoring.processing import pending_batches, process_batch
from apps.monitoring.services import create_gateway
from apps.monitoring.tests.factories import sign

pytestmark = pytest.mark.django_db
URL = "/api/v1/ingest/readings"


@pytest.fixture(autouse=True)
def _fresh_caches():
    ingest_module._points.clear()
    ingest_module._secrets.clear()


@pytest.fixture
def plant():
    ent = enterprise("370102")
    facility = Facility.objects.create(
        enterprise=ent, kind=FacilityKind.objects.get(code="tank_farm"), code="TF", name="罐区"
    )
    MonitoringPoint.objects.create(
        enterprise=ent,
        facility=facility,
        code="TI-1",
        name="温度",
        kind=MeasurementKind.objects.get(code="temperature"),
        high=80,
    )
    switch = MeasurementKind.objects.filter(signal="switch").first()
    MonitoringPoint.objects.create(enterprise=ent, facility=facility, code="XS-1", name="阀位", kind=switch)
    gateway, secret = create_gateway(None, enterprise=ent, gateway_id="gw-test-1")
    return {"enterprise": ent, "gateway": gateway, "secret": secret}


def now_iso(offset_s=0):
    return (
        (timezone.now() + dt.timedelta(seconds=offset_s))
        .astimezone(dt.timezone(dt.timedelta(hours=8)))
        .isoformat(timespec="seconds")
    )


def post(client, plant, body, *, secret=None, gateway_id="gw-test-1", ts=None, raw=None):
    data = raw if raw is not None else json.dumps(body).encode()
    stamp, signature = sign(secret or plant["secret"], data, None if ts is None else str(ts))
    return client.post(
        URL,
        data=data,
        content_type="application/json",
        HTTP_X_GATEWAY_ID=gateway_id,
        HTTP_X_TIMESTAMP=stamp,
        HTTP_X_SIGNATURE=signature,
    )


def stored(point_code=None):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM monitoring_reading r JOIN monitoring_monitoringpoint p "
            "ON p.id = r.point_id WHERE %s IS NULL OR p.code = %s",
            [point_code, point_code],
        )
        return cursor.fetchone()[0]


def test_signed_batch_is_stored_before_the_answer_and_replays_are_duplicates(client, plant):
    body = {
        "readings": [
            {"point": "TI-1", "ts": now_iso(-10), "value": 12.5},
            {"point": "XS-1", "ts": now_iso(-10), "value": True},
        ]
    }
    response = post(client, plant, body)
    assert response.status_code == 202, response.content
    assert response.json() == {"accepted": 2, "duplicates": 0, "rejected": []}
    assert stored() == 2
    again = post(client, plant, body)
    assert again.json() == {"accepted": 0, "duplicates": 2, "rejected": []}
    assert stored() == 2 and IngestBatch.objects.count() == 1


def test_duplicates_inside_one_request_count_once(client, plant):
    ts = now_iso(-5)
    body = {"readings": [{"point": "TI-1", "ts": ts, "value": 1}, {"point": "TI-1", "ts": ts, "value": 2}]}
    assert post(client, plant, body).json() == {"accepted": 1, "duplicates": 1, "rejected": []}


@pytest.mark.parametrize(
    ("reading", "error"),
    [
        ({"point": "NOPE", "value": 1}, "unknown point"),
        ({"point": "TI-1", "value": "hot"}, "number"),
        ({"point": "TI-1", "value": True}, "number"),
        ({"point": "XS-1", "value": 1}, "true or false"),
        ({"point": "TI-1", "value": float("nan")}, "NaN"),
        ({"point": "TI-1", "value": float("inf")}, "NaN"),
        ({"point": "TI-1", "value": 1, "ts": "__future__"}, "future"),
        ({"point": "TI-1", "value": 1, "ts": "2001-01-01T00:00:00+08:00"}, "retention"),
        ({"point": "TI-1", "value": 1, "ts": "2026-11-23 10:00:00"}, "ISO 8601"),
        ("just text", "object"),
    ],
)
def test_each_bad_reading_is_rejected_alone(client, plant, reading, error):
    if isinstance(reading, dict):
        reading.setdefault("ts", now_iso(-1))
        if reading["ts"] == "__future__":
            reading["ts"] = now_iso(600)
    body = {"readings": [{"point": "TI-1", "ts": now_iso(-2), "value": 3.0}, reading]}
    raw = json.dumps(body, allow_nan=True).encode()
    response = post(client, plant, None, raw=raw)
    assert response.status_code == 202
    result = response.json()
    assert result["accepted"] == 1 and len(result["rejected"]) == 1
    assert result["rejected"][0]["index"] == 1 and error in result["rejected"][0]["error"]


def test_a_point_of_another_enterprise_is_unknown(client, plant):
    other = enterprise("370211")
    facility = Facility.objects.create(
        enterprise=other, kind=FacilityKind.objects.get(code="tank_farm"), code="T", name="罐区"
    )
    MonitoringPoint.objects.create(
        enterprise=other,
        facility=facility,
        code="TI-9",
        name="温度",
        kind=MeasurementKind.objects.get(code="temperature"),
    )
    result = post(client, plant, {"readings": [{"point": "TI-9", "ts": now_iso(-1), "value": 1}]}).json()
    assert result["accepted"] == 0 and result["rejected"][0]["error"] == "unknown point"


def test_a_point_created_a_moment_ago_is_known_despite_the_cache(client, plant):
    assert post(client, plant, {"readings": [{"point": "TI-1", "ts": now_iso(-1), "value": 1}]}).status_code == 202
    point = MonitoringPoint.objects.get(code="TI-1")
    MonitoringPoint.objects.create(
        enterprise=plant["enterprise"], facility=point.facility, code="TI-2", name="温度2", kind=point.kind
    )
    assert post(client, plant, {"readings": [{"point": "TI-2", "ts": now_iso(-1), "value": 1}]}).json()["accepted"] == 1


@pytest.mark.parametrize(
    ("kwargs", "status"),
    [
        ({"secret": "wrong-secret"}, 401),
        ({"gateway_id": "gw-unknown"}, 401),
        ({"ts": int(time.time()) - 301}, 401),
        ({"ts": "yesterday"}, 401),
    ],
)
def test_authentication_failures_are_401(client, plant, kwargs, status):
    response = post(client, plant, {"readings": [{"point": "TI-1", "ts": now_iso(-1), "value": 1}]}, **kwargs)
    assert response.status_code == status and stored() == 0


def test_disabled_gateway_is_403(client, plant):
    plant["gateway"].is_enabled = False
    plant["gateway"].save()
    assert post(client, plant, {"readings": [{"point": "TI-1", "ts": now_iso(-1), "value": 1}]}).status_code == 403


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        (b"{not json", 400),
        (b"[]", 400),
        (b'{"readings": []}', 400),
        (b'{"readings": "x"}', 400),
    ],
)
def test_malformed_bodies_are_400(client, plant, raw, status):
    assert post(client, plant, None, raw=raw).status_code == status


def test_limits_are_413(client, plant):
    many = {"readings": [{"point": "TI-1", "ts": now_iso(-1), "value": 1}] * 5001}
    assert post(client, plant, many).status_code == 413
    big = json.dumps({"readings": [{"point": "TI-1", "ts": now_iso(-1), "value": 1, "pad": "x" * 3_000_000}]})
    assert post(client, plant, None, raw=big.encode()).status_code == 413


def test_processing_sets_latest_values_once_and_the_sweeper_finds_unprocessed_batches(client, plant):
    post(
        client,
        plant,
        {
            "readings": [
                {"point": "TI-1", "ts": now_iso(-20), "value": 10},
                {"point": "TI-1", "ts": now_iso(-10), "value": 11},
            ]
        },
    )
    batch = IngestBatch.objects.get()
    # on_commit hooks do not fire inside a test transaction: the batch waits, stored and unprocessed.
    assert process_batch(batch.pk) == 1
    state = PointState.objects.get(point__code="TI-1")
    assert state.value == 11
    assert process_batch(batch.pk) == 0  # processed once
    post(client, plant, {"readings": [{"point": "TI-1", "ts": now_iso(-30), "value": 9}]})  # older: ignored
    late = IngestBatch.objects.latest("id")
    assert pending_batches() == []  # too recent to be considered lost
    IngestBatch.objects.filter(pk=late.pk).update(received_at=timezone.now() - dt.timedelta(minutes=5))
    assert pending_batches() == [late.pk]  # the sweeper re-queues it
    process_batch(late.pk)
    assert pending_batches() == []
    assert PointState.objects.get(point__code="TI-1").value == 11


def test_partitions_are_daily_and_old_ones_are_dropped(settings):
    from apps.monitoring.storage import maintain_partitions

    settings.ANQUAN_READING_RETENTION_DAYS = 3
    today = timezone.now().date()
    first = maintain_partitions(today=today - dt.timedelta(days=10), ahead_days=1)
    assert len(first["created"]) >= 1
    result = maintain_partitions(today=today)
    assert any(name.endswith((today - dt.timedelta(days=10)).strftime("%Y%m%d")) for name in result["dropped"])
