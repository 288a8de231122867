"""Portal pages: thin views over the same querysets and services as the API."""

from django.contrib import messages
from django.contrib.auth import forms as auth_forms
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.mixins import LoginRequiredMixin, UserPassesTestMixin
from django.db.models import Count
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.generic import DetailView, FormView, ListView, TemplateView
from django.views.generic.detail import SingleObjectMixin

from apps.accounts.models import User, UserType
from apps.accounts.services import change_own_password, unlock_user
from apps.core.exceptions import DomainError
from apps.core.views import JurisdictionScopedMixin
from apps.enterprises.api.views import export_enterprises
from apps.enterprises.filtersets import EnterpriseFilterSet
from apps.enterprises.models import Enterprise
from apps.enterprises.overview import build_overview
from apps.enterprises.services import annotate
from apps.hazards.services import with_best_level
from apps.regions.models import Region

from .forms import LoginForm, UserCreateForm, UserEditForm, apply_domain_error
from .menus import menu_for

GOVERNMENT_TYPES = (UserType.SUPERVISION, UserType.COMMITTEE_MEMBER, UserType.ADMINISTRATOR)


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    template_name = "portal/login.html"
    redirect_authenticated_user = True


class PortalHomeView(TemplateView):
    """The unified portal (统一信息门户): the platforms a visitor may enter."""

    template_name = "portal/home.html"

    def get(self, request, *args, **kwargs):
        if request.user.is_authenticated and request.GET.get("stay") is None:
            if request.user.user_type in GOVERNMENT_TYPES:
                return redirect("portal:gov-home")
            if request.user.user_type == UserType.ENTERPRISE:
                return redirect("portal:ent-home")
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return super().get_context_data(platforms=menu_for(self.request.user), **kwargs)


class GovernmentEndMixin(LoginRequiredMixin, UserPassesTestMixin):
    """The government end (政府端) is for regulators, committee member units and ops."""

    def test_func(self):
        return self.request.user.user_type in GOVERNMENT_TYPES

    def get_context_data(self, **kwargs):
        scope = self.request.user.access_scope
        scope_region = Region.objects.filter(path=scope.region_path).first() if scope.region_path else None
        return super().get_context_data(
            region_choices=regions_in_scope(self.request.user), scope_region=scope_region, **kwargs
        )


def regions_in_scope(user):
    """Cities, counties and parks of the user's jurisdiction, for region pickers (ordered as a tree)."""
    scope = user.access_scope
    regions = Region.objects.exclude(kind="province").only("code", "name", "kind", "depth", "path")
    if scope.region_path:
        regions = regions.filter(path__startswith=scope.region_path)
    return regions.order_by("path")


class EnterpriseEndMixin(LoginRequiredMixin, UserPassesTestMixin):
    def test_func(self):
        return self.request.user.user_type == UserType.ENTERPRISE


class GovHomeView(GovernmentEndMixin, TemplateView):
    template_name = "portal/gov_home.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        enterprises = Enterprise.objects.for_user(user).active()
        scope = user.access_scope
        top = Region.objects.filter(path=scope.region_path).first() if scope.region_path else None
        children = (top.children.all() if top else Region.objects.filter(kind="city")).order_by("code")
        counts = []
        for child in children:
            counts.append(
                {
                    "code": child.code,
                    "name": child.name,
                    "n": enterprises.filter(organisation__region__path__startswith=child.path).count(),
                }
            )
        by_industry = enterprises.values("industries__name").annotate(n=Count("pk")).order_by("-n")
        return super().get_context_data(
            region=top,
            total=enterprises.count(),
            by_region=counts,
            by_industry=[r for r in by_industry if r["industries__name"]],
            **kwargs,
        )


class EnterpriseListView(GovernmentEndMixin, JurisdictionScopedMixin, ListView):
    model = Enterprise
    paginate_by = 25
    template_name = "portal/enterprise_list.html"

    def get_queryset(self):
        base = with_best_level(super().get_queryset().active().with_organisation()).order_by("organisation__name")
        self.filterset = EnterpriseFilterSet(self.request.GET or None, queryset=base, request=self.request)
        return self.filterset.qs if self.filterset.is_bound and self.filterset.is_valid() else base

    def get(self, request, *args, **kwargs):
        if request.GET.get("export") == "xlsx":
            return export_enterprises(self.get_queryset())
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        params = self.request.GET.copy()
        params.pop("page", None)
        return super().get_context_data(filterset=self.filterset, querystring=params.urlencode(), **kwargs)


class EnterpriseDetailView(GovernmentEndMixin, JurisdictionScopedMixin, DetailView):
    model = Enterprise
    template_name = "portal/enterprise_detail.html"
    context_object_name = "enterprise"

    def get_queryset(self):
        return super().get_queryset().with_organisation()

    def get_context_data(self, **kwargs):
        notes = (
            self.object.annotations.select_related("author")[:20]
            if self.request.user.has_perm("enterprises.view_annotation")
            else []
        )
        return super().get_context_data(overview=build_overview(self.object, self.request.user), notes=notes, **kwargs)

    def post(self, request, *args, **kwargs):
        """A regulator's note on the enterprise (监管批注)."""
        self.object = self.get_object()
        try:
            annotate(request.user, self.object, request.POST.get("text", ""))
            messages.success(request, _("Note saved."))
        except DomainError as exc:
            messages.error(request, exc.message)
        return redirect("portal:gov-enterprise", pk=self.object.pk)


class EntHomeView(EnterpriseEndMixin, TemplateView):
    """The enterprise end (企业端): the user's own enterprise on one screen."""

    template_name = "portal/ent_home.html"

    def get_context_data(self, **kwargs):
        enterprise = Enterprise.objects.for_user(self.request.user).with_organisation().first()
        overview = build_overview(enterprise, self.request.user) if enterprise else None
        return super().get_context_data(enterprise=enterprise, overview=overview, **kwargs)


class UserListView(JurisdictionScopedMixin, ListView):
    """Users the signed-in administrator may see (hierarchical administration)."""

    model = User
    paginate_by = 25
    template_name = "portal/user_list.html"

    def get_queryset(self):
        qs = super().get_queryset().select_related("organisation").prefetch_related("groups").order_by("username")
        q = self.request.GET.get("q", "").strip()
        return qs.filter(username__icontains=q) | qs.filter(real_name__icontains=q) if q else qs


class UserCreateView(JurisdictionScopedMixin, FormView):
    model = User
    scope_action = "add"
    form_class = UserCreateForm
    template_name = "portal/user_form.html"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "actor": self.request.user}

    def form_valid(self, form):
        user = form.save(self.request)
        if user is None:
            return self.form_invalid(form)
        messages.success(self.request, _("User %(name)s created.") % {"name": user.username})
        return redirect("portal:users")


class UserEditView(JurisdictionScopedMixin, SingleObjectMixin, FormView):
    model = User
    scope_action = "change"
    form_class = UserEditForm
    template_name = "portal/user_form.html"
    context_object_name = "managed_user"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.object = self.get_object()
        return super().dispatch(request, *args, **kwargs)

    def get_queryset(self):
        return super().get_queryset().select_related("organisation")

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "actor": self.request.user, "user": self.object}

    def form_valid(self, form):
        if form.save(self.request) is None:
            return self.form_invalid(form)
        messages.success(self.request, _("User %(name)s saved.") % {"name": self.object.username})
        return redirect("portal:users")

    def post(self, request, *args, **kwargs):
        if "unlock" in request.POST:
            try:
                unlock_user(request.user, self.object, request=request)
            except DomainError as exc:
                messages.error(request, exc.message)
            else:
                messages.success(request, _("Account unlocked."))
            return redirect("portal:user-edit", pk=self.object.pk)
        return super().post(request, *args, **kwargs)


class PasswordChangeView(LoginRequiredMixin, FormView):
    """Change one's own password (the API's service: validators, audit, token revocation)."""

    template_name = "portal/password_change.html"
    form_class = auth_forms.PasswordChangeForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def form_valid(self, form):
        try:
            change_own_password(
                self.request.user,
                form.cleaned_data["old_password"],
                form.cleaned_data["new_password1"],
                request=self.request,
                channel="portal",
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
            return self.form_invalid(form)
        update_session_auth_hash(self.request, self.request.user)
        messages.success(self.request, _("Your password has been changed."))
        return redirect("portal:home")
