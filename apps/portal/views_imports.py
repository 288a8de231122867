"""Portal pages of Excel import (Excel导入): templates, upload, and a job's progress and row errors."""

from django import forms
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.generic import DetailView, ListView

from apps.accounts.models import UserType
from apps.core.exceptions import DomainError
from apps.core.views import JurisdictionScopedMixin
from apps.enterprises.models import Enterprise
from apps.imports import services
from apps.imports.models import ImportJob, ImportKind

from .forms import apply_domain_error


class ImportUploadForm(forms.Form):
    kind = forms.ChoiceField(label=_("Data"))
    enterprise = forms.ModelChoiceField(label=_("Enterprise"), queryset=Enterprise.objects.none(), required=False)
    file = forms.FileField(label=_("Excel file (.xlsx)"))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        kinds = services.kinds_for(user)
        self.fields["kind"].choices = [(k, label) for k, label in ImportKind.choices if k in kinds]
        if services.own_enterprise(user) is not None or kinds == [ImportKind.ENTERPRISES]:
            del self.fields["enterprise"]  # implied for enterprise users; not asked of enterprise imports
        else:
            self.fields["enterprise"].queryset = Enterprise.objects.for_user(user).active().with_organisation()
            self.fields["enterprise"].help_text = _("For facilities and monitoring points.")


class ImportListView(JurisdictionScopedMixin, ListView):
    """Templates to download, the upload form and the user's import jobs."""

    model = ImportJob
    paginate_by = 25
    template_name = "portal/imports.html"

    def get_queryset(self):
        return super().get_queryset().select_related("created_by", "enterprise__organisation").order_by("-created_at")

    def get_context_data(self, **kwargs):
        user = self.request.user
        form = kwargs.pop("form", None) or ImportUploadForm(user=user)
        kinds = [(k, label) for k, label in ImportKind.choices if k in services.kinds_for(user)]
        return super().get_context_data(
            form=form,
            kinds=kinds,
            own_enterprise=services.own_enterprise(user),
            enterprise_user=user.user_type == UserType.ENTERPRISE,
            **kwargs,
        )

    def post(self, request, *args, **kwargs):
        if not request.user.has_perm("imports.add_importjob"):
            raise PermissionDenied
        form = ImportUploadForm(request.POST, request.FILES, user=request.user)
        if form.is_valid():
            try:
                job = services.create_job(
                    request.user,
                    kind=form.cleaned_data["kind"],
                    file=form.cleaned_data["file"],
                    enterprise=form.cleaned_data.get("enterprise"),
                )
            except DomainError as exc:
                apply_domain_error(form, exc)
            else:
                return redirect("portal:import-job", pk=job.pk)
        self.object_list = self.get_queryset()
        return self.render_to_response(self.get_context_data(form=form))


class ImportJobView(JurisdictionScopedMixin, DetailView):
    """One job: a progress bar polling the API until the job finishes, then its row errors."""

    model = ImportJob
    template_name = "portal/import_job.html"
    context_object_name = "job"

    def get_queryset(self):
        return super().get_queryset().select_related("created_by", "enterprise__organisation")

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            api_url=reverse("import-job-detail", args=[self.object.pk]),
            enterprise_user=self.request.user.user_type == UserType.ENTERPRISE,
            **kwargs,
        )
