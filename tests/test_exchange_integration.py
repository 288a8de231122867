"""Uploading upward through the real pieces (contract.md §4, sending side): the enterprise side
queues risk units in its outbox while the province is down, a real Celery worker tries, fails and
backs off, the province comes back, and the worker's own retry drains the backlog over real HTTP
(through a TCP proxy) into the province's receiving endpoint — nothing lost, nothing twice, every
key's versions in the order they were queued, deletions as flags."""

import contextlib
import socket
import threading
from urllib.parse import urlsplit

import pytest

from .test_durability import wait_for
from .workers import start_worker, stop_worker, through_the_broker

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


class Proxy:
    """A TCP proxy in a thread between the sender and the receiver. While *down* it accepts each
    connection and closes it at once (the sender sees the connection drop before any answer) and
    cuts the connections it was carrying; while *up* it pipes bytes both ways."""

    def __init__(self, upstream: tuple[str, int]):
        self.upstream = upstream
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.2)
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}/"
        self.is_up = threading.Event()
        self.stopped = threading.Event()
        self.dropped = 0
        self.carried = 0
        self.lock = threading.Lock()
        self.open: set[socket.socket] = set()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while not self.stopped.is_set():
            try:
                client, _address = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            if not self.is_up.is_set():
                self.dropped += 1
                client.close()
                continue
            try:
                upstream = socket.create_connection(self.upstream, timeout=5)
            except OSError:
                client.close()
                continue
            client.settimeout(None)
            upstream.settimeout(None)
            self.carried += 1
            with self.lock:
                self.open |= {client, upstream}
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    def _pipe(self, source, sink):
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                with contextlib.suppress(OSError):
                    end.shutdown(socket.SHUT_RDWR)
                end.close()
            with self.lock:
                self.open -= {source, sink}

    def up(self):
        self.is_up.set()

    def down(self):
        self.is_up.clear()
        with self.lock:
            carried = list(self.open)
        for end in carried:
            with contextlib.suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)

    def close(self):
        self.down()
        self.stopped.set()
        self.thread.join(timeout=2)
        self.listener.close()


@pytest.fixture
def proxy(live_server):
    parts = urlsplit(live_server.url)
    proxy = Proxy((parts.hostname, parts.port))
    yield proxy
    proxy.close()


@pytest.fixture
def worker():
    with through_the_broker():
        proc = start_worker("exchange")
        yield proc
        stop_worker(proc)


def test_the_province_going_down_and_coming_back_loses_nothing_and_keeps_each_keys_order(proxy, worker):
    from django.db import transaction

    from apps.exchange import outbox
    from apps.exchange.models import OutboxEntry, Partner, ReceivedRecord, ReceivedVersion, Subscription
    from apps.exchange.registry import OutboundRecord
    from apps.exchange.tests import factories as f

    # The province's side: our enterprise's exchange client on the live server.
    enterprise = f.enterprise()
    _client, token = f.client_for(enterprise, name="enterprise-system")
    # The enterprise's side: the province as a partner, reached through the proxy.
    partner = Partner.objects.create(name="province", base_url=proxy.url, batch_size=2)
    outbox.set_partner_token(partner, token)
    lane = Subscription.objects.create(partner=partner, dataset="risk-units", schedule="realtime")

    a, b, c, d = (f.risk_unit(RISK_UNIT_NAME=f"{name}-1") for name in "ABCD")
    uploads = [
        [a, b, c],
        [{**a, "RISK_UNIT_NAME": "A-2"}, d, {**b, "RISK_UNIT_NAME": "B-2"}],
        [{**c, "DELETED": "1"}, {**a, "RISK_UNIT_NAME": "A-3"}, {**d, "RISK_UNIT_NAME": "D-2"}],
    ]

    proxy.down()
    for upload in uploads:  # three business transactions; each asks for delivery after commit
        with transaction.atomic():
            outbox.enqueue(
                "risk-units", [OutboundRecord(key=r["ID"], payload=r, enterprise_id=enterprise.pk) for r in upload]
            )

    # The worker tried, the province was unreachable: the lane backs off and nothing left the outbox.
    assert wait_for(lambda: Subscription.objects.get(pk=lane.pk).consecutive_failures >= 1, seconds=30)
    assert proxy.dropped >= 1 and not ReceivedRecord.objects.exists()
    assert OutboxEntry.objects.filter(subscription=lane, status="pending").count() == 9

    proxy.up()  # no one calls a service: the worker's own retry after its backoff drains the lane
    assert wait_for(lambda: not OutboxEntry.objects.filter(subscription=lane, status="pending").exists(), seconds=40)

    expected = {}  # key → the versions in the order they were queued
    for upload in uploads:
        for record in upload:
            expected.setdefault(record["ID"], []).append((record["RISK_UNIT_NAME"], record["DELETED"]))
    records = {r.key: r for r in ReceivedRecord.objects.filter(dataset="risk-units")}
    assert set(records) == set(expected)
    for key, versions in expected.items():
        arrived = ReceivedVersion.objects.filter(record=records[key]).order_by("id")
        # each version exactly once, in queue order; the record holds the last one
        assert [(v.payload["RISK_UNIT_NAME"], v.payload["DELETED"]) for v in arrived] == versions
        assert (records[key].payload["RISK_UNIT_NAME"], records[key].payload["DELETED"]) == versions[-1]
        assert records[key].enterprise_id == enterprise.pk
    assert records[c["ID"]].deleted and not records[a["ID"]].deleted  # deletion arrives as a flag
    assert records[a["ID"]].payload["RISK_UNIT_NAME"] == "A-3"

    assert not OutboxEntry.objects.filter(status="dead").exists()
    assert OutboxEntry.objects.filter(subscription=lane, status="delivered").count() == 9
    [status] = outbox.lane_status()
    assert status["backlog"] == 0 and status["dead_letters"] == 0 and status["consecutive_failures"] == 0
    assert status["last_success_at"] is not None and proxy.carried >= 1
