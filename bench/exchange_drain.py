"""Outbox drain benchmark (contract.md §4, sending side): how long a backlog of ``--records`` outbox
entries (default 100,000 risk units) takes to reach a live receiver — our own endpoint under uvicorn —
in batches of ``--batch`` (1,000), one lane drained by one worker as in production. Prints JSON.

1. enqueue: the backlog is written into one lane in transactions of 10,000 (COPY), partner paused;
2. drain: ``outbox.deliver`` runs in this process (the lane worker, budget unlimited) against the
   receiver on 127.0.0.1, which validates and stores every record (the same database);
3. checks: every entry delivered, every record received exactly once, nothing dead.

    .venv/bin/python bench/exchange_drain.py [--records 100000] [--batch 1000] [--web-workers 1]

Runs against the database named by DATABASE_URL (default: the development database). It needs one
enterprise (``manage.py seed_demo``); its partner, subscription, exchange client and everything they
sent and received are removed at the end (the enterprise's upload statistics are restored).
"""

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
os.environ.setdefault("DJANGO_DEBUG", "false")
os.environ.setdefault("DJANGO_LOG_LEVEL", "WARNING")

import httpx  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.db.models import Count  # noqa: E402
from exchange_receive import remove_received, risk_unit, start_server  # noqa: E402 (sets Django up)

from apps.enterprises.models import Enterprise  # noqa: E402
from apps.exchange import outbox, services  # noqa: E402
from apps.exchange.models import (  # noqa: E402
    OutboxEntry,
    Partner,
    ReceiptBatch,
    ReceivedRecord,
    Subscription,
    UploadStat,
)
from apps.exchange.registry import OutboundRecord  # noqa: E402
from apps.hazards.models import HazardSource  # noqa: E402

NAME = "bench-drain"
PORT = 8097
CHUNK = 10_000


class TimedTransport(httpx.HTTPTransport):
    """The real network transport, timing each request to its response headers."""

    def __init__(self):
        super().__init__()
        self.seconds = []

    def handle_request(self, request):
        started = time.perf_counter()
        response = super().handle_request(request)
        self.seconds.append(time.perf_counter() - started)
        return response


def cleanup():
    partner = Partner.objects.filter(name=NAME).first()
    if partner is not None:
        with connection.cursor() as cursor:
            cursor.execute(
                "DELETE FROM exchange_outboxentry WHERE subscription_id IN"
                " (SELECT id FROM exchange_subscription WHERE partner_id = %s)",
                [partner.pk],
            )
        partner.delete()
    remove_received(NAME)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--web-workers", type=int, default=1)
    args = parser.parse_args()
    enterprise = Enterprise.objects.active().order_by("pk").first()
    if enterprise is None:
        sys.exit("No enterprise: run `manage.py seed_demo` against this database first.")
    cleanup()
    snapshot = list(UploadStat.objects.filter(enterprise=enterprise).values())
    hazard_code = (
        HazardSource.objects.filter(enterprise=enterprise, deleted=False).values_list("code", flat=True).first()
        or "HZ-BENCH-0001"
    )
    _client, token = services.create_client(None, name=NAME, enterprise=enterprise)
    partner = Partner.objects.create(
        name=NAME, base_url=f"http://127.0.0.1:{PORT}/", batch_size=args.batch, timeout_seconds=120, enabled=False
    )
    outbox.set_partner_token(partner, token)
    lane = Subscription.objects.create(partner=partner, dataset="risk-units", schedule="realtime")
    result = {
        "benchmark": "exchange_drain",
        "records": args.records,
        "batch": args.batch,
        "web_workers": args.web_workers,
        "cpus": os.cpu_count(),
        "load_average_start": [round(x, 2) for x in os.getloadavg()],
    }
    server = None
    try:
        # 1. the backlog, into this lane only (enqueue would also fill other partners' lanes of the table)
        started = time.perf_counter()
        for offset in range(0, args.records, CHUNK):
            batch = [risk_unit(n, hazard_code) for n in range(offset, min(args.records, offset + CHUNK))]
            with transaction.atomic():
                outbox._insert("risk-units", [OutboundRecord(key=r["ID"], payload=r) for r in batch], [lane.pk])
        enqueue_s = time.perf_counter() - started
        result["enqueue"] = {"seconds": round(enqueue_s, 2), "records_per_s": round(args.records / enqueue_s)}
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE exchange_outboxentry")

        # 2. the drain
        server = start_server(PORT, args.web_workers)
        Partner.objects.filter(pk=partner.pk).update(enabled=True)
        transport = TimedTransport()
        started = time.perf_counter()
        run = outbox.deliver(lane.pk, budget_seconds=24 * 3600, transport=transport)
        drain_s = time.perf_counter() - started
        server_ms = sorted(ReceiptBatch.objects.filter(client__name=NAME).values_list("duration_ms", flat=True))
        result["drain"] = {
            "status": run["status"],
            "seconds": round(drain_s, 2),
            "records_per_s": round(run["delivered"] / drain_s),
            "requests": run["requests"],
            "request_p50_ms": round(statistics.median(transport.seconds) * 1000),
            "request_p95_ms": round(sorted(transport.seconds)[int(len(transport.seconds) * 0.95) - 1] * 1000),
            "receiver_p50_ms": server_ms[len(server_ms) // 2] if server_ms else None,
            "receiver_share": round(sum(server_ms) / 1000 / drain_s, 2),
        }

        # 3. checks
        entries = dict(OutboxEntry.objects.filter(subscription=lane).values_list("status").annotate(n=Count("id")))
        received = ReceivedRecord.objects.filter(client__name=NAME).count()
        result["checks"] = {
            "delivered": entries.get("delivered", 0),
            "pending": entries.get("pending", 0),
            "dead": entries.get("dead", 0),
            "received_records": received,
            "receipt_batches": ReceiptBatch.objects.filter(client__name=NAME).count(),
            "all_delivered_once": entries.get("delivered", 0) == args.records == received,
        }
    finally:
        if server is not None:
            server.terminate()
            server.wait(20)
        if not os.environ.get("BENCH_KEEP"):
            cleanup()
            UploadStat.objects.filter(enterprise=enterprise).delete()
            UploadStat.objects.bulk_create([UploadStat(**row) for row in snapshot])
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE exchange_outboxentry")
                cursor.execute("VACUUM ANALYZE exchange_receivedrecord")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
