import django_filters
from django.utils.translation import gettext_lazy as _

from apps.core.api.filters import StrictBooleanFilter

from .choices import Level
from .models import Notification


class NotificationFilterSet(django_filters.FilterSet):
    unread = StrictBooleanFilter(field_name="read_at", lookup_expr="isnull", label=_("unread"))
    kind = django_filters.CharFilter(field_name="kind", label=_("kind"))
    level = django_filters.ChoiceFilter(field_name="level", choices=Level.choices, label=_("level"))

    class Meta:
        model = Notification
        fields = ["unread", "kind", "level"]
