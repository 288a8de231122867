"""Portal pages of four-colour risk (四色风险) and early warnings (预警).

Regulators: the risk overview (风险总览: four-colour map, counts per level by region and industry, the
trend, the riskiest enterprises), the ranking (风险倒排), an enterprise's risk in detail (研判指数构成),
warning management (预警管理) with verification (核查/退回), warning statistics (预警统计) and risk model
management (模型管理: versions, drafts, publication). Enterprises: their own risk (我的风险) with the
warning loop (签收/处置反馈), the inherent-risk self-assessment (安全风险评估诊断分级) and the
management-indicator report (管理指标填报).

Thin views: reads go through ``apps.risk.statistics`` and the scoped querysets, writes through
``apps.risk.services``; a service's error is shown on the form field it names. Level colours are
configuration (``RiskLevel.hex``): pages get them as data and a generated style block, never from CSS.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.db.models import Count, F, OuterRef, Q, Subquery
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import DetailView, ListView, TemplateView

from apps.accounts.models import UserType
from apps.core.exceptions import DomainError, PermissionDeniedError
from apps.core.exports import xlsx_response
from apps.core.views import JurisdictionScopedMixin
from apps.enterprises.models import Enterprise, Industry
from apps.hazards.models import HazardSource
from apps.monitoring.statistics import beijing_midnight
from apps.regions.models import Region
from apps.risk import engine, guide, sources, statistics
from apps.risk.models import (
    EnterpriseRisk,
    IndicatorRecord,
    RiskModel,
    RiskModelVersion,
    StaticAssessment,
)
from apps.risk.models import Warning as RiskWarning
from apps.risk.services import catalogue, inputs
from apps.risk.services import warnings as warning_services

from .forms import apply_domain_error
from .registry_views import OwnEnterpriseMixin
from .views import GOVERNMENT_TYPES, GovernmentEndMixin
from .views_monitoring import js_text as monitoring_js_text
from .views_monitoring import live_region_code, local_text

S = RiskWarning.Status
HEX = re.compile(r"^#[0-9a-fA-F]{6}$")
NO_LEVEL_HEX = "#adb5bd"  # the colour of "not graded", not a risk level

EVENT_LABELS = {
    "raised": gettext_lazy("Raised"),
    "rose": gettext_lazy("Rose further"),
    "pushed": gettext_lazy("Pushed"),
    "reminded": gettext_lazy("Reminded"),
    "acknowledged": gettext_lazy("Acknowledged"),
    "fed_back": gettext_lazy("Fed back"),
    "returned": gettext_lazy("Sent back"),
    "verified": gettext_lazy("Verified"),
    "escalated": gettext_lazy("Escalated"),
    "recovered": gettext_lazy("Risk back down"),
    "closed": gettext_lazy("Closed"),
}
WARNING_TABS = {
    "pending": gettext_lazy("Awaiting feedback"),
    "overdue": gettext_lazy("Overdue"),
    "fed_back": gettext_lazy("Awaiting verification"),
    "all": gettext_lazy("All"),
}
PERIOD_LABELS = {"day": gettext_lazy("By day"), "week": gettext_lazy("By week"), "month": gettext_lazy("By month")}
WARNING_GROUPS = {
    "level": gettext_lazy("By level"),
    "region": gettext_lazy("By region"),
    "industry": gettext_lazy("By industry"),
}
SCORING_LABELS = {"linear": gettext_lazy("Linear"), "steps": gettext_lazy("Steps"), "map": gettext_lazy("Mapping")}


# ---------------------------------------------------------------- shared


def text_colour(hex_value: str) -> str:
    """Dark or light text, whichever reads on a background of ``hex_value``."""
    r, g, b = (int(hex_value[i : i + 2], 16) for i in (1, 3, 5))
    return "#212529" if 0.299 * r + 0.587 * g + 0.114 * b > 160 else "#ffffff"


def risk_levels() -> list[dict]:
    """The levels as configured (name, colour), with a readable text colour for badges."""
    rows = statistics.levels()
    for row in rows:
        if not HEX.match(row["hex"] or ""):
            row["hex"] = NO_LEVEL_HEX
        row["fg"] = text_colour(row["hex"])
    return rows


def risk_js_text() -> dict:
    """Strings the risk scripts show, in the request's language (``#risk-i18n``)."""
    return {
        "not_graded": _("Not graded"),
        "no_data": _("No data"),
        "score": _("Score"),
        "mean_score": _("Mean score"),
        "max_score": _("Highest score"),
        "contribution": _("Contribution"),
        "weight": _("Effective weight"),
        "enterprises": _("Enterprises"),
        "total": _("Total"),
        "back": _("Back"),
        "view_warning": _("View the warning"),
        "view_risk": _("Risk details"),
        "close": _("Close"),
        "raised": _("Raised"),
        "fed_back": _("Fed back"),
        "in_time": _("Fed back in time"),
        "closed": _("Closed"),
        "overdue": _("Overdue"),
        "feedback_rate": _("Feedback rate"),
        "threshold": _("Threshold"),
        "events": {
            "raised": _("New warning"),
            "acknowledged": _("Warning acknowledged"),
            "fed_back": _("Warning fed back"),
            "returned": _("Warning sent back"),
            "verified": _("Warning verified"),
            "closed": _("Warning closed"),
            "reminded": _("Warning reminder"),
            "escalated": _("Warning escalated"),
            "recovered": _("Risk back down"),
        },
        "statuses": {value: str(label) for value, label in S.choices},
    }


class RiskPageMixin:
    """Context every risk page shares: the levels and their colours, and the scripts' strings."""

    end = ""

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            risk_levels=risk_levels(),
            risk_i18n=risk_js_text(),
            mon_i18n=monitoring_js_text(),
            end=self.end,
            **kwargs,
        )


def percent(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}%"


def parse_date(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat((value or "").strip())
    except ValueError:
        return None


def beijing_day_range(queryset, field: str, since: dt.date | None, until: dt.date | None):
    if since:
        queryset = queryset.filter(**{f"{field}__gte": beijing_midnight(since)})
    if until:
        queryset = queryset.filter(**{f"{field}__lt": beijing_midnight(until + dt.timedelta(days=1))})
    return queryset


def querystring(request, *drop: str) -> str:
    params = request.GET.copy()
    for name in ("page", "export", *drop):
        params.pop(name, None)
    return params.urlencode()


def industries():
    return Industry.objects.order_by("sort_order", "code")


def region_of(request) -> Region | None:
    """The region picked in a filter (the querysets are scoped: a region outside the jurisdiction finds nothing)."""
    code = request.GET.get("region", "").strip()
    return Region.objects.filter(code=code).first() if code else None


# ---------------------------------------------------------------- regulator: overview (风险总览)


class GovRiskOverviewView(RiskPageMixin, GovernmentEndMixin, JurisdictionScopedMixin, TemplateView):
    """The four-colour map with the region choropleth, counts per level by region and industry, the
    trend by day/week/month and the ten riskiest enterprises, for the jurisdiction or a region of it."""

    model = EnterpriseRisk
    template_name = "portal/risk_overview.html"
    end = "gov"

    def get_context_data(self, **kwargs):
        user, get = self.request.user, self.request.GET
        region = get.get("region", "").strip() or None
        industry = get.get("industry", "").strip() or None
        period = get.get("period", "day")
        period = period if period in statistics.PERIODS else "day"
        filters = {k: v for k, v in (("region", region), ("industry", industry)) if v}
        context = {
            "industries": industries(),
            "period": period,
            "periods": [(p, PERIOD_LABELS[p], urlencode({**filters, "period": p})) for p in statistics.PERIODS],
            "points_url": reverse("portal:gov-risk-points") + ("?" + urlencode(filters) if filters else ""),
        }
        try:
            root = statistics.root_region(user, region)
            by_region = statistics.current_counts(user, dims=["region"], region=region, industry=industry)
            by_industry = statistics.current_counts(user, dims=["industry"], region=region, industry=industry)
            region_map = statistics.region_map(user, region=region, industry=industry)
            trend = statistics.trend(user, period=period, region=region, industry=industry)
        except DomainError as exc:
            messages.error(self.request, exc.message)
            return super().get_context_data(error=exc.message, **context, **kwargs)
        top = EnterpriseRisk.objects.for_user(user).graded().filter(enterprise__deleted=False)
        if root:
            top = top.in_region(root)
        if industry:
            top = top.filter(enterprise__industries__code=industry)
        top = list(top.ranked().select_related("enterprise__organisation__region")[:10])
        drillable = set(
            Region.objects.filter(parent__code__in=[f["properties"]["code"] for f in region_map["features"]])
            .values_list("parent__code", flat=True)
            .distinct()
        )
        totals = by_region["totals"]
        return super().get_context_data(
            root=root,
            totals=totals,
            graded=sum(totals.values()),
            level_cards=[{**lvl, "count": totals.get(str(lvl["code"]), 0)} for lvl in risk_levels()],
            top=top,
            chart_data={
                "by_region": [
                    {
                        "code": r["region"],
                        "name": r["region_name"],
                        "counts": r["counts"],
                        "drill": r["region"] in drillable,
                    }
                    for r in by_region["rows"]
                ],
                "by_industry": [{"name": r["industry_name"], "counts": r["counts"]} for r in by_industry["rows"]],
                "trend": trend["series"],
                "filters": filters,
                "drillable": sorted(drillable),
            },
            region_map=region_map,
            **context,
            **kwargs,
        )


class GovRiskPointsView(GovernmentEndMixin, JurisdictionScopedMixin, View):
    """The map's enterprise points (GeoJSON from ``statistics.enterprise_features``), riskiest first."""

    model = EnterpriseRisk

    def get(self, request):
        try:
            collection = statistics.enterprise_features(
                request.user,
                region=request.GET.get("region", "").strip() or None,
                industry=request.GET.get("industry", "").strip() or None,
            )
        except DomainError as exc:
            return JsonResponse(exc.as_dict(), status=exc.status_code)
        return JsonResponse(collection)


# ---------------------------------------------------------------- regulator: ranking (风险倒排)


RANKING_LEVELS = ("1", "2", "3", "4", "none")


class GovRiskRankingView(RiskPageMixin, GovernmentEndMixin, JurisdictionScopedMixin, ListView):
    """Enterprises of the jurisdiction by current risk, riskiest first; filters and an Excel export."""

    model = EnterpriseRisk
    paginate_by = 50
    template_name = "portal/risk_ranking.html"
    end = "gov"

    def get_queryset(self):
        get = self.request.GET
        queryset = super().get_queryset().filter(enterprise__deleted=False)
        region = region_of(self.request)
        if region is not None:
            queryset = queryset.in_region(region)
        if get.get("industry"):
            queryset = queryset.filter(enterprise__industries__code=get["industry"])
        level = get.get("level", "")
        if level == "none":
            queryset = queryset.filter(level__isnull=True)
        elif level in RANKING_LEVELS:
            queryset = queryset.filter(level=int(level))
        q = get.get("q", "").strip()
        if q:
            queryset = queryset.filter(
                Q(enterprise__organisation__name__icontains=q) | Q(enterprise__organisation__uscc__icontains=q)
            )
        open_warning = RiskWarning.objects.open().filter(enterprise=OuterRef("enterprise"))
        return (
            queryset.ranked()
            .select_related("enterprise__organisation__region")
            .prefetch_related("enterprise__industries")
            .annotate(
                coverage=F("assessment__coverage"),
                rule=F("assessment__rule"),
                open_warning_id=Subquery(open_warning.values("pk")[:1]),
                open_warning_status=Subquery(open_warning.values("status")[:1]),
            )
        )

    def get(self, request, *args, **kwargs):
        if request.GET.get("export") == "xlsx":
            return export_ranking(self.get_queryset())
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        offset = context["page_obj"].start_index() if context.get("page_obj") else 1
        for n, row in enumerate(context["object_list"]):
            row.rank = offset + n
        return {
            **context,
            "industries": industries(),
            "querystring": querystring(self.request),
            "status_labels": dict(S.choices),
        }


def export_ranking(queryset):
    names = {lvl["code"]: lvl["name"] for lvl in statistics.levels()}
    statuses = dict(S.choices)
    rows = (
        (
            rank,
            r.enterprise.organisation.name,
            r.enterprise.organisation.uscc,
            r.enterprise.organisation.region.name,
            "、".join(i.name for i in r.enterprise.industries.all()),
            names.get(r.level, _("Not graded")) if r.level else _("Not graded"),
            round(r.score, 2) if r.score is not None else None,
            round(r.coverage * 100, 1) if r.coverage is not None else None,
            local_text(r.level_since),
            local_text(r.assessed_at),
            str(statuses.get(r.open_warning_status, "")) if r.open_warning_status else "",
        )
        for rank, r in enumerate(queryset.iterator(chunk_size=1000), start=1)
    )
    headers = [
        _("Rank"),
        _("Enterprise name"),
        _("Unified social credit code"),
        _("Region"),
        _("Industry"),
        _("Risk level"),
        _("Risk score"),
        _("Data coverage (%)"),
        _("Level since"),
        _("Assessed at"),
        _("Open warning"),
    ]
    return xlsx_response("risk-ranking", headers, rows)


# ---------------------------------------------------------------- an enterprise's risk (研判指数构成)


def breakdown_rows(breakdown: list[dict]) -> list[dict]:
    """The assessment's breakdown for display: each row with its first-level indicator (for drill-down),
    its source's name and unit, and "no data" kept apart from a zero score."""
    tops: dict[str, str] = {}
    rows = []
    for row in breakdown:
        code = row["code"]
        tops[code] = code if not row.get("parent") else tops.get(row["parent"], row["parent"])
        source = sources.get_source(row["source"]) if row.get("source") else None
        rows.append(
            {
                **row,
                "top": tops[code],
                "is_group": not row.get("source"),
                "no_data": row.get("score") is None,
                "source_name": str(source.name) if source else (row.get("source") or ""),
                "unit": str(source.unit) if source else "",
                "effective_pct": (row.get("effective_weight") or 0) * 100,
            }
        )
    parents = {r["parent"] for r in rows if r.get("parent")}
    for row in rows:
        row["has_children"] = row["code"] in parents
    return rows


def static_summary(assessment: StaticAssessment | None) -> dict | None:
    """An inherent-risk assessment in words: category points and one-vote-red conditions by name."""
    if assessment is None:
        return None
    table = guide.table()
    categories = {c["code"]: c["name"] for c in table["categories"]}
    vetoes = {v["code"]: v["name"] for v in table["vetoes"]}
    items = guide.items_by_code()
    return {
        "object": assessment,
        "categories": [(categories.get(code, code), points) for code, points in assessment.categories.items()],
        "vetoes": [vetoes.get(code, code) for code in assessment.vetoes],
        "items": [
            (items[code][1]["name"] if code in items else code, count) for code, count in assessment.items.items()
        ],
    }


def label_warnings(warnings, now=None) -> list:
    now = now or timezone.now()
    warnings = list(warnings)
    for warning in warnings:
        warning.overdue = (
            warning.status in RiskWarning.AWAITING_FEEDBACK
            and warning.feedback_due_at is not None
            and warning.feedback_due_at < now
        )
    return warnings


# What the composition chart needs of each breakdown row.
CHART_KEYS = ("code", "name", "parent", "score", "contribution", "effective_weight", "has_children")


def enterprise_risk_context(user, enterprise) -> dict:
    """Everything the enterprise risk page shows, read through the user's scope."""
    risk = (
        EnterpriseRisk.objects.for_user(user)
        .filter(enterprise=enterprise)
        .select_related("assessment__version__model")
        .first()
    )
    assessment = risk.assessment if risk else None
    definition = assessment.version.definition if assessment else None
    rows = breakdown_rows(assessment.breakdown) if assessment else []
    rule_name = ""
    if assessment and assessment.rule:
        rule_name = next(
            (
                r.get("name") or r["code"]
                for r in (definition or {}).get("rules") or ()
                if r.get("code") == assessment.rule
            ),
            assessment.rule,
        )
    trend = statistics.trend(user, period="day", enterprise_id=enterprise.pk)
    warnings = label_warnings(
        RiskWarning.objects.for_user(user).filter(enterprise=enterprise).order_by("-raised_at", "-id")[:20]
    )
    static = StaticAssessment.objects.for_user(user).filter(enterprise=enterprise).first()
    return {
        "risk": risk,
        "assessment": assessment,
        "breakdown": rows,
        "rule_name": rule_name,
        "suggestions": engine.suggestions(assessment.breakdown) if assessment else [],
        "thresholds": (definition or {}).get("thresholds"),
        "warnings": warnings,
        "static": static_summary(static),
        "risk_data": {
            "breakdown": [{k: r.get(k) for k in CHART_KEYS} for r in rows],
            "score": risk.score if risk else None,
            "level": risk.level if risk else None,
            "thresholds": (definition or {}).get("thresholds"),
            "trend": trend["series"],
        },
    }


class GovEnterpriseRiskView(RiskPageMixin, GovernmentEndMixin, JurisdictionScopedMixin, TemplateView):
    """One enterprise's risk as a regulator sees it: level, composition, trend, warnings, inherent risk."""

    model = EnterpriseRisk
    template_name = "portal/risk_enterprise.html"
    end = "gov"

    def get_context_data(self, **kwargs):
        user = self.request.user
        enterprise = get_object_or_404(Enterprise.objects.for_user(user).with_organisation(), pk=self.kwargs["pk"])
        return super().get_context_data(enterprise=enterprise, **enterprise_risk_context(user, enterprise), **kwargs)


# ---------------------------------------------------------------- the warning loop: forms and actions


class WarningFeedbackForm(forms.Form):
    """Disposal feedback (处置反馈). Required-ness is the service's: its error lands on the field."""

    measures = forms.CharField(label=gettext_lazy("Disposal measures"), widget=forms.Textarea, required=False)
    cause = forms.CharField(label=gettext_lazy("Cause"), max_length=500, required=False)
    result = forms.CharField(label=gettext_lazy("Result"), max_length=500, required=False)


class WarningVerifyForm(forms.Form):
    """Verification (核查) or sending back (退回): a comment, required by the service for a send-back."""

    comment = forms.CharField(
        label=gettext_lazy("Comment"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


ENTERPRISE_ACTIONS = ("acknowledge", "feedback")
REGULATOR_ACTIONS = ("verify", "send_back")


class WarningActionsMixin:
    """POSTed actions on one warning: the enterprise acknowledges (签收) and feeds back (处置反馈), a
    regulator verifies (核查) or sends back (退回) — each one service call."""

    actions: tuple[str, ...] = ()

    def warning_url(self, warning) -> str:
        raise NotImplementedError

    def render_invalid(self, forms_in_error: dict):
        raise NotImplementedError

    def act(self, request, warning):
        action = request.POST.get("action", "")
        if action not in self.actions:
            raise PermissionDenied
        perm = "risk.dispose_warning" if action in ENTERPRISE_ACTIONS else "risk.verify_warning"
        if not request.user.has_perm(perm):
            raise PermissionDenied
        form = None
        try:
            if action == "acknowledge":
                warning_services.acknowledge(warning, actor=request.user)
                done = _("Warning acknowledged.")
            elif action == "feedback":
                form = WarningFeedbackForm(request.POST)
                if not form.is_valid():
                    return self.render_invalid({"feedback_form": form})
                warning_services.feed_back(warning, actor=request.user, **form.cleaned_data)
                done = _("Feedback submitted; the regulator will verify it.")
            else:
                form = WarningVerifyForm(request.POST)
                if not form.is_valid():
                    return self.render_invalid({"verify_form": form})
                if action == "verify":
                    warning_services.verify(warning, comment=form.cleaned_data["comment"], actor=request.user)
                    done = _("Warning verified.")
                else:
                    warning_services.send_back(warning, comment=form.cleaned_data["comment"], actor=request.user)
                    done = _("Feedback sent back to the enterprise.")
        except PermissionDeniedError as exc:
            raise PermissionDenied(exc.message) from exc
        except DomainError as exc:
            # An error about a field of the form is shown on it; any other (a warning no longer in the
            # state the action needs, say) is a message above the page as it now is.
            if form is None or not set(exc.as_dict()) & set(form.fields):
                messages.error(request, exc.message)
                return redirect(self.warning_url(warning))
            apply_domain_error(form, exc)
            key = "feedback_form" if action == "feedback" else "verify_form"
            return self.render_invalid({key: form})
        messages.success(request, done)
        return redirect(self.warning_url(warning))


def warning_forms(user, warning, end: str, given: dict) -> dict:
    """The forms a user may use on ``warning`` now (those given keep their input and errors)."""
    context = {"can_acknowledge": False, "can_feed_back": False, "can_verify": False}
    if warning is None:
        return context
    if end == "ent" and user.has_perm("risk.dispose_warning"):
        context["can_acknowledge"] = warning.status == S.PENDING
        context["can_feed_back"] = warning.status in RiskWarning.AWAITING_FEEDBACK
        if context["can_feed_back"]:
            context["feedback_form"] = given.get("feedback_form") or WarningFeedbackForm()
    if end == "gov" and user.has_perm("risk.verify_warning") and warning.status == S.FED_BACK:
        context["can_verify"] = True
        context["verify_form"] = given.get("verify_form") or WarningVerifyForm()
    return context


# ---------------------------------------------------------------- regulator: warnings (预警管理)


class WarningFilterForm(forms.Form):
    level = forms.TypedChoiceField(
        required=False, coerce=int, empty_value=None, choices=[("", "")] + [(str(n), str(n)) for n in (1, 2, 3, 4)]
    )
    region = forms.CharField(required=False)
    industry = forms.CharField(required=False)
    q = forms.CharField(required=False)
    date_from = forms.DateField(required=False, label=gettext_lazy("Raised from"))
    date_to = forms.DateField(required=False, label=gettext_lazy("Raised until"))


class GovWarningListView(RiskPageMixin, GovernmentEndMixin, JurisdictionScopedMixin, ListView):
    """Warnings of the jurisdiction by tab (awaiting feedback, overdue, awaiting verification, all), with
    filters; new warnings and their progress arrive live on the region topic."""

    model = RiskWarning
    paginate_by = 50
    template_name = "portal/risk_warnings.html"
    end = "gov"

    def tab(self) -> str:
        tab = self.request.GET.get("tab", "pending")
        return tab if tab in WARNING_TABS else "pending"

    def filtered(self):
        queryset = super().get_queryset()
        self.filters = WarningFilterForm(self.request.GET)
        if not self.filters.is_valid():
            return queryset
        data = self.filters.cleaned_data
        if data["level"]:
            queryset = queryset.filter(level=data["level"])
        region = region_of(self.request)
        if region is not None:
            queryset = queryset.in_region(region)
        if data["industry"]:
            queryset = queryset.filter(enterprise__industries__code=data["industry"])
        if data["q"].strip():
            queryset = queryset.filter(enterprise__organisation__name__icontains=data["q"].strip())
        return beijing_day_range(queryset, "raised_at", data["date_from"], data["date_to"])

    def get_queryset(self):
        self.now = timezone.now()
        self.base = self.filtered()
        queryset = self.base
        tab = self.tab()
        if tab == "pending":
            queryset = queryset.filter(status__in=RiskWarning.AWAITING_FEEDBACK)
        elif tab == "overdue":
            queryset = queryset.overdue(self.now)
        elif tab == "fed_back":
            queryset = queryset.filter(status=S.FED_BACK)
        return queryset.select_related("enterprise__organisation__region", "escalated_to").order_by("-raised_at", "-id")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        awaiting = Q(status__in=RiskWarning.AWAITING_FEEDBACK)
        counts = self.base.order_by().aggregate(
            pending=Count("pk", filter=awaiting),
            overdue=Count("pk", filter=awaiting & Q(feedback_due_at__lt=self.now)),
            fed_back=Count("pk", filter=Q(status=S.FED_BACK)),
            all=Count("pk"),
        )
        return {
            **context,
            "warnings": label_warnings(context["object_list"], self.now),
            "tab": self.tab(),
            "tabs": [(code, label, counts[code]) for code, label in WARNING_TABS.items()],
            "filters": self.filters,
            "industries": industries(),
            "querystring": querystring(self.request),
            "tab_querystring": querystring(self.request, "tab"),
            "live_topic": "region",
            "live_key": live_region_code(self.request.user),
        }


class WarningDetailMixin(RiskPageMixin, WarningActionsMixin, JurisdictionScopedMixin):
    model = RiskWarning
    context_object_name = "warning"
    template_name = "portal/risk_warning.html"

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .select_related(
                "enterprise__organisation__region", "acknowledged_by", "feedback_by", "verified_by", "escalated_to"
            )
        )

    def get_context_data(self, **kwargs):
        warning = self.object
        label_warnings([warning])
        events = list(warning.events.select_related("actor"))
        for event in events:
            event.label = EVENT_LABELS.get(event.event, event.event)
        given = {k: kwargs.pop(k) for k in ("feedback_form", "verify_form") if k in kwargs}
        return super().get_context_data(
            events=events, **warning_forms(self.request.user, warning, self.end, given), **kwargs
        )

    def post(self, request, *args, **kwargs):
        self.object = self.get_object()
        return self.act(request, self.object)

    def render_invalid(self, forms_in_error):
        return self.render_to_response(self.get_context_data(**forms_in_error), status=400)


class GovWarningDetailView(WarningDetailMixin, GovernmentEndMixin, DetailView):
    """One warning: drivers, deadlines, feedback and history; verify or send back (risk.verify_warning)."""

    end = "gov"
    actions = REGULATOR_ACTIONS

    def warning_url(self, warning):
        return reverse("portal:gov-warning", args=[warning.pk])


class EntWarningDetailView(WarningDetailMixin, OwnEnterpriseMixin, DetailView):
    """One of the enterprise's warnings, with the acknowledge button and the feedback form."""

    end = "ent"
    actions = ENTERPRISE_ACTIONS

    def get_queryset(self):
        return super().get_queryset().filter(enterprise=self.enterprise)

    def warning_url(self, warning):
        return reverse("portal:ent-warning", args=[warning.pk])


class WarningRedirectView(LoginRequiredMixin, View):
    """``/warnings/<id>/`` (the link notifications carry): the warning's page on the user's side."""

    def get(self, request, pk):
        if request.user.user_type in GOVERNMENT_TYPES:
            return redirect("portal:gov-warning", pk=pk)
        if request.user.user_type == UserType.ENTERPRISE:
            return redirect("portal:ent-warning", pk=pk)
        raise Http404


# ---------------------------------------------------------------- regulator: warning statistics (预警统计)


class GovWarningStatisticsView(RiskPageMixin, GovernmentEndMixin, JurisdictionScopedMixin, TemplateView):
    """Warnings raised in a date range and how they were handled, by level, region or industry."""

    model = RiskWarning
    template_name = "portal/risk_warning_stats.html"
    end = "gov"

    def params(self) -> dict:
        get = self.request.GET
        group_by = get.get("group_by", "level")
        return {
            "since": parse_date(get.get("since")),
            "until": parse_date(get.get("until")),
            "group_by": group_by if group_by in WARNING_GROUPS else "level",
            "region": get.get("region", "").strip() or None,
        }

    def get(self, request, *args, **kwargs):
        if request.GET.get("export") == "xlsx":
            try:
                stats = statistics.warning_stats(request.user, **self.params())
            except DomainError as exc:
                messages.error(request, exc.message)
                return redirect(f"{request.path}?{querystring(request)}")
            return export_warning_stats(stats)
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        params = self.params()
        context = {
            "group_by": params["group_by"],
            "since": self.request.GET.get("since", ""),
            "until": self.request.GET.get("until", ""),
            "groups": list(WARNING_GROUPS.items()),
            "querystring": querystring(self.request),
        }
        try:
            stats = statistics.warning_stats(self.request.user, **params)
        except DomainError as exc:
            messages.error(self.request, exc.message)
            return super().get_context_data(error=exc.message, **context, **kwargs)
        for row in [*stats["rows"]]:
            row["feedback_pct"] = percent(row["feedback_rate"])
            row["in_time_pct"] = percent(row["in_time_rate"])
        totals = stats["totals"]
        totals["feedback_pct"] = percent(stats["feedback_rate"])
        totals["in_time_pct"] = percent(totals["fed_back_in_time"] / totals["raised"] if totals["raised"] else None)
        context.update(since=stats["since"], until=stats["until"])
        return super().get_context_data(
            stats=stats,
            chart_data={"group_by": params["group_by"], "rows": stats["rows"]},
            **context,
            **kwargs,
        )


def export_warning_stats(stats: dict):
    rows = (
        (
            r["name"],
            r["raised"],
            r["acknowledged"],
            r["fed_back"],
            r["fed_back_in_time"],
            r["closed"],
            r["overdue"],
            r["escalated"],
            percent(r["feedback_rate"]),
            percent(r["in_time_rate"]),
            r["mean_feedback_hours"],
        )
        for r in stats["rows"]
    )
    headers = [
        str(WARNING_GROUPS[stats["group_by"]]),
        _("Raised"),
        _("Acknowledged"),
        _("Fed back"),
        _("Fed back in time"),
        _("Closed"),
        _("Overdue"),
        _("Escalated"),
        _("Feedback rate"),
        _("In-time rate"),
        _("Mean hours to feed back"),
    ]
    return xlsx_response(f"warning-statistics-{stats['since']}-{stats['until']}", headers, rows)


# ---------------------------------------------------------------- regulator: risk models (模型管理)


class RiskModelAccessMixin(GovernmentEndMixin):
    """Risk models are read by whoever may view them and changed by whoever may edit them."""

    def dispatch(self, request, *args, **kwargs):
        user = request.user
        if (
            user.is_authenticated
            and self.test_func()
            and not (user.has_perm("risk.view_riskmodel") or user.has_perm("risk.edit_riskmodel"))
        ):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def can_edit(self) -> bool:
        return self.request.user.has_perm("risk.edit_riskmodel")


def scoring_text(scoring: dict | None) -> str:
    """A leaf's scoring rule in words (the raw value → indicator score 0–100)."""
    if not scoring:
        return ""
    kind = scoring.get("type")
    label = str(SCORING_LABELS.get(kind, kind))
    if kind == "linear":
        return f"{label}: {scoring.get('zero'):g} → 0, {scoring.get('full'):g} → 100"
    if kind == "steps":
        return f"{label}: " + "; ".join(f"≥{v:g} → {s:g}" for v, s in scoring.get("steps") or ())
    if kind == "map":
        text = f"{label}: " + "; ".join(f"{k} → {v:g}" for k, v in (scoring.get("map") or {}).items())
        if "default" in scoring:
            text += "; " + _("otherwise %(score)s") % {"score": f"{scoring['default']:g}"}
        return text
    return label


def definition_rows(definition: dict) -> list[dict]:
    """The indicator tree (``statistics.indicator_tree``) flattened depth-first for a table and the draft
    form: each node's share among its siblings and nominal share of the whole, its scoring in words,
    its path in the definition (to place the service's errors) and its weight's field (``w_<index path>``)."""
    rows: list[dict] = []

    def walk(nodes, depth, path, factor):
        total = sum(n["weight"] for n in nodes if isinstance(n["weight"], int | float))
        for i, node in enumerate(nodes):
            here = [*path, i]
            weight = node["weight"] if isinstance(node["weight"], int | float) else 0
            share = weight / total if total else 0
            rows.append(
                {
                    **{k: v for k, v in node.items() if k != "children"},
                    "depth": depth,
                    "share_pct": share * 100,
                    "nominal_pct": share * factor * 100,
                    "is_group": bool(node["children"]),
                    "source_provided": bool(node["has_provider"]),
                    "scoring": scoring_text(node["scoring"]),
                    "field": "w_" + "_".join(map(str, here)),
                    "path": f"indicators[{here[0]}]" + "".join(f".children[{n}]" for n in here[1:]),
                    "index": here,
                }
            )
            walk(node["children"], depth + 1, here, share * factor)

    walk(statistics.indicator_tree(definition), 0, [], 1.0)
    return rows


class RiskModelListView(RiskPageMixin, RiskModelAccessMixin, ListView):
    """Every risk model (one per industry, and specialised ones) with its version in force."""

    model = RiskModel
    template_name = "portal/risk_models.html"
    end = "gov"

    def get_queryset(self):
        return (
            RiskModel.objects.select_related("industry", "current_version")
            .annotate(
                version_count=Count("versions"),
                draft_count=Count("versions", filter=Q(versions__status=RiskModelVersion.Status.DRAFT)),
            )
            .order_by("industry__sort_order", "code")
        )

    def get_context_data(self, **kwargs):
        return super().get_context_data(can_edit=self.can_edit(), **kwargs)


class RiskModelDetailView(RiskPageMixin, RiskModelAccessMixin, DetailView):
    """A model's indicator tree (weights, sources, scoring), thresholds, rules and version history;
    drafts are published from here (risk.edit_riskmodel)."""

    model = RiskModel
    context_object_name = "risk_model"
    template_name = "portal/risk_model.html"
    end = "gov"

    def get_queryset(self):
        return RiskModel.objects.select_related("industry", "current_version")

    def get_context_data(self, **kwargs):
        model = self.object
        versions = list(model.versions.select_related("created_by", "published_by").order_by("-number"))
        chosen = self.request.GET.get("version", "")
        version = next((v for v in versions if str(v.number) == chosen), None) or model.current_version
        if version is None and versions:
            version = versions[0]
        definition = version.definition if version else {}
        thresholds = definition.get("thresholds") or {}
        rows = definition_rows(definition)
        codes = {row["code"]: row["name"] for row in rows}
        return super().get_context_data(
            version=version,
            versions=versions,
            rows=rows,
            thresholds=[(int(k), thresholds[k]) for k in ("1", "2", "3") if k in thresholds],
            rules=[
                {**rule, "indicator_name": codes.get(rule.get("indicator"), "")}
                for rule in definition.get("rules") or ()
            ],
            can_edit=self.can_edit(),
            **kwargs,
        )

    def post(self, request, *args, **kwargs):
        self.object = model = self.get_object()
        if not self.can_edit():
            raise PermissionDenied
        chosen = request.POST.get("publish", "")
        version = get_object_or_404(RiskModelVersion, model=model, pk=int(chosen) if chosen.isdigit() else 0)
        try:
            version = catalogue.publish(version, actor=request.user)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request,
                _("Version %(number)s published; the model's enterprises are being regraded.")
                % {"number": version.number},
            )
        return redirect("portal:gov-risk-model", pk=model.pk)


class RiskModelDraftForm(forms.Form):
    """A new draft (草稿) of a model: one weight per node of the tree and the three level thresholds."""

    t1 = forms.FloatField(label=gettext_lazy("Level 1 from score"))
    t2 = forms.FloatField(label=gettext_lazy("Level 2 from score"))
    t3 = forms.FloatField(label=gettext_lazy("Level 3 from score"))
    note = forms.CharField(label=gettext_lazy("Change note"), max_length=255, required=False)

    def __init__(self, *args, rows: list[dict], definition: dict, level_names: dict | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.rows, self.base = rows, definition
        thresholds = definition.get("thresholds") or {}
        for n in ("1", "2", "3"):
            self.fields[f"t{n}"].initial = thresholds.get(n)
            if level_names and int(n) in level_names:
                self.fields[f"t{n}"].label = _("%(level)s from score") % {"level": level_names[int(n)]}
        for row in rows:
            self.fields[row["field"]] = forms.FloatField(label=row["name"], initial=row["weight"])

    def definition(self) -> dict:
        """The base definition with the weights and thresholds entered (integers kept as integers)."""

        def number(value):
            return int(value) if float(value).is_integer() else value

        definition = copy.deepcopy(self.base)
        definition["thresholds"] = {n: number(self.cleaned_data[f"t{n}"]) for n in ("1", "2", "3")}
        for row in self.rows:
            nodes, node = definition["indicators"], None
            for i in row["index"]:
                node = nodes[i]
                nodes = node.get("children") or []
            node["weight"] = number(self.cleaned_data[row["field"]])
        return definition

    def show_errors(self, exc: DomainError) -> None:
        """The service's errors (paths in the definition) on the inputs they concern."""
        if not exc.errors:
            apply_domain_error(self, exc)
            return
        fields = {f"{row['path']}.weight": row["field"] for row in self.rows}
        fields.update({f"thresholds.{n}": f"t{n}" for n in ("1", "2", "3")})
        for key, problems in exc.errors.items():
            path = key.removeprefix("definition.")
            field = fields.get(path)
            for problem in problems:
                self.add_error(field, problem if field else f"{path}: {problem}")


class RiskModelDraftView(RiskPageMixin, RiskModelAccessMixin, DetailView):
    """Edit weights and thresholds into a new draft version (services.catalogue.create_draft)."""

    model = RiskModel
    context_object_name = "risk_model"
    template_name = "portal/risk_model_form.html"
    end = "gov"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and self.test_func() and not self.can_edit():
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def base_version(self):
        model = self.object
        chosen = self.request.GET.get("from", "") or self.request.POST.get("from", "")
        version = model.versions.filter(number=chosen).first() if chosen.isdigit() else None
        version = version or model.current_version
        if version is None:
            raise Http404(_("The model has no version to start from."))
        return version

    def form(self, data=None):
        version = self.base_version()
        rows = definition_rows(version.definition)
        names = {lvl["code"]: lvl["name"] for lvl in statistics.levels()}
        return RiskModelDraftForm(data, rows=rows, definition=version.definition, level_names=names), version, rows

    def get_context_data(self, **kwargs):
        form, version, rows = kwargs.pop("form_bundle", None) or self.form()
        for row in rows:
            row["bound"] = form[row["field"]]
        return super().get_context_data(form=form, version=version, rows=rows, **kwargs)

    def post(self, request, *args, **kwargs):
        self.object = model = self.get_object()
        bundle = self.form(request.POST)
        form = bundle[0]
        if form.is_valid():
            try:
                draft = catalogue.create_draft(
                    model, form.definition(), actor=request.user, note=form.cleaned_data["note"]
                )
            except DomainError as exc:
                form.show_errors(exc)
            else:
                messages.success(request, _("Draft version %(number)s created.") % {"number": draft.number})
                return redirect(f"{reverse('portal:gov-risk-model', args=[model.pk])}?version={draft.number}")
        return self.render_to_response(self.get_context_data(form_bundle=bundle), status=400)


# ---------------------------------------------------------------- enterprise: my risk (我的风险)


class EntRiskView(RiskPageMixin, WarningActionsMixin, OwnEnterpriseMixin, JurisdictionScopedMixin, TemplateView):
    """The enterprise's current level, composition and trend; the open warning with the acknowledge
    button and the feedback form; its warning history. Live on the enterprise topic."""

    model = EnterpriseRisk
    template_name = "portal/risk_enterprise.html"
    end = "ent"
    actions = ENTERPRISE_ACTIONS

    def get_context_data(self, **kwargs):
        user = self.request.user
        context = enterprise_risk_context(user, self.enterprise)
        open_warning = next((w for w in context["warnings"] if w.status != S.CLOSED), None)
        given = {k: kwargs.pop(k) for k in ("feedback_form",) if k in kwargs}
        return super().get_context_data(
            open_warning=open_warning,
            live_topic="enterprise",
            live_key=self.enterprise.pk,
            **warning_forms(user, open_warning, "ent", given),
            **context,
            **kwargs,
        )

    def post(self, request, *args, **kwargs):
        pk = request.POST.get("warning", "")
        warning = (
            RiskWarning.objects.for_user(request.user)
            .filter(enterprise=self.enterprise, pk=int(pk) if pk.isdigit() else 0)
            .first()
        )
        if warning is None:
            raise Http404
        return self.act(request, warning)

    def warning_url(self, warning):
        return reverse("portal:ent-risk")

    def render_invalid(self, forms_in_error):
        return self.render_to_response(self.get_context_data(**forms_in_error), status=400)


# ---------------------------------------------------------------- enterprise: self-assessment (评估诊断分级)


class StaticAssessmentForm(forms.Form):
    """The deduction table as a form: a count per item (the major-hazard-source category is not asked:
    it comes from the registered hazard sources), the one-vote-red conditions, date and note."""

    vetoes = forms.MultipleChoiceField(
        label=gettext_lazy("One-vote-red conditions"), required=False, widget=forms.CheckboxSelectMultiple
    )
    assessed_on = forms.DateField(label=gettext_lazy("Assessed on"), required=False)
    note = forms.CharField(label=gettext_lazy("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        table = guide.table()
        self.fields["vetoes"].choices = [(v["code"], v["name"]) for v in table["vetoes"]]
        self.categories = []
        for category in table["categories"]:
            auto = bool(category.get("auto"))
            items = []
            for item in category["items"]:
                name = f"item_{item['code']}"
                if not auto:
                    self.fields[name] = forms.FloatField(label=item["name"], required=False)
                items.append({**item, "field": name})
            self.categories.append({**category, "auto": auto, "items": items})

    def items(self) -> dict:
        """Item code → count, for the counts entered (blank is none)."""
        found = {}
        for category in self.categories:
            for item in category["items"]:
                value = self.cleaned_data.get(item["field"]) if not category["auto"] else None
                if value is not None:
                    found[item["code"]] = int(value) if float(value).is_integer() else value
        return found

    def bind_rows(self):
        for category in self.categories:
            for item in category["items"]:
                item["bound"] = None if category["auto"] else self[item["field"]]
        return self.categories


class EntStaticAssessmentView(RiskPageMixin, OwnEnterpriseMixin, JurisdictionScopedMixin, TemplateView):
    """The inherent-risk self-assessment: the form, the latest result and past assessments."""

    model = StaticAssessment
    template_name = "portal/risk_assessment.html"
    end = "ent"

    def can_add(self) -> bool:
        return self.request.user.has_perm("risk.add_staticassessment")

    def get_context_data(self, **kwargs):
        user = self.request.user
        past = list(
            StaticAssessment.objects.for_user(user)
            .filter(enterprise=self.enterprise)
            .select_related("recorded_by")[:20]
        )
        latest = past[0] if past else None
        form = kwargs.pop("form", None)
        if form is None and self.can_add():
            initial = {"vetoes": latest.vetoes} if latest else {}
            if latest:
                initial.update({f"item_{code}": count for code, count in latest.items.items()})
            form = StaticAssessmentForm(initial=initial)
        highest = (
            HazardSource.objects.for_user(user)
            .major()
            .filter(enterprise=self.enterprise, level__isnull=False)
            .order_by("level")
            .values_list("level", flat=True)
            .first()
        )
        return super().get_context_data(
            form=form,
            categories=form.bind_rows() if form else [],
            can_add=self.can_add(),
            hazard_items=guide.hazard_items(highest),
            hazard_level=highest,
            latest=static_summary(latest),
            past=past,
            guide_levels=guide.table()["levels"],
            guide_title=guide.table().get("title", ""),
            **kwargs,
        )

    def post(self, request, *args, **kwargs):
        if not self.can_add():
            raise PermissionDenied
        form = StaticAssessmentForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                assessment = inputs.record_static_assessment(
                    self.enterprise,
                    items=form.items(),
                    vetoes=data["vetoes"],
                    assessed_on=data["assessed_on"],
                    note=data["note"],
                    actor=request.user,
                )
            except DomainError as exc:
                if exc.errors:  # items.<code> → item_<code>
                    exc.errors = {
                        (f"item_{k.removeprefix('items.')}" if k.startswith("items.") else k): v
                        for k, v in exc.errors.items()
                    }
                apply_domain_error(form, exc)
            else:
                messages.success(
                    request,
                    _("Assessment recorded: score %(score)s.") % {"score": f"{assessment.score:g}"},
                )
                return redirect("portal:ent-risk-assessment")
        return self.render_to_response(self.get_context_data(form=form), status=400)


# ---------------------------------------------------------------- enterprise: management indicators (管理指标填报)


def indicator_field(code: str) -> str:
    return "v_" + code.replace(".", "__")


class IndicatorReportForm(forms.Form):
    period = forms.DateField(label=gettext_lazy("Period"), required=False)
    note = forms.CharField(label=gettext_lazy("Note"), max_length=255, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.specs = list(catalogue.record_indicators().values())
        for spec in self.specs:
            self.fields[indicator_field(spec["code"])] = forms.FloatField(label=spec["name"], required=False)

    def values(self) -> dict:
        return {
            spec["code"]: self.cleaned_data[indicator_field(spec["code"])]
            for spec in self.specs
            if self.cleaned_data.get(indicator_field(spec["code"])) is not None
        }


class EntIndicatorReportView(RiskPageMixin, OwnEnterpriseMixin, JurisdictionScopedMixin, TemplateView):
    """Report management indicator values for a period; with the latest value of each."""

    model = IndicatorRecord
    template_name = "portal/risk_indicators.html"
    end = "ent"

    def can_add(self) -> bool:
        return self.request.user.has_perm("risk.add_indicatorrecord")

    def get_context_data(self, **kwargs):
        latest = {
            r.indicator: r
            for r in IndicatorRecord.objects.for_user(self.request.user)
            .filter(enterprise=self.enterprise)
            .select_related("recorded_by")
            .order_by("indicator", "-period", "-id")
            .distinct("indicator")
        }
        form = kwargs.pop("form", None) or IndicatorReportForm()
        rows = [
            {**spec, "bound": form[indicator_field(spec["code"])], "latest": latest.get(spec["code"])}
            for spec in form.specs
        ]
        return super().get_context_data(form=form, rows=rows, can_add=self.can_add(), **kwargs)

    def post(self, request, *args, **kwargs):
        if not self.can_add():
            raise PermissionDenied
        form = IndicatorReportForm(request.POST)
        if form.is_valid():
            try:
                records = inputs.record_indicators_values(
                    self.enterprise,
                    form.values(),
                    period=form.cleaned_data["period"],
                    note=form.cleaned_data["note"],
                    actor=request.user,
                )
            except DomainError as exc:
                if exc.errors:  # values.<code> → the code's input; "values" (none given) above the form
                    exc.errors = {
                        (indicator_field(k.removeprefix("values.")) if k.startswith("values.") else k): v
                        for k, v in exc.errors.items()
                    }
                apply_domain_error(form, exc)
            else:
                messages.success(request, _("%(n)s values reported.") % {"n": len(records)})
                return redirect("portal:ent-risk-indicators")
        return self.render_to_response(self.get_context_data(form=form), status=400)
