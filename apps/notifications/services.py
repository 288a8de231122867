"""The message service (消息服务): ``notify`` is the one way the platform tells people something.

``notify`` writes one ``Notification`` per recipient (the portal inbox, always on) and one
``Delivery`` per external channel, in bulk; after commit it pushes each recipient a live event and
queues one ``notifications.deliver`` task for the call's deliveries. ``send_deliveries`` runs the
adapters: it claims due deliveries with ``FOR UPDATE SKIP LOCKED`` and counts the attempt before
sending, so two workers never send the same delivery and a killed worker's deliveries come back
after their lease (``notifications.retry_failed``).
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.core import live
from apps.core.exceptions import InvalidInput, NotFoundError

from . import adapters
from .choices import INBOX_CHANNEL, MAX_ATTEMPTS, DeliveryStatus, Level
from .exceptions import DeliverySkipped, UnknownChannel
from .models import Delivery, Notification

logger = logging.getLogger("anquan.notifications")

_KIND = re.compile(r"^[a-z0-9][a-z0-9_-]{0,47}$")
# A try holds its deliveries this long (longer than the task's hard time limit) before they are due again.
LEASE = dt.timedelta(minutes=10)
BACKOFF_BASE_S = 60
CLAIM_CHUNK = 100
ERROR_MAX_CHARS = 1000


def backoff(attempts: int) -> dt.timedelta:
    """Wait before the next try after ``attempts`` failed ones: 1, 2, 4, 8 minutes."""
    return dt.timedelta(seconds=BACKOFF_BASE_S * 2 ** max(attempts - 1, 0))


def notify(
    recipients,
    *,
    kind: str,
    title: str,
    body: str,
    link: str = "",
    level: str = "info",
    target=None,
    channels: list[str] | None = None,
    dedupe_key: str = "",
) -> list[Notification]:
    """Send a message to ``recipients`` (users or user ids; inactive and unknown users are left out).

    ``channels`` are the external channels besides the inbox (default ANQUAN_NOTIFY_CHANNELS). With a
    ``dedupe_key`` a recipient who already has a notification with that key gets nothing, so a caller
    may retry safely. Returns the notifications this call created.
    """
    kind, title, body, link, level, dedupe_key = _validated(kind, title, body, link, level, dedupe_key)
    channel_list = _channels(channels)
    content_type, object_id = _target(target)
    user_ids = _active_user_ids(recipients)
    if not user_ids:
        return []
    rows = [
        Notification(
            recipient_id=user_id,
            kind=kind,
            level=level,
            title=title,
            body=body,
            link=link,
            content_type=content_type,
            object_id=object_id,
            dedupe_key=dedupe_key,
        )
        for user_id in user_ids
    ]
    with transaction.atomic():
        created = _insert(rows, dedupe_key)
        deliveries = Delivery.objects.bulk_create(
            [Delivery(notification=n, channel=channel) for n in created for channel in channel_list]
        )
    # Robust: a channel layer or broker that is down must not fail the caller's committed work (the
    # deliveries stay pending and notifications.retry_failed picks them up).
    if created:
        pairs = [(n.pk, n.recipient_id) for n in created]
        transaction.on_commit(lambda: _push_live(pairs, created[0]), robust=True)
    if deliveries:
        delivery_ids = [d.pk for d in deliveries]
        transaction.on_commit(lambda: _queue_deliveries(delivery_ids), robust=True)
    return created


def _validated(kind, title, body, link, level, dedupe_key):
    errors: dict[str, list[str]] = {}
    kind, title, body = str(kind or "").strip(), str(title or "").strip(), str(body or "")
    link, dedupe_key = str(link or "").strip(), str(dedupe_key or "")
    if not _KIND.match(kind):
        errors["kind"] = [_("Use up to 48 lowercase letters, digits, hyphens or underscores.")]
    if not title:
        errors["title"] = [_("This field is required.")]
    elif len(title) > 200:
        errors["title"] = [_("At most 200 characters.")]
    if link and (not link.startswith("/") or link.startswith("//") or "\\" in link or len(link) > 500):
        errors["link"] = [_("Give a path on this site starting with /, at most 500 characters.")]
    if level not in Level.values:
        errors["level"] = [_("Choose one of: %(choices)s.") % {"choices": ", ".join(Level.values)}]
    if len(dedupe_key) > 128:
        errors["dedupe_key"] = [_("At most 128 characters.")]
    if errors:
        raise InvalidInput(errors=errors)
    return kind, title, body, link, level, dedupe_key


def _channels(channels: list[str] | None) -> list[str]:
    names = list(settings.ANQUAN_NOTIFY_CHANNELS if channels is None else channels)
    unknown = adapters.unknown_channels(names)
    if unknown:
        raise UnknownChannel(
            _("Unknown notification channel: %(names)s.") % {"names": ", ".join(unknown)}, field="channels"
        )
    return list(dict.fromkeys(name for name in names if name != INBOX_CHANNEL))


def _target(target) -> tuple[ContentType | None, str]:
    if target is None:
        return None, ""
    if not isinstance(target, models.Model) or target.pk is None:
        raise InvalidInput(_("The target must be a saved record."), field="target")
    return ContentType.objects.get_for_model(target), str(target.pk)


def _active_user_ids(recipients) -> list[int]:
    if recipients is None or isinstance(recipients, str | bytes):
        raise InvalidInput(_("Give a list of users or user ids."), field="recipients")
    if isinstance(recipients, models.Model) or not isinstance(recipients, Iterable):
        recipients = [recipients]
    wanted: list[int] = []
    for recipient in recipients:
        value = recipient.pk if isinstance(recipient, models.Model) else recipient
        if isinstance(value, bool) or not isinstance(value, int):
            raise InvalidInput(_("Give a list of users or user ids."), field="recipients")
        wanted.append(value)
    wanted = list(dict.fromkeys(wanted))
    if not wanted:
        return []
    active = set(get_user_model().objects.filter(pk__in=wanted, is_active=True).values_list("pk", flat=True))
    return [pk for pk in wanted if pk in active]


def _insert(rows: list[Notification], dedupe_key: str) -> list[Notification]:
    """Bulk-insert, leaving out recipients who already hold ``dedupe_key``. A concurrent call with the
    same key makes the insert fail on the unique index once its transaction commits; the savepoint
    is rolled back and the holders are looked up again."""
    for attempt in range(2):
        if dedupe_key:
            holders = set(
                Notification.objects.filter(
                    dedupe_key=dedupe_key, recipient_id__in=[r.recipient_id for r in rows]
                ).values_list("recipient_id", flat=True)
            )
            rows = [r for r in rows if r.recipient_id not in holders]
            if not rows:
                return []
        try:
            with transaction.atomic():
                return Notification.objects.bulk_create(rows)
        except IntegrityError:
            if not dedupe_key or attempt:
                raise
            for row in rows:
                row.pk = None
    return []  # pragma: no cover - the loop returns or raises


def _push_live(pairs: list[tuple[int, int]], sample: Notification) -> None:
    """One live event per recipient, with their unread count for the navbar bell."""
    user_ids = [user_id for _, user_id in pairs]
    unread = dict(
        Notification.objects.filter(recipient_id__in=user_ids, read_at__isnull=True)
        .values("recipient_id")
        .annotate(n=models.Count("pk"))
        .values_list("recipient_id", "n")
    )
    for notification_id, user_id in pairs:
        live.notify_user(
            user_id,
            {
                "kind": "notification",
                "id": notification_id,
                "notification_kind": sample.kind,
                "level": sample.level,
                "title": sample.title,
                "link": sample.link,
                "unread": unread.get(user_id, 0),
            },
        )


def _queue_deliveries(delivery_ids: list[int]) -> None:
    from .tasks import deliver  # tasks import this module

    deliver.delay(delivery_ids)


# ---------------------------------------------------------------------------------------------- reading


def unread_count(user) -> int:
    return Notification.objects.for_recipient(user).unread().count()


def mark_read(user, notification_id) -> Notification:
    """Mark one of the user's notifications read (idempotent); someone else's is not found."""
    notification = Notification.objects.for_recipient(user).filter(pk=notification_id).first()
    if notification is None:
        raise NotFoundError(_("Notification not found."))
    if notification.read_at is None:
        now = timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=now, updated_at=now)
        notification.refresh_from_db(fields=["read_at", "updated_at"])
    return notification


def mark_all_read(user, *, kind: str = "") -> int:
    """Mark all the user's unread notifications (of ``kind``, if given) read; how many were unread."""
    unread = Notification.objects.for_recipient(user).unread()
    if kind:
        unread = unread.filter(kind=kind)
    now = timezone.now()
    return unread.update(read_at=now, updated_at=now)


# ------------------------------------------------------------------------------------------------ delivery


@dataclass
class DeliveryReport:
    sent: int = 0
    failed: int = 0
    skipped: int = 0
    retry_ids: list[int] = field(default_factory=list)  # failed, under the cap: try again at retry_at
    retry_at: dt.datetime | None = None

    def as_dict(self) -> dict:
        return {"sent": self.sent, "failed": self.failed, "skipped": self.skipped, "retry": len(self.retry_ids)}


def send_deliveries(delivery_ids: Iterable[int] | None = None) -> DeliveryReport:
    """Send the due deliveries among ``delivery_ids`` (all due ones if None) through their adapters.

    Idempotent: sent, skipped, capped and not-yet-due deliveries, and those another worker holds, are
    left alone. Each try is counted before it starts.
    """
    report = DeliveryReport()
    ids = None if delivery_ids is None else sorted(set(delivery_ids))
    while True:
        claimed = _claim(ids)
        if not claimed:
            return report
        _send(claimed, report)
        if ids is not None:
            ids = [pk for pk in ids if pk > claimed[-1].pk]
            if not ids:
                return report


def _claim(ids: list[int] | None) -> list[Delivery]:
    now = timezone.now()
    with transaction.atomic():
        due = Delivery.objects.due(now).select_for_update(skip_locked=True).order_by("pk")
        if ids is not None:
            due = due.filter(pk__in=ids)
        pks = list(due.values_list("pk", flat=True)[:CLAIM_CHUNK])
        if not pks:
            return []
        Delivery.objects.filter(pk__in=pks).update(
            attempts=models.F("attempts") + 1, next_attempt_at=now + LEASE, updated_at=now
        )
    return list(Delivery.objects.filter(pk__in=pks).select_related("notification__recipient").order_by("pk"))


def _send(claimed: list[Delivery], report: DeliveryReport) -> None:
    by_channel: dict[str, list[Delivery]] = {}
    for delivery in claimed:
        by_channel.setdefault(delivery.channel, []).append(delivery)
    done: list[Delivery] = []
    try:
        for channel, deliveries in by_channel.items():
            adapter = adapters.get_adapter(channel)
            if adapter is None:
                outcomes = ((d, DeliverySkipped(f"channel {channel!r} is not registered")) for d in deliveries)
            else:
                outcomes = adapter.send_batch(deliveries)
            for delivery, error in outcomes:
                _record(delivery, error, report)
                done.append(delivery)
    finally:  # keep what was sent even when the task is stopped half-way
        if done:
            Delivery.objects.bulk_update(done, ["status", "last_error", "sent_at", "next_attempt_at", "updated_at"])


def _record(delivery: Delivery, error: BaseException | None, report: DeliveryReport) -> None:
    now = timezone.now()
    delivery.updated_at = now
    if error is None:
        delivery.status, delivery.sent_at, delivery.last_error = DeliveryStatus.SENT, now, ""
        report.sent += 1
    elif isinstance(error, DeliverySkipped):
        delivery.status, delivery.last_error = DeliveryStatus.SKIPPED, str(error)[:ERROR_MAX_CHARS]
        report.skipped += 1
    else:
        delivery.status = DeliveryStatus.FAILED
        delivery.last_error = (str(error) or type(error).__name__)[:ERROR_MAX_CHARS]
        delivery.next_attempt_at = now + backoff(delivery.attempts)
        report.failed += 1
        logger.warning(
            "delivery %s over %s failed (try %s): %s", delivery.pk, delivery.channel, delivery.attempts, error
        )
        if delivery.attempts < MAX_ATTEMPTS:
            report.retry_ids.append(delivery.pk)
            if report.retry_at is None or delivery.next_attempt_at < report.retry_at:
                report.retry_at = delivery.next_attempt_at


def due_delivery_ids(limit: int = 10_000) -> list[int]:
    """Deliveries whose next try has come: failed ones after their backoff, pending ones whose task
    was lost, and tries of a killed worker after their lease."""
    return list(Delivery.objects.due().order_by("pk").values_list("pk", flat=True)[:limit])


def requeue(delivery_ids: Iterable[int]) -> int:
    """Give failed or skipped deliveries a fresh set of tries (ops, after fixing a gateway)."""
    now = timezone.now()
    ids = list(delivery_ids)
    with transaction.atomic():
        count = (
            Delivery.objects.filter(pk__in=ids)
            .exclude(status=DeliveryStatus.SENT)
            .update(status=DeliveryStatus.PENDING, attempts=0, next_attempt_at=now, last_error="", updated_at=now)
        )
        if count:
            transaction.on_commit(lambda: _queue_deliveries(ids), robust=True)
    return count
