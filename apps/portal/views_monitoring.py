"""Portal pages of real-time monitoring (实时监测): the enterprise status board, the alarm centre
(报警中心) of both ends, maintenance and calibration windows (检维修/标定), point history curves
(历史曲线), and the regulators' monitoring statistics (监测统计) and data quality (数据质量).

Thin views: lists read the scoped querysets, writes go through ``apps.monitoring`` services, and
the charts and live updates are drawn by small scripts from the JSON API and the ``/ws/live/``
websocket (``static/js/monitoring/``).
"""

from __future__ import annotations

import datetime as dt
from itertools import groupby

import django_filters
from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import DetailView, ListView, TemplateView

from apps.core.exceptions import DomainError
from apps.core.exports import xlsx_response
from apps.core.views import JurisdictionScopedMixin
from apps.enterprises.models import Industry
from apps.facilities.models import Facility
from apps.monitoring import quality, statistics
from apps.monitoring import services as monitoring_services
from apps.monitoring.api.alarms import AlarmFilterSet
from apps.monitoring.models import Alarm, MaintenanceWindow, MonitoringPoint
from apps.regions.models import Region

from .forms import apply_domain_error
from .registry_views import OwnEnterpriseMixin
from .views import GovernmentEndMixin

LEVEL_LABELS = {
    "normal": gettext_lazy("Normal"),
    "high": gettext_lazy("High"),
    "high_high": gettext_lazy("High-high"),
    "low": gettext_lazy("Low"),
    "low_low": gettext_lazy("Low-low"),
    "state": gettext_lazy("Abnormal state"),
    "offline": gettext_lazy("Offline"),
    "stale": gettext_lazy("Data late"),
    "nodata": gettext_lazy("No data"),
}
SIDE_LABELS = {
    "high": gettext_lazy("Above limit"),
    "low": gettext_lazy("Below limit"),
    "state": gettext_lazy("Switch state"),
    "offline": gettext_lazy("Offline"),
}
ABNORMAL = {"high", "high_high", "low", "low_low", "state"}
# A value not refreshed for this many reporting periods is shown as late before it goes offline.
STALE_PERIODS = 2


def js_text() -> dict:
    """Strings the monitoring scripts show, in the request's language (``#mon-i18n``)."""
    return {
        "live_connecting": _("Connecting…"),
        "live_live": _("Live"),
        "live_disconnected": _("Disconnected, retrying"),
        "live_refused": _("Live updates refused"),
        "mute": _("Mute"),
        "unmute": _("Unmute"),
        "alarm_raised": _("New alarm"),
        "alarm_escalated": _("Alarm escalated"),
        "view_alarm": _("View the alarm"),
        "close": _("Close"),
        "point": _("Point"),
        "active": _("Active"),
        "cleared": _("Cleared"),
        "no": _("No"),
        "no_data": _("No data in this range."),
        "unavailable": _("History is not available."),
        "average": _("Average"),
        "min_max": _("Min–max"),
        "resolution_raw": _("Raw readings"),
        "resolution_minute": _("Per-minute averages"),
        "resolution_hour": _("Hourly averages"),
        "values": _("values"),
        "tz": settings.TIME_ZONE,
        "levels": {k: str(v) for k, v in LEVEL_LABELS.items()},
        "sides": {k: str(v) for k, v in SIDE_LABELS.items()},
    }


class MonitoringPageMixin:
    """Context every monitoring page shares: the scripts' strings."""

    def get_context_data(self, **kwargs):
        return super().get_context_data(mon_i18n=js_text(), **kwargs)


def with_labels(alarms) -> list:
    """Alarms with their level and side in words."""
    alarms = list(alarms)
    for alarm in alarms:
        alarm.level_label = LEVEL_LABELS.get(alarm.level, alarm.level)
        alarm.side_label = SIDE_LABELS.get(alarm.side, alarm.side)
    return alarms


def percent(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.2f}%"


def history_api_url(pk) -> str:
    return reverse("monitoring-point-detail", args=[pk]).rstrip("/") + "/history"


def local_text(moment) -> str:
    """A time as Beijing wall-clock text (Excel cells carry no time zone)."""
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M:%S") if moment else ""


def point_status(point: MonitoringPoint, now: dt.datetime) -> str:
    """What the board shows for a point: its alarm level, or offline / late / no data."""
    state = getattr(point, "state", None)
    if state is None or state.ts is None:
        return "nodata"
    if not state.online:
        return "offline"
    if (now - state.ts).total_seconds() > STALE_PERIODS * point.period_s:
        return "stale"
    return state.level or "normal"


def live_region_code(user) -> str | None:
    """The region topic a regulator follows: its jurisdiction, or the province for province-wide users."""
    scope = user.access_scope
    if scope.region_path:
        return scope.region_path.strip("/").split("/")[-1]
    province = Region.objects.filter(kind="province").order_by("code").values_list("code", flat=True).first()
    return province


# ---------------------------------------------------------------- status board (实时监测)


class EntMonitoringBoardView(MonitoringPageMixin, OwnEnterpriseMixin, JurisdictionScopedMixin, ListView):
    """The enterprise's points by facility with live values, levels, limits and sparklines."""

    model = MonitoringPoint
    paginate_by = 120
    template_name = "portal/mon_board.html"

    def get_queryset(self):
        queryset = (
            super()
            .get_queryset()
            .in_use()
            .filter(enterprise=self.enterprise)
            .select_related("facility", "kind", "state")
            .order_by("facility__code", "facility_id", "code")
        )
        facility = self.request.GET.get("facility", "")
        if facility.isdigit():
            queryset = queryset.filter(facility_id=int(facility))
        q = self.request.GET.get("q", "").strip()
        if q:
            queryset = queryset.filter(Q(code__icontains=q) | Q(name__icontains=q) | Q(bit_number__icontains=q))
        if self.request.GET.get("abnormal"):
            queryset = queryset.filter(
                Q(state__online=False, state__ts__isnull=False) | (Q(state__online=True) & ~Q(state__level="normal"))
            )
        return queryset

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        now = timezone.now()
        points = list(context["object_list"])
        alarms: dict[int, list[Alarm]] = {}
        for alarm in Alarm.objects.active().filter(point_id__in=[p.pk for p in points]).order_by("-started_at"):
            alarms.setdefault(alarm.point_id, []).append(alarm)
        rows = []
        for point in points:
            point.status = point_status(point, now)
            # a late value keeps its alarm highlight: the last thing known is that it was out of limits
            point.abnormal = point.status in ABNORMAL or (point.status == "stale" and point.state.level in ABNORMAL)
            point.status_label = LEVEL_LABELS.get(point.status, point.status)
            point.active_alarms = alarms.get(point.pk, [])
            for alarm in point.active_alarms:
                alarm.level_label = LEVEL_LABELS.get(alarm.level, alarm.level)
            state = getattr(point, "state", None)
            rows.append(
                {
                    "id": point.pk,
                    "period_s": point.period_s,
                    "signal": point.kind.signal,
                    "limits": {f: getattr(point, f) for f in MonitoringPoint.THRESHOLDS},
                    "ts": state.ts.timestamp() if state and state.ts else None,
                    "value": state.value if state else None,
                    "level": state.level if state else "normal",
                    "online": bool(state and state.online),
                }
            )
        groups = [(facility, list(items)) for facility, items in groupby(points, key=lambda p: p.facility)]
        mine = MonitoringPoint.objects.in_use().filter(enterprise=self.enterprise)
        summary = mine.aggregate(
            total=Count("pk"),
            online=Count("pk", filter=Q(state__online=True)),
            abnormal=Count("pk", filter=Q(state__online=True) & ~Q(state__level="normal")),
        )
        summary["alarms"] = Alarm.objects.active().filter(enterprise=self.enterprise, shelved=False).count()
        facilities = (
            Facility.objects.filter(enterprise=self.enterprise, points__in_use=True, points__deleted=False)
            .annotate(n=Count("points"))
            .order_by("code")
        )
        params = self.request.GET.copy()
        params.pop("page", None)
        context.update(
            groups=groups,
            board_points=rows,
            summary=summary,
            facilities=facilities,
            querystring=params.urlencode(),
            level_labels={k: str(v) for k, v in LEVEL_LABELS.items()},
            stale_periods=STALE_PERIODS,
            history_api_url=history_api_url(0),
        )
        return context


# ---------------------------------------------------------------- alarm centre (报警中心)


class AlarmPageFilterSet(AlarmFilterSet):
    """The API's alarm filters, plus calendar dates (Beijing days) and a point code or name."""

    date_from = django_filters.DateFilter(method="filter_date_from")
    date_to = django_filters.DateFilter(method="filter_date_to")
    q = django_filters.CharFilter(method="filter_point_text")

    def _midnight(self, day):
        return timezone.make_aware(dt.datetime.combine(day, dt.time()))

    def filter_date_from(self, queryset, name, value):
        return queryset.filter(started_at__gte=self._midnight(value))

    def filter_date_to(self, queryset, name, value):
        return queryset.filter(started_at__lt=self._midnight(value + dt.timedelta(days=1)))

    def filter_point_text(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(Q(point__code__icontains=value) | Q(point__name__icontains=value))


ALARM_TABS = {"active": True, "history": False}


class AlarmListMixin(JurisdictionScopedMixin):
    """Alarm lists of both ends: active / history tabs, the API's filters, pagination, Excel export."""

    model = Alarm
    paginate_by = 50
    end = ""  # "ent" or "gov": names the detail and history pages

    def tab(self) -> str:
        tab = self.request.GET.get("tab", "active")
        return tab if tab in ALARM_TABS else "active"

    def base_queryset(self):
        return super().get_queryset()

    def get_queryset(self):
        queryset = (
            self.base_queryset()
            .filter(is_active=ALARM_TABS[self.tab()])
            .select_related("point", "enterprise__organisation__region")
            .order_by("-started_at", "-id")
        )
        self.filterset = AlarmPageFilterSet(self.request.GET or None, queryset=queryset, request=self.request)
        if self.filterset.is_bound and self.filterset.is_valid():
            return self.filterset.qs
        return queryset

    def get(self, request, *args, **kwargs):
        if request.GET.get("export") == "xlsx":
            return export_alarms(self.get_queryset(), with_enterprise=self.end == "gov")
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        hours = settings.ANQUAN_ALARM_LONG_UNCLEARED_HOURS
        now = timezone.now()
        for alarm in context["object_list"]:
            alarm.level_label = LEVEL_LABELS.get(alarm.level, alarm.level)
            alarm.side_label = SIDE_LABELS.get(alarm.side, alarm.side)
            alarm.overdue = alarm.is_active and (now - alarm.started_at).total_seconds() > hours * 3600
        params = self.request.GET.copy()
        params.pop("page", None)
        tab_params = params.copy()
        for name in ("tab", "long_uncleared"):  # only active alarms can be long uncleared
            tab_params.pop(name, None)
        context.update(
            tab=self.tab(),
            filterset=self.filterset,
            querystring=params.urlencode(),
            tab_querystring=tab_params.urlencode(),
            levels=[(k, LEVEL_LABELS[k]) for k in ("high_high", "high", "low", "low_low", "state", "offline")],
            sides=list(SIDE_LABELS.items()),
            end=self.end,
            detail_url=reverse(f"portal:{self.end}-alarm", args=[0]),
            api_detail_url=reverse("alarm-detail", args=[0]),
        )
        return context


def export_alarms(queryset, *, with_enterprise: bool):
    rows = (
        (
            *((a.enterprise.organisation.name, a.enterprise.organisation.region.name) if with_enterprise else ()),
            a.point.code,
            a.point.name,
            str(SIDE_LABELS.get(a.side, a.side)),
            str(LEVEL_LABELS.get(a.level, a.level)),
            a.threshold,
            a.peak_value,
            a.last_value,
            a.point.unit,
            local_text(a.started_at),
            local_text(a.ended_at),
            round(((a.ended_at or timezone.now()) - a.started_at).total_seconds() / 60, 1),
            _("Active") if a.is_active else _("Cleared"),
            local_text(a.handled_at),
            a.handler,
            a.cause,
            a.measures,
            a.result,
        )
        for a in queryset.iterator(chunk_size=1000)
    )
    headers = [
        *((_("Enterprise name"), _("Region")) if with_enterprise else ()),
        _("Point code"),
        _("Point name"),
        _("Side"),
        _("Level"),
        _("Threshold"),
        _("Peak value"),
        _("Last value"),
        _("Unit"),
        _("Started at"),
        _("Ended at"),
        _("Duration (min)"),
        _("Status"),
        _("Handled at"),
        _("Handler"),
        _("Cause"),
        _("Measures"),
        _("Result"),
    ]
    return xlsx_response("alarms", headers, rows)


class EntAlarmListView(MonitoringPageMixin, OwnEnterpriseMixin, AlarmListMixin, ListView):
    template_name = "portal/mon_alarms.html"
    end = "ent"

    def base_queryset(self):
        return super().base_queryset().filter(enterprise=self.enterprise)

    def get_context_data(self, **kwargs):
        return super().get_context_data(live_topic="enterprise", live_key=self.enterprise.pk, **kwargs)


class GovAlarmListView(MonitoringPageMixin, GovernmentEndMixin, AlarmListMixin, ListView):
    template_name = "portal/mon_alarms.html"
    end = "gov"

    def get_context_data(self, **kwargs):
        windows = MaintenanceWindow.objects.for_user(self.request.user).filter(
            cancelled=False, ends_at__gt=timezone.now()
        )
        return super().get_context_data(
            live_topic="region",
            live_key=live_region_code(self.request.user),
            industries=Industry.objects.order_by("sort_order", "code"),
            open_windows=windows.count(),
            **kwargs,
        )


class HandlingForm(forms.Form):
    """Handling feedback (处置反馈) on an alarm."""

    cause = forms.CharField(label=gettext_lazy("Cause"), max_length=255)
    measures = forms.CharField(label=gettext_lazy("Measures taken"), max_length=500, widget=forms.Textarea)
    result = forms.CharField(label=gettext_lazy("Result"), max_length=255)
    handler = forms.CharField(label=gettext_lazy("Handler"), max_length=64, required=False)


class AlarmDetailMixin(JurisdictionScopedMixin):
    model = Alarm
    context_object_name = "alarm"
    end = ""

    def get_queryset(self):
        return super().get_queryset().select_related("point__facility", "enterprise__organisation__region")

    def get_context_data(self, **kwargs):
        alarm = self.object
        alarm.level_label = LEVEL_LABELS.get(alarm.level, alarm.level)
        alarm.side_label = SIDE_LABELS.get(alarm.side, alarm.side)
        events = list(alarm.events.all())
        for event in events:
            event.level_label = LEVEL_LABELS.get(event.level, event.level)
        hours = settings.ANQUAN_ALARM_LONG_UNCLEARED_HOURS
        overdue = alarm.is_active and (timezone.now() - alarm.started_at).total_seconds() > hours * 3600
        return super().get_context_data(
            events=events,
            overdue=overdue,
            duration=(alarm.ended_at or timezone.now()) - alarm.started_at,
            end=self.end,
            history_url=reverse(f"portal:{self.end}-point-history", args=[alarm.point_id]),
            **kwargs,
        )


class EntAlarmDetailView(MonitoringPageMixin, OwnEnterpriseMixin, AlarmDetailMixin, DetailView):
    """One alarm with its event history and the handling-feedback form."""

    template_name = "portal/mon_alarm_detail.html"
    end = "ent"

    def get_queryset(self):
        return super().get_queryset().filter(enterprise=self.enterprise)

    def can_handle(self) -> bool:
        return self.request.user.has_perm("monitoring.change_alarm")

    def get_context_data(self, **kwargs):
        if "form" not in kwargs and self.can_handle():
            alarm = self.object
            kwargs["form"] = HandlingForm(
                initial={
                    "cause": alarm.cause,
                    "measures": alarm.measures,
                    "result": alarm.result,
                    "handler": alarm.handler or self.request.user.real_name or self.request.user.username,
                }
            )
        return super().get_context_data(can_handle=self.can_handle(), **kwargs)

    def post(self, request, *args, **kwargs):
        self.object = self.get_object()
        if not self.can_handle():
            raise PermissionDenied
        form = HandlingForm(request.POST)
        if form.is_valid():
            try:
                monitoring_services.record_handling(request.user, self.object, **form.cleaned_data)
            except DomainError as exc:
                apply_domain_error(form, exc)
            else:
                messages.success(request, _("Handling feedback saved."))
                return redirect("portal:ent-alarm", pk=self.object.pk)
        return self.render_to_response(self.get_context_data(form=form), status=400)


class GovAlarmDetailView(MonitoringPageMixin, GovernmentEndMixin, AlarmDetailMixin, DetailView):
    """One alarm of the jurisdiction, read-only: history and the enterprise's handling feedback."""

    template_name = "portal/mon_alarm_detail.html"
    end = "gov"


# ---------------------------------------------------------------- point history (历史曲线)


HISTORY_RANGES = (
    ("1h", gettext_lazy("Last hour"), dt.timedelta(hours=1)),
    ("24h", gettext_lazy("Last 24 hours"), dt.timedelta(hours=24)),
    ("7d", gettext_lazy("Last 7 days"), dt.timedelta(days=7)),
    ("30d", gettext_lazy("Last 30 days"), dt.timedelta(days=30)),
)


class PointHistoryMixin(JurisdictionScopedMixin):
    """A point's curve: the page carries the point and its limits; the script reads the history API."""

    model = MonitoringPoint
    context_object_name = "point"
    template_name = "portal/mon_point_history.html"
    end = ""

    def get_queryset(self):
        return super().get_queryset().active().select_related("facility", "kind", "enterprise__organisation", "state")

    def get_context_data(self, **kwargs):
        point = self.object
        chosen = self.request.GET.get("range", "24h")
        if chosen not in {code for code, _label, _span in HISTORY_RANGES} | {"custom"}:
            chosen = "24h"
        return super().get_context_data(
            end=self.end,
            ranges=HISTORY_RANGES,
            chosen=chosen,
            history_config={
                "url": history_api_url(point.pk),
                "unit": point.unit,
                "name": f"{point.name} ({point.code})",
                "limits": {f: getattr(point, f) for f in MonitoringPoint.THRESHOLDS},
                "ranges": {code: span.total_seconds() for code, _label, span in HISTORY_RANGES},
                "labels": {f: str(LEVEL_LABELS[f]) for f in MonitoringPoint.THRESHOLDS},
            },
            alarms=with_labels(Alarm.objects.filter(point=point).order_by("-started_at")[:10]),
            **kwargs,
        )


class EntPointHistoryView(MonitoringPageMixin, OwnEnterpriseMixin, PointHistoryMixin, DetailView):
    end = "ent"

    def get_queryset(self):
        return super().get_queryset().filter(enterprise=self.enterprise)


class GovPointHistoryView(MonitoringPageMixin, GovernmentEndMixin, PointHistoryMixin, DetailView):
    end = "gov"


# ---------------------------------------------------------------- maintenance windows (检维修/标定)


class MaintenanceWindowForm(forms.Form):
    target = forms.ChoiceField(
        label=gettext_lazy("Applies to"),
        choices=[("facility", gettext_lazy("A whole facility")), ("point", gettext_lazy("One monitoring point"))],
        initial="facility",
    )
    facility = forms.ModelChoiceField(label=gettext_lazy("Facility"), queryset=Facility.objects.none(), required=False)
    point = forms.CharField(
        label=gettext_lazy("Point code"),
        max_length=64,
        required=False,
        help_text=gettext_lazy("As shown on the real-time monitoring board."),
    )
    starts_at = forms.DateTimeField(
        label=gettext_lazy("Starts at"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    ends_at = forms.DateTimeField(
        label=gettext_lazy("Ends at"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    reason = forms.ChoiceField(label=gettext_lazy("Reason"), choices=MaintenanceWindow.Reason.choices)
    note = forms.CharField(label=gettext_lazy("Note"), max_length=255, required=False)

    def __init__(self, *args, enterprise, **kwargs):
        super().__init__(*args, **kwargs)
        self.enterprise = enterprise
        self.fields["facility"].queryset = Facility.objects.active().filter(enterprise=enterprise).order_by("code")

    def clean(self):
        data = super().clean()
        if data.get("target") == "point":
            code = (data.get("point") or "").strip()
            point = MonitoringPoint.objects.active().filter(enterprise=self.enterprise, code=code).first()
            if point is None:
                self.add_error("point", _("No monitoring point of your enterprise has this code."))
            data["point"], data["facility"] = point, None
        else:
            if data.get("facility") is None:
                self.add_error("facility", _("Choose a facility."))
            data["point"] = None
        return data


class MaintenanceWindowListMixin(JurisdictionScopedMixin):
    model = MaintenanceWindow
    paginate_by = 50

    def get_queryset(self):
        queryset = (
            super()
            .get_queryset()
            .select_related("enterprise__organisation__region", "facility", "point", "created_by")
            .order_by("-starts_at", "-id")
        )
        now = timezone.now()
        show = self.request.GET.get("show", "current")
        if show == "current":
            queryset = queryset.filter(cancelled=False, ends_at__gt=now)
        elif show == "past":
            queryset = queryset.filter(Q(cancelled=True) | Q(ends_at__lte=now))
        return queryset

    def get_context_data(self, **kwargs):
        now = timezone.now()
        context = super().get_context_data(**kwargs)
        for window in context["object_list"]:
            window.in_force = not window.cancelled and window.starts_at <= now < window.ends_at
            window.upcoming = not window.cancelled and window.starts_at > now
        params = self.request.GET.copy()
        params.pop("page", None)
        context.update(show=self.request.GET.get("show", "current"), querystring=params.urlencode())
        return context


class EntMaintenanceWindowView(MonitoringPageMixin, OwnEnterpriseMixin, MaintenanceWindowListMixin, ListView):
    """The enterprise declares and cancels its maintenance and calibration windows."""

    template_name = "portal/mon_windows.html"
    end = "ent"

    def get_queryset(self):
        return super().get_queryset().filter(enterprise=self.enterprise)

    def can_change(self) -> bool:
        return self.request.user.has_perm("monitoring.add_maintenancewindow")

    def get_context_data(self, **kwargs):
        if "form" not in kwargs and self.can_change():
            now = timezone.localtime().replace(second=0, microsecond=0)
            kwargs["form"] = MaintenanceWindowForm(
                enterprise=self.enterprise,
                initial={
                    "starts_at": f"{now:%Y-%m-%dT%H:%M}",
                    "ends_at": f"{now + dt.timedelta(hours=4):%Y-%m-%dT%H:%M}",
                },
            )
        return super().get_context_data(end="ent", can_change=self.can_change(), **kwargs)

    def post(self, request, *args, **kwargs):
        self.object_list = self.get_queryset()
        action = "change" if "cancel" in request.POST else "add"
        if not request.user.has_perm(f"monitoring.{action}_maintenancewindow"):
            raise PermissionDenied
        if "cancel" in request.POST:
            window = (
                MaintenanceWindow.objects.for_user(request.user)
                .filter(enterprise=self.enterprise, pk=request.POST.get("cancel") or 0)
                .first()
            )
            if window is None:
                raise Http404
            try:
                monitoring_services.cancel_maintenance_window(request.user, window)
            except DomainError as exc:
                messages.error(request, exc.message)
            else:
                messages.success(request, _("Window cancelled."))
            return redirect("portal:ent-maintenance-windows")
        form = MaintenanceWindowForm(request.POST, enterprise=self.enterprise)
        if form.is_valid():
            data = form.cleaned_data
            try:
                monitoring_services.declare_maintenance_window(
                    request.user,
                    facility=data["facility"],
                    point=data["point"],
                    starts_at=data["starts_at"],
                    ends_at=data["ends_at"],
                    reason=data["reason"],
                    note=data["note"],
                )
            except DomainError as exc:
                apply_domain_error(form, exc)
            else:
                messages.success(request, _("Window declared."))
                return redirect("portal:ent-maintenance-windows")
        return self.render_to_response(self.get_context_data(form=form), status=400)


class GovMaintenanceWindowView(MonitoringPageMixin, GovernmentEndMixin, MaintenanceWindowListMixin, ListView):
    """Maintenance and calibration windows in the jurisdiction (read-only)."""

    template_name = "portal/mon_windows.html"

    def get_queryset(self):
        queryset = super().get_queryset()
        region = Region.objects.filter(code=self.request.GET.get("region", "").strip()).first()
        if region is not None:
            queryset = queryset.filter(enterprise__organisation__region__path__startswith=region.path)
        return queryset

    def get_context_data(self, **kwargs):
        return super().get_context_data(end="gov", **kwargs)


# ---------------------------------------------------------------- regulator statistics and data quality


def merged_rows(access: dict, alarms: dict) -> list[dict]:
    """Access rows with the alarm counts of the same group under ``alarms`` (a group only one of the
    two statistics lists keeps zeros in the other)."""
    by_key = {r["key"]: r for r in alarms["rows"]}
    zero_access = dict.fromkeys(statistics.ACCESS_METRICS, 0)
    zero_alarms = dict.fromkeys(statistics.ALARM_METRICS, 0)
    rows = [{**r, "alarms": by_key.pop(r["key"], zero_alarms)} for r in access["rows"]]
    rows += [{"key": r["key"], "name": r["name"], **zero_access, "alarms": r} for r in by_key.values()]
    return rows


class GovMonitoringStatisticsView(MonitoringPageMixin, GovernmentEndMixin, TemplateView):
    """Monitoring statistics (监测统计) of the jurisdiction, or of one region in it: access and online
    status now and alarms over a date range, by region and by industry, and the daily online rate."""

    template_name = "portal/mon_statistics.html"
    default_days = 7

    def dates(self) -> tuple[dt.date, dt.date]:
        today = statistics.beijing_today()
        try:
            until = dt.date.fromisoformat(self.request.GET.get("until", ""))
        except ValueError:
            until = today
        try:
            since = dt.date.fromisoformat(self.request.GET.get("since", ""))
        except ValueError:
            since = until - dt.timedelta(days=self.default_days - 1)
        return since, until

    def get_context_data(self, **kwargs):
        user = self.request.user
        since, until = self.dates()
        region = self.request.GET.get("region", "").strip() or None
        subject = self.request.GET.get("subject", "point")
        subject = subject if subject in statistics.SUBJECTS else "point"
        try:
            access = {by: statistics.access_summary(user, group_by=by, region=region) for by in statistics.GROUPS}
            alarms = {
                by: statistics.alarm_summary(
                    user,
                    since=statistics.beijing_midnight(since),
                    until=statistics.beijing_midnight(until + dt.timedelta(days=1)),
                    group_by=by,
                    region=region,
                )
                for by in statistics.GROUPS
            }
            online = statistics.online_rates(
                user, subject=subject, since=since, until=until, group_by="region", region=region
            )
        except DomainError as exc:
            messages.error(self.request, exc.message)
            return super().get_context_data(error=exc.message, since=since, until=until, subject=subject, **kwargs)
        drillable = set(
            Region.objects.filter(parent__code__in=[r["key"] for r in access["region"]["rows"] if r["key"]])
            .values_list("parent__code", flat=True)
            .distinct()
        )
        for row in access["region"]["rows"] + alarms["region"]["rows"] + online["rows"]:
            row["drill"] = row["key"] in drillable
        for row in [*online["rows"], online["total"]]:
            row["online_pct"] = percent(row["online_rate"])
            row["connection_pct"] = percent(row["connection_rate"])
        return super().get_context_data(
            tables=[(by, merged_rows(access[by], alarms[by])) for by in statistics.GROUPS],
            since=since,
            until=until,
            subject=subject,
            subjects=[
                ("point", _("Monitoring points")),
                ("gateway", _("Gateways")),
                ("enterprise", _("Enterprises")),
            ],
            access=access,
            alarms=alarms,
            online=online,
            chart_data={
                "access": {by: access[by]["rows"] for by in statistics.GROUPS},
                "alarms": {by: alarms[by]["rows"] for by in statistics.GROUPS},
                "online": {
                    "total": online["total"],
                    "rows": [{"name": r["name"], "days": r["days"]} for r in online["rows"]],
                },
                "labels": {
                    "points_connected": _("Points connected"),
                    "points_online": _("Points online"),
                    "points_alarming": _("Points alarming"),
                    "raised": _("Raised"),
                    "cleared": _("Cleared"),
                    "unhandled": _("Not handled"),
                    "total": _("Total"),
                    "online_rate": _("Online rate"),
                },
            },
            **kwargs,
        )


QUALITY_KINDS = {
    "frequent_alarms": gettext_lazy("Frequent alarms"),
    "out_of_range": gettext_lazy("Out of measuring range"),
    "stuck": gettext_lazy("Value not changing"),
    "missing": gettext_lazy("Missing data"),
    "long_uncleared": gettext_lazy("Alarms long uncleared"),
    "long_offline": gettext_lazy("Long offline"),
}
QUALITY_SUBJECTS = {
    "point": gettext_lazy("Monitoring point"),
    "gateway": gettext_lazy("Gateway"),
    "enterprise": gettext_lazy("Enterprise"),
    "alarm": gettext_lazy("Alarm"),
}


def figure_text(finding: dict) -> str:
    """A finding's figure with its measure, in words."""
    figure, measure = finding["figure"], finding["measure"]
    if measure == "ratio":
        return percent(figure)
    units = {
        "alarms": _("%(n)s alarms in 24 h"),
        "minutes": _("%(n)s minutes in 24 h"),
        "hours": _("%(n)s hours"),
        "days": _("%(n)s days"),
    }
    return units[measure] % {"n": f"{figure:g}"} if measure in units else f"{figure:g}"


class GovDataQualityView(MonitoringPageMixin, GovernmentEndMixin, JurisdictionScopedMixin, TemplateView):
    """Data quality (数据质量) of the monitoring data in the jurisdiction: counts per kind of finding,
    the findings of one kind (optionally of one enterprise) with links to the enterprise and the
    point's curve, the enterprises with most findings, and an Excel export."""

    model = MonitoringPoint
    template_name = "portal/mon_quality.html"
    paginate_by = 50

    def kind(self, summary: dict | None = None) -> str:
        """The kind asked for; by default the first kind with findings."""
        kind = self.request.GET.get("kind", "")
        if kind in quality.KINDS:
            return kind
        counts = summary["kinds"] if summary else {}
        return next((k for k in quality.KINDS if counts.get(k)), quality.KINDS[0])

    def enterprise_id(self) -> int | None:
        value = self.request.GET.get("enterprise", "")
        return int(value) if value.isdigit() else None

    def findings(self, kind: str) -> list[dict]:
        return quality.quality_findings(self.request.user, kind=kind, enterprise_id=self.enterprise_id())

    def get(self, request, *args, **kwargs):
        if request.GET.get("export") == "xlsx":
            return export_findings(self.findings(self.kind()))
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        from django.core.paginator import Paginator

        user = self.request.user
        summary = quality.quality_summary(user)
        kind = self.kind(summary)
        page = Paginator(self.findings(kind), self.paginate_by).get_page(self.request.GET.get("page"))
        for finding in page.object_list:
            finding["figure_text"] = figure_text(finding)
            finding["subject_label"] = QUALITY_SUBJECTS.get(finding["subject"], finding["subject"])
            finding["since_dt"] = dt.datetime.fromisoformat(finding["since"]) if finding["since"] else None
        enterprise_id = self.enterprise_id()
        chosen = next((e for e in summary["enterprises"] if e["enterprise_id"] == enterprise_id), None)
        params = self.request.GET.copy()
        params.pop("page", None)
        kind_params = params.copy()
        kind_params.pop("kind", None)
        thresholds = summary["thresholds"]
        return super().get_context_data(
            summary=summary,
            kinds=[(k, QUALITY_KINDS[k], summary["kinds"][k]) for k in quality.KINDS],
            kind=kind,
            kind_label=QUALITY_KINDS[kind],
            page_obj=page,
            findings=page.object_list,
            is_paginated=page.has_other_pages(),
            paginator=page.paginator,
            enterprises=[{**e, "cells": [e["counts"][k] for k in quality.KINDS]} for e in summary["enterprises"][:50]],
            chosen_enterprise=chosen,
            enterprise_id=enterprise_id,
            querystring=params.urlencode(),
            kind_querystring=kind_params.urlencode(),
            rules={
                "frequent_alarms": _("At least %(n)s threshold or state alarms in the last 24 hours.")
                % {"n": thresholds["frequent_alarms"]},
                "out_of_range": _("Readings outside the measuring range in the last 24 hours."),
                "stuck": _("An online analog value unchanged for %(n)s hours or more.")
                % {"n": f"{thresholds['stuck_hours']:g}"},
                "missing": _("More than %(pct)s of the expected readings missing in the last 24 hours.")
                % {"pct": percent(thresholds["missing_ratio"])},
                "long_uncleared": _("Alarms active for more than %(n)s hours.")
                % {"n": f"{thresholds['long_uncleared_hours']:g}"},
                "long_offline": _("Points, gateways or enterprises offline for more than %(n)s days.")
                % {"n": f"{thresholds['long_offline_days']:g}"},
            },
            **kwargs,
        )


def export_findings(findings: list[dict]):
    rows = (
        (
            str(QUALITY_KINDS.get(f["kind"], f["kind"])),
            f["enterprise_name"],
            f["region_name"],
            str(QUALITY_SUBJECTS.get(f["subject"], f["subject"])),
            f["point_code"] or "",
            f["point_name"] or f["subject_name"] or "",
            figure_text(f),
            local_text(dt.datetime.fromisoformat(f["since"])) if f["since"] else "",
        )
        for f in findings
    )
    headers = [
        _("Finding"),
        _("Enterprise name"),
        _("Region"),
        _("Subject"),
        _("Point code"),
        _("Name"),
        _("Figure"),
        _("Since"),
    ]
    return xlsx_response("data-quality", headers, rows)
