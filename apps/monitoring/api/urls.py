from apps.core.api.routers import OptionalSlashRouter

from .views import GatewayViewSet, MeasurementKindViewSet, MonitoringPointViewSet

router = OptionalSlashRouter()
router.register("measurement-kinds", MeasurementKindViewSet, basename="measurement-kind")
router.register("monitoring-points", MonitoringPointViewSet, basename="monitoring-point")
router.register("gateways", GatewayViewSet, basename="gateway")
urlpatterns = router.urls
