from django import forms
from django.contrib.auth import forms as auth_forms
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from apps.accounts import services
from apps.accounts.models import Organisation, Role
from apps.core.exceptions import DomainError


class LoginForm(auth_forms.AuthenticationForm):
    """Portal password login through the same service (lock-out, audit) as the API."""

    def clean(self):
        username, password = self.cleaned_data.get("username"), self.cleaned_data.get("password")
        if username is not None and password:
            try:
                self.user_cache = services.authenticate_user(username, password, request=self.request, channel="portal")
            except DomainError as exc:
                raise forms.ValidationError(exc.message, code=exc.code) from exc
            self.user_cache.backend = "django.contrib.auth.backends.ModelBackend"
        return self.cleaned_data


def apply_domain_error(form, exc: DomainError) -> None:
    """Show a service's error on the form field it names, or above the form."""
    errors = exc.errors or ({exc.field: [exc.message]} if exc.field else {None: [exc.message]})
    for field, messages in errors.items():
        target = field if field in form.fields else None
        for message in messages:
            form.add_error(target, message)


class RoleChoiceField(forms.ModelMultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def label_from_instance(self, role):
        return role.name if get_language().startswith("zh") else role.name_en


class UserCreateForm(forms.Form):
    """A new user in an organisation the administrator manages (分级管理, ACC-02)."""

    username = forms.RegexField(
        label=_("Username"),
        regex=r"^[\w.@+-]+$",
        max_length=150,
        error_messages={"invalid": _("Letters, digits and @ . + - _ only.")},
    )
    real_name = forms.CharField(label=_("Real name"), max_length=64, required=False)
    phone = forms.RegexField(label=_("Mobile phone"), regex=r"^\+?[0-9-]{5,20}$", required=False)
    email = forms.EmailField(label=_("Email"), required=False)
    organisation = forms.ModelChoiceField(label=_("Organisation"), queryset=Organisation.objects.none())
    roles = RoleChoiceField(label=_("Roles"), queryset=Role.objects.none(), required=False)
    password1 = forms.CharField(label=_("Password"), widget=forms.PasswordInput, strip=False)
    password2 = forms.CharField(label=_("Password again"), widget=forms.PasswordInput, strip=False)

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.actor = actor
        self.fields["organisation"].queryset = services.manageable_organisations(actor).select_related("region")
        self.fields["roles"].queryset = grantable_roles(actor)

    def clean(self):
        data = super().clean()
        if data.get("password1") and data.get("password1") != data.get("password2"):
            self.add_error("password2", _("The two passwords differ."))
        return data

    def save(self, request):
        data = self.cleaned_data
        try:
            return services.create_user(
                self.actor,
                username=data["username"],
                password=data["password1"],
                organisation=data["organisation"],
                roles=[r.code for r in data["roles"]],
                real_name=data["real_name"],
                phone=data["phone"],
                email=data["email"],
                request=request,
            )
        except DomainError as exc:
            if exc.field == "password":
                exc.field = "password1"
            apply_domain_error(self, exc)
            return None


class UserEditForm(forms.Form):
    real_name = forms.CharField(label=_("Real name"), max_length=64, required=False)
    phone = forms.RegexField(label=_("Mobile phone"), regex=r"^\+?[0-9-]{5,20}$", required=False)
    email = forms.EmailField(label=_("Email"), required=False)
    is_active = forms.BooleanField(label=_("Active"), required=False)
    roles = RoleChoiceField(label=_("Roles"), queryset=Role.objects.none(), required=False)

    def __init__(self, *args, actor, user, **kwargs):
        initial = {
            "real_name": user.real_name,
            "phone": user.phone,
            "email": user.email,
            "is_active": user.is_active,
            "roles": list(Role.objects.filter(group__user=user)),
        }
        kwargs["initial"] = {**initial, **(kwargs.get("initial") or {})}
        super().__init__(*args, **kwargs)
        self.actor, self.user = actor, user
        self.fields["roles"].queryset = grantable_roles(actor) | Role.objects.filter(group__user=user)

    def save(self, request):
        data = self.cleaned_data
        try:
            return services.update_user(
                self.actor,
                self.user,
                real_name=data["real_name"],
                phone=data["phone"],
                email=data["email"],
                is_active=data["is_active"],
                roles=[r.code for r in data["roles"]],
                request=request,
            )
        except DomainError as exc:
            apply_domain_error(self, exc)
            return None


def grantable_roles(actor):
    """Roles an administrator may hand out: ops only by ops, enterprise admins only enterprise roles."""
    roles = Role.objects.order_by("side", "code")
    if not (actor.is_superuser or "ops" in actor.role_codes):
        roles = roles.exclude(code="ops")
        if actor.organisation_id and actor.organisation.kind == "enterprise":
            roles = roles.filter(side="enterprise")
    return roles
