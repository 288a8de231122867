"""Portal pages of the data exchange (数据交换), government end: the reported data (上报数据) received
from enterprises and lower-level platforms, one enterprise's reported data, one record with its
versions, the data-exchange quality (数据交换质量) and the exchange operations (交换运维).

Thin views: records are read through the scoped querysets, figures through ``apps.exchange.quality``,
and the outbox through ``apps.exchange.outbox`` (its lanes, retry and re-queue).
"""

from __future__ import annotations

import datetime as dt
import importlib

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.db.models.fields.json import KT
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import DetailView, ListView, TemplateView

from apps.core.exceptions import DomainError
from apps.core.exports import xlsx_response
from apps.core.views import JurisdictionScopedMixin
from apps.enterprises.models import Enterprise
from apps.exchange import quality, specs
from apps.exchange.files import file_url
from apps.exchange.models import ReceivedRecord, Subscription
from apps.exchange.validation import format_datetime
from apps.regions.models import Region

from .views import GovernmentEndMixin
from .views_monitoring import js_text, live_region_code

# Payload fields each table shows as columns of a list (the title and state are always shown).
COLUMNS = {
    "risk-units": ("HAZARD_CODE", "HAZARD_DEP", "HAZARD_LIABLE_PERSON"),
    "risk-events": ("RISK_UNIT_ID",),
    "control-measures": ("DATA_SRC", "CLASSIFY1", "CLASSIFY2", "TROUBLESHOOT_CONTENT"),
    "check-tasks": ("CHECK_CYCLE", "CHECK_CYCLE_UNIT", "INVESTIGATION_DATE"),
    "check-records": ("CHECK_TASK_ID", "CHECK_TIME"),
    "hazards": ("DANGER_LEVEL", "LIABLE_PERSON", "DANGER_MANAGE_DEADLINE", "REGIST_TIME"),
    "special-works": (
        "TASK_DATE",
        "TASK_BEGIN_TIME",
        "TASK_END_TIME",
        "IS_CONTRACTOR_TASK",
        "TASK_UNIT",
        "IS_CHANGED",
        "IS_CANCELLED",
    ),
    "positioning-alarms": ("alarmType", "time", "alarmLocation", "handleTime"),
    "video-devices": ("DEVICE_CODE", "DEVICE_DESC"),
    "video-device-status": ("DATE_TIME",),
    "video-alarms": ("DEVICE_CODE", "VIDEO_CODE"),
}
# Tabs of one enterprise's reported data.
TABS = (
    (
        "dual",
        gettext_lazy("Dual prevention"),
        ("risk-units", "risk-events", "control-measures", "check-tasks", "check-records"),
    ),
    ("hazards", gettext_lazy("Hidden dangers"), ("hazards",)),
    ("special_works", gettext_lazy("Special works"), ("special-works",)),
    ("positioning", gettext_lazy("Positioning alarms"), ("positioning-alarms",)),
    ("video", gettext_lazy("Video alarms"), ("video-alarms", "video-devices", "video-device-status")),
)
ACCEPTED = "9"  # DANGER_STATE 已验收
DEVICE_STATUS_LATE = quality.TOLERANCE["10min"]
PAGE_SIZE = 50


def gas_station(enterprise) -> bool:
    return enterprise is not None and any(i.code == "gas_station" for i in enterprise.industries.all())


def cell(dataset: str, field_id: str, value, *, gas: bool = False) -> str:
    """A payload value as the page shows it: codes by their names, files by their type."""
    if isinstance(value, dict):
        return value.get("media_type", "") if "file" in value else ""
    spec = specs.get(dataset)
    found = spec.field(field_id) if spec else None
    if found is not None and found.kind in ("code", "enum"):
        return quality.code_text(dataset, field_id, value, gas_station=gas)
    return "" if value is None else str(value)


def hazard_overdue(record: ReceivedRecord, now_text: str) -> bool:
    """A hidden danger past its deadline (隐患治理期限) and not accepted (DANGER_STATE≠9)."""
    deadline = str(record.payload.get("DANGER_MANAGE_DEADLINE") or "")
    return bool(deadline) and deadline < now_text and str(record.payload.get("DANGER_STATE")) != ACCEPTED


def decorate(records, *, gas: bool = False, now=None) -> list:
    """Records with what lists show: table name, state by name, columns, overdue."""
    now_text = format_datetime(now or timezone.now())
    records = list(records)
    for record in records:
        record.dataset_label = quality.dataset_label(record.dataset)
        record.status_label = quality.status_text(record)
        record.cells = [
            cell(record.dataset, f, record.payload.get(f), gas=gas) for f in COLUMNS.get(record.dataset, ())
        ]
        record.overdue = record.dataset == "hazards" and not record.deleted and hazard_overdue(record, now_text)
        record.quarantined = any(w.get("field") == quality.QUARANTINE_FIELD for w in record.warnings or [])
        record.incomplete = any(w.get("field") != quality.QUARANTINE_FIELD for w in record.warnings or [])
    return records


def column_names(dataset: str) -> list[str]:
    return [quality.field_label(dataset, f) for f in COLUMNS.get(dataset, ())]


def local_text(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M:%S") if moment else ""


class ExchangePageMixin(GovernmentEndMixin, JurisdictionScopedMixin):
    """Government end, the role's right to view received records, the user's jurisdiction."""

    model = ReceivedRecord


# ---------------------------------------------------------------- reported data (上报数据)


class ReceivedFilterForm(forms.Form):
    dataset = forms.ChoiceField(required=False)
    q = forms.CharField(required=False, max_length=100)
    region = forms.CharField(required=False, max_length=12)
    includeDeleted = forms.BooleanField(required=False)  # noqa: N815 - the API's parameter name
    orphan = forms.BooleanField(required=False)
    flag = forms.ChoiceField(required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["dataset"].choices = [("", _("All tables"))] + [
            (name, quality.dataset_label(name)) for name in quality.datasets()
        ]
        self.fields["flag"].choices = [
            ("", _("Any")),
            ("quarantined", _("Quarantined")),
            ("incomplete", _("Incomplete")),
        ]


def filter_records(queryset, data: dict):
    """The list's filters on a scoped queryset of received records."""
    if data.get("dataset"):
        queryset = queryset.filter(dataset=data["dataset"])
    if data.get("q"):
        queryset = queryset.filter(enterprise__organisation__name__icontains=data["q"].strip())
    if data.get("region"):
        region = Region.objects.filter(code=data["region"].strip()).first()
        queryset = queryset.filter(region__path__startswith=region.path) if region else queryset.none()
    if not data.get("includeDeleted"):
        queryset = queryset.filter(deleted=False)
    if data.get("orphan"):
        queryset = quality.flagged(queryset, "orphan")
    if data.get("flag"):
        queryset = quality.flagged(queryset, data["flag"])
    return queryset


class GovExchangeListView(ExchangePageMixin, ListView):
    """Reported data (上报数据): every received record of the jurisdiction, filterable, with arrival
    times and deleted/orphan flags, exportable to Excel."""

    template_name = "portal/exchange_list.html"
    paginate_by = PAGE_SIZE

    def get_queryset(self):
        self.form = ReceivedFilterForm(self.request.GET or None)
        data = self.form.cleaned_data if self.form.is_valid() else {}
        queryset = super().get_queryset().select_related("enterprise__organisation", "region", "client")
        return filter_records(queryset, data).order_by("-last_received_at", "-id")

    def get(self, request, *args, **kwargs):
        if request.GET.get("export") == "xlsx":
            return export_records(self.get_queryset())
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        params = self.request.GET.copy()
        params.pop("page", None)
        params.pop("export", None)
        context.update(
            form=self.form,
            records=decorate(context["object_list"]),
            querystring=params.urlencode(),
            # Positioning and video alarms are pushed as they arrive (the region topic of monitoring).
            live_key=live_region_code(self.request.user),
            mon_i18n={
                **js_text(),
                "exchange_new": _("New records received"),
                "exchange_reload": _("Show them"),
            },
        )
        return context


def export_records(queryset):
    rows = (
        (
            quality.dataset_label(r.dataset),
            r.key,
            r.title,
            quality.status_text(r),
            r.enterprise.organisation.name if r.enterprise_id else "",
            r.region.name,
            r.client.name,
            local_text(r.event_time),
            local_text(r.first_received_at),
            local_text(r.last_received_at),
            r.versions,
            _("Yes") if r.deleted else _("No"),
            _("Yes") if r.orphan else _("No"),
            "; ".join(f"{w.get('field')}: {w.get('message')}" for w in r.warnings or []),
        )
        for r in queryset.iterator(chunk_size=1000)
    )
    headers = [
        _("Table"),
        _("Key"),
        _("Title"),
        _("State"),
        _("Enterprise name"),
        _("Region"),
        _("Received from"),
        _("Event time"),
        _("First received at"),
        _("Last received at"),
        _("Times received"),
        _("Deleted"),
        _("Parent not received yet"),
        _("Warnings"),
    ]
    return xlsx_response("reported-data", headers, rows)


# ---------------------------------------------------------------- one enterprise's reported data


class GovExchangeEnterpriseView(ExchangePageMixin, TemplateView):
    """One enterprise's reported data: dual prevention lists, hidden dangers, special works,
    positioning and video alarms (with the devices' latest status), upload punctuality and refused
    records."""

    template_name = "portal/exchange_enterprise.html"

    def dataset(self) -> str:
        wanted = self.request.GET.get("dataset", "")
        return wanted if wanted in quality.datasets() else TABS[0][2][0]

    def get_context_data(self, **kwargs):
        user = self.request.user
        enterprise = get_object_or_404(Enterprise.objects.for_user(user).with_organisation(), pk=self.kwargs["pk"])
        showing_rejections = self.request.GET.get("tab") == "rejections"
        dataset = self.dataset()
        include_deleted = self.request.GET.get("includeDeleted") in ("1", "on", "true")
        summary = {row["dataset"]: row for row in quality.received_summary(user, enterprise=enterprise.pk)}
        punctual = {row["dataset"]: row for row in quality.punctuality_rows(user, enterprise=enterprise.pk)}
        for row in punctual.values():
            row["status_label"] = quality.describe_status(row["status"])
        records = ReceivedRecord.objects.for_user(user).filter(enterprise=enterprise)
        tabs = [
            {
                "code": code,
                "title": title,
                "datasets": [
                    {
                        "dataset": name,
                        "label": quality.dataset_label(name),
                        "count": summary[name]["live"],
                        "punctuality": punctual.get(name),
                    }
                    for name in names
                ],
                "count": sum(summary[name]["live"] for name in names),
                "active": not showing_rejections and dataset in names,
            }
            for code, title, names in TABS
        ]
        context = {
            "enterprise": enterprise,
            "tabs": tabs,
            "dataset": dataset,
            "dataset_label": quality.dataset_label(dataset),
            "include_deleted": include_deleted,
            "showing_rejections": showing_rejections,
            "rejection_count": quality.rejections(user, enterprise=enterprise.pk).count(),
        }
        if showing_rejections:
            page = Paginator(
                quality.rejections(user, enterprise=enterprise.pk).select_related("batch__client"), PAGE_SIZE
            ).get_page(self.request.GET.get("page"))
            for rejection in page.object_list:
                rejection.dataset_label = quality.dataset_label(rejection.dataset)
                rejection.problems = [
                    {"field": field, "name": quality.field_label(rejection.dataset, field), "message": message}
                    for field, message in rejection.errors.items()
                ]
        else:
            listed = records.filter(dataset=dataset).select_related("client")
            if not include_deleted:
                listed = listed.filter(deleted=False)
            page = Paginator(listed.order_by("-last_received_at", "-id"), PAGE_SIZE).get_page(
                self.request.GET.get("page")
            )
            page.object_list = decorate(page.object_list, gas=gas_station(enterprise))
            if dataset == "video-devices":
                self.add_device_status(records, page.object_list)
            if dataset == "hazards":
                now_text = format_datetime(timezone.now())
                context["overdue_count"] = (
                    records.filter(dataset="hazards", deleted=False)
                    .annotate(deadline=KT("payload__DANGER_MANAGE_DEADLINE"), state=KT("payload__DANGER_STATE"))
                    .filter(deadline__lt=now_text)
                    .exclude(Q(state=ACCEPTED) | Q(deadline=""))
                    .count()
                )
        params = self.request.GET.copy()
        params.pop("page", None)
        context.update(
            page_obj=page,
            rows=page.object_list,
            is_paginated=page.has_other_pages(),
            paginator=page.paginator,
            querystring=params.urlencode(),
            columns=column_names(dataset),
        )
        return super().get_context_data(**context, **kwargs)

    @staticmethod
    def add_device_status(records, devices):
        """Each device's latest running status (DX-VE-08): late when older than 15 minutes."""
        codes = [d.alt_key for d in devices if d.alt_key]
        latest = {
            r.parent_key: r
            for r in records.filter(dataset="video-device-status", parent_key__in=codes)
            .order_by("parent_key", "-event_time", "-id")
            .distinct("parent_key")
        }
        now = timezone.now()
        for device in devices:
            status = latest.get(device.alt_key)
            device.latest_status = status
            if status is not None:
                device.latest_status_label = quality.status_text(status)
                device.status_late = status.event_time is None or now - status.event_time > DEVICE_STATUS_LATE


# ---------------------------------------------------------------- one record


def field_rows(record: ReceivedRecord, *, gas: bool = False) -> list[dict]:
    """The record's fields by their Chinese names, files as links (images shown inline)."""
    spec = specs.get(record.dataset)
    known = spec.field_ids if spec else ()
    rows = []
    for field_id in (*known, *[k for k in record.payload if k not in known]):
        if field_id not in record.payload:
            continue
        value = record.payload[field_id]
        row = {"id": field_id, "name": quality.field_label(record.dataset, field_id), "value": value, "file": None}
        if isinstance(value, dict) and value.get("file"):
            row["file"] = file_link(record, value)
        else:
            row["text"] = cell(record.dataset, field_id, value, gas=gas)
            row["coded"] = row["text"] != ("" if value is None else str(value))
        rows.append(row)
    return rows


def file_link(record, reference: dict) -> dict:
    """A stored file reference as a link through the record's scope (never a public media URL)."""
    return {
        "url": file_url(record.pk, reference),
        "media_type": reference.get("media_type", ""),
        "bytes": reference.get("bytes"),
        "is_image": str(reference.get("media_type", "")).startswith("image/"),
    }


def changed_fields(newer: dict, older: dict | None) -> list[str]:
    if older is None:
        return []
    return sorted(k for k in set(newer) | set(older) if newer.get(k) != older.get(k))


class GovExchangeRecordView(ExchangePageMixin, DetailView):
    """One received record: its fields by name, its files, and every version that arrived (who sent
    it when)."""

    template_name = "portal/exchange_record.html"
    context_object_name = "record"
    history_limit = 100

    def get_queryset(self):
        return super().get_queryset().select_related("enterprise__organisation__region", "region", "client")

    def get_context_data(self, **kwargs):
        record = self.object
        gas = record.dataset == "video-alarms" and gas_station(record.enterprise)
        decorate([record], gas=gas)  # its flags, as lists show them
        versions = list(
            record.history.select_related("batch__client").order_by("-received_at", "-id")[: self.history_limit + 1]
        )
        for newer, older in zip(versions, [*versions[1:], None], strict=True):
            newer.changed = [
                quality.field_label(record.dataset, f) for f in changed_fields(newer.payload, older and older.payload)
            ]
        spec = specs.get(record.dataset)
        parent = None
        if record.parent_key and spec is not None:
            for field_id, parent_dataset in spec.references.items():
                if record.payload.get(field_id) is None:
                    continue
                lookup = "alt_key" if field_id in spec.reference_target_fields else "key"
                parent = (
                    ReceivedRecord.objects.for_user(self.request.user)
                    .filter(dataset=parent_dataset, **{lookup: record.parent_key})
                    .only("id", "dataset", "title", "key")
                    .first()
                )
                break
        details = [
            {"name": label, "value": record.details.get(key)}
            for key, label in (
                ("alarm_time", _("Alarm time")),
                ("clear_time", _("Clearance time")),
                ("handle_time", _("Handled at")),
                ("handle_info", _("Handling")),
            )
            if record.details.get(key)
        ]
        images = [
            {"name": label, **file_link(record, record.details[key])}
            for key, label in (("alarm_image", _("Alarm image")), ("clear_image", _("Clearance image")))
            if isinstance(record.details.get(key), dict) and record.details[key].get("file")
        ]
        return super().get_context_data(
            dataset_label=quality.dataset_label(record.dataset),
            status_label=quality.status_text(record),
            fields=field_rows(record, gas=gas),
            versions=versions[: self.history_limit],
            more_versions=len(versions) > self.history_limit,
            parent=parent,
            details=details,
            images=images,
            overdue=record.overdue,
            **kwargs,
        )


# ---------------------------------------------------------------- data-exchange quality (数据交换质量)


class GovExchangeQualityView(ExchangePageMixin, TemplateView):
    """Data-exchange quality: punctuality per table with the late and missing enterprises, refused
    records by reason (a chart), orphans, quarantined and incomplete records."""

    template_name = "portal/exchange_quality.html"
    day_choices = (1, 7, 30, 90)

    def days(self) -> int:
        value = self.request.GET.get("days", "")
        return int(value) if value.isdigit() and int(value) in self.day_choices else quality.DEFAULT_REJECTION_DAYS

    def get_context_data(self, **kwargs):
        user = self.request.user
        now = timezone.now()
        days = self.days()
        since = now - dt.timedelta(days=days)
        overview = quality.overview(user, now=now, since=since)
        table = self.request.GET.get("table", "")
        table = table if table in quality.datasets() else ""
        chase = quality.late_rows(overview["punctuality_rows"], table or None)
        for row in chase:
            row["status_label"] = quality.describe_status(row["status"])
            row["dataset_label"] = quality.dataset_label(row["dataset"])
        page = Paginator(chase, PAGE_SIZE).get_page(self.request.GET.get("page"))
        for row in overview["punctuality"]:
            row["dataset_label"] = quality.dataset_label(row["dataset"])
            row["frequency_label"] = quality.FREQUENCY_LABELS.get(row["frequency_class"], row["frequency_class"])
        reason = self.request.GET.get("reason", "").strip()
        reason = reason if quality.valid_reason(reason) else ""
        recent = list(
            quality.rejections(user, reason=reason or None, since=since).select_related(
                "enterprise__organisation", "batch__client"
            )[:20]
        )
        for rejection in recent:
            rejection.dataset_label = quality.dataset_label(rejection.dataset)
            rejection.problems = [
                {"field": field, "name": quality.field_label(rejection.dataset, field), "message": message}
                for field, message in rejection.errors.items()
            ]
        reasons = overview["rejections"]["by_reason"]
        params = self.request.GET.copy()
        params.pop("page", None)
        table_params = params.copy()
        table_params.pop("table", None)
        return super().get_context_data(
            overview=overview,
            days=days,
            day_choices=self.day_choices,
            table=table,
            table_label=quality.dataset_label(table) if table else "",
            page_obj=page,
            chase=page.object_list,
            is_paginated=page.has_other_pages(),
            paginator=page.paginator,
            querystring=params.urlencode(),
            table_querystring=table_params.urlencode(),
            reason=reason,
            recent=recent,
            chart_data={
                "reasons": [
                    {"label": f"{r['dataset_label']} · {r['field_name']} ({r['code']})", "count": r["count"]}
                    for r in reasons[:15]
                ],
                "labels": {"count": _("Refused records")},
            },
            **kwargs,
        )


# ---------------------------------------------------------------- exchange operations (交换运维)


def outbox_module():
    """``apps.exchange.outbox`` when it is installed (it is written separately); None until then."""
    try:
        module = importlib.import_module("apps.exchange.outbox")
    except ModuleNotFoundError as exc:
        if exc.name != "apps.exchange.outbox":
            raise
        return None
    return module if all(hasattr(module, n) for n in ("lane_status", "retry_now", "requeue_dead")) else None


def _age_text(seconds) -> str:
    """An age in seconds, in words."""
    if seconds is None:
        return ""
    if seconds < 3600:
        return _("%(n)s min") % {"n": int(seconds // 60)}
    if seconds < 86400:
        return _("%(n)s h") % {"n": f"{seconds / 3600:.1f}"}
    return _("%(n)s days") % {"n": f"{seconds / 86400:.1f}"}


LANE_STATES = {
    "ok": gettext_lazy("Normal"),
    "failing": gettext_lazy("Failing"),
    "disabled": gettext_lazy("Disabled"),
    "no_builder": gettext_lazy("No module produces this table yet"),
}


def lane_row(row: dict) -> dict:
    """One lane of ``outbox.lane_status()`` with what the page adds: names and ages in words."""
    partner = row.get("partner") or {}
    schedule = row.get("schedule", "")
    return {
        **row,
        "partner_name": partner.get("name", "") if isinstance(partner, dict) else str(partner),
        "dataset_label": quality.dataset_label(row.get("dataset", "")),
        "schedule_label": Subscription.Schedule(schedule).label
        if schedule in Subscription.Schedule.values
        else schedule,
        "state_label": LANE_STATES.get(row.get("state"), row.get("state", "")),
        "oldest_age": _age_text(row.get("oldest_pending_age_seconds")),
    }


class GovExchangeOpsView(GovernmentEndMixin, PermissionRequiredMixin, TemplateView):
    """Exchange operations (交换运维): each subscription's lane — backlog, oldest pending, last
    success, failures, dead letters — with 'retry now' and re-queueing of dead letters."""

    template_name = "portal/exchange_ops.html"
    permission_required = "exchange.view_subscription"

    def get_context_data(self, **kwargs):
        outbox = outbox_module()
        lanes = [lane_row(row) for row in outbox.lane_status()] if outbox else []
        dead_letters = []
        if outbox is not None:
            dead_letters = list(
                quality.dead_letters(self.request.user)
                .select_related("subscription__partner", "enterprise__organisation")
                .order_by("-id")[:50]
            )
            for entry in dead_letters:
                entry.dataset_label = quality.dataset_label(entry.dataset)
        return super().get_context_data(
            available=outbox is not None,
            lanes=lanes,
            dead_letters=dead_letters,
            can_change=self.request.user.has_perm("exchange.change_subscription"),
            **kwargs,
        )

    def post(self, request, *args, **kwargs):
        if not request.user.has_perm("exchange.change_subscription"):
            raise PermissionDenied
        outbox = outbox_module()
        if outbox is None:
            messages.error(request, _("Exchange operations are not available yet."))
            return redirect("portal:gov-exchange-ops")
        try:
            if "retry" in request.POST:
                retry = request.POST.get("retry", "")
                subscription = get_object_or_404(Subscription, pk=int(retry) if retry.isdigit() else 0)
                outbox.retry_now(subscription)
                messages.success(
                    request,
                    _("Retrying %(lane)s now.")
                    % {"lane": f"{subscription.partner.name} · {quality.dataset_label(subscription.dataset)}"},
                )
            elif "requeue" in request.POST:
                wanted = [int(i) for i in request.POST.getlist("entry") if i.isdigit()]
                # only dead letters the user may see (a city's administrator: its enterprises')
                ids = list(quality.dead_letters(request.user).filter(pk__in=wanted).values_list("pk", flat=True))
                if not ids:
                    messages.error(request, _("Select the dead letters to queue again."))
                else:
                    done = outbox.requeue_dead(ids)
                    messages.success(request, _("%(n)s dead letters queued again.") % {"n": done})
        except DomainError as exc:
            messages.error(request, exc.message)
        return redirect("portal:gov-exchange-ops")
