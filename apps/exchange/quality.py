"""Received data and its quality (数据交换质量, DX-SD-08, DX-04, ANA-10): what the province received,
who uploads on time, what was refused and why, and which records are incomplete.

Read logic only. Every function takes a *viewer*: a person (rows of their jurisdiction, through the
models' ``for_user``) or an ``ExchangeClient`` reading back its own scope (its enterprise, or its
region for a lower-level platform). All times are judged in Beijing time (``TIME_ZONE``).

Punctuality (上报及时性) per frequency class of the table (``DatasetSpec.frequency_class``):

- ``daily`` / ``hourly`` / ``10min``: late when the last upload is older than 25 h / 75 min / 15 min
  (the period plus a tolerance, DX-RU-00, DX-IR-00, DX-VE-08);
- ``daily_10`` (special works, DX-SW-00): the day's first upload must arrive by 10:00 — ``on_time``
  if it did, ``late`` if it came after 10:00 or has not come and it is past 10:00, ``pending``
  before 10:00 while nothing has come yet today;
- ``realtime``: not judged (status ``None``);
- ``missing``: an enterprise expected to upload (its exchange client lists the table in
  ``expected_datasets``) that never has.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter, defaultdict

from django.db import connection
from django.db.models import BooleanField, CharField, Count, F, Max, Min, Q, Value
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import specs
from .models import ExchangeClient, OutboxEntry, ReceiptBatch, ReceivedRecord, ReceivedVersion, Rejection, UploadStat

TOLERANCE = {
    "daily": dt.timedelta(hours=25),
    "hourly": dt.timedelta(minutes=75),
    "10min": dt.timedelta(minutes=15),
}
DAILY_DEADLINE = dt.time(10, 0)  # special works: the day's plan by 10:00 Beijing time
JUDGED = (*TOLERANCE, "daily_10")
# Worst first: the order lists are sorted in.
STATUSES = ("missing", "late", "pending", "on_time")
STATUS_LABELS = {
    "missing": gettext_lazy("Never uploaded"),
    "late": gettext_lazy("Late"),
    "pending": gettext_lazy("Not due yet"),
    "on_time": gettext_lazy("On time"),
    None: gettext_lazy("Not judged"),
}
FREQUENCY_LABELS = {
    "daily": gettext_lazy("Daily (late after 25 h)"),
    "hourly": gettext_lazy("Hourly (late after 75 min)"),
    "10min": gettext_lazy("Every 10 minutes (late after 15 min)"),
    "daily_10": gettext_lazy("Daily by 10:00"),
    "realtime": gettext_lazy("Real time (not judged)"),
}
DATASET_LABELS = {
    "risk-units": gettext_lazy("Risk analysis units"),
    "risk-events": gettext_lazy("Risk events"),
    "control-measures": gettext_lazy("Control measures"),
    "check-tasks": gettext_lazy("Investigation tasks"),
    "check-records": gettext_lazy("Investigation records"),
    "hazards": gettext_lazy("Hidden dangers"),
    "special-works": gettext_lazy("Special works"),
    "positioning-alarms": gettext_lazy("Positioning alarms"),
    "video-devices": gettext_lazy("Video analysis devices"),
    "video-device-status": gettext_lazy("Video device status"),
    "video-alarms": gettext_lazy("Video alarms"),
}
# Reason "fields" that are not fields of the table.
PSEUDO_FIELDS = {"_company": gettext_lazy("Enterprise")}
QUARANTINE_FIELD = "HAZARD_CODE"  # an unregistered hazard-source code: accepted, but held apart
DEFAULT_REJECTION_DAYS = 7
REASON_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*(:[a-z_]+)?$"  # FIELD:code, or a field alone


def datasets() -> list[str]:
    """The province's tables (received from lower levels), in the guides' order."""
    return [name for name in specs.PROFILES if specs.get(name) is not None] + sorted(
        set(specs.names("province")) - set(specs.PROFILES)
    )


def dataset_label(dataset: str) -> str:
    label = DATASET_LABELS.get(dataset)
    if label is not None:
        return str(label)
    spec = specs.get(dataset)
    return spec.table if spec else dataset


def field_label(dataset: str, field_id: str) -> str:
    """A field by its Chinese name in the table (the guide's), or ours for pseudo-fields."""
    if field_id in PSEUDO_FIELDS:
        return str(PSEUDO_FIELDS[field_id])
    spec = specs.get(dataset)
    found = spec.field(field_id) if spec else None
    return found.name if found else field_id


def code_text(dataset: str, field_id: str, value, *, gas_station: bool = False) -> str:
    """A coded value by its name in the table's code list ("9" → "已验收"); other values as text."""
    if value in (None, ""):
        return ""
    spec = specs.get(dataset)
    found = spec.field(field_id) if spec else None
    if found is None:
        return str(value)
    codes = (specs.gas_station_codes(spec, field_id) if gas_station else None) or found.codes
    return str(codes.get(str(value), value))


def status_text(record: ReceivedRecord) -> str:
    """The record's state field by its code name (a hazard's DANGER_STATE, a task's CHECK_STATUS…)."""
    spec = specs.get(record.dataset)
    if spec is None or not spec.profile.status:
        return record.status
    return code_text(record.dataset, spec.profile.status, record.status)


# ---------------------------------------------------------------- scope


def scoped(queryset, viewer):
    """Rows the viewer may read: a person's jurisdiction (``for_user``) or an exchange client's own
    scope. The exchange's models all carry ``enterprise`` and a denormalised ``region``."""
    return queryset.for_viewer(viewer)


def may_see_outbound(viewer) -> bool:
    """Dead letters of the outbox (待上报死信) are for ops and regulator administrators: the roles
    granted ``view_outboxentry``."""
    if isinstance(viewer, ExchangeClient) or not getattr(viewer, "is_authenticated", False):
        return False
    return viewer.has_perm("exchange.view_outboxentry")


# ---------------------------------------------------------------- punctuality (DX-SD-08)


def beijing_midnight(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time()))


def _first_uploads_today(dataset: str, enterprise_ids: set[int], since: dt.datetime, until: dt.datetime) -> dict:
    """enterprise → its first upload of ``dataset`` in [since, until]. An enterprise's own client's
    uploads are its batches; a platform's upload counts for the enterprises whose records (accepted
    or refused) it carried — as ``UploadStat`` counts them."""
    if not enterprise_ids:
        return {}
    window = {"received_at__gte": since, "received_at__lte": until}
    first: dict[int, dt.datetime] = {}

    def keep(rows):
        for enterprise_id, moment in rows:
            if enterprise_id is not None and (enterprise_id not in first or moment < first[enterprise_id]):
                first[enterprise_id] = moment

    ids = list(enterprise_ids)
    keep(
        ReceiptBatch.objects.filter(dataset=dataset, client__enterprise_id__in=ids, **window)
        .values("client__enterprise_id")
        .annotate(first=Min("received_at"))
        .values_list("client__enterprise_id", "first")
    )
    keep(
        ReceivedVersion.objects.filter(
            batch__dataset=dataset, batch__client__enterprise__isnull=True, record__enterprise_id__in=ids, **window
        )
        .values("record__enterprise_id")
        .annotate(first=Min("received_at"))
        .values_list("record__enterprise_id", "first")
    )
    keep(
        Rejection.objects.filter(
            dataset=dataset, batch__client__enterprise__isnull=True, enterprise_id__in=ids, **window
        )
        .values("enterprise_id")
        .annotate(first=Min("received_at"))
        .values_list("enterprise_id", "first")
    )
    return first


def _classify(frequency_class, row, now, midnight, deadline) -> str | None:
    if frequency_class not in JUDGED:
        return None
    if row["last_upload_at"] is None:
        return "missing"
    if frequency_class == "daily_10":
        first = row.get("first_upload_today")
        if first is not None:
            return "on_time" if first <= deadline else "late"
        return "late" if now > deadline else "pending"
    return "late" if now - row["last_upload_at"] > TOLERANCE[frequency_class] else "on_time"


def punctuality_rows(viewer, datasets_wanted=None, now: dt.datetime | None = None, enterprise: int | None = None):
    """Every expected (dataset, enterprise) of the viewer's scope with its status, worst first.

    Expected: enterprises that have uploaded the table, plus enterprises whose active exchange client
    lists it in ``expected_datasets`` (a platform client's list is not per enterprise: skipped).
    A bounded number of queries whatever the number of enterprises: two, plus three for special works.
    """
    now = now or timezone.now()
    wanted = list(datasets_wanted or datasets())
    today = timezone.localdate(now)
    midnight = beijing_midnight(today)
    deadline = timezone.make_aware(dt.datetime.combine(today, DAILY_DEADLINE))

    stats = scoped(UploadStat.objects.filter(dataset__in=wanted, enterprise__deleted=False), viewer)
    clients = scoped(
        ExchangeClient.objects.filter(is_active=True, enterprise__isnull=False, enterprise__deleted=False),
        viewer,
    ).exclude(expected_datasets=[])
    if enterprise is not None:
        stats = stats.filter(enterprise_id=enterprise)
        clients = clients.filter(enterprise_id=enterprise)

    rows: dict[tuple[str, int], dict] = {}
    for values in stats.values(
        "dataset",
        "enterprise_id",
        "last_upload_at",
        "first_upload_at",
        "uploads",
        "records",
        "rejected",
        "enterprise__organisation__name",
        "region__code",
        "region__name",
    ):
        rows[(values["dataset"], values["enterprise_id"])] = {
            "dataset": values["dataset"],
            "enterprise_id": values["enterprise_id"],
            "enterprise_name": values["enterprise__organisation__name"],
            "region_code": values["region__code"],
            "region_name": values["region__name"],
            "last_upload_at": values["last_upload_at"],
            "first_upload_at": values["first_upload_at"],
            "uploads": values["uploads"],
            "records": values["records"],
            "rejected": values["rejected"],
        }
    for values in clients.values(
        "enterprise_id",
        "expected_datasets",
        "enterprise__organisation__name",
        "enterprise__organisation__region__code",
        "enterprise__organisation__region__name",
    ):
        for dataset in values["expected_datasets"] or []:
            if dataset in wanted and (dataset, values["enterprise_id"]) not in rows:
                rows[(dataset, values["enterprise_id"])] = {
                    "dataset": dataset,
                    "enterprise_id": values["enterprise_id"],
                    "enterprise_name": values["enterprise__organisation__name"],
                    "region_code": values["enterprise__organisation__region__code"],
                    "region_name": values["enterprise__organisation__region__name"],
                    "last_upload_at": None,
                    "first_upload_at": None,
                    "uploads": 0,
                    "records": 0,
                    "rejected": 0,
                }

    # Special works: the day's first upload. UploadStat keeps the first ever and the last; only
    # enterprises that uploaded today but also before today need the batches.
    for dataset in wanted:
        spec = specs.get(dataset)
        if spec is None or spec.frequency_class != "daily_10":
            continue
        todays = [
            r for (d, _e), r in rows.items() if d == dataset and r["last_upload_at"] and r["last_upload_at"] >= midnight
        ]
        unknown = set()
        for row in todays:
            if midnight <= row["first_upload_at"] <= now:
                row["first_upload_today"] = row["first_upload_at"]
            else:
                unknown.add(row["enterprise_id"])
        found = _first_uploads_today(dataset, unknown, midnight, now)
        for row in todays:
            if row["enterprise_id"] in found:
                row["first_upload_today"] = found[row["enterprise_id"]]

    result = []
    for row in rows.values():
        frequency_class = specs.get(row["dataset"]).frequency_class
        row.setdefault("first_upload_today", None)
        row["frequency_class"] = frequency_class
        row["status"] = _classify(frequency_class, row, now, midnight, deadline)
        last = row["last_upload_at"]
        row["hours_since"] = round(max((now - last).total_seconds(), 0) / 3600, 1) if last else None
        row["deadline"] = deadline if frequency_class == "daily_10" else None
        del row["first_upload_at"]
        result.append(row)
    order = {status: i for i, status in enumerate(STATUSES)}
    result.sort(
        key=lambda r: (
            order.get(r["status"], len(order)),
            -(r["hours_since"] if r["hours_since"] is not None else float("inf")),
            r["enterprise_name"] or "",
            r["dataset"],
        )
    )
    return result


def punctuality(viewer, dataset: str, now: dt.datetime | None = None, status: str | None = None) -> dict:
    """One table's punctuality: its frequency class, counts per status and the expected enterprises."""
    spec = specs.get(dataset)
    rows = punctuality_rows(viewer, [dataset], now)
    counts = Counter(r["status"] for r in rows)
    if status:
        rows = [r for r in rows if r["status"] == status]
    return {
        "dataset": dataset,
        "frequency_class": spec.frequency_class,
        "judged": spec.frequency_class in JUDGED,
        "counts": {"expected": sum(counts.values()), **{s: counts.get(s, 0) for s in STATUSES}},
        "rows": rows,
    }


def punctuality_counts(rows: list[dict]) -> list[dict]:
    """Counts per status for every province table (zeros included), from ``punctuality_rows``."""
    per: dict[str, Counter] = defaultdict(Counter)
    for row in rows:
        per[row["dataset"]][row["status"]] += 1
    result = []
    for dataset in datasets():
        counts = per.get(dataset, Counter())
        frequency_class = specs.get(dataset).frequency_class
        result.append(
            {
                "dataset": dataset,
                "frequency_class": frequency_class,
                "judged": frequency_class in JUDGED,
                "expected": sum(counts.values()),
                **{s: counts.get(s, 0) for s in STATUSES},
            }
        )
    return result


# ---------------------------------------------------------------- rejections (DX-04)


def valid_reason(reason: str) -> bool:
    return len(reason) <= 80 and re.match(REASON_PATTERN, reason) is not None


def rejections(viewer, *, dataset=None, enterprise=None, reason=None, since=None):
    """Refused records (被拒记录) in scope, newest first. ``reason`` is ``FIELD:code`` (exact) or a
    field alone (any problem with that field)."""
    queryset = scoped(Rejection.objects.all(), viewer)
    if dataset:
        queryset = queryset.filter(dataset=dataset)
    if enterprise is not None:
        queryset = queryset.filter(enterprise_id=enterprise)
    if reason:
        if ":" in reason:
            queryset = queryset.filter(reasons__contains=[reason])  # the GIN index
        else:
            queryset = queryset.filter(errors__has_key=reason)
    if since is not None:
        queryset = queryset.filter(received_at__gte=since)
    return queryset.order_by("-received_at", "-id")


REASON_SQL = """
SELECT r.dataset, reason, count(*) AS n, count(DISTINCT r.enterprise_id) AS enterprises,
       max(r.received_at) AS last_at,
       (array_agg(r.errors ->> split_part(reason, ':', 1) ORDER BY r.received_at DESC, r.id DESC))[1] AS sample
FROM ({inner}) AS r, jsonb_array_elements_text(r.reasons) AS reason
GROUP BY r.dataset, reason
ORDER BY n DESC, r.dataset, reason
"""


def rejection_summary(viewer, dataset=None, since=None, enterprise=None) -> dict:
    """Refused records counted per table and per reason (field + code), each reason with its latest
    message as a sample. Two queries."""
    queryset = rejections(viewer, dataset=dataset, enterprise=enterprise, since=since).order_by()
    by_dataset = {
        row["dataset"]: row
        for row in queryset.values("dataset").annotate(n=Count("id"), last_at=Max("received_at")).order_by("dataset")
    }
    inner, params = queryset.values(
        "id", "dataset", "enterprise_id", "reasons", "errors", "received_at"
    ).query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(REASON_SQL.format(inner=inner), params)
        reason_rows = cursor.fetchall()
    reasons = []
    for row_dataset, reason, n, enterprises, last_at, sample in reason_rows:
        field_id, _sep, code = reason.rpartition(":")
        reasons.append(
            {
                "dataset": row_dataset,
                "dataset_label": dataset_label(row_dataset),
                "reason": reason,
                "field": field_id,
                "field_name": field_label(row_dataset, field_id),
                "code": code,
                "count": n,
                "enterprises": enterprises,
                "last_at": last_at,
                "sample": sample or "",
            }
        )
    return {
        "since": since,
        "total": sum(r["n"] for r in by_dataset.values()),
        "by_dataset": [
            {
                "dataset": name,
                "dataset_label": dataset_label(name),
                "count": row["n"],
                "last_at": row["last_at"],
            }
            for name, row in by_dataset.items()
        ],
        "by_reason": reasons,
    }


def error_queue(viewer, direction: str | None = None) -> list[tuple[str, int, dt.datetime]]:
    """The exchange's error queue (DX-04) as ``(direction, id, at)`` newest first, for paging:
    refused received records (``inbound``) and, for ops and regulator administrators, dead outbox
    entries (``outbound``). One query; ``error_details`` fetches a page's rows."""
    inbound = (
        scoped(Rejection.objects.all(), viewer)
        .order_by()
        .annotate(direction=Value("inbound", output_field=CharField()), at=F("received_at"))
        .values_list("direction", "id", "at")
    )
    parts = []
    if direction in (None, "inbound"):
        parts.append(inbound)
    if direction in (None, "outbound") and may_see_outbound(viewer):
        parts.append(
            dead_letters(viewer)
            .order_by()
            .annotate(direction=Value("outbound", output_field=CharField()), at=F("created_at"))
            .values_list("direction", "id", "at")
        )
    if not parts:
        return Rejection.objects.none().values_list("dataset", "id", "received_at")
    queryset = parts[0] if len(parts) == 1 else parts[0].union(parts[1], all=True)
    return queryset.order_by("-at", "-id")


def dead_letters(viewer):
    """Dead outbox entries (死信) the viewer may see: everything for the province-wide, the
    jurisdiction's enterprises for a regional administrator; nothing without the right."""
    if not may_see_outbound(viewer):
        return OutboxEntry.objects.none()
    return OutboxEntry.objects.filter(status=OutboxEntry.Status.DEAD).for_user(viewer)


def error_details(page: list[tuple[str, int, dt.datetime]]) -> list[dict]:
    """The rows of one page of ``error_queue``: two queries at most."""
    inbound_ids = [pk for direction, pk, _at in page if direction == "inbound"]
    outbound_ids = [pk for direction, pk, _at in page if direction == "outbound"]
    found = {}
    for rejection in Rejection.objects.filter(pk__in=inbound_ids).select_related(
        "enterprise__organisation", "region", "batch__client"
    ):
        found[("inbound", rejection.pk)] = {
            "direction": "inbound",
            "id": rejection.pk,
            "dataset": rejection.dataset,
            "key": rejection.key,
            "enterprise": rejection.enterprise_id,
            "enterprise_name": rejection.enterprise.organisation.name if rejection.enterprise_id else None,
            "region": rejection.region.code,
            "at": rejection.received_at,
            "counterpart": rejection.batch.client.name,
            "errors": rejection.errors,
            "reasons": rejection.reasons,
            "attempts": None,
        }
    for entry in OutboxEntry.objects.filter(pk__in=outbound_ids).select_related(
        "enterprise__organisation__region", "subscription__partner"
    ):
        found[("outbound", entry.pk)] = {
            "direction": "outbound",
            "id": entry.pk,
            "dataset": entry.dataset,
            "key": entry.key,
            "enterprise": entry.enterprise_id,
            "enterprise_name": entry.enterprise.organisation.name if entry.enterprise_id else None,
            "region": entry.enterprise.organisation.region.code if entry.enterprise_id else None,
            "at": entry.created_at,
            "counterpart": entry.subscription.partner.name,
            "errors": {"_send": entry.last_error} if entry.last_error else {},
            "reasons": [],
            "attempts": entry.attempts,
        }
    return [found[(direction, pk)] for direction, pk, _at in page if (direction, pk) in found]


# ---------------------------------------------------------------- orphans, quarantine, completeness


def _incomplete_sql() -> RawSQL:
    """A live record with a warning other than the quarantine one: a field given incompletely
    (special works without position, times or content, a change without its reason…)."""
    table = ReceivedRecord._meta.db_table
    return RawSQL(
        f"""EXISTS (SELECT 1 FROM jsonb_array_elements(CASE WHEN jsonb_typeof("{table}"."warnings") = 'array'
            THEN "{table}"."warnings" ELSE '[]'::jsonb END) AS w WHERE w ->> 'field' <> %s)""",
        (QUARANTINE_FIELD,),
        output_field=BooleanField(),
    )


def flagged(queryset, flag: str):
    """Records of ``queryset`` with a quality flag: ``orphan`` (parent not received yet),
    ``quarantined`` (an unregistered hazard-source code) or ``incomplete`` (other warnings)."""
    if flag == "orphan":
        return queryset.filter(orphan=True)
    if flag == "quarantined":
        return queryset.filter(warnings__contains=[{"field": QUARANTINE_FIELD}])
    if flag == "incomplete":
        return queryset.alias(incomplete=_incomplete_sql()).filter(incomplete=True)
    raise ValueError(flag)


FLAGS = ("orphan", "quarantined", "incomplete")


def orphans(viewer, enterprise: int | None = None) -> dict:
    """Live records awaiting their parent (孤儿记录) per table and enterprise, and per table the
    quarantined and incomplete records. Two queries."""
    live = scoped(ReceivedRecord.objects.filter(deleted=False), viewer)
    if enterprise is not None:
        live = live.filter(enterprise_id=enterprise)
    per_dataset = {
        row["dataset"]: row
        for row in live.order_by()
        .alias(incomplete=_incomplete_sql())
        .values("dataset")
        .annotate(
            n_orphan=Count("id", filter=Q(orphan=True)),
            n_quarantined=Count("id", filter=Q(warnings__contains=[{"field": QUARANTINE_FIELD}])),
            n_incomplete=Count("id", filter=Q(incomplete=True)),
        )
    }
    by_enterprise = [
        {
            "dataset": row["dataset"],
            "dataset_label": dataset_label(row["dataset"]),
            "enterprise_id": row["enterprise_id"],
            "enterprise_name": row["enterprise__organisation__name"],
            "region_name": row["region__name"],
            "count": row["n"],
            "oldest": row["oldest"],
        }
        for row in live.filter(orphan=True)
        .order_by()
        .values("dataset", "enterprise_id", "enterprise__organisation__name", "region__name")
        .annotate(n=Count("id"), oldest=Min("first_received_at"))
        .order_by("-n", "dataset", "enterprise__organisation__name")
    ]
    rows = []
    for dataset in datasets():
        row = per_dataset.get(dataset, {})
        rows.append(
            {
                "dataset": dataset,
                "dataset_label": dataset_label(dataset),
                **{flag: row.get(f"n_{flag}", 0) for flag in FLAGS},
            }
        )
    return {
        "totals": {flag: sum(r[flag] for r in rows) for flag in FLAGS},
        "by_dataset": rows,
        "orphans_by_enterprise": by_enterprise,
    }


# ---------------------------------------------------------------- received data


def received_summary(viewer, enterprise: int | None = None) -> list[dict]:
    """Per province table: records live, flagged deleted and orphaned, and the last arrival. One query."""
    queryset = scoped(ReceivedRecord.objects.all(), viewer)
    if enterprise is not None:
        queryset = queryset.filter(enterprise_id=enterprise)
    found = {
        row["dataset"]: row
        for row in queryset.order_by()
        .values("dataset")
        .annotate(
            n_live=Count("id", filter=Q(deleted=False)),
            n_deleted=Count("id", filter=Q(deleted=True)),
            n_orphan=Count("id", filter=Q(orphan=True, deleted=False)),
            last_arrival=Max("last_received_at"),
        )
    }
    result = []
    for dataset in datasets():
        row = found.get(dataset, {})
        result.append(
            {
                "dataset": dataset,
                "dataset_label": dataset_label(dataset),
                "frequency_class": specs.get(dataset).frequency_class,
                "live": row.get("n_live", 0),
                "deleted": row.get("n_deleted", 0),
                "orphan": row.get("n_orphan", 0),
                "last_received_at": row.get("last_arrival"),
            }
        )
    return result


def overview(viewer, now: dt.datetime | None = None, since: dt.datetime | None = None) -> dict:
    """The data-quality overview (数据交换质量) in one piece: punctuality per table, rejections by
    reason since ``since`` (default: the last 7 days), orphans, quarantined and incomplete records."""
    now = now or timezone.now()
    since = since or now - dt.timedelta(days=DEFAULT_REJECTION_DAYS)
    rows = punctuality_rows(viewer, now=now)
    punctual = punctuality_counts(rows)
    flags = orphans(viewer)
    refused = rejection_summary(viewer, since=since)
    return {
        "now": now,
        "punctuality": punctual,
        "punctuality_rows": rows,
        "late": sum(r["late"] for r in punctual),
        "missing": sum(r["missing"] for r in punctual),
        "rejections": refused,
        "orphans": flags["totals"]["orphan"],
        "quarantined": flags["totals"]["quarantined"],
        "incomplete": flags["totals"]["incomplete"],
        "by_dataset": flags["by_dataset"],
        "orphans_by_enterprise": flags["orphans_by_enterprise"],
    }


def late_rows(rows: list[dict], dataset: str | None = None) -> list[dict]:
    """The rows a regulator must chase: late, never uploaded."""
    return [r for r in rows if r["status"] in ("late", "missing") and (dataset is None or r["dataset"] == dataset)]


def describe_status(status: str | None) -> str:
    return str(STATUS_LABELS.get(status, status or _("Not judged")))
