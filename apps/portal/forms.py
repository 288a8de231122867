from django import forms
from django.contrib.auth import forms as auth_forms

from apps.accounts import services
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


__all__ = ["LoginForm"]
