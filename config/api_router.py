"""Every app's REST routes under /api/v1/."""

from django.urls import include, path

urlpatterns = [
    path("", include("apps.accounts.api.urls")),
    path("", include("apps.notifications.api.urls")),
    path("", include("apps.regions.api.urls")),
    path("", include("apps.enterprises.api.urls")),
    path("", include("apps.facilities.api.urls")),
    path("", include("apps.hazards.api.urls")),
    path("", include("apps.monitoring.api.urls")),
    path("", include("apps.risk.api.urls")),
    path("", include("apps.video.api.urls")),
    path("", include("apps.risk.api.patrol_urls")),
    path("", include("apps.risk.api.situation_urls")),
    path("", include("apps.risk.api.region_urls")),
    path("", include("apps.exchange.api.urls")),
    path("", include("apps.prevention.api.urls")),
    path("", include("apps.imports.api.urls")),
    path("", include("apps.portal.api.urls")),
]
