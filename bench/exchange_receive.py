"""Data exchange receiving benchmark (contract.md §4): records/s received, validated and stored through
the real ``POST /api/v1/exchange/<dataset>`` endpoint, for the text tables. Prints JSON.

For each of risk-units, hazards and check-records: ``--requests`` requests of ``--records`` new
records each (bodies built before the clock starts), sent one after the other by one client — the
way a sender's lane uploads — then the same bodies again (every record an update). The path is
``--via client`` (Django's test client in this process: the whole Django request, no socket) or
``--via uvicorn`` (a uvicorn worker started here, reached over HTTP on 127.0.0.1).
``--profile`` runs one table's first pass under cProfile and prints the top functions.

    .venv/bin/python bench/exchange_receive.py [--requests 50] [--records 1000] [--via client|uvicorn]

Runs against the database named by DATABASE_URL (default: the development database). It needs one
enterprise (run ``manage.py seed_demo`` first), binds an exchange client ``bench-exchange`` to it and
removes everything that client received at the end (the enterprise's upload statistics are restored).
"""

import argparse
import cProfile
import http.client
import io
import json
import os
import pstats
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
os.environ.setdefault("DJANGO_DEBUG", "false")  # DEBUG keeps every query in memory
os.environ.setdefault("DJANGO_LOG_LEVEL", "WARNING")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

from apps.enterprises.models import Enterprise  # noqa: E402
from apps.exchange import services  # noqa: E402
from apps.exchange.models import ExchangeClient, UploadStat  # noqa: E402
from apps.hazards.models import HazardSource  # noqa: E402
from config.celery_app import app as celery_app  # noqa: E402

celery_app.conf.task_always_eager = True  # never send a task to a broker another process may consume

CLIENT_NAME = "bench-exchange"
PORT = 8098
DATASETS = ("risk-units", "hazards", "check-records")
NOW = "2026-12-01 09:30:00"


def new_id() -> str:
    return str(uuid.uuid4())


def risk_unit(n, hazard_code):
    return {
        "ID": new_id(),
        "HAZARD_CODE": hazard_code,
        "HAZARD_DEP": "生产一车间",
        "HAZARD_LIABLE_PERSON": "张三",
        "RISK_UNIT_NAME": f"{n % 40 + 1}号罐区",
        "DELETED": "0",
    }


def hazard(n, hazard_code):
    return {
        "ID": new_id(),
        "HAZARD_CODE": hazard_code,
        "RISK_MEASURE_ID": new_id(),
        "DANGER_NAME": "液位计失灵",
        "DANGER_LEVEL": n % 2,
        "REGIST_TIME": NOW,
        "REGISTRANT": "李四",
        "DANGER_SRC": str(n % 4 + 1),
        "DANGER_MANAGE_TYPE": 1,
        "HAZARD_DANGER_TYPE": 4,
        "DANGER_DESC": "1号罐液位计读数不变",
        "DANGER_REASON": "仪表故障",
        "LIABLE_PERSON": "王五",
        "DANGER_MANAGE_DEADLINE": "2026-12-10 18:00:00",
        "DANGER_STATE": 0,
        "DELETED": "0",
    }


def check_record(n, _hazard_code):
    return {"ID": new_id(), "CHECK_TASK_ID": new_id(), "CHECK_TIME": NOW, "CHECK_STATUS": "0", "DELETED": "0"}


MAKERS = {"risk-units": risk_unit, "hazards": hazard, "check-records": check_record}


def setup():
    enterprise = Enterprise.objects.active().order_by("pk").first()
    if enterprise is None:
        sys.exit("No enterprise: run `manage.py seed_demo` against this database first.")
    cleanup()
    _client, token = services.create_client(None, name=CLIENT_NAME, enterprise=enterprise)
    source = HazardSource.objects.filter(enterprise=enterprise, deleted=False).values_list("code", flat=True).first()
    snapshot = list(UploadStat.objects.filter(enterprise=enterprise).values())
    return enterprise, token, source or "HZ-BENCH-0001", snapshot


def remove_received(client_name: str):
    """Everything an exchange client sent, and the client (set-based: the bench stores 10⁵ rows)."""
    client = ExchangeClient.objects.filter(name=client_name).first()
    if client is None:
        return
    with connection.cursor() as cursor:
        for sql in (
            "DELETE FROM exchange_receivedversion v USING exchange_receiptbatch b"
            " WHERE v.batch_id = b.id AND b.client_id = %s",
            "DELETE FROM exchange_receivedversion v USING exchange_receivedrecord r"
            " WHERE v.record_id = r.id AND r.client_id = %s",
            "DELETE FROM exchange_rejection j USING exchange_receiptbatch b WHERE j.batch_id = b.id AND b.client_id = %s",
            "DELETE FROM exchange_receivedrecord WHERE client_id = %s",
            "DELETE FROM exchange_receiptbatch WHERE client_id = %s",
        ):
            cursor.execute(sql, [client.pk])
    client.delete()


def cleanup(snapshot=None, enterprise=None):
    remove_received(CLIENT_NAME)
    if snapshot is not None:
        UploadStat.objects.filter(enterprise=enterprise).delete()
        UploadStat.objects.bulk_create([UploadStat(**row) for row in snapshot])
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE exchange_receivedrecord")


class InProcess:
    def __init__(self, token):
        self.client = Client()
        self.headers = {"HTTP_AUTHORIZATION": f"Token {token}"}

    def post(self, dataset, body: bytes) -> dict:
        response = self.client.post(
            f"/api/v1/exchange/{dataset}", data=body, content_type="application/json", **self.headers
        )
        assert response.status_code == 200, response.content[:500]
        return response.json()


class OverHttp:
    def __init__(self, token):
        self.conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=120)
        self.headers = {"Authorization": f"Token {token}", "Content-Type": "application/json"}

    def post(self, dataset, body: bytes) -> dict:
        self.conn.request("POST", f"/api/v1/exchange/{dataset}", body=body, headers=self.headers)
        response = self.conn.getresponse()
        data = response.read()
        assert response.status == 200, data[:500]
        return json.loads(data)


def run(sender, dataset, bodies):
    """Send the bodies one after the other; → (seconds, per-request seconds, totals of the answers)."""
    totals = {"received": 0, "created": 0, "updated": 0, "rejected": 0}
    times = []
    started = time.perf_counter()
    for body in bodies:
        t0 = time.perf_counter()
        answer = sender.post(dataset, body)
        times.append(time.perf_counter() - t0)
        for name in ("received", "created", "updated"):
            totals[name] += answer[name]
        totals["rejected"] += len(answer["rejected"])
    return time.perf_counter() - started, times, totals


def figures(seconds, times, totals):
    return {
        **totals,
        "seconds": round(seconds, 2),
        "records_per_s": round(totals["received"] / seconds),
        "request_p50_ms": round(statistics.median(times) * 1000),
        "request_max_ms": round(max(times) * 1000),
    }


def start_server(port=PORT, workers=1):
    """uvicorn serving the project on 127.0.0.1:``port``; returns once it answers."""
    env = {**os.environ, "DJANGO_DEBUG": "false", "DJANGO_LOG_LEVEL": "WARNING"}
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "config.asgi:application", "--port", str(port), "--workers", str(workers)]
        + ["--log-level", "warning", "--lifespan", "off"],
        cwd=ROOT,
        env=env,
    )
    for _ in range(150):
        try:
            probe = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            probe.request("GET", "/healthz")
            probe.getresponse().read()
            return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    sys.exit("uvicorn did not start")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--records", type=int, default=1000)
    parser.add_argument("--via", choices=("client", "uvicorn"), default="client")
    parser.add_argument("--profile", choices=DATASETS, help="profile this table's first pass (client only)")
    args = parser.parse_args()
    enterprise, token, hazard_code, snapshot = setup()
    result = {
        "benchmark": "exchange_receive",
        "via": args.via,
        "requests_per_table": args.requests,
        "records_per_request": args.records,
        "cpus": os.cpu_count(),
        "load_average_start": [round(x, 2) for x in os.getloadavg()],
    }
    server = None
    try:
        if args.via == "uvicorn":
            server = start_server()
            sender = OverHttp(token)
        else:
            sender = InProcess(token)
        tables = {}
        for dataset in DATASETS if not args.profile else (args.profile,):
            make = MAKERS[dataset]
            records = [
                [make(r * args.records + i, hazard_code) for i in range(args.records)] for r in range(args.requests)
            ]
            bodies = [json.dumps(batch, ensure_ascii=False).encode() for batch in records]
            if args.profile:
                profiler = cProfile.Profile()
                profiler.enable()
                seconds, times, totals = run(sender, dataset, bodies)
                profiler.disable()
                out = io.StringIO()
                pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(45)
                out.write("\n--- by own time ---\n")
                pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(30)
                print(out.getvalue(), file=sys.stderr)
                tables[dataset] = {"created": figures(seconds, times, totals)}
                continue
            first = figures(*run(sender, dataset, bodies))
            again = figures(*run(sender, dataset, bodies))
            tables[dataset] = {"created": first, "updated": again}
        result["tables"] = tables
        if not args.profile:
            passes = [p for t in tables.values() for p in t.values()]
            received = sum(p["received"] for p in passes)
            result["overall_records_per_s"] = round(received / sum(p["seconds"] for p in passes))
            result["nothing_rejected"] = all(p["rejected"] == 0 for p in passes)
            result["target_records_per_s"] = 5000
    finally:
        if server is not None:
            server.terminate()
            server.wait(20)
        if not os.environ.get("BENCH_KEEP"):
            cleanup(snapshot, enterprise)
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
