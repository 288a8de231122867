"""The outbox (上报发件箱): records queued in the caller's transaction and fanned out to every
subscribed partner, built on schedule, delivered in order to the real receiving endpoint, refused
records kept as dead letters, outages waited out without losing anything, and the ops API."""

import datetime as dt
import json
import re
import socket

import httpx
import psycopg
import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.accounts.tests.factories import regulator, user_with_role
from apps.core import secrets
from apps.core.exceptions import InvalidInput
from apps.exchange import outbox, registry, services
from apps.exchange.models import (
    ExchangeClient,
    OutboxEntry,
    Partner,
    ReceiptBatch,
    ReceivedRecord,
    Subscription,
)
from apps.exchange.registry import OutboundRecord
from apps.exchange.validation import BEIJING

from . import factories as f

pytestmark = pytest.mark.django_db

PENDING, DELIVERED, DEAD = "pending", "delivered", "dead"
API = "/api/v1/exchange/outbox/"


def receiver_transport() -> httpx.WSGITransport:
    """The real receiving endpoint (contract §4), reached in-process so it sees the test's data."""
    handler = WSGIHandler()

    def app(environ, start_response):
        # A WSGI server closes stale connections around each request; here that would be the test's.
        request_started.disconnect(close_old_connections)
        request_finished.disconnect(close_old_connections)
        try:
            response = handler(environ, start_response)
            body = b"".join(response)
            response.close()
            return [body]
        finally:
            request_started.connect(close_old_connections)
            request_finished.connect(close_old_connections)

    return httpx.WSGITransport(app=app)


def make_partner(token, name="province", **fields):
    partner = Partner.objects.create(name=name, base_url=fields.pop("base_url", "http://testserver/"), **fields)
    outbox.set_partner_token(partner, token)
    return partner


@pytest.fixture
def ent():
    return f.enterprise()


@pytest.fixture
def token(ent):
    return f.client_for(ent)[1]


@pytest.fixture
def lane(token):
    return Subscription.objects.create(partner=make_partner(token), dataset="risk-units", schedule="realtime")


def records(*payloads, key="ID"):
    return [OutboundRecord(key=p[key], payload=p) for p in payloads]


def send(subscription, *, network=False, **kwargs):
    """Run the lane worker against the real receiver in-process, or over the real network."""
    return outbox.deliver(subscription.pk, transport=None if network else receiver_transport(), **kwargs)


def statuses(subscription):
    return list(OutboxEntry.objects.filter(subscription=subscription).order_by("id").values_list("status", flat=True))


def closed_port_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/"


# --- enqueue ----------------------------------------------------------------------------------------


def test_enqueue_writes_each_record_once_per_enabled_subscription_in_bulk(token, django_assert_max_num_queries):
    province = Subscription.objects.create(partner=make_partner(token), dataset="risk-units", schedule="realtime")
    city = Subscription.objects.create(partner=make_partner(token, "city"), dataset="risk-units", schedule="daily")
    paused = Subscription.objects.create(
        partner=make_partner(token, "county"), dataset="risk-units", schedule="realtime", enabled=False
    )
    other_table = Subscription.objects.create(partner=province.partner, dataset="hazards", schedule="hourly")
    batch = records(*(f.risk_unit(RISK_UNIT_NAME=f"单元{n}") for n in range(300)))
    with django_assert_max_num_queries(4):  # whatever the number of records
        assert outbox.enqueue("risk-units", batch) == 600
    for subscription in (province, city):
        entries = list(OutboxEntry.objects.filter(subscription=subscription).order_by("id"))
        assert [e.key for e in entries] == [r.key for r in batch]
        assert [e.payload for e in entries] == [r.payload for r in batch]
        assert {e.status for e in entries} == {PENDING} and entries[0].dataset == "risk-units"
    assert not OutboxEntry.objects.filter(subscription__in=[paused, other_table]).exists()


def test_an_enqueue_rolled_back_with_its_transaction_leaves_nothing(lane, django_capture_on_commit_callbacks):
    class Boom(Exception):
        pass

    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(Boom), transaction.atomic():
        outbox.enqueue("risk-units", records(f.risk_unit()))
        assert OutboxEntry.objects.count() == 1
        raise Boom
    assert OutboxEntry.objects.count() == 0
    assert callbacks == []  # nor is delivery asked for


def test_enqueue_refuses_unknown_tables_and_records_without_a_key(lane):
    with pytest.raises(InvalidInput) as unknown:
        outbox.enqueue("no-such-table", records(f.risk_unit()))
    assert unknown.value.field == "dataset"
    with pytest.raises(InvalidInput):
        outbox.enqueue("risk-units", [OutboundRecord(key="", payload={})])
    with pytest.raises(InvalidInput):
        outbox.enqueue("risk-units", [OutboundRecord(key="k", payload={"when": dt.datetime.now()})])
    assert not OutboxEntry.objects.exists()


class Broker:
    """Tasks sent to the real broker, counted in this test run's own queue (emptied before and after)."""

    def __init__(self, queue):
        from config.celery_app import app

        self.app, self.queue = app, queue

    def __len__(self):
        from kombu.exceptions import ChannelError

        with self.app.connection_for_write() as conn:
            try:
                return conn.default_channel.queue_declare(queue=self.queue, passive=True).message_count
            except ChannelError:
                return 0

    def purge(self):
        with self.app.connection_for_write() as conn:
            conn.default_channel.queue_purge(self.queue)


@pytest.fixture
def published(settings):
    from tests.workers import through_the_broker

    broker = Broker(settings.CELERY_TASK_DEFAULT_QUEUE)
    broker.purge()
    try:
        with through_the_broker():
            yield broker
    finally:
        broker.purge()


def test_a_burst_of_enqueues_asks_for_one_delivery(lane, published, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        for record in records(*(f.risk_unit() for _ in range(1000))):
            with transaction.atomic():
                outbox.enqueue("risk-units", [record])
    assert len(published) == 1
    # A run clears the request as it starts: the next enqueue asks again.
    assert send(lane)["delivered"] == 1000
    assert len(published) == 1  # (the lane is empty: the run asks for nothing more)
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        outbox.enqueue("risk-units", records(f.risk_unit()))
    assert len(published) == 2


# --- build_due ------------------------------------------------------------------------------------


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=BEIJING)


def test_build_due_runs_each_due_subscriptions_builder_and_advances_its_watermark(token, monkeypatch):
    calls = []

    def builder(since, until):
        calls.append((since, until))
        yield from records(f.risk_unit(), f.risk_unit())

    monkeypatch.setitem(registry._builders, "risk-units", builder)
    monkeypatch.delitem(registry._builders, "hazards", raising=False)
    province, city, county = make_partner(token), make_partner(token, "city"), make_partner(token, "county")
    daily = Subscription.objects.create(partner=province, dataset="risk-units", schedule="daily")
    hourly = Subscription.objects.create(partner=city, dataset="risk-units", schedule="hourly")
    realtime = Subscription.objects.create(partner=county, dataset="risk-units", schedule="realtime")
    no_builder = Subscription.objects.create(partner=province, dataset="hazards", schedule="hourly")

    first = at("2026-12-01 09:30:00")
    summary = outbox.build_due(now=first)
    assert summary["built"] == {daily.pk: 2, hourly.pk: 2} and summary["no_builder"] == [no_builder.pk]
    assert calls == [(None, first), (None, first)]
    assert OutboxEntry.objects.filter(subscription=daily).count() == 2  # for that subscription only
    assert not OutboxEntry.objects.filter(subscription=realtime).exists()
    daily.refresh_from_db()
    assert daily.watermark == first and daily.last_built_at == first

    calls.clear()
    assert outbox.build_due(now=at("2026-12-01 09:50:00"))["built"] == {}  # nothing due yet
    assert calls == []
    same_day = at("2026-12-01 10:05:00")
    assert outbox.build_due(now=same_day)["built"] == {hourly.pk: 2}
    assert calls == [(first, same_day)]
    next_day = at("2026-12-02 00:01:00")
    assert set(outbox.build_due(now=next_day)["built"]) == {daily.pk, hourly.pk}
    assert (first, next_day) in calls  # the daily build picks up where it stopped
    assert [lane["has_builder"] for lane in outbox.lane_status() if lane["id"] == no_builder.pk] == [False]


def test_a_failing_builder_rolls_back_its_own_subscription_only(token, monkeypatch):
    def broken(since, until):
        yield from records(f.risk_unit())
        raise RuntimeError("source table unavailable")

    def working(since, until):
        return records(f.hazard())

    monkeypatch.setitem(registry._builders, "risk-units", broken)
    monkeypatch.setitem(registry._builders, "hazards", working)
    partner = make_partner(token)
    units = Subscription.objects.create(partner=partner, dataset="risk-units", schedule="daily")
    hazards = Subscription.objects.create(partner=partner, dataset="hazards", schedule="hourly")
    summary = outbox.build_due(now=at("2026-12-01 09:30:00"))
    assert set(summary["failed"]) == {units.pk} and summary["built"] == {hazards.pk: 1}
    units.refresh_from_db()
    assert units.watermark is None and units.last_built_at is None and "source table unavailable" in units.last_error
    assert not OutboxEntry.objects.filter(subscription=units).exists()


def test_schedules_are_due_once_per_period_in_beijing_time():
    assert outbox.is_due("daily", at("2026-12-01 23:59:00"), at("2026-12-02 00:00:30"))
    assert not outbox.is_due("daily", at("2026-12-02 00:00:30"), at("2026-12-02 23:00:00"))
    assert outbox.is_due("10min", at("2026-12-01 09:09:59"), at("2026-12-01 09:10:00"))
    assert not outbox.is_due("10min", at("2026-12-01 09:10:01"), at("2026-12-01 09:19:59"))
    # the day's special works: built once a day at 09:00, before the 10:00 deadline
    assert not outbox.is_due("daily_10", at("2026-12-01 09:00:10"), at("2026-12-02 08:59:00"))
    assert outbox.is_due("daily_10", at("2026-12-01 09:00:10"), at("2026-12-02 09:00:30"))
    assert not outbox.is_due("realtime", None, at("2026-12-02 09:00:30"))


# --- deliver ----------------------------------------------------------------------------------------


def test_entries_reach_the_real_receiver_in_order_with_updates_and_deletions(lane, ent):
    Partner.objects.filter(pk=lane.partner_id).update(batch_size=2)
    a, b = f.risk_unit(), f.risk_unit()
    versions = [a, b, {**a, "RISK_UNIT_NAME": "A2"}, {**b, "DELETED": "1"}, {**a, "RISK_UNIT_NAME": "A3"}]
    outbox.enqueue("risk-units", records(*versions))
    result = send(lane)
    assert result["status"] == "drained" and result["delivered"] == 5 and result["requests"] == 3
    assert statuses(lane) == [DELIVERED] * 5
    unit_a = ReceivedRecord.objects.get(dataset="risk-units", key=a["ID"])
    assert unit_a.enterprise_id == ent.pk and unit_a.payload["RISK_UNIT_NAME"] == "A3"
    assert [v.payload["RISK_UNIT_NAME"] for v in unit_a.history.order_by("id")] == ["1号罐区", "A2", "A3"]
    assert ReceivedRecord.objects.get(key=b["ID"]).deleted
    lane.refresh_from_db()
    assert lane.last_success_at and lane.consecutive_failures == 0 and lane.last_error == ""
    [status] = outbox.lane_status()
    assert (status["backlog"], status["dead_letters"], status["state"]) == (0, 0, "ok")


def test_records_the_receiver_refuses_become_dead_letters_with_its_reasons(lane):
    good, bad = f.risk_unit(), f.risk_unit(HAZARD_DEP="x" * 201)
    outbox.enqueue("risk-units", records(good, bad))
    result = send(lane)
    assert (result["delivered"], result["dead"]) == (1, 1)
    dead = OutboxEntry.objects.get(status=DEAD)
    assert dead.key == bad["ID"] and "HAZARD_DEP" in dead.last_error and dead.attempts == 1
    assert ReceivedRecord.objects.filter(key=good["ID"]).exists()
    lane.refresh_from_db()
    assert lane.consecutive_failures == 0 and lane.next_attempt_at is None  # a refusal is no outage


@pytest.mark.parametrize("failure", ["refused", "server_error", "unauthorised", "forbidden"])
def test_a_failed_batch_changes_nothing_but_its_attempts_and_blocks_the_lane(lane, failure, monkeypatch):
    if failure == "refused":
        Partner.objects.filter(pk=lane.partner_id).update(base_url=closed_port_url())
    elif failure == "server_error":

        def consumer_down(items):
            raise RuntimeError("consumer down")

        monkeypatch.setitem(registry._consumers, "risk-units", [consumer_down])
    elif failure == "unauthorised":
        outbox.set_partner_token(lane.partner, "not-a-token")
    else:
        ExchangeClient.objects.update(is_active=False)
    outbox.enqueue("risk-units", records(f.risk_unit(), f.risk_unit()))
    before = timezone.now()
    result = send(lane, network=failure == "refused")
    assert result["status"] == "failed" and result["delivered"] == result["dead"] == 0
    assert statuses(lane) == [PENDING, PENDING]
    assert set(OutboxEntry.objects.values_list("attempts", flat=True)) == {1}
    lane.refresh_from_db()
    assert lane.consecutive_failures == 1 and lane.last_error
    wait = (lane.next_attempt_at - before).total_seconds()
    if failure == "server_error":  # the receiver's 503 says Retry-After: 60, and it is honoured
        assert 59 <= wait <= 63
    else:
        assert 3.9 <= wait <= 7  # 5 s ± jitter
    assert not ReceivedRecord.objects.exists()
    # Until the backoff is over, runs send nothing.
    assert send(lane)["status"] == "backing_off"
    assert set(OutboxEntry.objects.values_list("attempts", flat=True)) == {1}


def test_after_an_outage_the_backlog_drains_in_order_and_the_failures_reset(lane):
    Partner.objects.filter(pk=lane.partner_id).update(base_url=closed_port_url())
    unit = f.risk_unit()
    outbox.enqueue("risk-units", records(unit, {**unit, "RISK_UNIT_NAME": "B"}, {**unit, "RISK_UNIT_NAME": "C"}))
    assert send(lane, network=True)["status"] == "failed"
    Subscription.objects.filter(pk=lane.pk).update(next_attempt_at=timezone.now())  # the backoff has passed
    before = timezone.now()
    assert send(lane, network=True)["status"] == "failed"
    lane.refresh_from_db()
    assert lane.consecutive_failures == 2 and 7.9 <= (lane.next_attempt_at - before).total_seconds() <= 13
    Partner.objects.filter(pk=lane.partner_id).update(base_url="http://testserver/")  # it is back
    outbox.retry_now(lane)
    result = send(lane)
    assert result["status"] == "drained" and result["delivered"] == 3
    assert set(OutboxEntry.objects.values_list("attempts", flat=True)) == {3}
    record = ReceivedRecord.objects.get(key=unit["ID"])
    assert [v.payload["RISK_UNIT_NAME"] for v in record.history.order_by("id")] == ["1号罐区", "B", "C"]
    lane.refresh_from_db()
    assert lane.consecutive_failures == 0 and lane.next_attempt_at is None and lane.last_error == ""


def test_backoff_doubles_from_5_seconds_up_to_15_minutes_with_jitter():
    for failures, seconds in ((1, 5), (2, 10), (3, 20), (8, 640)):
        assert seconds * 0.8 <= outbox.backoff(failures) <= seconds * 1.2
    assert max(outbox.backoff(30) for _ in range(50)) <= 900
    assert len({outbox.backoff(3) for _ in range(20)}) > 1


def test_a_413_halves_the_batch_until_it_fits(lane, settings):
    units = [f.risk_unit() for _ in range(8)]
    one = len(json.dumps(units[0], ensure_ascii=False).encode())
    settings.ANQUAN_EXCHANGE_MAX_BODY_BYTES = 2 * one + 50  # two records fit in a request, four do not
    Partner.objects.filter(pk=lane.partner_id).update(batch_size=8)
    outbox.enqueue("risk-units", records(*units))
    result = send(lane)
    assert result["delivered"] == 8 and result["requests"] == 2 + 4  # 8 → 413, 4 → 413, then 2 × 4
    assert ReceiptBatch.objects.count() == 4 and statuses(lane) == [DELIVERED] * 8


def test_a_record_too_large_even_alone_becomes_a_dead_letter(lane, settings):
    settings.ANQUAN_EXCHANGE_MAX_BODY_BYTES = 50
    outbox.enqueue("risk-units", records(f.risk_unit(), f.risk_unit()))
    result = send(lane)
    assert result["dead"] == 2 and result["requests"] == 3  # 2 → 413, then each alone
    assert all("413" in e for e in OutboxEntry.objects.values_list("last_error", flat=True))


def test_a_request_refused_as_a_whole_makes_its_batch_dead_letters_and_the_lane_goes_on(lane, settings):
    settings.ANQUAN_EXCHANGE_MAX_RECORDS = 2
    Partner.objects.filter(pk=lane.partner_id).update(batch_size=3)
    outbox.enqueue("risk-units", records(*(f.risk_unit() for _ in range(4))))
    result = send(lane)
    assert statuses(lane) == [DEAD, DEAD, DEAD, DELIVERED] and result["status"] == "drained"
    assert "400" in OutboxEntry.objects.filter(status=DEAD).first().last_error


def test_a_run_stops_when_its_budget_is_used_and_asks_for_the_next(lane, published):
    Partner.objects.filter(pk=lane.partner_id).update(batch_size=1)
    outbox.enqueue("risk-units", records(f.risk_unit(), f.risk_unit()))
    result = send(lane, budget_seconds=0)
    assert result["status"] == "budget" and result["requests"] == 0 and statuses(lane) == [PENDING] * 2
    assert len(published) == 1


@pytest.mark.django_db(transaction=True)
def test_a_second_run_while_the_lane_is_locked_sends_nothing(token):
    partner = make_partner(token, enabled=False)  # paused while the entries commit (tasks run inline)
    lane = Subscription.objects.create(partner=partner, dataset="risk-units", schedule="realtime")
    outbox.enqueue("risk-units", records(f.risk_unit(), f.risk_unit()))
    Partner.objects.filter(pk=partner.pk).update(enabled=True)
    db = connection.settings_dict
    with psycopg.connect(
        host=db["HOST"] or "127.0.0.1", port=db["PORT"] or 5432, user=db["USER"], dbname=db["NAME"]
    ) as other:
        other.execute("SELECT id FROM exchange_subscription WHERE id = %s FOR UPDATE", [lane.pk])
        result = send(lane)  # another worker is draining the lane
        assert result["status"] == "locked" and result["requests"] == 0
        assert statuses(lane) == [PENDING, PENDING]
        other.rollback()
    assert send(lane)["delivered"] == 2 and statuses(lane) == [DELIVERED, DELIVERED]


# --- dead letters ---------------------------------------------------------------------------------


def test_requeue_sends_each_keys_latest_version_again_at_the_end_of_the_lane(token, ent, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    settings.ANQUAN_EXCHANGE_STRICT_REASONS = True  # a change without its reason is refused
    lane = Subscription.objects.create(partner=make_partner(token), dataset="special-works", schedule="realtime")
    alone = f.special_work(ent.uscc, IS_CHANGED="1")
    fixed = f.special_work(ent.uscc, IS_CHANGED="1")
    twice = f.special_work(ent.uscc, IS_CHANGED="1", TASK_POSITION="A区")
    outbox.enqueue(
        "special-works",
        records(alone, fixed, {**fixed, "CHANGED_REASON": "改期"}, twice, {**twice, "TASK_POSITION": "B区"}),
    )
    assert send(lane)["dead"] == 4
    entry = {
        (e.key, e.payload.get("TASK_POSITION"), e.payload.get("CHANGED_REASON")): e
        for e in OutboxEntry.objects.filter(subscription=lane)
    }
    dead_alone = entry[(alone["ID"], "1号罐区", None)]
    dead_fixed = entry[(fixed["ID"], "1号罐区", None)]
    dead_twice = entry[(twice["ID"], "A区", None)]
    last_before = OutboxEntry.objects.latest("id").pk

    with pytest.raises(InvalidInput):  # a delivered entry is no dead letter
        outbox.requeue_dead([entry[(fixed["ID"], "1号罐区", "改期")].pk])
    # fixed: its later version was delivered → superseded; twice: its latest (B区) goes, both leave
    assert outbox.requeue_dead([dead_alone.pk, dead_fixed.pk, dead_twice.pk]) == 4
    assert not OutboxEntry.objects.filter(status=DEAD).exists()
    again = list(OutboxEntry.objects.filter(status=PENDING).order_by("id"))
    assert [(e.key, e.payload["TASK_POSITION"]) for e in again] == [(alone["ID"], "1号罐区"), (twice["ID"], "B区")]
    assert all(e.pk > last_before for e in again)

    settings.ANQUAN_EXCHANGE_STRICT_REASONS = False  # the receiver now takes them
    assert send(lane)["delivered"] == 2
    assert ReceivedRecord.objects.get(key=twice["ID"]).payload["TASK_POSITION"] == "B区"
    assert ReceivedRecord.objects.get(key=fixed["ID"]).payload["CHANGED_REASON"] == "改期"  # not undone


# --- the ops API ------------------------------------------------------------------------------------


@pytest.fixture
def ops():
    return user_with_role("ops")


def dead_letters(lane, count):
    outbox.enqueue("risk-units", records(*(f.risk_unit(HAZARD_DEP="x" * 201) for _ in range(count))))
    assert send(lane)["dead"] == count


def test_the_outbox_api_needs_the_subscription_permissions(api, lane, ops):
    from django.contrib.auth.models import Permission

    outbox.enqueue("risk-units", records(f.risk_unit()))
    assert api.get(API + "lanes").status_code == 401
    api.force_authenticate(user_with_role("regulator_staff", regulator("370000")))
    assert api.get(API + "lanes").status_code == 403
    viewer = user_with_role("regulator_admin", regulator("370000"))
    api.force_authenticate(viewer)
    body = api.get(API + "lanes").json()
    assert body["count"] == 1 and body["results"][0]["backlog"] == 1
    assert body["results"][0]["partner"]["name"] == "province" and body["results"][0]["dataset"] == "risk-units"
    assert api.post(API + "dead-letters/requeue", {"ids": [1]}, format="json").status_code == 403
    reader = user_with_role("regulator_staff", regulator("370000"))
    reader.user_permissions.add(Permission.objects.get(codename="view_subscription"))
    api.force_authenticate(reader)
    assert api.get(API + "lanes").status_code == 200
    assert api.post(f"{API}lanes/{lane.pk}/retry").status_code == 403
    api.force_authenticate(ops)
    assert api.post(f"{API}lanes/{lane.pk}/retry").status_code == 200


def test_retry_clears_the_backoff_and_asks_for_delivery(api, lane, ops, django_capture_on_commit_callbacks):
    Subscription.objects.filter(pk=lane.pk).update(
        next_attempt_at=timezone.now() + dt.timedelta(minutes=10), consecutive_failures=4
    )
    api.force_authenticate(ops)
    with django_capture_on_commit_callbacks() as callbacks:
        response = api.post(f"{API}lanes/{lane.pk}/retry")
    assert response.status_code == 200 and response.json()["next_attempt_at"] is None
    assert len(callbacks) == 1
    assert api.post(f"{API}lanes/999999/retry").status_code == 404
    assert api.post(f"{API}lanes/{10**30}/retry").status_code == 404
    assert api.get(API + "dead-letters", {"partner": str(10**30)}).json()["count"] == 0


def test_a_regional_administrator_sees_the_dead_letters_of_its_region_only(api, lane, ent):
    bad = f.risk_unit(HAZARD_DEP="x" * 201)
    outbox.enqueue("risk-units", [OutboundRecord(key=bad["ID"], payload=bad, enterprise_id=ent.pk)])
    assert send(lane)["dead"] == 1
    api.force_authenticate(user_with_role("regulator_admin", regulator("370100")))  # Jinan: ent is in Lixia
    assert api.get(API + "dead-letters").json()["count"] == 1
    api.force_authenticate(user_with_role("regulator_admin", regulator("370200")))  # Qingdao
    assert api.get(API + "dead-letters").json()["count"] == 0


def test_dead_letters_are_listed_with_reasons_and_requeued(api, lane, ops):
    dead_letters(lane, 2)
    api.force_authenticate(ops)
    body = api.get(API + "dead-letters", {"dataset": "risk-units", "partner": lane.partner_id}).json()
    assert body["count"] == 2 and "HAZARD_DEP" in body["results"][0]["last_error"]
    assert body["results"][0]["partner"] == {"id": lane.partner_id, "name": "province"}
    assert api.get(API + "dead-letters", {"partner": lane.partner_id + 1}).json()["count"] == 0
    ids = [r["id"] for r in body["results"]]
    response = api.post(API + "dead-letters/requeue", {"ids": ids}, format="json")
    assert response.status_code == 200 and response.json() == {"requeued": 2}
    assert statuses(lane) == [PENDING, PENDING]


@pytest.mark.parametrize(
    ("method", "path", "data", "field"),
    [
        ("get", "dead-letters", {"dataset": "nope"}, "dataset"),
        ("get", "dead-letters", {"partner": "x"}, "partner"),
        ("get", "dead-letters", {"subscription": "-1"}, "subscription"),
        ("post", "dead-letters/requeue", {"ids": "x"}, "ids"),
        ("post", "dead-letters/requeue", {"ids": []}, "ids"),
        ("post", "dead-letters/requeue", {"ids": [0]}, "ids"),
        ("post", "dead-letters/requeue", {"ids": [987654321]}, "ids"),
        ("post", "dead-letters/requeue", {"ids": [10**30]}, "ids"),
        ("post", "dead-letters/requeue", {}, "ids"),
        ("post", "dead-letters/requeue", [1, 2], "non_field_errors"),
    ],
)
def test_bad_input_is_400_naming_the_field(api, ops, method, path, data, field):
    api.force_authenticate(ops)
    response = api.get(API + path, data) if method == "get" else api.post(API + path, data, format="json")
    assert response.status_code == 400 and field in response.json(), response.content


def test_lists_take_the_same_number_of_queries_whatever_their_length(api, token, ops, django_assert_max_num_queries):
    api.force_authenticate(ops)
    first = Subscription.objects.create(partner=make_partner(token), dataset="risk-units", schedule="realtime")
    dead_letters(first, 1)

    def queries(path):
        with CaptureQueriesContext(connection) as context:
            assert api.get(API + path).status_code == 200
        return len(context)

    few = (queries("lanes"), queries("dead-letters"))
    for n, dataset in enumerate(("hazards", "check-records", "check-tasks", "risk-events", "video-alarms")):
        Subscription.objects.create(partner=make_partner(token, f"p{n}"), dataset=dataset, schedule="realtime")
    dead_letters(first, 12)
    with django_assert_max_num_queries(few[0]):
        body = api.get(API + "lanes").json()
    assert body["count"] == 6
    with django_assert_max_num_queries(few[1]):
        assert api.get(API + "dead-letters").json()["count"] == 13
    assert few[0] <= 4 and few[1] <= 5  # the user's permissions, then one query per list (and its count)


# --- the admin --------------------------------------------------------------------------------------


@pytest.fixture
def superuser(client):
    from apps.accounts.models import User

    user = User.objects.create_superuser(username="root", password="Test-pass-2026", email="root@example.com")
    client.force_login(user)
    return client


def test_admin_lists_partner_token_and_client_token_rotation(superuser, lane, ent):
    dead_letters(lane, 1)
    for model in ("exchangeclient", "partner", "subscription", "outboxentry", "receivedrecord", "rejection"):
        assert superuser.get(f"/admin/exchange/{model}/").status_code == 200, model
    assert superuser.get("/admin/exchange/receiptbatch/").status_code == 200
    entry = OutboxEntry.objects.get()
    assert superuser.get(f"/admin/exchange/outboxentry/{entry.pk}/change/").status_code == 200

    added = superuser.post(
        "/admin/exchange/partner/add/",
        {"name": "ministry", "kind": "ministry", "base_url": "https://mem.example/", "enabled": "on",
         "batch_size": 500, "timeout_seconds": 30, "token": "issued-by-the-ministry"},
    )  # fmt: skip
    assert added.status_code == 302
    assert secrets.decrypt(Partner.objects.get(name="ministry").token_encrypted) == "issued-by-the-ministry"

    client = ExchangeClient.objects.get()
    rotated = superuser.post(
        "/admin/exchange/exchangeclient/", {"action": "rotate_token", "_selected_action": [client.pk]}, follow=True
    )
    tokens = [t for m in rotated.context["messages"] for t in re.findall(r"[A-Za-z0-9_-]{40,}", str(m))]
    assert [services.client_for_token(t) for t in tokens] == [client]  # the new token, shown once

    superuser.post(
        "/admin/exchange/outboxentry/", {"action": "requeue_dead", "_selected_action": [entry.pk]}, follow=True
    )
    assert statuses(lane) == [PENDING]


def test_delivered_entries_are_forgotten_after_their_keeping_time_but_dead_letters_stay(lane, settings):
    settings.ANQUAN_EXCHANGE_KEEP_DELIVERED_DAYS = 30
    outbox.enqueue("risk-units", records(f.risk_unit(), f.risk_unit(), f.risk_unit()))
    old, recent, dead = OutboxEntry.objects.order_by("id")
    now = timezone.now()
    OutboxEntry.objects.filter(pk=old.pk).update(status=DELIVERED, delivered_at=now - dt.timedelta(days=31))
    OutboxEntry.objects.filter(pk=recent.pk).update(status=DELIVERED, delivered_at=now - dt.timedelta(days=29))
    OutboxEntry.objects.filter(pk=dead.pk).update(status=DEAD)
    assert outbox.prune_delivered(now, chunk=1) == 1
    assert set(OutboxEntry.objects.values_list("pk", flat=True)) == {recent.pk, dead.pk}
