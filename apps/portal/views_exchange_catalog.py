"""The resource catalogue page (数据资源目录) of the government end: every exchange dataset with its
fields, frequency, direction, volume and last exchange, and the ministry's resource types with what
serves each. A thin view over ``apps.exchange.catalog``; the API serves the same data."""

from __future__ import annotations

from django.contrib import messages
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView

from apps.core.exceptions import DomainError
from apps.exchange import catalog

from .views import GovernmentEndMixin

DIRECTION_LABELS = {
    "received": gettext_lazy("Received"),
    "sent": gettext_lazy("Sent"),
}
ORIGIN_LABELS = {
    "province": gettext_lazy("Province table"),
    "national": gettext_lazy("National dataset"),
}
FREQUENCY_LABELS = {
    "daily": gettext_lazy("Daily"),
    "daily_10": gettext_lazy("Daily before 10:00, changes in real time"),
    "hourly": gettext_lazy("Hourly"),
    "10min": gettext_lazy("Every 10 minutes"),
    "realtime": gettext_lazy("Real time"),
}


class GovExchangeCatalogView(GovernmentEndMixin, TemplateView):
    """Data resource catalogue (数据资源目录): what this node exchanges, with whom, how much, when last."""

    template_name = "portal/exchange_catalog.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        direction = self.request.GET.get("direction", "").strip() or None
        try:
            datasets = catalog.catalogue(user, direction=direction)["datasets"]
        except DomainError as exc:
            messages.error(self.request, exc.message)
            direction = None
            datasets = catalog.catalogue(user)["datasets"]
        national = catalog.catalogue(user, target="national")
        for entry in datasets:
            entry["direction_labels"] = [DIRECTION_LABELS[d] for d in entry["directions"]]
            entry["origin_label"] = ORIGIN_LABELS.get(entry["origin"], entry["origin"])
            entry["frequency_label"] = FREQUENCY_LABELS.get(entry["frequency_class"], entry["frequency_class"])
        served = sum(1 for r in national["resource_types"] if r["provided"])
        return super().get_context_data(
            datasets=datasets,
            resource_types=national["resource_types"],
            extensions=national["extensions"],
            served=served,
            direction=direction,
            directions=[("", _("All")), *((k, v) for k, v in DIRECTION_LABELS.items())],
            **kwargs,
        )
