"""Ingestion benchmark (issue 4): signed HTTP batches through a running server and worker.

Measures, in one run: readings/s accepted and stored by the HTTP path; readings/s processed
(latest values + alarm evaluation) by the worker; the raw COPY rate of the same rows into the same
partitioned table on the same machine; and checks readings sent = stored. Prints JSON.

    .venv/bin/python bench/ingest.py [--points 2000] [--seconds 20] [--clients 4] [--web-workers 2]

Runs against the database named by DATABASE_URL (default: the development database); it creates a
bench enterprise and gateway of its own and removes their readings afterwards.
"""

import argparse
import datetime as dt
import hashlib
import hmac
import http.client
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402

from apps.enterprises.models import Enterprise  # noqa: E402
from apps.facilities.models import Facility, FacilityKind  # noqa: E402
from apps.monitoring.models import (  # noqa: E402
    Alarm,
    Gateway,
    IngestBatch,
    MeasurementKind,
    MonitoringPoint,
    PointState,
)
from apps.monitoring.services import create_gateway, gateway_secret  # noqa: E402
from apps.monitoring.storage import maintain_partitions  # noqa: E402

PORT = 8099


def provision(n_points):
    enterprise = Enterprise.objects.active().order_by("pk").first()
    kind = FacilityKind.objects.get(code="tank_farm")
    facility, _ = Facility.objects.get_or_create(
        enterprise=enterprise, code="BENCH-TF", defaults={"kind": kind, "name": "基准测试罐区"}
    )
    temperature = MeasurementKind.objects.get(code="temperature")
    have = set(MonitoringPoint.objects.filter(facility=facility).values_list("code", flat=True))
    MonitoringPoint.objects.bulk_create(
        [
            MonitoringPoint(
                enterprise=enterprise,
                facility=facility,
                code=f"BENCH-{n:05d}",
                name="基准温度",
                kind=temperature,
                high=80,
                high_high=90,
                deadband=1,
            )
            for n in range(n_points)
            if f"BENCH-{n:05d}" not in have
        ]
    )
    gateway = Gateway.objects.filter(gateway_id="gw-bench").first()
    if gateway is None:
        gateway, _secret = create_gateway(None, enterprise=enterprise, gateway_id="gw-bench")
    return gateway, gateway_secret(gateway), [f"BENCH-{n:05d}" for n in range(n_points)]


def cleanup(gateway):
    points = MonitoringPoint.objects.filter(code__startswith="BENCH-", facility__code="BENCH-TF")
    Alarm.objects.filter(point__in=points).delete()
    PointState.objects.filter(point__in=points).delete()
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM monitoring_reading WHERE batch_id IN (SELECT id FROM monitoring_ingestbatch "
            "WHERE gateway_id = %s)",
            [gateway.pk],
        )
    IngestBatch.objects.filter(gateway=gateway).delete()


def body_for(codes, start, seq, size):
    # Each request: `size` readings over the points; a point appearing twice gets a later ts, so no
    # reading of the run duplicates another.
    base = start + dt.timedelta(seconds=seq)
    readings = [
        {
            "point": codes[i % len(codes)],
            "ts": (base + dt.timedelta(milliseconds=i // len(codes))).isoformat(),
            "value": 20.0 + (i % 97) * 0.7,
        }
        for i in range(size)
    ]
    return json.dumps({"readings": readings}).encode()


def client_loop(secret, codes, start, seq_iter, lock, deadline, results, size):
    conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=60)
    while time.monotonic() < deadline:
        with lock:
            seq = next(seq_iter)
        body = body_for(codes, start, seq, size)
        stamp = str(int(time.time()))
        sig = hmac.new(secret.encode(), stamp.encode() + b"\n" + body, hashlib.sha256).hexdigest()
        t0 = time.monotonic()
        conn.request(
            "POST",
            "/api/v1/ingest/readings",
            body,
            {"Content-Type": "application/json", "X-Gateway-Id": "gw-bench", "X-Timestamp": stamp, "X-Signature": sig},
        )
        response = conn.getresponse()
        payload = json.loads(response.read())
        results.append((response.status, payload.get("accepted", 0), len(body), time.monotonic() - t0))


def raw_copy_rate(rows_total, n_points):
    import psycopg
    from django.conf import settings

    db = settings.DATABASES["default"]
    start = dt.datetime.now(dt.UTC) - dt.timedelta(hours=2)
    with psycopg.connect(
        host=db["HOST"] or "127.0.0.1", port=db["PORT"] or 5432, user=db["USER"], dbname=db["NAME"], autocommit=False
    ) as conn:
        with conn.cursor() as cur:
            cur.execute("CREATE TEMP TABLE bench_copy (LIKE monitoring_reading INCLUDING ALL) ON COMMIT DROP")
            t0 = time.monotonic()
            with cur.copy("COPY bench_copy (point_id, ts, value, batch_id) FROM STDIN") as copy:
                for i in range(rows_total):
                    copy.write_row((i % n_points + 1, start + dt.timedelta(microseconds=i), 20.5, 1))
            elapsed = time.monotonic() - t0
        conn.rollback()
    return rows_total / elapsed


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--points", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--batch", type=int, default=5000)
    parser.add_argument("--web-workers", type=int, default=2)
    args = parser.parse_args()
    maintain_partitions()
    gateway, secret, codes = provision(args.points)
    cleanup(gateway)
    env = {**os.environ, "DJANGO_DEBUG": "false", "DJANGO_LOG_LEVEL": "WARNING"}
    web = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "config.asgi:application",
            "--port",
            str(PORT),
            "--workers",
            str(args.web_workers),
            "--log-level",
            "warning",
            "--lifespan",
            "off",
        ],
        cwd=ROOT,
        env=env,
    )
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config.celery_app",
            "worker",
            "-Q",
            "default",
            "-c",
            "1",
            "-l",
            "warning",
            "-n",
            f"bench-{os.getpid()}@%h",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        for _ in range(100):
            try:
                http.client.HTTPConnection("127.0.0.1", PORT, timeout=1).request("GET", "/healthz")
                break
            except OSError:
                time.sleep(0.2)
        start = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
        seq_iter, lock, results = iter(range(10**9)), threading.Lock(), []
        t0 = time.monotonic()
        deadline = t0 + args.seconds
        threads = [
            threading.Thread(
                target=client_loop, args=(secret, codes, start, seq_iter, lock, deadline, results, args.batch)
            )
            for _ in range(args.clients)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        http_elapsed = time.monotonic() - t0
        accepted = sum(r[1] for r in results)
        sent = len(results) * args.batch
        # Wait for the worker to process every batch of the run.
        while (
            IngestBatch.objects.filter(gateway=gateway, processed_at__isnull=True).exists()
            and time.monotonic() - t0 < args.seconds * 4
        ):
            time.sleep(0.2)
        processed_elapsed = time.monotonic() - t0
        batches = IngestBatch.objects.filter(gateway=gateway)
        processed_readings = sum(b.accepted for b in batches.filter(processed_at__isnull=False))
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM monitoring_reading r JOIN monitoring_ingestbatch b ON b.id = r.batch_id"
                " WHERE b.gateway_id = %s",
                [gateway.pk],
            )
            stored = cursor.fetchone()[0]
        latencies = sorted(r[3] for r in results)
        copy_rate = raw_copy_rate(min(accepted, 300_000) or 100_000, args.points)
        http_rate = accepted / http_elapsed
        print(
            json.dumps(
                {
                    "benchmark": "ingest_http",
                    "points": args.points,
                    "clients": args.clients,
                    "batch": args.batch,
                    "web_workers": args.web_workers,
                    "requests": len(results),
                    "statuses": sorted({r[0] for r in results}),
                    "readings_sent": sent,
                    "readings_accepted": accepted,
                    "readings_stored": stored,
                    "http_accepted_per_s": round(http_rate),
                    "readings_processed": processed_readings,
                    "end_to_end_processed_per_s": round(processed_readings / processed_elapsed),
                    "raw_copy_per_s": round(copy_rate),
                    "ratio_to_raw_copy": round(http_rate / copy_rate, 3),
                    "request_p50_s": round(latencies[len(latencies) // 2], 3) if latencies else None,
                    "request_p99_s": round(latencies[int(len(latencies) * 0.99) - 1], 3) if latencies else None,
                }
            )
        )
    finally:
        web.terminate()
        worker.terminate()
        web.wait(20)
        worker.wait(20)
        cleanup(gateway)


if __name__ == "__main__":
    main()
