"""Portal pages of the enterprise registry: enterprises maintain their records, regulators read,
compare and annotate. Thin views: forms shape the input, the app services decide."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.generic import FormView, ListView, TemplateView

from apps.core.exceptions import DomainError
from apps.core.views import JurisdictionScopedMixin
from apps.enterprises import services as enterprise_services
from apps.enterprises.models import Enterprise
from apps.enterprises.stats import DIMENSIONS, enterprise_stats
from apps.facilities import services as facility_services
from apps.facilities.models import Facility, FacilityKind
from apps.hazards import services as hazard_services
from apps.hazards.models import HazardSource
from apps.monitoring import services as monitoring_services
from apps.monitoring.models import Gateway, MeasurementKind, MonitoringPoint
from apps.regions.models import Region
from apps.video import services as video_services
from apps.video.models import Camera

from .forms import apply_domain_error
from .registry_forms import (
    BaseInformationForm,
    CameraForm,
    FacilityForm,
    FacilityStatusForm,
    HazardSourceForm,
    PointForm,
    attribute_initial,
)
from .views import EnterpriseEndMixin, GovernmentEndMixin

DIMENSION_LABELS = {
    "region": _("Region"),
    "industry": _("Industry"),
    "dust_workers": _("dust-exposed workers"),
    "status": _("Operating status"),
    "scale": _("scale"),
    "economic_type": _("economic type"),
    "supervision_level": _("supervision level"),
    "hazchem_category": _("hazardous-chemicals category"),
    "affiliation": _("affiliation"),
}


# ---------------------------------------------------------------- regulator side


class GovStatsView(GovernmentEndMixin, TemplateView):
    """Classified statistics (分类统计) of the enterprises in the jurisdiction, with a chart."""

    template_name = "portal/gov_stats.html"

    def get_context_data(self, **kwargs):
        dimension = self.request.GET.get("group_by", "region")
        if dimension not in DIMENSIONS:
            dimension = "region"
        scope = self.request.user.access_scope
        within = Region.objects.filter(path=scope.region_path).first() if scope.region_path else None
        queryset = Enterprise.objects.for_user(self.request.user).active()
        industry = self.request.GET.get("industry")
        if industry:
            queryset = queryset.filter(industries__code=industry)
        rows = enterprise_stats(queryset, dimension, within=within)
        return super().get_context_data(
            rows=rows,
            total=queryset.count(),
            dimension=dimension,
            dimensions=[(d, DIMENSION_LABELS[d]) for d in DIMENSIONS],
            **kwargs,
        )


class GovHazardSourceListView(GovernmentEndMixin, JurisdictionScopedMixin, ListView):
    """Major hazard sources in the jurisdiction, on a list and a map."""

    model = HazardSource
    paginate_by = 25
    template_name = "portal/gov_hazard_sources.html"

    def get_queryset(self):
        queryset = (
            super()
            .get_queryset()
            .active()
            .select_related("enterprise__organisation__region")
            .order_by("level", "-r_value")
        )
        level = self.request.GET.get("level")
        if level == "none":
            queryset = queryset.filter(is_major=False)
        elif level in ("1", "2", "3", "4"):
            queryset = queryset.filter(level=int(level))
        region = Region.objects.filter(code=self.request.GET.get("region", "").strip()).first()
        if region is not None:
            queryset = queryset.filter(enterprise__organisation__region__path__startswith=region.path)
        return queryset

    def get_context_data(self, **kwargs):
        from urllib.parse import urlencode

        params = self.request.GET.copy()
        params.pop("page", None)
        level, region = self.request.GET.get("level", ""), self.request.GET.get("region", "").strip()
        map_query = {"region": region} if region else {}
        if level == "none":
            map_query["is_major"] = "false"
        elif level in ("1", "2", "3", "4"):
            map_query["level"] = level
        return super().get_context_data(querystring=params.urlencode(), map_query=urlencode(map_query), **kwargs)


# ---------------------------------------------------------------- enterprise side


class OwnEnterpriseMixin(EnterpriseEndMixin):
    """The signed-in user's own enterprise, through the same scoping as everything else."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.enterprise = Enterprise.objects.for_user(request.user).with_organisation().first()
            if self.enterprise is None and self.test_func():
                raise Http404(_("Your organisation has no enterprise record yet."))
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return super().get_context_data(enterprise=self.enterprise, **kwargs)

    def can(self, model, action) -> bool:
        return self.request.user.has_perm(f"{model._meta.app_label}.{action}_{model._meta.model_name}")


class EntProfileView(OwnEnterpriseMixin, FormView):
    """Base information maintenance (信息维护)."""

    template_name = "portal/ent_form.html"

    def get_form(self, form_class=None):
        return BaseInformationForm(**self.get_form_kwargs(), enterprise=self.enterprise)

    def form_valid(self, form):
        if not self.can(Enterprise, "change"):
            raise PermissionDenied
        try:
            enterprise_services.update_enterprise(self.request.user, self.enterprise, **form.changes())
        except DomainError as exc:
            _prefix_special_errors(exc)
            apply_domain_error(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, _("Saved."))
        return redirect("portal:ent-profile")

    def get_context_data(self, **kwargs):
        return super().get_context_data(title=_("Base information"), **kwargs)


def _prefix_special_errors(exc: DomainError) -> None:
    """Service errors name ``special_info.<industry>.<key>``; the form fields are ``special__<industry>__<key>``."""
    if exc.errors:
        exc.errors = {
            (k.replace("special_info.", "special__", 1).replace(".", "__") if k.startswith("special_info.") else k): v
            for k, v in exc.errors.items()
        }


class EntRecordListView(OwnEnterpriseMixin, JurisdictionScopedMixin, ListView):
    paginate_by = 50
    template_name = "portal/ent_records.html"
    columns: list[tuple[str, str]] = []
    title = ""
    create_url = ""

    def get_queryset(self):
        return super().get_queryset().filter(enterprise=self.enterprise)

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            columns=self.columns,
            title=self.title,
            create_url=self.create_url,
            can_add=self.can(self.model, "add"),
            **kwargs,
        )


class EntFacilityListView(EntRecordListView):
    model = Facility
    title = _("Facilities")
    template_name = "portal/ent_facilities.html"

    def get_queryset(self):
        return super().get_queryset().active().select_related("kind", "parent").order_by("code")

    def get_context_data(self, **kwargs):
        industries = [i.code for i in self.enterprise.industries.all()]
        kinds = (
            FacilityKind.objects.filter(industries__overlap=industries) if industries else FacilityKind.objects.all()
        )
        return super().get_context_data(kinds=kinds.order_by("sort"), **kwargs)


class EntFacilityFormView(OwnEnterpriseMixin, FormView):
    """Register a facility of a kind, or change one; attributes follow the kind's schema."""

    template_name = "portal/ent_facility_form.html"

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.facility = None

    def get_facility(self):
        if "pk" in self.kwargs and self.facility is None:
            self.facility = (
                Facility.objects.for_user(self.request.user)
                .select_related("kind")
                .filter(pk=self.kwargs["pk"], enterprise=self.enterprise, deleted=False)
                .first()
            )
            if self.facility is None:
                raise Http404
        return self.facility

    def get_kind(self):
        facility = self.get_facility()
        if facility is not None:
            return facility.kind
        kind = FacilityKind.objects.filter(code=self.request.GET.get("kind", "")).first()
        if kind is None:
            raise Http404(_("Choose a facility kind."))
        return kind

    def get_form(self, form_class=None):
        kind = self.get_kind()
        parents = Facility.objects.active().filter(enterprise=self.enterprise, kind__code__in=kind.parent_kinds)
        kwargs = self.get_form_kwargs()
        facility = self.get_facility()
        if facility is not None and self.request.method == "GET":
            kwargs["initial"] = {
                "code": facility.code,
                "name": facility.name,
                "registration_code": facility.registration_code,
                "parent": facility.parent_id,
                **attribute_initial(kind.attributes, facility.attributes, "attr__"),
            }
        return FacilityForm(**kwargs, kind=kind, parents=parents)

    def form_valid(self, form):
        values = form.values()
        parent_id = values.pop("parent", None)
        values["parent"] = (
            Facility.objects.filter(pk=parent_id, enterprise=self.enterprise).first() if parent_id else None
        )
        try:
            if self.get_facility() is None:
                facility_services.register_facility(
                    self.request.user, enterprise=self.enterprise, kind=self.get_kind(), **values
                )
            else:
                facility_services.update_facility(self.request.user, self.get_facility(), **values)
        except DomainError as exc:
            if exc.errors:
                exc.errors = {k.replace("attributes.", "attr__", 1): v for k, v in exc.errors.items()}
            apply_domain_error(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, _("Saved."))
        return redirect("portal:ent-facilities")

    def get_context_data(self, **kwargs):
        facility = self.get_facility()
        return super().get_context_data(
            kind=self.get_kind(),
            facility=facility,
            status_form=FacilityStatusForm() if facility else None,
            history=facility.status_changes.all()[:10] if facility else [],
            **kwargs,
        )


class EntFacilityStatusView(OwnEnterpriseMixin, FormView):
    form_class = FacilityStatusForm
    http_method_names = ["post"]

    def form_valid(self, form):
        facility = (
            Facility.objects.for_user(self.request.user)
            .filter(pk=self.kwargs["pk"], enterprise=self.enterprise)
            .first()
        )
        if facility is None:
            raise Http404
        try:
            facility_services.change_status(self.request.user, facility, **form.cleaned_data)
            messages.success(self.request, _("Status changed."))
        except DomainError as exc:
            messages.error(self.request, exc.message)
        return redirect("portal:ent-facility-edit", pk=facility.pk)

    def form_invalid(self, form):
        messages.error(self.request, "; ".join(e for errors in form.errors.values() for e in errors))
        return redirect("portal:ent-facility-edit", pk=self.kwargs["pk"])


class EntSimpleRecordFormView(OwnEnterpriseMixin, FormView):
    """Create or change one record of the enterprise through its service."""

    template_name = "portal/ent_form.html"
    model = None
    form_class = None
    success_url_name = ""
    title = ""

    def get_object(self):
        if "pk" not in self.kwargs:
            return None
        obj = (
            self.model.objects.for_user(self.request.user)
            .filter(pk=self.kwargs["pk"], enterprise=self.enterprise)
            .first()
        )
        if obj is None:
            raise Http404
        return obj

    def facilities(self):
        return Facility.objects.active().filter(enterprise=self.enterprise).order_by("code")

    def get_form(self, form_class=None):
        kwargs = self.get_form_kwargs()
        obj = self.get_object()
        if obj is not None and self.request.method == "GET":
            kwargs["initial"] = self.initial_for(obj)
        return self.form_class(**kwargs, facilities=self.facilities())

    def initial_for(self, obj) -> dict:
        return {}

    def form_valid(self, form):
        try:
            self.save(form.cleaned_data, self.get_object())
        except DomainError as exc:
            apply_domain_error(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, _("Saved."))
        return redirect(self.success_url_name)

    def get_context_data(self, **kwargs):
        return super().get_context_data(title=self.title, **kwargs)


class EntPointFormView(EntSimpleRecordFormView):
    model = MonitoringPoint
    form_class = PointForm
    success_url_name = "portal:ent-points"
    title = _("Monitoring point")

    def initial_for(self, point):
        fields = [
            "code",
            "name",
            "unit",
            "range_low",
            "range_high",
            "low_low",
            "low",
            "high",
            "high_high",
            "bit_number",
            "period_s",
            "position",
            "in_use",
        ]
        return {**{f: getattr(point, f) for f in fields}, "facility": point.facility_id, "kind": point.kind.code}

    def save(self, data, point):
        data = dict(data)
        data["facility"] = self.facilities().get(pk=data["facility"])
        data["kind"] = MeasurementKind.objects.get(code=data["kind"])
        if point is None:
            monitoring_services.create_point(self.request.user, **data)
        else:
            monitoring_services.update_point(self.request.user, point, **data)


class EntCameraFormView(EntSimpleRecordFormView):
    model = Camera
    form_class = CameraForm
    success_url_name = "portal:ent-cameras"
    title = _("Camera")

    def initial_for(self, camera):
        return {
            "code": camera.code,
            "name": camera.name,
            "facility": camera.facility_id,
            "position": camera.position,
            "stream_url": camera.stream_url,
            "in_use": camera.in_use,
        }

    def save(self, data, camera):
        data = dict(data)
        data["facility"] = self.facilities().filter(pk=data.get("facility") or None).first()
        if camera is None:
            video_services.register_camera(self.request.user, enterprise=self.enterprise, **data)
        else:
            video_services.update_camera(self.request.user, camera, **data)


class EntHazardSourceFormView(EntSimpleRecordFormView):
    model = HazardSource
    form_class = HazardSourceForm
    success_url_name = "portal:ent-hazard-sources"
    title = _("Major hazard source")

    def initial_for(self, source):
        lines = [
            f"{s.substance.name if s.substance else s.category.symbol}, {s.quantity_t.normalize()}"
            for s in source.substances.select_related("substance", "category")
        ]
        return {
            "code": source.code,
            "name": source.name,
            "exposed_population": source.exposed_population,
            "facilities": [str(f) for f in source.facilities.values_list("pk", flat=True)],
            "substances": "\n".join(lines),
            "filing_number": source.filing_number,
            "principal_person": source.principal_person,
            "technical_person": source.technical_person,
            "operational_person": source.operational_person,
        }

    def save(self, data, source):
        data = dict(data)
        data["facilities"] = [int(f) for f in data["facilities"]]
        if source is None:
            hazard_services.register_hazard_source(self.request.user, enterprise=self.enterprise, **data)
        else:
            hazard_services.update_hazard_source(self.request.user, source, **data)


class EntPointListView(EntRecordListView):
    model = MonitoringPoint
    title = _("Monitoring points")
    template_name = "portal/ent_points.html"

    def get_queryset(self):
        return super().get_queryset().active().select_related("facility", "kind").order_by("code")


class EntCameraListView(EntRecordListView):
    model = Camera
    title = _("Cameras")
    template_name = "portal/ent_cameras.html"

    def get_queryset(self):
        return super().get_queryset().active().select_related("facility").order_by("code")


class EntHazardSourceListView(EntRecordListView):
    model = HazardSource
    title = _("Major hazard sources")
    template_name = "portal/ent_hazard_sources.html"

    def get_queryset(self):
        return super().get_queryset().active().order_by("code")


class EntGatewayView(OwnEnterpriseMixin, JurisdictionScopedMixin, ListView):
    """Gateways: a new gateway's secret (or a rotated one) is shown on this page once."""

    model = Gateway
    template_name = "portal/ent_gateways.html"

    def get_queryset(self):
        return super().get_queryset().filter(enterprise=self.enterprise).order_by("gateway_id")

    def post(self, request, *args, **kwargs):
        self.object_list = self.get_queryset()
        secret = gateway_id = None
        try:
            if "rotate" in request.POST:
                gateway = self.get_queryset().filter(pk=request.POST["rotate"]).first()
                if gateway is None:
                    raise Http404
                secret, gateway_id = (
                    monitoring_services.rotate_gateway_secret(request.user, gateway),
                    gateway.gateway_id,
                )
            else:
                gateway, secret = monitoring_services.create_gateway(
                    request.user,
                    enterprise=self.enterprise,
                    gateway_id=request.POST.get("gateway_id", "").strip(),
                    name=request.POST.get("name", "").strip(),
                )
                gateway_id = gateway.gateway_id
        except DomainError as exc:
            messages.error(request, exc.message)
            return redirect("portal:ent-gateways")
        context = self.get_context_data(new_secret=secret, new_gateway_id=gateway_id)
        response = self.render_to_response(context)
        response["Cache-Control"] = "no-store"
        return response
