from rest_framework.routers import DefaultRouter

from .views import GatewayViewSet, MeasurementKindViewSet, MonitoringPointViewSet

router = DefaultRouter(trailing_slash="/?")
router.register("measurement-kinds", MeasurementKindViewSet, basename="measurement-kind")
router.register("monitoring-points", MonitoringPointViewSet, basename="monitoring-point")
router.register("gateways", GatewayViewSet, basename="gateway")
urlpatterns = router.urls
