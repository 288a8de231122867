"""Ingestion benchmark (issue 4): signed HTTP batches and MQTT messages through the running web
server, MQTT bridge and Celery worker, measured end to end in one run. Prints JSON.

Phases, in one run against the same table:
1. throughput: client threads send pre-built signed 5,000-reading requests as fast as the server
   takes them; "end to end" counts a reading when the worker has processed its batch (latest value,
   alarm evaluation, minute rollup), over the time from the first request to the last batch processed;
2. latency at a set rate (default 20,000 readings/s): the same load paced, plus alarm probes (one
   reading crossing or leaving a limit every 200 ms) whose websocket events are timed from send to
   receipt on an enterprise subscription;
3. MQTT: the same bodies published at QoS 1 to Mosquitto and stored through the bridge;
4. the raw COPY rate of as many rows into a copy of the same table on the same machine;
and checks that readings sent = readings stored, with the peak RSS of every process.

    .venv/bin/python bench/ingest.py [--points 20000] [--seconds 15] [--latency-seconds 30]

Runs against the database named by DATABASE_URL (default: the development database); it creates a
bench facility, points, gateway and user of its own and removes their readings afterwards.
"""

import argparse
import asyncio
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

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402

from apps.accounts.models import Role, User  # noqa: E402
from apps.accounts.services import issue_token  # noqa: E402
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
from apps.monitoring.mqtt_bridge import forget_session  # noqa: E402
from apps.monitoring.services import create_gateway, gateway_secret  # noqa: E402
from apps.monitoring.storage import maintain_partitions  # noqa: E402

PORT = 8099
BATCH = 5000
PROBES = 20


def provision(n_points):
    enterprise = Enterprise.objects.active().order_by("pk").first()
    kind = FacilityKind.objects.get(code="tank_farm")
    facility, _ = Facility.objects.get_or_create(
        enterprise=enterprise, code="BENCH-TF", defaults={"kind": kind, "name": "基准测试罐区"}
    )
    temperature = MeasurementKind.objects.get(code="temperature")
    codes = [f"BENCH-{n:05d}" for n in range(n_points)] + [f"BENCH-PROBE-{n:02d}" for n in range(PROBES)]
    have = set(MonitoringPoint.objects.filter(facility=facility).values_list("code", flat=True))
    MonitoringPoint.objects.bulk_create(
        [
            MonitoringPoint(
                enterprise=enterprise,
                facility=facility,
                code=code,
                name="基准温度",
                kind=temperature,
                high=80,
                high_high=90,
                deadband=0 if "PROBE" in code else 1,
            )
            for code in codes
            if code not in have
        ]
    )
    MonitoringPoint.objects.filter(facility=facility).update(in_use=True)
    gateway = Gateway.objects.filter(gateway_id="gw-bench").first()
    if gateway is None:
        gateway, _secret = create_gateway(None, enterprise=enterprise, gateway_id="gw-bench")
    Gateway.objects.filter(pk=gateway.pk).update(is_enabled=True)
    user, created = User.objects.get_or_create(
        username="bench-watcher", defaults={"organisation": enterprise.organisation}
    )
    if created:
        user.groups.set([Role.objects.get(code="enterprise_admin").group])
    _token, raw = issue_token(user, name="bench")
    return enterprise, gateway, gateway_secret(gateway), codes[:n_points], raw


def retire(gateway):
    """Take the bench's points and gateway out of service, so the demo (its simulator, offline
    detection, statistics) does not see them between runs."""
    MonitoringPoint.objects.filter(facility__code="BENCH-TF", code__startswith="BENCH-").update(in_use=False)
    Gateway.objects.filter(pk=gateway.pk).update(is_enabled=False)


def cleanup(gateway):
    """Remove what a run stored."""
    points = MonitoringPoint.objects.filter(facility__code="BENCH-TF", code__startswith="BENCH-")
    Alarm.objects.filter(point__in=points).delete()
    PointState.objects.filter(point__in=points).delete()
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM monitoring_reading WHERE point_id IN (SELECT id FROM monitoring_monitoringpoint"
            " WHERE code LIKE 'BENCH-%%')"
        )
        for table in ("monitoring_rollup_minute", "monitoring_rollup_hour"):
            cursor.execute(
                f"DELETE FROM {table} WHERE point_id IN (SELECT id FROM monitoring_monitoringpoint"
                " WHERE code LIKE 'BENCH-%%')"
            )
    IngestBatch.objects.filter(gateway=gateway).delete()


SPACING_S = 30  # a point's readings 30 s apart in data time: points report every 10-60 s in the field


def build_bodies(codes, start, count, first_request=0):
    """``count`` request bodies, each the next 5,000 points in turn; a point's readings 30 s apart."""
    bodies = []
    n = len(codes)
    for r in range(first_request, first_request + count):
        offset = r * BATCH
        readings = []
        for i in range(offset, offset + BATCH):
            cycle, index = divmod(i, n)
            ts = (start + dt.timedelta(seconds=cycle * SPACING_S)).isoformat()
            readings.append({"point": codes[index], "ts": ts, "value": 40.0 + ((i * 7919) % 200) / 10})
        bodies.append(json.dumps({"readings": readings}).encode())
    return bodies


def sign(secret, body):
    stamp = str(int(time.time()))
    return stamp, hmac.new(secret.encode(), stamp.encode() + b"\n" + body, hashlib.sha256).hexdigest()


def post(conn, secret, body):
    stamp, signature = sign(secret, body)
    headers = {"Content-Type": "application/json", "X-Gateway-Id": "gw-bench", "X-Timestamp": stamp}
    conn.request("POST", "/api/v1/ingest/readings", body, {**headers, "X-Signature": signature})
    response = conn.getresponse()
    payload = json.loads(response.read())
    return response.status, payload, response.getheader("Retry-After")


class Sender:
    """Client threads taking bodies from a shared list; optionally paced to a rate (readings/s)."""

    def __init__(self, secret, bodies, clients, rate=None):
        self.secret, self.bodies, self.clients, self.rate = secret, bodies, clients, rate
        self.lock = threading.Lock()
        self.next = 0
        self.accepted = self.sent = self.refused = 0
        self.statuses = set()
        self.latencies = []

    def _take(self, started):
        with self.lock:
            if self.next >= len(self.bodies):
                return None
            if self.rate:  # request k may leave at started + k * 5000 / rate
                due = started + self.next * BATCH / self.rate
                wait = due - time.monotonic()
            else:
                wait = 0
            body = self.bodies[self.next]
            self.next += 1
        if wait > 0:
            time.sleep(wait)
        return body

    def _loop(self, started, deadline):
        conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=60)
        while time.monotonic() < deadline:
            body = self._take(started)
            if body is None:
                return
            t0 = time.monotonic()
            while True:
                status, payload, retry_after = post(conn, self.secret, body)
                if status != 429:
                    break
                with self.lock:
                    self.refused += 1
                time.sleep(float(retry_after or 1))
            with self.lock:
                self.statuses.add(status)
                self.sent += BATCH
                self.accepted += payload.get("accepted", 0)
                self.latencies.append(time.monotonic() - t0)

    def run(self, seconds):
        started = time.monotonic()
        threads = [threading.Thread(target=self._loop, args=(started, started + seconds)) for _ in range(self.clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return time.monotonic() - started


def wait_processed(gateway, since_id, limit_s):
    """Seconds until every batch after ``since_id`` is processed, and when the last one was."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < limit_s:
        if not IngestBatch.objects.filter(gateway=gateway, pk__gt=since_id, processed_at__isnull=True).exists():
            break
        time.sleep(0.1)
    last = (
        IngestBatch.objects.filter(gateway=gateway, pk__gt=since_id)
        .order_by("-processed_at")
        .values_list("processed_at", flat=True)
        .first()
    )
    return last


def last_batch_id(gateway):
    return IngestBatch.objects.filter(gateway=gateway).order_by("-pk").values_list("pk", flat=True).first() or 0


class Probe:
    """Alarm probes: a reading over the high limit, then one back under it, on rotating points; every
    websocket alarm event is matched to the probe reading by its value and timed."""

    def __init__(self, secret, enterprise_id, token, codes):
        self.secret, self.enterprise_id, self.token, self.codes = secret, enterprise_id, token, codes
        self.sent_at: dict[float, float] = {}
        self.values_sent: set[float] = set()
        self.http: list[float] = []
        self.latencies: list[float] = []
        self.ready = threading.Event()
        self.stop = threading.Event()

    async def _listen(self):
        import websockets

        url = f"ws://127.0.0.1:{PORT}/ws/live/?token={self.token}"
        async with websockets.connect(url, max_size=None) as ws:
            await ws.send(json.dumps({"action": "subscribe", "topic": "enterprise", "key": str(self.enterprise_id)}))
            self.ready.set()
            while not self.stop.is_set():
                try:
                    message = json.loads(await asyncio.wait_for(ws.recv(), 0.5))
                except TimeoutError:
                    continue
                received = time.monotonic()
                event = message.get("event") or {}
                if event.get("kind") != "alarms":
                    continue
                for alarm_event in event["events"]:
                    sent = self.sent_at.pop(alarm_event.get("value"), None)
                    if sent is not None:
                        self.latencies.append(received - sent)

    def listen(self):
        asyncio.run(self._listen())

    def send(self, seconds, every_s=0.2):
        conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
        deadline, n = time.monotonic() + seconds, 0
        while time.monotonic() < deadline:
            code = self.codes[(n // 2) % len(self.codes)]
            value = round((85.0 if n % 2 == 0 else 70.0) + n / 1000, 3)  # over, then back under, the limit
            body = json.dumps(
                {"readings": [{"point": code, "ts": dt.datetime.now(dt.UTC).isoformat(), "value": value}]}
            ).encode()
            self.sent_at[value] = sent = time.monotonic()
            self.values_sent.add(value)
            post(conn, self.secret, body)
            self.http.append(time.monotonic() - sent)
            n += 1
            time.sleep(every_s)
        return n


def percentile(values, q):
    if not values:
        return None
    values = sorted(values)
    return round(values[min(len(values) - 1, int(len(values) * q))], 3)


def mqtt_phase(gateway, bodies, seconds):
    import paho.mqtt.client as mqtt

    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="bench-gw")
    if settings.ANQUAN_MQTT_USERNAME:
        client.username_pw_set(settings.ANQUAN_MQTT_USERNAME, settings.ANQUAN_MQTT_PASSWORD)
    client.connect(settings.ANQUAN_MQTT_HOST, settings.ANQUAN_MQTT_PORT)
    client.loop_start()
    since = last_batch_id(gateway)
    t0 = time.monotonic()
    published = 0
    for body in bodies:
        if time.monotonic() - t0 > seconds:
            break
        client.publish("anquan/v1/gw-bench/readings", body, qos=1).wait_for_publish(30)
        published += 1
    published_s = time.monotonic() - t0
    # The bridge takes messages one by one: wait for the stored count to reach what was published.
    expected = published * BATCH
    while time.monotonic() - t0 < seconds * 6:
        stored = sum(IngestBatch.objects.filter(gateway=gateway, pk__gt=since).values_list("accepted", flat=True))
        if stored >= expected:
            break
        time.sleep(0.2)
    stored_s = time.monotonic() - t0
    last = wait_processed(gateway, since, seconds * 4)
    client.loop_stop()
    client.disconnect()
    return {
        "messages": published,
        "readings_published": expected,
        "readings_stored": stored,
        "published_per_s": round(expected / published_s),
        "stored_per_s": round(stored / stored_s),
        "processed_at": last,
    }


def raw_copy_rate(rows_total, n_points):
    """COPY of the same shape of rows into a fresh copy of the readings table (with its primary key)."""
    import psycopg

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


def peak_rss_mb(pid):
    """Peak resident memory (VmHWM) of a process and of each of its children, in MiB."""
    result = {}
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        children = []
    for p in [str(pid), *children]:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    result[p] = round(int(line.split()[1]) / 1024, 1)
        except OSError:
            pass
    return result


def start_processes(args, env):
    web = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "config.asgi:application", "--port", str(PORT)]
        + ["--workers", str(args.web_workers), "--log-level", "warning", "--lifespan", "off"],
        cwd=ROOT,
        env=env,
    )
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config.celery_app", "worker", "-Q", "default"]
        + ["-c", str(args.worker_concurrency), "-l", "warning", "-n", f"bench-{os.getpid()}@%h"],
        cwd=ROOT,
        env=env,
    )
    bridge = subprocess.Popen(
        [sys.executable, "manage.py", "run_mqtt_bridge", "--client-id", "anquan-bench-bridge"],
        cwd=ROOT,
        env=env,
    )
    for _ in range(100):
        try:
            http.client.HTTPConnection("127.0.0.1", PORT, timeout=1).request("GET", "/healthz")
            break
        except OSError:
            time.sleep(0.2)
    time.sleep(2)  # let the worker and bridge connect
    return {"web": web, "worker": worker, "bridge": bridge}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--points", type=int, default=20000)
    parser.add_argument("--seconds", type=float, default=15, help="throughput phase")
    parser.add_argument("--latency-seconds", type=float, default=30)
    parser.add_argument("--latency-rate", type=int, default=20000, help="readings/s during the latency phase")
    parser.add_argument("--mqtt-seconds", type=float, default=5)
    parser.add_argument("--clients", type=int, default=3)
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument("--worker-concurrency", type=int, default=1)
    parser.add_argument("--max-rate", type=int, default=60000, help="bodies are built for at most this rate")
    args = parser.parse_args()
    maintain_partitions()
    enterprise, gateway, secret, codes, token = provision(args.points)
    facility_id = Facility.objects.get(enterprise=enterprise, code="BENCH-TF").pk
    cleanup(gateway)
    probe_codes = [f"BENCH-PROBE-{n:02d}" for n in range(PROBES)]
    # Bodies built before any clock starts: the client's own JSON work stays out of the figures.
    start = dt.datetime.now(dt.UTC) - dt.timedelta(hours=3)
    n_throughput = int(args.seconds * args.max_rate / BATCH) + 1
    n_latency = int(args.latency_seconds * args.latency_rate / BATCH) + 1
    n_mqtt = int(args.mqtt_seconds * args.max_rate / BATCH) + 1
    bodies = build_bodies(codes, start, n_throughput + n_latency + n_mqtt)
    env = {**os.environ, "DJANGO_DEBUG": "false", "DJANGO_LOG_LEVEL": "WARNING"}
    procs = start_processes(args, env)
    result = {"benchmark": "ingest", "points": args.points, "batch": BATCH, "clients": args.clients}
    result["web_workers"], result["worker_concurrency"] = args.web_workers, args.worker_concurrency
    try:
        # 1. throughput
        since = last_batch_id(gateway)
        sender = Sender(secret, bodies[:n_throughput], args.clients)
        t0_wall = dt.datetime.now(dt.UTC)
        http_s = sender.run(args.seconds)
        last = wait_processed(gateway, since, args.seconds * 6)
        e2e_s = (last - t0_wall).total_seconds() if last else None
        result["throughput"] = {
            "statuses": sorted(sender.statuses),
            "refused_429": sender.refused,
            "readings_sent": sender.sent,
            "readings_accepted": sender.accepted,
            "http_accepted_per_s": round(sender.accepted / http_s),
            "end_to_end_processed_per_s": round(sender.accepted / e2e_s) if e2e_s else None,
            "request_p50_s": percentile(sender.latencies, 0.5),
            "request_p99_s": percentile(sender.latencies, 0.99),
        }
        # 2. alarm latency at a set rate
        probe = Probe(secret, enterprise.pk, token, probe_codes)
        listener = threading.Thread(target=probe.listen, daemon=True)
        listener.start()
        probe.ready.wait(10)
        since = last_batch_id(gateway)
        paced = Sender(secret, bodies[n_throughput : n_throughput + n_latency], args.clients, rate=args.latency_rate)
        probe_thread = threading.Thread(target=lambda: setattr(probe, "sent", probe.send(args.latency_seconds)))
        probe_thread.start()
        paced_s = paced.run(args.latency_seconds + 5)
        probe_thread.join()
        wait_processed(gateway, since, 30)
        time.sleep(1)
        probe.stop.set()
        listener.join(5)
        result["latency"] = {
            "target_rate": args.latency_rate,
            "achieved_rate": round(paced.accepted / paced_s),
            "probes_sent": getattr(probe, "sent", 0),
            "alarm_events_received": len(probe.latencies),
            "alarm_latency_p50_s": percentile(probe.latencies, 0.5),
            "alarm_latency_p95_s": percentile(probe.latencies, 0.95),
            "alarm_latency_p99_s": percentile(probe.latencies, 0.99),
            # where the time goes: the probe's HTTP request, then its batch waiting for and in the worker
            "probe_request_p99_s": percentile(probe.http, 0.99),
            "probe_batch_received_to_processed_p99_s": percentile(
                [
                    (done - received).total_seconds()
                    for received, done in IngestBatch.objects.filter(
                        gateway=gateway, pk__gt=since, accepted=1, processed_at__isnull=False
                    ).values_list("received_at", "processed_at")
                ],
                0.99,
            ),
        }
        # 3. MQTT
        mqtt = mqtt_phase(gateway, bodies[n_throughput + n_latency :], args.mqtt_seconds)
        mqtt.pop("processed_at")
        result["mqtt"] = mqtt
        # 4. raw COPY, and nothing lost
        copy_rate = raw_copy_rate(min(sender.accepted, 400_000) or 100_000, args.points)
        result["raw_copy_per_s"] = round(copy_rate)
        e2e = result["throughput"]["end_to_end_processed_per_s"]
        result["ratio_end_to_end_to_raw_copy"] = round(e2e / copy_rate, 3) if e2e else None
        # Sent = stored: the bulk readings lie in the bench's own time window (a simulator running
        # beside the bench sends current timestamps), the probes are matched by point and value.
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM monitoring_reading r JOIN monitoring_monitoringpoint p ON p.id = r.point_id"
                " WHERE p.facility_id = %s AND p.code NOT LIKE 'BENCH-PROBE-%%' AND r.ts >= %s AND r.ts < %s",
                [facility_id, start, start + dt.timedelta(hours=2, minutes=30)],
            )
            stored_bulk = cursor.fetchone()[0]
            cursor.execute(
                "SELECT count(*) FROM monitoring_reading r JOIN monitoring_monitoringpoint p ON p.id = r.point_id"
                " WHERE p.facility_id = %s AND p.code LIKE 'BENCH-PROBE-%%' AND r.value = ANY(%s)",
                [facility_id, list(probe.values_sent)],
            )
            stored_probes = cursor.fetchone()[0]
        sent_total = sender.accepted + paced.accepted + mqtt["readings_published"]
        result["readings_sent"] = {"bulk": sent_total, "probes": len(probe.values_sent)}
        result["readings_stored"] = {"bulk": stored_bulk, "probes": stored_probes}
        result["nothing_lost"] = stored_bulk == sent_total and stored_probes == len(probe.values_sent)
        result["unprocessed_batches"] = IngestBatch.objects.filter(gateway=gateway, processed_at__isnull=True).count()
        result["peak_rss_mb"] = {name: peak_rss_mb(p.pid) for name, p in procs.items()}
    finally:
        for p in procs.values():
            p.terminate()
        for p in procs.values():
            p.wait(20)
        forget_session(settings.ANQUAN_MQTT_HOST, settings.ANQUAN_MQTT_PORT, "anquan-bench-bridge")
        if not os.environ.get("BENCH_KEEP"):
            cleanup(gateway)
        retire(gateway)
    print(json.dumps(result, default=str))


if __name__ == "__main__":
    main()
