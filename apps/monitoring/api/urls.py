from django.urls import re_path

from apps.core.api.routers import OptionalSlashRouter
from apps.monitoring.api.alarms import AlarmViewSet
from apps.monitoring.api.statistics import DataQualityViewSet, MonitoringStatisticsViewSet
from apps.monitoring.api.windows import MaintenanceWindowViewSet
from apps.monitoring.broker_auth import mqtt_authenticate, mqtt_authorise
from apps.monitoring.ingest_views import ingest_readings

from .views import GatewayViewSet, MeasurementKindViewSet, MonitoringPointViewSet

router = OptionalSlashRouter()
router.register("measurement-kinds", MeasurementKindViewSet, basename="measurement-kind")
router.register("monitoring-points", MonitoringPointViewSet, basename="monitoring-point")
router.register("gateways", GatewayViewSet, basename="gateway")
router.register("alarms", AlarmViewSet, basename="alarm")
router.register("monitoring/statistics", MonitoringStatisticsViewSet, basename="monitoring-statistics")
router.register("monitoring/quality", DataQualityViewSet, basename="monitoring-quality")
router.register("maintenance-windows", MaintenanceWindowViewSet, basename="maintenance-window")
urlpatterns = [
    re_path(r"^ingest/readings/?$", ingest_readings, name="ingest-readings"),  # contract §2
    re_path(r"^mqtt/auth/?$", mqtt_authenticate, name="mqtt-auth"),  # the broker's hooks
    re_path(r"^mqtt/acl/?$", mqtt_authorise, name="mqtt-acl"),
    *router.urls,
]
