"""The outbox (上报发件箱): records sent upward to partners, durably and in order.

Writing: ``enqueue`` inserts one ``OutboxEntry`` per record per enabled subscription (订阅) of the
table, by COPY, inside the caller's transaction — the report is stored if and only if the change it
reports is. ``build_due`` does the same for the incremental schedules (daily, hourly, every 10
minutes, the day's special works before 10:00) from the table's registered builder, advancing the
subscription's watermark in the same transaction.

Sending: each subscription is a lane. ``deliver`` drains one lane in ``id`` order, one batch per
transaction under the subscription's row lock (``FOR NO KEY UPDATE SKIP LOCKED``: one worker per
lane, and inserts — which take a key-share lock through the foreign key — are never blocked by a
delivery in flight). A batch that fails in transport (no connection, timeout, 5xx, 429, 401, 403)
changes nothing but its attempt counters and blocks the lane behind an exponential backoff, so an
outage loses nothing and the backlog later drains in the same order. A record the receiver refuses
becomes a dead letter (死信) with its reasons; ops requeue it after fixing the data.

Asking for delivery: after commit, ``request_delivery`` queues one ``exchange.deliver`` task per
lane unless one is already waiting (a cache key, added atomically, marks it; a run deletes it when it
starts), so a burst of enqueues costs one task. A lost task or a key left by a dead worker costs at
most ``REQUEST_LEASE_SECONDS``: beat's ``exchange.deliver_due`` asks again for every due lane with a
backlog every minute.

Order per record key holds when the business change that enqueues a key's new version locks its own
row (it does: an update), because a later version is then enqueued, hence numbered, only after the
earlier one committed.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import random
import time
from collections.abc import Iterable

import httpx
from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Count, Exists, F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.core import secrets
from apps.core.exceptions import InvalidInput

from . import registry, specs
from .models import OutboxEntry, Partner, Subscription
from .validation import BEIJING

log = logging.getLogger("anquan.exchange")

PENDING, DELIVERED, DEAD = OutboxEntry.Status.PENDING, OutboxEntry.Status.DELIVERED, OutboxEntry.Status.DEAD
REALTIME = Subscription.Schedule.REALTIME

MAX_RECORDS_PER_REQUEST = 1000  # contract §4: a receiver answers 400 above this
KEY_MAX_CHARS = OutboxEntry._meta.get_field("key").max_length
ERROR_MAX_CHARS = 2000
REQUEST_LEASE_SECONDS = 120  # a lost task's key blocks new requests this long at most (beyond its countdown)
USER_AGENT = "Anquan-exchange/1"


def _setting(name: str, default):
    return getattr(settings, name, default)


def debounce_seconds() -> float:
    """How long a delivery request waits for more enqueues to join it."""
    return float(_setting("ANQUAN_EXCHANGE_DEBOUNCE_SECONDS", 1.0))


def backoff(failures: int) -> float:
    """Seconds to wait after ``failures`` consecutive transport failures: 5 s doubling to 15 min,
    with ±20 % jitter so lanes failing together do not retry together."""
    base = float(_setting("ANQUAN_EXCHANGE_BACKOFF_BASE_SECONDS", 5.0))
    cap = float(_setting("ANQUAN_EXCHANGE_BACKOFF_CAP_SECONDS", 900.0))
    delay = min(cap, base * 2 ** max(failures - 1, 0))
    return min(cap, delay * random.uniform(0.8, 1.2))  # noqa: S311 — jitter, not a secret


# --- writing ------------------------------------------------------------------------------------


def _rows(dataset: str, records: Iterable[registry.OutboundRecord]) -> list[tuple[str, int | None, str]]:
    rows = []
    for position, record in enumerate(records):
        key = str(record.key or "").strip()
        if not key or len(key) > KEY_MAX_CHARS:
            raise InvalidInput(
                _("Record %(position)s of %(dataset)s has no key or a key over %(max)s characters.")
                % {"position": position, "dataset": dataset, "max": KEY_MAX_CHARS},
                field="key",
            )
        if not isinstance(record.payload, dict):
            raise InvalidInput(
                _("Record %(key)s of %(dataset)s: the payload must be an object.") % {"key": key, "dataset": dataset},
                field="payload",
            )
        try:
            payload = json.dumps(record.payload, ensure_ascii=False, allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise InvalidInput(
                _("Record %(key)s of %(dataset)s cannot be sent as JSON: %(error)s")
                % {"key": key, "dataset": dataset, "error": exc},
                field="payload",
            ) from exc
        rows.append((key, record.enterprise_id, payload))
    return rows


def _insert(dataset: str, records: Iterable[registry.OutboundRecord], subscription_ids: list[int]) -> int:
    """COPY the records into each lane (in record order, so ids follow it) and ask for delivery
    after commit."""
    if not subscription_ids:
        return 0
    rows = _rows(dataset, records)
    if not rows:
        return 0
    now = timezone.now()
    with transaction.atomic():  # the caller's transaction, or one of our own when there is none
        with (
            connection.cursor() as cursor,
            cursor.copy(
                "COPY exchange_outboxentry (subscription_id, dataset, key, enterprise_id, payload, status,"
                " attempts, created_at, last_error) FROM STDIN"
            ) as copy,
        ):
            for subscription_id in subscription_ids:
                for key, enterprise_id, payload in rows:
                    copy.write_row((subscription_id, dataset, key, enterprise_id, payload, PENDING, 0, now, ""))
        lanes = list(subscription_ids)
        transaction.on_commit(lambda: request_delivery(lanes))
    return len(rows) * len(subscription_ids)


def enqueue(dataset: str, records: Iterable[registry.OutboundRecord]) -> int:
    """Queue records of ``dataset`` (上报) for every partner subscribed to it, inside the caller's
    transaction; → the number of outbox entries written. Subscriptions switched off get nothing; a
    disabled partner's lanes keep filling (disabling a partner pauses sending, it loses nothing)."""
    if specs.get(dataset) is None:
        raise InvalidInput(_("Unknown dataset %(name)s.") % {"name": dataset}, field="dataset")
    lanes = list(Subscription.objects.filter(dataset=dataset, enabled=True).order_by("pk").values_list("pk", flat=True))
    return _insert(dataset, records, lanes)


def _slot_start(schedule: str, now: dt.datetime) -> dt.datetime | None:
    """The start of the current build period of a schedule, in Beijing time."""
    local = now.astimezone(BEIJING)
    if schedule == Subscription.Schedule.DAILY:
        return local.replace(hour=0, minute=0, second=0, microsecond=0)
    if schedule == Subscription.Schedule.HOURLY:
        return local.replace(minute=0, second=0, microsecond=0)
    if schedule == Subscription.Schedule.EVERY_10_MINUTES:
        return local.replace(minute=local.minute - local.minute % 10, second=0, microsecond=0)
    if schedule == Subscription.Schedule.DAILY_BEFORE_10:
        # The day's planned special works must be up before 10:00: build once a day, at 09:00 by
        # default (works planned in the morning are entered by then); later changes come in real time.
        at = dt.time.fromisoformat(_setting("ANQUAN_EXCHANGE_DAILY_10_BUILD_AT", "09:00"))
        slot = local.replace(hour=at.hour, minute=at.minute, second=0, microsecond=0)
        return slot if local >= slot else slot - dt.timedelta(days=1)
    return None  # real time: fed by enqueue only


def is_due(schedule: str, last_built_at: dt.datetime | None, now: dt.datetime) -> bool:
    slot = _slot_start(schedule, now)
    return slot is not None and (last_built_at is None or last_built_at < slot)


def build_due(now: dt.datetime | None = None) -> dict:
    """Build every enabled subscription whose schedule is due (增量上报): the table's builder gives
    the records changed in ``[watermark, now)``, they are queued for that subscription only, and the
    watermark moves to ``now`` in the same transaction. A failing builder fails its subscription
    alone (retried next run); tables without a builder are reported, not built."""
    now = now or timezone.now()
    summary = {"built": {}, "no_builder": [], "failed": {}}
    candidates = (
        Subscription.objects.filter(enabled=True)
        .exclude(schedule=REALTIME)
        .order_by("pk")
        .values_list("pk", "dataset", "schedule", "last_built_at")
    )
    for pk, dataset, schedule, last_built_at in candidates:
        if not is_due(schedule, last_built_at, now):
            continue
        builder = registry.builder_for(dataset)
        if builder is None:
            summary["no_builder"].append(pk)
            continue
        try:
            with transaction.atomic():
                # Waits at most for one delivery batch of this lane; a concurrent build_due finds
                # the subscription built when it gets the lock, and skips it.
                sub = Subscription.objects.select_for_update(no_key=True).get(pk=pk)
                if not sub.enabled or not is_due(sub.schedule, sub.last_built_at, now):
                    continue
                count = _insert(dataset, builder(sub.watermark, now), [pk])
                Subscription.objects.filter(pk=pk).update(watermark=now, last_built_at=now)
            summary["built"][pk] = count
        except Exception as exc:  # noqa: BLE001 — one table's builder must not stop the others
            log.exception("building %s for subscription %s failed", dataset, pk)
            message = _("Building the records failed: %(error)s") % {"error": exc}
            Subscription.objects.filter(pk=pk).update(last_error=message[:ERROR_MAX_CHARS])
            summary["failed"][pk] = str(exc)[:200]
    return summary


# --- asking for delivery ------------------------------------------------------------------------


def _request_key(subscription_id: int) -> str:
    return f"exchange:deliver-requested:{subscription_id}"


def request_delivery(subscription_ids: Iterable[int], *, countdown: float | None = None, force: bool = False) -> int:
    """Queue ``exchange.deliver`` for each lane that has no run waiting yet; → tasks queued.
    Never raises: a broker or cache outage only delays sending to beat's next ``deliver_due``."""
    from .tasks import deliver as deliver_task

    wait = debounce_seconds() if countdown is None else max(0.0, countdown)
    queued = 0
    for subscription_id in dict.fromkeys(subscription_ids):
        key = _request_key(subscription_id)
        try:
            if force:
                cache.delete(key)
            if not cache.add(key, 1, timeout=int(wait) + REQUEST_LEASE_SECONDS):
                continue
        except Exception:  # noqa: BLE001 — the cache is a convenience; beat asks again
            log.exception("delivery request for subscription %s not recorded", subscription_id)
            continue
        try:
            deliver_task.apply_async((subscription_id,), countdown=wait)
            queued += 1
        except Exception:  # noqa: BLE001 — never fail the caller's committed work over a request
            log.exception("delivery of subscription %s not queued", subscription_id)
            try:
                cache.delete(key)
            except Exception:  # noqa: BLE001
                log.debug("request key of subscription %s not cleared", subscription_id)
    return queued


def deliver_due(now: dt.datetime | None = None) -> int:
    """Ask for delivery of every lane with pending entries that is not backing off (beat, every
    minute): picks up lanes whose task was lost and lanes whose partner came back."""
    now = now or timezone.now()
    pending = OutboxEntry.objects.filter(subscription=OuterRef("pk"), status=PENDING)
    due = (
        Subscription.objects.filter(enabled=True, partner__enabled=True)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .filter(Exists(pending))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    return request_delivery(list(due), countdown=0)


def retry_now(subscription) -> None:
    """Try a lane again at once (ops, after the partner is back): its backoff is cleared and a run
    queued, whatever is already waiting."""
    pk = getattr(subscription, "pk", subscription)
    with transaction.atomic():
        Subscription.objects.filter(pk=pk).update(next_attempt_at=None)
        transaction.on_commit(lambda: request_delivery([pk], countdown=0, force=True))


# --- sending ------------------------------------------------------------------------------------


def set_partner_token(partner: Partner, raw: str) -> None:
    """Store the token the partner issued us (its exchange-client token), encrypted: it must be
    sent back as is, so it cannot be kept as a hash."""
    raw = (raw or "").strip()
    if not raw:
        raise InvalidInput(_("Give the token the partner issued."), field="token")
    partner.token_encrypted = secrets.encrypt(raw)
    if partner.pk:
        Partner.objects.filter(pk=partner.pk).update(token_encrypted=partner.token_encrypted, updated_at=timezone.now())


def endpoint(partner: Partner, dataset: str) -> str:
    return f"{partner.base_url.rstrip('/')}/api/v1/exchange/{dataset}"


def _clip(text: str) -> str:
    return text if len(text) <= ERROR_MAX_CHARS else text[: ERROR_MAX_CHARS - 1] + "…"


def _answer_text(response: httpx.Response) -> str:
    """What a refusal said, for people: the JSON ``detail`` if there is one, else the body's start."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:300].strip()
    detail = body.get("detail", body) if isinstance(body, dict) else body
    if isinstance(detail, list) and all(isinstance(item, str) for item in detail):
        detail = "; ".join(detail)
    return detail[:500] if isinstance(detail, str) else json.dumps(detail, ensure_ascii=False)[:500]


def _rejection_text(item: dict) -> str:
    errors = item.get("errors")
    if isinstance(errors, dict) and errors:
        return "; ".join(f"{field}: {message}" for field, message in errors.items())
    return _("Refused by the receiver without a reason.")


def _retry_after(response: httpx.Response) -> float:
    value = response.headers.get("Retry-After", "")
    return float(value) if value.isdigit() else 0.0


def _pending(subscription_id: int, size: int) -> list[tuple[int, str]]:
    """The lane's oldest pending entries, payloads as JSON text (sent as stored, never re-encoded)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, payload::text FROM exchange_outboxentry WHERE subscription_id = %s AND status = %s"
            " ORDER BY id LIMIT %s",
            [subscription_id, PENDING, size],
        )
        return cursor.fetchall()


def _id_array(ids: list[int]) -> str:
    """Ids as one array literal: the driver would otherwise quote a thousand parameters in Python."""
    return "{" + ",".join(str(int(i)) for i in ids) + "}"


def _mark_delivered(ids: list[int], now):
    if ids:
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE exchange_outboxentry SET status = %s, delivered_at = %s, attempts = attempts + 1,"
                " last_error = '' WHERE id = ANY(%s::bigint[])",
                [DELIVERED, now, _id_array(ids)],
            )


def _mark_dead(reasons: dict[int, str]):
    if reasons:
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE exchange_outboxentry AS e SET status = %s, last_error = u.reason, attempts = e.attempts + 1"
                " FROM unnest(%s::bigint[], %s::text[]) AS u(id, reason) WHERE e.id = u.id",
                [DEAD, list(reasons), [_clip(r) for r in reasons.values()]],
            )


class _Failure(Exception):
    """The batch did not get through; nothing about its records is known."""

    def __init__(self, message: str, wait: float = 0.0):
        super().__init__(message)
        self.wait = wait


def _post(client: httpx.Client, partner: Partner, dataset: str, token: str, body: bytes) -> httpx.Response:
    try:
        return client.post(
            endpoint(partner, dataset),
            content=body,
            headers={
                "Authorization": f"Token {token}",
                "Content-Type": "application/json; charset=utf-8",
                "Accept": "application/json",
                "User-Agent": USER_AGENT,
            },
            timeout=float(partner.timeout_seconds or 30),
        )
    except httpx.TimeoutException as exc:
        raise _Failure(_("No answer within %(seconds)s s.") % {"seconds": partner.timeout_seconds}) from exc
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        raise _Failure(
            _("Could not reach %(host)s: %(error)s")
            % {
                "host": httpx.URL(partner.base_url).host if partner.base_url else "?",
                "error": str(exc) or type(exc).__name__,
            }
        ) from exc


def _send_batch(sub: Subscription, client: httpx.Client, size: int, result: dict) -> tuple[str, int]:
    """Send the lane's next batch of at most ``size`` and record the outcome, under the lane lock
    (the caller's transaction); → (what happened, the batch size to use next)."""
    partner = sub.partner
    batch = _pending(sub.pk, size)
    if not batch:
        return "drained", size
    ids = [entry_id for entry_id, _payload in batch]
    now = timezone.now()
    token = secrets.decrypt(partner.token_encrypted) if partner.token_encrypted else None
    body = ("[" + ",".join(payload for _id, payload in batch) + "]").encode()
    result["requests"] += 1
    try:
        if not token:
            raise _Failure(_("No token is stored for this partner (or it no longer decrypts)."))
        response = _post(client, partner, sub.dataset, token, body)
        code = response.status_code
        if code == 413:
            if len(batch) > 1:
                return "smaller", max(1, len(batch) // 2)
            _mark_dead({ids[0]: _("Too large for the receiver even alone (HTTP 413).")})
            result["dead"] += 1
            return "sent", size
        if code == 400:
            # The whole request was refused (not a JSON array of objects, too many records): resending
            # it unchanged can never succeed, so the batch is set aside for ops and the lane goes on.
            reason = _("Refused by the receiver (HTTP 400): %(reason)s") % {"reason": _answer_text(response)}
            _mark_dead(dict.fromkeys(ids, reason))
            Subscription.objects.filter(pk=sub.pk).update(last_attempt_at=now, last_error=_clip(reason))
            result["dead"] += len(ids)
            return "sent", size
        if code != 200:
            raise _Failure(
                _("HTTP %(code)s from the receiver: %(reason)s") % {"code": code, "reason": _answer_text(response)},
                wait=_retry_after(response) if code in (429, 503) else 0.0,
            )
        try:
            answer = response.json()
            rejected = answer["rejected"]
            if not isinstance(rejected, list):
                raise TypeError
        except (ValueError, KeyError, TypeError) as exc:
            raise _Failure(_("The receiver's answer is not the contract's (no list of rejected records).")) from exc
    except _Failure as failure:
        message = _clip(str(failure))
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE exchange_outboxentry SET attempts = attempts + 1 WHERE id = ANY(%s::bigint[])", [_id_array(ids)]
            )
        failures = sub.consecutive_failures + 1
        wait = max(backoff(failures), failure.wait)
        Subscription.objects.filter(pk=sub.pk).update(
            consecutive_failures=F("consecutive_failures") + 1,
            last_error=message,
            last_attempt_at=now,
            next_attempt_at=now + dt.timedelta(seconds=wait),
        )
        result["failures"] += 1
        result["retry_in"] = round(wait, 1)
        result["error"] = message
        log.warning("exchange to %s (%s) failed: %s", partner.name, sub.dataset, message)
        return "failed", size
    dead = {}
    for item in rejected:
        index = item.get("index") if isinstance(item, dict) else None
        if isinstance(index, int) and 0 <= index < len(ids):
            dead[ids[index]] = _rejection_text(item)
    _mark_dead(dead)
    _mark_delivered([i for i in ids if i not in dead], now)
    Subscription.objects.filter(pk=sub.pk).update(
        last_attempt_at=now, last_success_at=now, consecutive_failures=0, last_error="", next_attempt_at=None
    )
    result["delivered"] += len(ids) - len(dead)
    result["dead"] += len(dead)
    return "sent", size


def _lock_lane(subscription_id: int) -> Subscription | None:
    return (
        Subscription.objects.select_for_update(skip_locked=True, no_key=True, of=("self",))
        .select_related("partner")
        .filter(pk=subscription_id)
        .first()
    )


def deliver(subscription_id: int, budget_seconds: float = 50, *, transport: httpx.BaseTransport | None = None) -> dict:
    """Drain one lane (the lane worker): send its oldest pending entries in ``id`` order, one batch
    per transaction under the lane's row lock, until the lane is empty, a batch fails or the budget
    is used; then ask for the next run (at once if work remains, after the backoff if it failed).
    ``transport`` replaces the network (tests and benchmarks reach the receiver in-process)."""
    try:
        cache.delete(_request_key(subscription_id))  # from now on a new request queues a new run
    except Exception:  # noqa: BLE001
        log.debug("request key of subscription %s not cleared", subscription_id)
    started = time.monotonic()
    result = {
        "subscription": subscription_id,
        "status": "drained",
        "requests": 0,
        "delivered": 0,
        "dead": 0,
        "failures": 0,
    }
    size = 0
    with httpx.Client(transport=transport, follow_redirects=False) as client:
        while True:
            if time.monotonic() - started >= budget_seconds:
                result["status"] = "budget"
                break
            with transaction.atomic():
                sub = _lock_lane(subscription_id)
                if sub is None:
                    exists = Subscription.objects.filter(pk=subscription_id).exists()
                    result["status"] = "locked" if exists else "missing"
                    break
                if not (sub.enabled and sub.partner.enabled):
                    result["status"] = "disabled"
                    break
                if sub.next_attempt_at and sub.next_attempt_at > timezone.now():
                    result["status"] = "backing_off"
                    break
                size = size or max(1, min(sub.partner.batch_size or 1, MAX_RECORDS_PER_REQUEST))
                outcome, size = _send_batch(sub, client, size, result)
            if outcome in ("drained", "failed"):
                result["status"] = outcome
                break
    status = result["status"]
    if status == "failed":
        request_delivery([subscription_id], countdown=result["retry_in"] + 0.5)
    elif (
        status in ("drained", "budget")
        # Entries committed after the last look (their own request may have found this run's key).
        and OutboxEntry.objects.filter(subscription_id=subscription_id, status=PENDING).exists()
    ):
        request_delivery([subscription_id], countdown=0 if status == "budget" else None)
    return result


# --- dead letters ---------------------------------------------------------------------------------


def requeue_dead(entry_ids: Iterable[int]) -> int:
    """Send dead letters (死信) again, per record key: for each key of the selected entries, the
    lane's latest version of that key is appended to the END of the lane as a new entry — unless a
    newer, live entry of the key exists (pending or delivered: resending would undo it), in which
    case the dead letters are merely superseded. Every dead letter of those keys leaves the list
    (removed; the receiver keeps its own record of each refusal). Appending instead of flipping the
    row back to pending keeps later sends of the same key from being overtaken by an old version.
    → the number of dead letters taken off the list. Unknown or not-dead ids are refused (400)."""
    try:
        ids = sorted({int(i) for i in entry_ids})
    except (TypeError, ValueError) as exc:
        raise InvalidInput(_("Give the ids of dead letters."), field="ids") from exc
    if not ids:
        raise InvalidInput(_("Give the ids of dead letters."), field="ids")
    with transaction.atomic():
        selected = list(
            OutboxEntry.objects.select_for_update()
            .filter(pk__in=ids, status=DEAD)
            .values_list("subscription_id", "key")
        )
        if len(selected) != len(ids):
            found = set(OutboxEntry.objects.filter(pk__in=ids, status=DEAD).values_list("pk", flat=True))
            missing = [i for i in ids if i not in found]
            raise InvalidInput(
                _("Not dead letters: %(ids)s.") % {"ids": ", ".join(map(str, missing[:20]))},
                field="ids",
            )
        lanes_keys = sorted(set(selected))
        with connection.cursor() as cursor:
            # For each (lane, key): its latest entry overall, and whether that one is dead.
            cursor.execute(
                """
                SELECT DISTINCT ON (e.subscription_id, e.key) e.id, e.subscription_id, e.key, e.status
                FROM exchange_outboxentry e
                JOIN unnest(%s::bigint[], %s::text[]) AS s(sub, key) ON e.subscription_id = s.sub AND e.key = s.key
                ORDER BY e.subscription_id, e.key, e.id DESC
                """,
                [[s for s, _k in lanes_keys], [k for _s, k in lanes_keys]],
            )
            latest = cursor.fetchall()
            resend = [entry_id for entry_id, _sub, _key, status in latest if status == DEAD]
            if resend:
                # Copied in id order, so two keys' versions keep their relative order in the lane.
                cursor.execute(
                    """
                    INSERT INTO exchange_outboxentry (subscription_id, dataset, key, enterprise_id, payload, status,
                        attempts, created_at, last_error)
                    SELECT subscription_id, dataset, key, enterprise_id, payload, %s, 0, %s, ''
                    FROM exchange_outboxentry WHERE id = ANY(%s) ORDER BY id
                    """,
                    [PENDING, timezone.now(), resend],
                )
            cursor.execute(
                """
                DELETE FROM exchange_outboxentry e USING unnest(%s::bigint[], %s::text[]) AS s(sub, key)
                WHERE e.subscription_id = s.sub AND e.key = s.key AND e.status = %s
                """,
                [[s for s, _k in lanes_keys], [k for _s, k in lanes_keys], DEAD],
            )
            removed = cursor.rowcount
        lanes = sorted({sub for _id, sub, _key, status in latest if status == DEAD})
        if lanes:
            transaction.on_commit(lambda: request_delivery(lanes))
    log.info("requeued dead letters: %d removed, %d versions sent again", removed, len(resend))
    return removed


# --- the dashboard ------------------------------------------------------------------------------


def lane_status(subscription_ids: Iterable[int] | None = None) -> list[dict]:
    """Every lane (subscription, 通道) with its health, in one query (the counts are correlated
    subqueries on the outbox's partial indexes), ordered by partner and table. Each lane is a dict:
    ``id``, ``partner`` ({id, name, kind, enabled}), ``dataset``, ``table``, ``schedule``, ``enabled``,
    ``state`` (``ok`` | ``failing`` | ``no_builder`` | ``disabled``), ``backlog``, ``oldest_pending_at``,
    ``oldest_pending_age_seconds``, ``dead_letters``, ``last_success_at``, ``last_attempt_at``,
    ``last_error``, ``consecutive_failures``, ``next_attempt_at``, ``last_built_at``, ``watermark``,
    ``has_builder`` (times are aware datetimes or None)."""
    now = timezone.now()
    pending = OutboxEntry.objects.filter(subscription=OuterRef("pk"), status=PENDING).order_by()
    dead = OutboxEntry.objects.filter(subscription=OuterRef("pk"), status=DEAD).order_by()
    queryset = (
        Subscription.objects.select_related("partner")
        .annotate(
            backlog=Coalesce(Subquery(pending.values("subscription").annotate(n=Count("pk")).values("n")), 0),
            oldest_pending_at=Subquery(pending.order_by("id").values("created_at")[:1]),
            dead_letters=Coalesce(Subquery(dead.values("subscription").annotate(n=Count("pk")).values("n")), 0),
        )
        .order_by("partner__name", "dataset")
    )
    if subscription_ids is not None:
        queryset = queryset.filter(pk__in=list(subscription_ids))
    builders = registry.builders()
    lanes = []
    for sub in queryset:
        partner = sub.partner
        spec = specs.get(sub.dataset)
        has_builder = sub.dataset in builders
        if not (sub.enabled and partner.enabled):
            state = "disabled"
        elif sub.consecutive_failures:
            state = "failing"
        elif sub.schedule != REALTIME and not has_builder:
            state = "no_builder"
        else:
            state = "ok"
        lanes.append(
            {
                "id": sub.pk,
                "partner": {"id": partner.pk, "name": partner.name, "kind": partner.kind, "enabled": partner.enabled},
                "dataset": sub.dataset,
                "table": spec.table if spec else "",
                "schedule": sub.schedule,
                "enabled": sub.enabled,
                "state": state,
                "backlog": sub.backlog,
                "oldest_pending_at": sub.oldest_pending_at,
                "oldest_pending_age_seconds": (
                    max(0, int((now - sub.oldest_pending_at).total_seconds())) if sub.oldest_pending_at else None
                ),
                "dead_letters": sub.dead_letters,
                "last_success_at": sub.last_success_at,
                "last_attempt_at": sub.last_attempt_at,
                "last_error": sub.last_error,
                "consecutive_failures": sub.consecutive_failures,
                "next_attempt_at": sub.next_attempt_at,
                "last_built_at": sub.last_built_at,
                "watermark": sub.watermark,
                "has_builder": has_builder,
            }
        )
    return lanes


def prune_delivered(now: dt.datetime | None = None, *, chunk: int = 10_000) -> int:
    """Forget delivered entries older than ``ANQUAN_EXCHANGE_KEEP_DELIVERED_DAYS`` (default 30): the
    receiver keeps the records; the outbox only needs them while they may be asked about. Dead
    letters stay until someone requeues them. Deleted in chunks so no long lock is held."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=int(_setting("ANQUAN_EXCHANGE_KEEP_DELIVERED_DAYS", 30)))
    removed = 0
    while True:
        ids = list(
            OutboxEntry.objects.filter(status=OutboxEntry.Status.DELIVERED, delivered_at__lt=cutoff).values_list(
                "id", flat=True
            )[:chunk]
        )
        if not ids:
            return removed
        removed += OutboxEntry.objects.filter(pk__in=ids).delete()[0]
