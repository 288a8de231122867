import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from .choices import Level
from .models import Notification


class StrictBooleanField(forms.NullBooleanField):
    """true/false/1/0 or nothing; anything else is an error (a plain BooleanFilter ignores it)."""

    widget = forms.TextInput

    def to_python(self, value):
        text = str(value).strip().lower() if value is not None else ""
        if text == "":
            return None
        if text in ("true", "1"):
            return True
        if text in ("false", "0"):
            return False
        raise forms.ValidationError(_("Use true or false."), code="invalid")

    def validate(self, value):
        pass


class StrictBooleanFilter(django_filters.BooleanFilter):
    field_class = StrictBooleanField


class NotificationFilterSet(django_filters.FilterSet):
    unread = StrictBooleanFilter(field_name="read_at", lookup_expr="isnull", label=_("unread"))
    kind = django_filters.CharFilter(field_name="kind", label=_("kind"))
    level = django_filters.ChoiceFilter(field_name="level", choices=Level.choices, label=_("level"))

    class Meta:
        model = Notification
        fields = ["unread", "kind", "level"]
